// The lobby stores a store test runs against: MemoryStore, and RedisStore on a real redis-server the
// test starts (test/helpers/redis.ts), each store starting from an empty database.
import { Redis } from 'ioredis';
import { MemoryStore } from '../../src/server/memory-store.js';
import { RedisStore } from '../../src/server/redis-store.js';
import type { LobbyStore } from '../../src/server/store.js';
import { type RedisServer, startRedis } from './redis.js';

export { INSTALL_MS } from './redis.js';

export interface Backend {
  name: string;
  start(): Promise<void>;
  /** A store with nothing in it. */
  make(): Promise<LobbyStore>;
  stop(): Promise<void>;
}

/** A real redis-server of the test's own; each store starts from an empty database. */
export function redisBackend(): Backend & { client(): Redis } {
  let server: RedisServer | undefined;
  const clients: Redis[] = [];
  const client = () => {
    const made = new Redis(server!.port, '127.0.0.1', { lazyConnect: false, maxRetriesPerRequest: 1 });
    clients.push(made);
    return made;
  };
  let main: Redis | undefined;
  return {
    name: 'RedisStore',
    client,
    async start() {
      server = await startRedis();
      main = client();
    },
    async make() {
      await main!.flushdb();
      return new RedisStore(main!, 'test:');
    },
    async stop() {
      try {
        await Promise.all(clients.splice(0).map((each) => each.quit()));
      } finally {
        await server?.stop();
      }
    },
  };
}

export const memory: Backend = { name: 'MemoryStore', start: async () => {}, make: async () => new MemoryStore(), stop: async () => {} };
