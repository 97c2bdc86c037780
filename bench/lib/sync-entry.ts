// What bench/sync.mjs imports from our TypeScript sources.
export { SyncEngine } from '../../src/client/sync/engine.js';
export { listStore, mergedListStore, variableStore } from '../../blocks/sync/stores.js';
export { MemoryCounter } from '../../test/sync/memory.js';
export { decodePeerMessage, encodePeerMessage, MAX_IN_BAND_BYTES } from '../../src/protocol/index.js';
