// A hat with no arguments that runs once for each of its events (blocks/hats.ts): "when connected",
// "when a player joins my lobby", ...
import type { BlockContext } from './context.js';
import type { HatName } from './hat-events.js';
import type { BlockSpec } from './spec.js';

export function eventHat({ Scratch, hats, t }: Pick<BlockContext, 'Scratch' | 'hats' | 't'>, opcode: HatName, english: string): BlockSpec {
  return {
    info: { opcode, blockType: Scratch.BlockType.HAT, text: t(opcode, english), isEdgeActivated: false },
    run: (_args, util) => hats.accepts(util, opcode) !== null,
  };
}
