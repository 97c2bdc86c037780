// Players on a lobby screen: each asks "open lobbies" (LIST_LOBBIES) as a project polling the reporter
// every frame makes our client ask, in a game with 1,000 open lobbies: 4 a second (an answer is given
// again for 250 ms, src/client/session.ts #read), or with --per-second=45 as fast as the client's pacing
// lets a read through (src/client/request-pacer.ts; what it asked before answers were reused). The
// server's CPU per LIST, and what share of a core the pollers take, show what a lobby screen costs. Our
// server (dist/server.mjs, or CL5_SERVER) in its own process; raw clients from this process.
// --redis: the server keeps its lobbies in a redis-server started here (no persistence, a free port), whose
// CPU per LIST is shown too; --filter='{"free_seats":true}': the matchmaking search (a LIST with a filter,
// answered with summaries) instead of the names.
// Usage: node bench/lobby-browsing.mjs [--lobbies=1000] [--pollers=50,200] [--per-second=4] [--seconds=10] [--runs=3] [--redis] [--filter=JSON]
import Redis from 'ioredis';
import { importTs } from '../scripts/import-ts.mjs';
import { startCl5, cpuSeconds } from './lib/processes.mjs';
import { open, request } from './lib/raw-ws.mjs';
import { minMedianMax, summary } from './lib/stats.mjs';

const arg = (name, fallback) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback;
const LOBBIES = Number(arg('lobbies', '1000'));
const POLLERS = arg('pollers', '50,200').split(',').map(Number);
const SECONDS = Number(arg('seconds', '10'));
const RUNS = Number(arg('runs', '3'));
/** LIST_LOBBIES a second per poller. */
const PER_SECOND = Number(arg('per-second', '4'));
const GAME = 'browse';
const FILTER = arg('filter', undefined);
const REDIS = process.argv.includes('--redis');

const redisServer = REDIS ? await (await importTs('test/helpers/redis.ts')).startRedis() : null;
const redis = redisServer ? new Redis(redisServer.port, '127.0.0.1') : null;
const redisPid = redis ? Number((await redis.info('server')).match(/^process_id:(\d+)/m)[1]) : null;

const isOpcode = (opcode) => (packet) => packet.opcode === opcode;

async function player(port, username) {
  const client = await open(port, `/?ugi=${GAME}`);
  const ok = await request(client, { opcode: 'INIT', payload: { username } }, isOpcode('INIT_OK'));
  if (!ok) throw new Error(`INIT refused for ${username}`);
  return client;
}

/** `n` players, 100 at a time. */
async function players(port, n, prefix) {
  const all = [];
  for (let i = 0; i < n; i += 100) all.push(...(await Promise.all(Array.from({ length: Math.min(100, n - i) }, (_, k) => player(port, `${prefix}${i + k}`)))));
  return all;
}

/** Every poller asks, gets its answer, and asks again no sooner than 1/PER_SECOND after its last ask, for SECONDS. */
async function poll(pollers) {
  const latencies = [];
  const gap = 1000 / PER_SECOND;
  const end = performance.now() + SECONDS * 1000;
  await Promise.all(
    pollers.map(async (client, i) => {
      // Spread the first asks over one gap, as players arriving at the screen at different times.
      await new Promise((resolve) => setTimeout(resolve, (gap * i) / pollers.length));
      while (performance.now() < end) {
        const asked = performance.now();
        const ask = { opcode: 'LIST_LOBBIES', listener: 'l', ...(FILTER === undefined ? {} : { payload: JSON.parse(FILTER) }) };
        const reply = await request(client, ask, isOpcode('LIST_ACK'));
        if (!Array.isArray(reply.payload)) throw new Error('LIST_ACK without a list');
        latencies.push(performance.now() - asked);
        const wait = asked + gap - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }),
  );
  return latencies;
}

const rows = [];
for (let run = 1; run <= RUNS; run += 1) {
  for (const count of POLLERS) {
    await redis?.flushall();
    const server = await startCl5(redisServer ? ['--redis', redisServer.url] : []);
    try {
      const owners = await players(server.port, LOBBIES, 'owner');
      await Promise.all(
        owners.map((o, i) =>
          request(
            o,
            { opcode: 'CREATE_LOBBY', payload: { name: `lobby-${i}`, max_players: 8, password: '', locked: false, enable_relay: false } },
            isOpcode('CREATE_ACK'),
          ),
        ),
      );
      // Owners read nothing more (NEW_LOBBY and the like): drop what they are sent.
      for (const o of owners) o.onText = () => {};
      const pollers = await players(server.port, count, 'poller');
      const cpuBefore = cpuSeconds(server.pid);
      const redisBefore = redisPid ? cpuSeconds(redisPid) : 0;
      const started = performance.now();
      const latencies = await poll(pollers);
      const seconds = (performance.now() - started) / 1000;
      const cpu = cpuSeconds(server.pid) - cpuBefore;
      const redisCpu = redisPid ? cpuSeconds(redisPid) - redisBefore : 0;
      const { p50, p99 } = summary(latencies);
      rows.push({
        run,
        pollers: count,
        lists: latencies.length,
        perSecond: latencies.length / seconds,
        cpuShare: cpu / seconds,
        cpuUsPerList: (cpu * 1e6) / latencies.length,
        redisUsPerList: (redisCpu * 1e6) / latencies.length,
        p50,
        p99,
      });
      for (const c of [...owners, ...pollers]) c.close();
    } finally {
      await server.stop();
    }
    const r = rows.at(-1);
    console.error(
      `run ${run}, ${count} pollers: ${Math.round(r.perSecond)} LIST/s, server ${(100 * r.cpuShare).toFixed(0)} % of a core, ${r.cpuUsPerList.toFixed(1)} µs a LIST${redisPid ? ` (+ Redis ${r.redisUsPerList.toFixed(1)} µs)` : ''}, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms`,
    );
  }
}

const what = FILTER === undefined ? 'LIST_LOBBIES' : `LIST_LOBBIES ${FILTER}`;
console.log(
  `Lobby browsing: ${LOBBIES} open lobbies, ${REDIS ? 'Redis store' : 'in-memory store'}, pollers at ${PER_SECOND} ${what} a second each, ${SECONDS} s, ${RUNS} runs (min / median / max)`,
);
const columns = [
  ['LIST/s answered', (r) => r.perSecond, 0],
  ['server CPU (share of a core, %)', (r) => 100 * r.cpuShare, 0],
  ['server CPU per LIST (µs)', (r) => r.cpuUsPerList, 1],
  ...(REDIS ? [['Redis CPU per LIST (µs)', (r) => r.redisUsPerList, 1]] : []),
  ['reply p50 (ms)', (r) => r.p50, 2],
  ['reply p99 (ms)', (r) => r.p99, 2],
];
console.log(`| pollers | ${columns.map(([title]) => title).join(' | ')} |`);
console.log(`| --- |${' --- |'.repeat(columns.length)}`);
for (const count of POLLERS) {
  const mine = rows.filter((r) => r.pollers === count);
  console.log(`| ${count} | ${columns.map(([, value, digits]) => minMedianMax(mine.map(value), digits)).join(' | ')} |`);
}
redis?.disconnect();
await redisServer?.stop();
