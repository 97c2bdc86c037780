// What bench/sequence.mjs measures: the merging list (issue 12, not wired yet).
export { applyPatch, Sequence } from '../../src/client/sync/sequence.js';
export { ChunkedValues } from '../../src/client/sync/chunked-values.js';
export { diffToOps } from '../../src/client/sync/sequence-diff.js';
export { decodeSnapshot, encodeSnapshot } from '../../src/client/sync/sequence-snapshot.js';
