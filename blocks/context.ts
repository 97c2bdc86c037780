// What every block group gets: the Scratch API, the ports (core client, data sync), and hats. Block text: blocks/translate.ts.
import type { CoreClient } from '../src/client/api.js';
import type { HatEvents } from './hats.js';
import type { DataSync } from './ports.js';
import type { ScratchApi, ScratchRuntime } from './scratch.js';
import type { Casts } from './spec.js';

export interface BlockContext {
  Scratch: ScratchApi;
  runtime: ScratchRuntime;
  client: CoreClient;
  hats: HatEvents;
  data: DataSync;
  /** Argument casts through Scratch.Cast (blocks/spec.ts). */
  cast: Casts;
}
