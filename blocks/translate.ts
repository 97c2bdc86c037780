// All block text goes through Scratch.translate (TurboWarp's translation hook), when it exists.
import type { ScratchApi } from './scratch.js';

export type Translate = (id: string, english: string) => string;

export const translator =
  (Scratch: ScratchApi): Translate =>
  (id, english) =>
    Scratch.translate ? Scratch.translate({ id: `cloudlink5.${id}`, default: english }) : english;
