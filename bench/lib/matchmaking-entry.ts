// What bench/matchmaking.mjs imports from our TypeScript sources.
export { MemoryStore } from '../../src/server/memory-store.js';
export { RedisStore } from '../../src/server/redis-store.js';
export { startRedis } from '../../test/helpers/redis.js';
