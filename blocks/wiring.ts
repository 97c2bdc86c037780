// ─── THE WIRING SPOT ─────────────────────────────────────────────────────────────────────────────
// The one place where the real implementations are plugged into the blocks' ports (blocks/ports.ts):
// the core client (src/client/cloudlink.ts) and the Scratch variable/list binding (blocks/sync/).
// Tests and other front ends pass fakes to createExtension instead.
import { CloudLinkClient } from '../src/client/cloudlink.js';
import type { CoreClient } from '../src/client/api.js';
import type { DataSyncFactory } from './ports.js';
import { NetworkedData } from './sync/networked-data.js';

/** The core client the extension talks to. */
export const createCoreClient = (): CoreClient => new CloudLinkClient();

/** Networked variables/lists: blocks/sync/ binds Scratch state to the core's sync engine. */
export const createDataSync: DataSyncFactory = (runtime, client) => new NetworkedData(runtime, client);
