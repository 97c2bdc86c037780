// Cluster benchmark (issue 14): CL5 nodes sharing lobbies through Redis, against one node. All on
// 127.0.0.1; every server and a redis-server (no persistence, a free port) are started here and stopped
// at the end; the load comes from this process (bench/lib/raw-ws.mjs). For each setup —
//   one node, in-memory store (`npm start`) | one node, Redis store | two nodes, Redis store —
//  (1) signal relay: PAIRS pairs keep WINDOW ICE signals in flight each way (saturating), SECONDS: signals
//      per wall second and per server CPU-second (each process's CPU from /proc/PID/stat; Redis's apart).
//      Two nodes: every pair split across the nodes ("cross"), and every pair on one node, half the pairs
//      on each ("same");
//  (2) lobby churn: WORKERS pairs meet again and again (create, join, MAKE_OFFER + MAKE_ANSWER, leave,
//      leave): meetings per wall second and per server CPU-second, with the same two placements;
//  (3) latency below saturation: RATE signals/s spread over pairs, same-node and cross-node pairs
//      interleaved in one run: p50/p99 of each (target: cross-node adds ≤ 1 ms p99);
//  (4) capacity: IDLE INIT'ed idle clients on each node: each node's RSS and JavaScript heap per client
//      (target with Redis ≤ 10 KiB) 2 s after the last INIT and SETTLE s later, and Redis's memory per client.
// RUNS rounds, the setups alternated in each (the order rotates), every setup on fresh processes;
// min / median / max over the rounds. On 2 cores two nodes cannot each have a core of their own while
// the load and Redis run too, so the scaling figure is projected from CPU-seconds (see the output).
// Usage: node bench/cluster.mjs [--runs=3] [--seconds=5] [--pairs=40] [--window=32] [--workers=20] [--rate=500] [--idle=8000] [--settle=20]
import { execFileSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import Redis from 'ioredis';
import { cl5, meet, meetingPair } from './lib/cl5-clients.mjs';
import { importTs } from '../scripts/import-ts.mjs';
import { cpuSeconds, pin, rss, startCl5 } from './lib/processes.mjs';
import { open, request } from './lib/raw-ws.mjs';
import { cycles, fixedRate, relayFlood } from './lib/signal-load.mjs';

const option = (name, fallback) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);
const RUNS = option('runs', 3);
const SECONDS = option('seconds', 5);
const PAIRS = option('pairs', 40);
const WINDOW = option('window', 32);
const WORKERS = option('workers', 20);
const RATE = option('rate', 500);
const IDLE = option('idle', 8000);
/** Idle time after the capacity figures taken 2 s after connecting, for the settled ones (the server pings at 30 s; the clients never answer, so they are cut at 60 s). */
const SETTLE_MS = option('settle', 20) * 1000;
/** The whole benchmark is bounded: past this, everything started is killed and it exits 1. */
const LIMIT_MS = RUNS * 3 * (6 * SECONDS + 150 + SETTLE_MS / 1000) * 1000;

const loadAtStart = loadavg()[0].toFixed(1);
/** A ratio, or n/a when a figure is missing or a CPU reading rounded to zero (a run too short for the clock ticks). */
const ratio = (a, b) => (Number.isFinite(a / b) && a / b > 0 ? `${(a / b).toFixed(2)}×` : 'n/a');
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const clusterable = execFileSync(process.execPath, ['dist/server.mjs', '--help'], { cwd: new URL('..', import.meta.url), encoding: 'utf8' }).includes(
  '--redis',
);

// ── what this benchmark started, stopped at the end whatever happens ─────────────────────────────
const running = new Set();
async function stopAll() {
  await Promise.all([...running].map((stop) => stop()));
  running.clear();
}
/** Per setup, per metric: one value per round. */
const results = {};

/** Stops what was started and exits, reporting the rounds that finished (a bound hit or a signal). */
async function stopEarly(why) {
  console.error(`cluster benchmark: ${why}, stopping`);
  report();
  redis?.disconnect();
  await stopAll();
  process.exit(1);
}
const watchdog = setTimeout(() => stopEarly(`over its ${LIMIT_MS / 1000} s bound`), LIMIT_MS);
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => stopEarly(signal));

const { startRedis } = await importTs('test/helpers/redis.ts');
const redisServer = clusterable ? await startRedis() : null;
if (redisServer) running.add(redisServer.stop);
const redis = redisServer ? new Redis(redisServer.port, '127.0.0.1', { lazyConnect: false }) : null;
const redisInfo = async (field) => Number((await redis.info()).match(new RegExp(`^${field}:(\\S+)`, 'm'))[1]);
const redisPid = redis ? await redisInfo('process_id') : null;

// ── setups ───────────────────────────────────────────────────────────────────────────────────────
const SETUPS = [
  { name: 'one node, in-memory store', nodes: 1, redis: false },
  { name: 'one node, Redis store', nodes: 1, redis: true },
  { name: 'two nodes, Redis store', nodes: 2, redis: true },
].filter((setup) => clusterable || !setup.redis);

/** Fresh nodes for one measurement; one node is pinned to CPU 1 and this process (and Redis) to CPU 0, two nodes to a CPU each. */
async function withNodes(setup, measure) {
  if (redis) await redis.flushall();
  const nodes = [];
  try {
    for (let i = 0; i < setup.nodes; i += 1) {
      const node = await startCl5(setup.redis ? ['--redis', redisServer.url] : []);
      running.add(node.stop);
      nodes.push(node);
    }
    if (setup.nodes === 1) {
      pin(nodes[0].pid, '1');
      pin(process.pid, '0');
      if (redisPid) pin(redisPid, '0');
    } else {
      for (const [i, node] of nodes.entries()) pin(node.pid, String(i));
      pin(process.pid, '0,1');
      if (redisPid) pin(redisPid, '0,1');
    }
    const redisCpuBefore = redisPid ? cpuSeconds(redisPid) : 0;
    const result = await measure(nodes);
    return { ...result, redisCpu: redisPid && setup.redis ? cpuSeconds(redisPid) - redisCpuBefore : 0 };
  } finally {
    for (const node of nodes) {
      await node.stop();
      running.delete(node.stop);
    }
  }
}

/** The server ports of each pair's two players: both on one node, or split across two. */
const placement = (nodes, split) => (i) =>
  nodes.length === 1 ? [nodes[0].port] : split ? [nodes[0].port, nodes[1].port] : [nodes[i % 2].port, nodes[i % 2].port];
const closeAll = (pairs) => {
  for (const pair of pairs) for (const p of pair) p.client.close();
};

async function relay(setup, split) {
  return withNodes(setup, async (nodes) => {
    const ports = placement(nodes, split);
    const pairs = [];
    for (let i = 0; i < PAIRS; i += 1) pairs.push(await cl5.pair(ports(i), i));
    const started = performance.now();
    const result = await relayFlood(cl5, pairs, { pids: nodes.map((n) => n.pid), seconds: SECONDS, window: WINDOW });
    closeAll(pairs);
    return { ...result, elapsed: (performance.now() - started) / 1000 };
  });
}

async function churn(setup, split) {
  return withNodes(setup, async (nodes) => {
    const ports = placement(nodes, split);
    return cycles(
      (w) => meetingPair(ports(w), w),
      (pair, w, n) => meet(pair, `churn-${w}-${n}`),
      { workers: WORKERS, seconds: SECONDS, pids: nodes.map((n) => n.pid) },
    );
  });
}

async function latency(setup) {
  return withNodes(setup, async (nodes) => {
    const classes = { 'same node': [] };
    if (nodes.length === 2) classes['cross node'] = [];
    for (let i = 0; i < PAIRS; i += 1) {
      const name = nodes.length === 2 && i % 2 === 1 ? 'cross node' : 'same node';
      classes[name].push(await cl5.pair(placement(nodes, name === 'cross node')(i >> 1), i));
    }
    const result = await fixedRate(cl5, classes, { rate: RATE, seconds: SECONDS, pids: [...nodes.map((n) => n.pid), ...(redisPid ? [redisPid] : [])] });
    for (const pairs of Object.values(classes)) closeAll(pairs);
    return result;
  });
}

const heapUsed = async (node) => (await (await fetch(`http://127.0.0.1:${node.port}/healthz`)).json()).memory.heapUsed;

async function capacity(setup) {
  return withNodes(setup, async (nodes) => {
    await sleep(500);
    const rssBefore = nodes.map((n) => rss(n.pid));
    const heapBefore = await Promise.all(nodes.map(heapUsed));
    const redisBefore = setup.redis ? await redisInfo('used_memory') : 0;
    const clients = [];
    const total = IDLE * nodes.length;
    for (let i = 0; i < total; i += 200) {
      const batch = Array.from({ length: Math.min(200, total - i) }, async (_, k) => {
        const client = await open(nodes[(i + k) % nodes.length].port, '/?ugi=capacity');
        await request(client, { opcode: 'INIT', payload: { username: `idle-${i + k}` } }, (p) => p.opcode === 'INIT_OK');
        return client;
      });
      clients.push(...(await Promise.all(batch)));
    }
    const kib = (bytes) => bytes / IDLE / 1024;
    /** The worst node's RSS and heap growth per client now. */
    const perClient = async () => {
      const heapAfter = await Promise.all(nodes.map(heapUsed));
      return {
        rss: Math.max(...nodes.map((n, i) => kib(rss(n.pid) - rssBefore[i]))),
        heap: Math.max(...nodes.map((_, i) => kib(heapAfter[i] - heapBefore[i]))),
      };
    };
    await sleep(2000);
    const justAfter = await perClient();
    const redisBytes = setup.redis ? ((await redisInfo('used_memory')) - redisBefore) / total : 0;
    // Right after the burst the heap still holds what the INITs left (with Redis, what lived across its
    // round trips was promoted to the old generation); V8 collects it once the process idles.
    await sleep(SETTLE_MS);
    const settled = await perClient();
    const result = { rssKib: justAfter.rss, heapKib: justAfter.heap, settledRssKib: settled.rss, settledHeapKib: settled.heap, redisBytes };
    for (const client of clients) client.close();
    return result;
  });
}

// ── rounds ───────────────────────────────────────────────────────────────────────────────────────
const record = (setup, metric, value) => {
  results[setup] ??= {};
  results[setup][metric] ??= [];
  results[setup][metric].push(value);
};
try {
  for (let round = 0; round < RUNS; round += 1) {
    const order = SETUPS.map((_, i) => SETUPS[(i + round) % SETUPS.length]);
    for (const setup of order) {
      const placements = setup.nodes === 2 ? [true, false] : [false];
      for (const split of placements) {
        const key = setup.nodes === 2 ? `${setup.name} (${split ? 'cross' : 'same'})` : setup.name;
        const r = await relay(setup, split);
        record(key, 'relay/s', r.perSecond);
        record(key, 'relay per node CPU-s', r.perCpuSecond);
        record(
          key,
          'relay node cores',
          r.cores.reduce((a, b) => a + b, 0),
        );
        if (setup.redis) record(key, 'relay per Redis CPU-s', (r.perSecond * r.elapsed) / r.redisCpu);
        record(key, 'relay p99 ms (saturated)', r.p99);
        const c = await churn(setup, split);
        record(key, 'churn/s', c.perSecond);
        record(key, 'churn per node CPU-s', c.perCpuSecond);
        record(key, 'churn p50 ms', c.p50);
      }
      const l = await latency(setup);
      for (const [name, s] of Object.entries(l.byClass)) {
        record(setup.name, `latency ${name} p50 ms`, s.p50);
        record(setup.name, `latency ${name} p99 ms`, s.p99);
      }
      if (l.byClass['cross node']) {
        // The difference within each round (both classes under the same load at the same time), then its spread.
        for (const p of ['p50', 'p99']) record(setup.name, `latency cross − same ${p} ms`, l.byClass['cross node'][p] - l.byClass['same node'][p]);
      }
      const microseconds = (seconds) => seconds * 1e6;
      const nodeCost = l.cpuPerSignal.slice(0, setup.nodes).reduce((a, b) => a + b, 0);
      record(setup.name, `node CPU µs per signal at ${RATE}/s`, microseconds(nodeCost));
      if (setup.redis) record(setup.name, `Redis CPU µs per signal at ${RATE}/s`, microseconds(l.cpuPerSignal[setup.nodes]));
      const cap = await capacity(setup);
      record(setup.name, 'idle RSS KiB per client (worst node)', cap.rssKib);
      record(setup.name, 'idle heap KiB per client (worst node)', cap.heapKib);
      record(setup.name, `idle RSS KiB per client, ${SETTLE_MS / 1000} s later`, cap.settledRssKib);
      record(setup.name, `idle heap KiB per client, ${SETTLE_MS / 1000} s later`, cap.settledHeapKib);
      if (setup.redis) record(setup.name, 'Redis bytes per idle client', cap.redisBytes);
      console.error(`round ${round + 1}/${RUNS}: ${setup.name} done`);
    }
  }
} catch (error) {
  await stopEarly(`failed: ${error?.stack ?? error}`);
}

// ── report ───────────────────────────────────────────────────────────────────────────────────────
function report() {
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const spread = (values) => {
    const sorted = [...values].sort((a, b) => a - b);
    const f = (v) => (Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en') : v.toFixed(2));
    return `${f(sorted[0])} / ${f(median(sorted))} / ${f(sorted.at(-1))}`;
  };
  console.log(
    `Cluster benchmark: ${RUNS} rounds (min / median / max), ${PAIRS} pairs × ${WINDOW} in flight each way, ${SECONDS} s each, churn ${WORKERS} workers, latency at ${RATE} signals/s, ${IDLE} idle clients per node; machine load average (1 min) ${loadAtStart} at the start, ${loadavg()[0].toFixed(1)} at the end, on ${cpus().length} cores`,
  );
  for (const [setup, metrics] of Object.entries(results)) {
    console.log(`  ${setup}`);
    for (const [metric, values] of Object.entries(metrics)) console.log(`    ${metric.padEnd(34)} ${spread(values)}`);
  }
  const m = (setup, metric) => (results[setup]?.[metric] ? median(results[setup][metric]) : undefined);
  if (clusterable) {
    const one = 'one node, Redis store';
    for (const [work, metric] of [
      ['relay', 'relay per node CPU-s'],
      ['churn', 'churn per node CPU-s'],
    ]) {
      for (const placed of ['same', 'cross']) {
        const two = `two nodes, Redis store (${placed})`;
        // Each node saturating a core of its own does its work per CPU-second each wall second.
        console.log(
          `  ${work}, two nodes (${placed}) vs one node (Redis store), each node on a core of its own (projected from work per node CPU-second): ${ratio(2 * m(two, metric), m(one, metric))} (target ≥ 1.7)`,
        );
      }
    }
    for (const placed of ['same', 'cross']) {
      const two = `two nodes, Redis store (${placed})`;
      console.log(
        `  relay, two nodes (${placed}) on cores of their own would need ${((2 * m(two, 'relay per node CPU-s')) / m(two, 'relay per Redis CPU-s')).toFixed(2)} of a core of Redis`,
      );
    }
    const cost = (setup, what) => m(setup, `${what} CPU µs per signal at ${RATE}/s`);
    const twoCost = cost('two nodes, Redis store', 'node');
    console.log(
      `  relay at ${RATE}/s (half the pairs across nodes), two nodes vs one node (Redis store), each node on a core of its own (projected from node CPU per signal): ${ratio(2 * cost(one, 'node'), twoCost)} (target ≥ 1.7); vs one node in memory: ${ratio(2 * cost('one node, in-memory store', 'node'), twoCost)}`,
    );
    console.log(
      `  at that projected rate (${Math.round(2e6 / twoCost).toLocaleString('en')} signals/s) Redis would need ${((2 * cost('two nodes, Redis store', 'Redis')) / twoCost).toFixed(2)} of a core`,
    );
    const l = (p) => m('two nodes, Redis store', `latency cross − same ${p} ms`);
    console.log(
      `  latency at ${RATE}/s, cross-node minus same-node (median of the rounds): p50 ${l('p50').toFixed(3)} ms, p99 ${l('p99').toFixed(3)} ms (target p99 ≤ 1 ms)`,
    );
  } else {
    console.log('  dist/server.mjs has no --redis flag: only the one-node in-memory figures (the cluster setups need it)');
  }
}

report();
clearTimeout(watchdog);
redis?.disconnect();
await stopAll();
process.exit(0);
