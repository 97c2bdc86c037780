// What bench/signal-path.mjs imports from our TypeScript sources.
export { dispatch } from '../../src/server/dispatch.js';
export { Player } from '../../src/server/player.js';
export { RateLimiter } from '../../src/server/rate-limit.js';
export { AddressBudgets } from '../../src/server/address-budget.js';
export { decodeClientPacket } from '../../src/protocol/index.js';
