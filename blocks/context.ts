// What every block group gets: the Scratch API, the core client, hats and translation.
import type { CoreClient } from '../src/client/api.js';
import type { HatEvents } from './hats.js';
import type { ScratchApi } from './scratch.js';
import type { NetworkedData } from './sync/networked-data.js';
import type { Translate } from './translate.js';

export interface BlockContext {
  Scratch: ScratchApi;
  client: CoreClient;
  hats: HatEvents;
  data: NetworkedData;
  t: Translate;
  /** Runs a block's core call; a failure is already "last error" + the error hat, so the block just ends. */
  attempt<T>(run: () => T | Promise<T>, fallback: T): Promise<T> | T;
}
