// Quick join cost (issue 15) as the number of lobbies in a game grows: the store picks the oldest open
// matching lobby in one atomic step, which reads every lobby of the game (MemoryStore: a loop in this
// process; RedisStore: one Lua script that decodes each lobby's JSON). For N lobbies that never match
// (full), 200 players quick-join (lobbies of 4: 50 created, 150 joined), one after another.
// Figures: wall time per quick join (p50/p99) and CPU per quick join — this process's for MemoryStore,
// redis-server's own (INFO commandstats: usec per EVALSHA) for RedisStore, which is what another node
// waits for while the script runs. Usage: node bench/matchmaking.mjs [--json]
import { Redis } from 'ioredis';
import { importTs } from '../scripts/import-ts.mjs';
import { summary } from './lib/stats.mjs';

const { MemoryStore, RedisStore, startRedis } = await importTs('bench/lib/matchmaking-entry.ts');
const JSON_OUT = process.argv.includes('--json');
const log = JSON_OUT ? () => {} : console.log;
const SIZES = [10, 100, 1000, 5000];
const JOINERS = 200;
const open = { maxPlayers: 4, password: null, locked: false, hidden: false, relayEnabled: false };
const user = (name) => ({ instance_id: `id-${name}`, user_id: `id-${name}`, username: name });

async function fill(store, lobbies) {
  for (let i = 0; i < lobbies; i += 1) {
    const host = user(`host${i}`);
    await store.addPlayer('g', host);
    await store.create('g', `full-${i}`, host, { ...open, maxPlayers: 1, metadata: { mode: 'ctf', map: `map ${i % 7}` } });
  }
  for (let i = 0; i < JOINERS; i += 1) await store.addPlayer('g', user(`p${i}`));
}

/** Quick-joins every player; wall time of each, and the CPU the given probe reports for all of them. */
async function quickJoins(store, cpu) {
  const times = [];
  const before = await cpu();
  for (let i = 0; i < JOINERS; i += 1) {
    const started = performance.now();
    await store.quickJoin('g', user(`p${i}`), { metadata: { mode: 'ctf' } }, { namePrefix: 'bench', settings: { ...open, metadata: { mode: 'ctf' } } });
    times.push(performance.now() - started);
  }
  const lobbies = (await store.lobbies('g')).filter((lobby) => lobby.name.startsWith('bench-'));
  if (lobbies.length !== JOINERS / 4 || lobbies.some((lobby) => lobby.members.length !== 4)) throw new Error('quick join did not fill lobbies of 4');
  return { wall: summary(times), cpuUsPerJoin: ((await cpu()) - before) / JOINERS };
}

const processCpu = async () => {
  const { user: u, system } = process.cpuUsage();
  return u + system;
};

const results = { memory: {}, redis: {} };
const redisServer = await startRedis();
const redis = new Redis(redisServer.port, '127.0.0.1');
const evalshaUsec = async () => {
  const line = (await redis.info('commandstats')).split('\n').find((l) => l.startsWith('cmdstat_evalsha:'));
  return Number(/usec=(\d+)/.exec(line ?? '')?.[1] ?? 0);
};
try {
  for (const size of SIZES) {
    const memory = new MemoryStore();
    await fill(memory, size);
    results.memory[size] = await quickJoins(memory, processCpu);
    await redis.flushdb();
    const shared = new RedisStore(redis, 'bench:');
    await fill(shared, size);
    results.redis[size] = await quickJoins(shared, evalshaUsec);
    for (const kind of ['memory', 'redis']) {
      const { wall, cpuUsPerJoin } = results[kind][size];
      log(
        `${kind.padEnd(6)} ${String(size).padStart(5)} other lobbies: quick join p50 ${wall.p50.toFixed(3)} ms, p99 ${wall.p99.toFixed(3)} ms; CPU ${cpuUsPerJoin.toFixed(0)} µs per join (${kind === 'redis' ? 'redis-server' : 'this process'})`,
      );
    }
  }
} finally {
  await redis.quit();
  await redisServer.stop();
}
if (JSON_OUT) console.log(JSON.stringify(results));
