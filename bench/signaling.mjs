// Signalling benchmark: CL5 vs the PeerJS server (npm `peer`), like for like (docs/performance.md says
// what each part does and does not show). Each server in its own process on 127.0.0.1, pinned to CPU 1,
// the load from this process (raw-socket clients, bench/lib/raw-ws.mjs) pinned to CPU 0; a fresh
// server process for every measurement; the order of the servers alternates from run to run (CL5 first,
// then PeerJS first, ...); every figure is given as min / median / max over the runs.
//
// The work, per server:
//  relay1, relay8  signal relay: RELAY1_PAIRS pairs × 1 signal in flight each way, and RELAY8_PAIRS pairs
//                  × 8; each signal received is answered with the next. CL5: ICE with `recipient` in a
//                  lobby of two (validated, `origin` stamped); PeerJS: CANDIDATE with `dst` (`src` stamped).
//                  Same payload (~330 bytes). Work = signals delivered.
//  fresh           a meeting from cold, both players on new sockets: connect both (CL5: INIT each; PeerJS:
//                  its OPEN), the six steps below, both leave with a close frame (1000).
//  persistent      the six steps on sockets that stay connected:
//                    CL5: create lobby, join, MAKE_OFFER, MAKE_ANSWER, leave, leave: 6 requests, 15 frames
//                    delivered (ACKs, TRANSITION, NEW_HOST, NEW_LOBBY, NEW_PEER, PEER_LEFT, the two signals).
//                    PeerJS has no lobbies: each step sends, through the server, the same frames CL5 would
//                    deliver at that step (replies as messages to oneself, events as messages to the other
//                    player, same sizes), and waits for them: 15 frames delivered, but 15 read (CL5 reads 6).
//  latency         signals at a fixed offered rate (--rate, below either server's saturation) over
//                  LATENCY_PAIRS pairs: p50/p99 and server CPU per signal. Measured after --latency-warmup
//                  seconds of the same load (default 1: the pairs' first seconds, "from cold"; 12: every
//                  player's resume window full, the steady state).
//  idle            --idle-clients connected, identified sockets, each sending a keepalive every 20 s (CL5:
//                  KEEPALIVE, answered; PeerJS: HEARTBEAT; its own client sends one every 5 s), over
//                  --idle-seconds (≥ 65 covers CL5's 30 s ping twice): server CPU.
//  --floor adds two more servers to relay1/relay8/latency: `ws` relays that only forward (bench/lib/ws-floor-server.mjs),
//                  one with `ws.send` per frame (as PeerJS), one writing a socket's frames of a turn at once (as CL5).
//
// Usage: node bench/signaling.mjs [--runs=3] [--seconds=5] [--only=relay1,relay8,fresh,persistent,latency,idle]
//          [--rate=12000] [--latency-warmup=1] [--idle-clients=2000] [--idle-seconds=65] [--floor] [--sides=CL5,PeerJS]
// CL5_PROFILE=dir writes a --cpu-prof of every server process there.
// CL5_NODE_FLAGS='--flag …' starts every server process with those node (V8) flags too.
// Each run also prints the machine's steal (bench/lib/steal.mjs): CPU time the host gave to other guests.
import { cl5, meet, meetingPair, player, SDP } from './lib/cl5-clients.mjs';
import { pin, startCl5, startPeerJs, startWsBatchedFloor, startWsFloor } from './lib/processes.mjs';
import { clientFrame, next, open } from './lib/raw-ws.mjs';
import { loadavg } from 'node:os';
import { cycles, fixedRate, measured, relayFlood } from './lib/signal-load.mjs';
import { stealMeter } from './lib/steal.mjs';

const flags = Object.fromEntries(
  process.argv.slice(2).map((arg) => {
    const [key, value = 'true'] = arg.replace(/^--/, '').split('=');
    return [key, value];
  }),
);
const RUNS = Number(flags.runs ?? 3);
const SECONDS = Number(flags.seconds ?? 5);
const ONLY = (flags.only ?? 'relay1,relay8,fresh,persistent,latency,idle').split(',');
const RATE = Number(flags.rate ?? 12000);
const SIDES = (flags.sides ?? 'CL5,PeerJS').split(',');
const IDLE_CLIENTS = Number(flags['idle-clients'] ?? 2000);
const IDLE_SECONDS = Number(flags['idle-seconds'] ?? 65);
const RELAY1_PAIRS = 500;
const RELAY8_PAIRS = 50;
const LATENCY_PAIRS = 100;
const WORKERS = 20;
const WARMUP_MS = 1000;
/** Signals at the fixed rate before the latency is measured. */
const LATENCY_WARMUP_MS = Number(flags['latency-warmup'] ?? 1) * 1000;
const KEEPALIVE_MS = 20_000;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ── the PeerJS side: its clients, and the lobby steps emulated by relayed messages ──
const peerjs = {
  async pair([port], i) {
    const clients = [];
    for (const side of ['a', 'b']) {
      const id = `${side}${i}-${Math.random().toString(36).slice(2, 8)}`;
      const client = await open(port, `/peerjs?key=peerjs&id=${id}&token=t${i}`);
      await next(client, (p) => p.type === 'OPEN');
      clients.push({ client, id });
    }
    return clients;
  },
  signal: (to, sentAt) => clientFrame(`{"type":"CANDIDATE","dst":"${to}","payload":{"candidate":"${SDP}","sentAt":${sentAt}}}`),
};

/** Resolves once `client` has received `count` more text frames. */
function frames(client, count) {
  return new Promise((resolve) => {
    let left = count - client.inbox.splice(0, count).length;
    if (left <= 0) return resolve();
    client.onText = () => {
      left -= 1;
      if (left > 0) return;
      client.onText = null;
      resolve();
    };
  });
}

const USER = JSON.stringify({ instance_id: '00000000-0000-4000-8000-000000000000', user_id: '00000000-0000-4000-8000-000000000000', username: 'player' });
const OFFER = JSON.stringify({ type: 0, contents: { type: 'offer', sdp: SDP } });
const ANSWER = JSON.stringify({ type: 0, contents: { type: 'answer', sdp: SDP } });
/**
 * What CL5 delivers at each of a meeting's six steps (cl5-clients.mjs meet()): who sends the request, the
 * payloads of the frames it gets back, and of those the other player gets.
 */
const MEETING = [
  { from: 'a', own: ['"ok"', '"host"', USER], other: ['"lobby-name"'] }, // CREATE_LOBBY
  { from: 'b', own: ['"ok"', '"peer"', USER], other: [USER] }, // JOIN_LOBBY
  { from: 'a', own: [], other: [OFFER] }, // MAKE_OFFER
  { from: 'b', own: [], other: [ANSWER] }, // MAKE_ANSWER
  { from: 'b', own: ['"ok"', '""'], other: ['"00000000-0000-4000-8000-000000000000"'] }, // LEAVE_LOBBY
  { from: 'a', own: ['"ok"', '""'], other: [] }, // LEAVE_LOBBY (the lobby closes)
];

/** The six steps on PeerJS: each step's frames relayed through the server (to oneself, to the other), then awaited. */
async function peerJsMeeting(pair) {
  const [a, b] = pair;
  for (const step of MEETING) {
    const [me, other] = step.from === 'a' ? [a, b] : [b, a];
    const message = (to, payload) => `{"type":"OFFER","dst":"${to}","payload":${payload}}`;
    const out = [...step.own.map((p) => message(me.id, p)), ...step.other.map((p) => message(other.id, p))];
    const arrived = Promise.all([frames(me.client, step.own.length), frames(other.client, step.other.length)]);
    me.client.write(Buffer.concat(out.map(clientFrame)));
    await arrived;
  }
}

// ── the measurements; each takes a started server { port, pid } and returns its figures ──
async function relay(server, adapter, pairCount, window) {
  const pairs = [];
  for (let i = 0; i < pairCount; i += 1) pairs.push(await adapter.pair([server.port], i, `pair${i}`));
  const result = await relayFlood(adapter, pairs, { pids: [server.pid], seconds: SECONDS, window, warmupMs: WARMUP_MS });
  for (const pair of pairs) for (const c of pair) c.client.close();
  return { work: result.perCpuSecond, wall: result.perSecond, core: result.cores[0], generator: result.generator, p50: result.p50, p99: result.p99 };
}

const churnFigures = (r) => ({ work: r.perCpuSecond, wall: r.perSecond, core: r.cores[0], generator: r.generator, p50: r.p50, p99: r.p99 });
const churn = (server, setup, cycle) => cycles(setup, cycle, { workers: WORKERS, seconds: SECONDS, pids: [server.pid] }).then(churnFigures);

/** Each worker in a game of its own: a create announces NEW_LOBBY to the other player of the pair only. */
const cl5Persistent = (server) =>
  churn(
    server,
    (w) => meetingPair([server.port], w, `churn${w}`),
    (pair, w, n) => meet(pair, `churn-${w}-${n}`),
  );

async function cl5Fresh(server) {
  return churn(
    server,
    async () => null,
    async (_state, w, n) => {
      const game = `churn${w}`;
      const a = await player(server.port, `a${n}`, game);
      const b = await player(server.port, `b${n}`, game);
      await meet([a, b], `churn-${w}-${n}`);
      a.client.goodbye();
      b.client.goodbye();
    },
  );
}

const peerJsPersistent = (server) =>
  churn(
    server,
    (w) => peerjs.pair([server.port], `churn${w}`),
    (pair) => peerJsMeeting(pair),
  );

const peerJsFresh = (server) =>
  churn(
    server,
    async () => null,
    async (_state, w, n) => {
      const pair = await peerjs.pair([server.port], `${w}-${n}`);
      await peerJsMeeting(pair);
      for (const { client } of pair) client.goodbye();
    },
  );

async function latency(server, adapter) {
  const pairs = [];
  for (let i = 0; i < LATENCY_PAIRS; i += 1) pairs.push(await adapter.pair([server.port], i, `pair${i}`));
  const r = await fixedRate(adapter, { all: pairs }, { rate: RATE, seconds: SECONDS, warmupMs: LATENCY_WARMUP_MS, pids: [server.pid] });
  for (const pair of pairs) for (const c of pair) c.client.close();
  const { p50, p99 } = r.byClass.all;
  return {
    work: 1 / r.cpuPerSignal[0],
    wall: r.perSecond,
    core: r.cores[0],
    generator: r.generator,
    p50,
    p99,
    userUs: (r.cpuPerSignal[0] - r.systemPerSignal[0]) * 1e6,
    systemUs: r.systemPerSignal[0] * 1e6,
  };
}

/** Idle clients, each with its keepalive every 20 s, evenly spread: the server's CPU over IDLE_SECONDS. */
async function idle(server, isCl5) {
  const clients = [];
  for (let i = 0; i < IDLE_CLIENTS; i += 1) {
    if (isCl5) clients.push((await player(server.port, `idle${i}`, 'idle')).client);
    else clients.push((await peerjs.pair([server.port], `idle${i}`))[0].client);
  }
  const keepalive = clientFrame(isCl5 ? '{"opcode":"KEEPALIVE"}' : '{"type":"HEARTBEAT"}');
  for (const client of clients) client.onText = () => {}; // KEEPALIVE_ACKs (raw-ws answers pings itself)
  let k = 0;
  const beat = setInterval(() => clients[k++ % clients.length].write(keepalive), KEEPALIVE_MS / clients.length);
  await sleep(2000);
  const { elapsed, cpu, generator } = await measured([server.pid], () => sleep(IDLE_SECONDS * 1000));
  clearInterval(beat);
  for (const client of clients) client.close();
  return { work: NaN, wall: NaN, core: cpu[0] / elapsed, corePercent: (cpu[0] / elapsed) * 100, generator, p50: NaN, p99: NaN };
}

const cl5Side = { name: 'CL5', start: startCl5, adapter: cl5 };
const peerJsSide = { name: 'PeerJS', start: startPeerJs, adapter: peerjs };
const floorSides = [
  { name: 'ws floor', start: startWsFloor, adapter: peerjs },
  { name: 'floor, batched', start: startWsBatchedFloor, adapter: peerjs },
];

const BENCHES = {
  relay1: {
    what: `relay, ${RELAY1_PAIRS} pairs × 1 in flight each way`,
    unit: 'signals',
    run: (s, side) => relay(s, side.adapter, RELAY1_PAIRS, 1),
    floor: true,
  },
  relay8: {
    what: `relay, ${RELAY8_PAIRS} pairs × 8 in flight each way`,
    unit: 'signals',
    run: (s, side) => relay(s, side.adapter, RELAY8_PAIRS, 8),
    floor: true,
  },
  fresh: { what: `meetings on fresh sockets, ${WORKERS} workers`, unit: 'meetings', run: (s, side) => (side === cl5Side ? cl5Fresh(s) : peerJsFresh(s)) },
  persistent: {
    what: `meetings on persistent sockets, ${WORKERS} workers`,
    unit: 'meetings',
    run: (s, side) => (side === cl5Side ? cl5Persistent(s) : peerJsPersistent(s)),
  },
  latency: { what: `latency at ${RATE} signals/s over ${LATENCY_PAIRS} pairs`, unit: 'signals', run: (s, side) => latency(s, side.adapter), floor: true },
  idle: {
    what: `idle, ${IDLE_CLIENTS} clients, keepalive every ${KEEPALIVE_MS / 1000} s, ${IDLE_SECONDS} s`,
    unit: '',
    run: (s, side) => idle(s, side === cl5Side),
  },
};

/** One measurement on a fresh server process (a flood leaves backlog behind). */
async function fresh(side, bench) {
  const server = await side.start();
  const pinned = pin(server.pid, 1) && pin(process.pid, 0);
  const steal = stealMeter();
  try {
    const figures = await bench.run(server, side);
    return { ...figures, pinned, steal: steal() };
  } finally {
    await server.stop();
  }
}

const results = {}; // results[bench][side] = [figures of each run]
const started = new Date();
for (let run = 0; run < RUNS; run += 1) {
  for (const name of ONLY) {
    const bench = BENCHES[name];
    const sides = (run % 2 === 0 ? [cl5Side, peerJsSide] : [peerJsSide, cl5Side]).filter((side) => SIDES.includes(side.name));
    if (flags.floor && bench.floor) sides.push(...(run % 2 === 0 ? floorSides : [...floorSides].reverse()));
    for (const side of sides) {
      const r = await fresh(side, bench);
      results[name] ??= {};
      results[name][side.name] ??= [];
      results[name][side.name].push(r);
      const load = loadavg()[0].toFixed(1);
      console.error(
        `run ${run + 1} ${name} ${side.name}: ${Math.round(r.work)} ${bench.unit}/server CPU-s, ${Math.round(r.wall)}/s, server ${(r.core * 100).toFixed(0)} %, generator ${(r.generator * 100).toFixed(0)} %, p50 ${r.p50?.toFixed(2)} ms, p99 ${r.p99?.toFixed(2)} ms (load ${load}, steal ${(r.steal * 100).toFixed(0)} %)`,
      );
    }
  }
}

// ── the report: min / median / max over the runs, and the CL5/PeerJS ratio of each run ──
const sorted = (values) => [...values].sort((x, y) => x - y);
const mmm = (values, digits = 0) => {
  const s = sorted(values);
  const f = (v) => (Number.isNaN(v) ? '—' : v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }));
  return `${f(s[0])} / ${f(s[(s.length - 1) >> 1])} / ${f(s[s.length - 1])}`;
};
console.log(`Signalling, CL5 vs PeerJS: ${RUNS} runs, order alternating, ${SECONDS} s each; started ${started.toISOString()}`);
console.log(`(min / median / max over the runs; server pinned: ${Object.values(results)[0]?.CL5?.[0]?.pinned ? 'yes, CPU 1' : 'no'})`);
for (const [name, bySide] of Object.entries(results)) {
  const bench = BENCHES[name];
  console.log(`\n${bench.what}`);
  for (const [side, runs] of Object.entries(bySide)) {
    const col = (key, digits) =>
      mmm(
        runs.map((r) => r[key]),
        digits,
      );
    const pct = (key) => mmm(runs.map((r) => r[key] * 100));
    const steal = `   steal ${pct('steal')} %`;
    if (name === 'idle') console.log(`  ${side.padEnd(14)} server CPU ${col('corePercent', 2)} % of a core   generator ${pct('generator')} %${steal}`);
    else if (name === 'latency')
      console.log(
        `  ${side.padEnd(14)} p50 ${col('p50', 2)} ms   p99 ${col('p99', 2)} ms   CPU per signal: user ${col('userUs', 1)} µs + system ${col('systemUs', 1)} µs (${col('work')} signals per server CPU-s)   server ${pct('core')} %   generator ${pct('generator')} %${steal}`,
      );
    else
      console.log(
        `  ${side.padEnd(14)} ${col('work')} ${bench.unit} per server CPU-s   ${col('wall')} per wall s   server ${pct('core')} %   generator ${pct('generator')} %   p50 ${col('p50', 2)} ms   p99 ${col('p99', 2)} ms${steal}`,
      );
  }
  const p = bySide.PeerJS;
  if (!p) continue;
  for (const [side, runs] of Object.entries(bySide)) {
    if (side === 'PeerJS') continue;
    const ratio = (key) =>
      mmm(
        runs.map((r, i) => r[key] / p[i][key]),
        2,
      );
    const label = `${side}/PeerJS`.padEnd(22);
    if (name === 'idle') console.log(`  ${label} CPU: ${ratio('core')}`);
    else console.log(`  ${label} per CPU-s ${ratio('work')}   per wall s ${ratio('wall')}   p99 ${ratio('p99')}`);
  }
}
process.exit(0);
