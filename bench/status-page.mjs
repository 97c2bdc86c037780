// What the status page and /healthz cost a node and its Redis (`--redis`): both read the store (every
// game's counts and a page of its lobbies) at most once a second, whoever asks, so a load balancer's
// health checks or one open status page make a node read it every second. PLAYERS idle players in GAMES
// games (each game with a lobby per 10 players), then a GET /healthz (or --path=/, the status page) every
// 1.05 s (each a fresh read);
// prints the node's and Redis's CPU per read (less what they used as long with nobody asking) and Redis's
// key count. Our server (dist/server.mjs, or CL5_SERVER) in its own process; raw clients from this one.
// Usage: node bench/status-page.mjs [--players=4000] [--games=200] [--reads=10] [--runs=3] [--path=/healthz]   (npm run build first)
import { get } from 'node:http';
import Redis from 'ioredis';
import { importTs } from '../scripts/import-ts.mjs';
import { isOpcode, player as identified } from './lib/cl5-clients.mjs';
import { cpuSeconds, startCl5 } from './lib/processes.mjs';
import { request } from './lib/raw-ws.mjs';
import { minMedianMax } from './lib/stats.mjs';

const text = (name, fallback) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback;
const arg = (name, fallback) => Number(text(name, fallback));
const PATH = text('path', '/healthz');
const PLAYERS = arg('players', 4000);
const GAMES = arg('games', 200);
const READS = arg('reads', 10);
const RUNS = arg('runs', 3);
const GAP_MS = 1050;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function player(port, i) {
  const { client } = await identified(port, `p${i}`, `game-${i % GAMES}`);
  // One player in ten hosts a lobby.
  if (i % 10 === 0) {
    const lobby = { name: `lobby-${i}`, max_players: 8, password: '', locked: false, enable_relay: false };
    await request(client, { opcode: 'CREATE_LOBBY', payload: lobby }, isOpcode('CREATE_ACK'));
  }
  client.onText = () => {};
  return client;
}

const read = (port) =>
  new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path: PATH }, (res) => {
      res.resume().on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`${PATH} ${res.statusCode}`))));
    }).on('error', reject);
  });

/** CPU seconds of the node and of Redis over `ms`, with `during` running. */
async function cpuOver(pids, during) {
  const before = pids.map(cpuSeconds);
  const started = performance.now();
  await during();
  const seconds = (performance.now() - started) / 1000;
  return { seconds, cpu: pids.map((pid, i) => cpuSeconds(pid) - before[i]) };
}

const redisServer = await (await importTs('test/helpers/redis.ts')).startRedis();
const redis = new Redis(redisServer.port, '127.0.0.1');
const redisPid = Number((await redis.info('server')).match(/^process_id:(\d+)/m)[1]);
const rows = [];
try {
  for (let run = 1; run <= RUNS; run += 1) {
    await redis.flushall();
    const server = await startCl5(['--redis', redisServer.url], {});
    try {
      const clients = [];
      for (let i = 0; i < PLAYERS; i += 100)
        clients.push(...(await Promise.all(Array.from({ length: Math.min(100, PLAYERS - i) }, (_, k) => player(server.port, i + k)))));
      const keys = await redis.dbsize();
      await sleep(2000);
      // Nobody asking, as long as the reads take: what the node and Redis use anyway (heartbeats, pings).
      const idle = await cpuOver([server.pid, redisPid], () => sleep(READS * GAP_MS));
      const asked = await cpuOver([server.pid, redisPid], async () => {
        for (let k = 0; k < READS; k += 1) {
          await read(server.port);
          await sleep(GAP_MS);
        }
      });
      const per = (i) => ((asked.cpu[i] - (idle.cpu[i] * asked.seconds) / idle.seconds) * 1e6) / READS;
      rows.push({ keys, node: per(0), redis: per(1) });
      console.error(`run ${run}: ${keys} keys; per read: node ${per(0).toFixed(0)} µs, Redis ${per(1).toFixed(0)} µs`);
      for (const c of clients) c.close();
    } finally {
      await server.stop();
    }
  }
} finally {
  redis.disconnect();
  await redisServer.stop();
}
console.log(
  `Status reads (${PATH} every ${GAP_MS} ms), ${PLAYERS} players in ${GAMES} games, a lobby per 10 players, Redis store, ${RUNS} runs (min / median / max)`,
);
console.log('| keys in Redis | node CPU per read (µs) | Redis CPU per read (µs) |');
console.log('| --- | --- | --- |');
console.log(`| ${minMedianMax(rows.map((r) => r.keys))} | ${minMedianMax(rows.map((r) => r.node))} | ${minMedianMax(rows.map((r) => r.redis))} |`);
