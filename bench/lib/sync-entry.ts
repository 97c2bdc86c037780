// What bench/sync.mjs imports from our TypeScript sources.
export { SyncEngine } from '../../src/client/sync/engine.js';
export { listStore, variableStore } from '../../blocks/sync/stores.js';
export { encodePeerMessage } from '../../src/protocol/index.js';
