// The JavaScript a relayed signal costs the server, without sockets or the kernel: the real dispatch()
// (rate limit, address budget, decode and validation, the ICE handler, the resume window, the outbox
// framing) on players whose WebSocket is a stand-in that counts the bytes the outbox writes. A
// microbenchmark for the profile account in docs/performance.md, not a test: the socket is not real.
// Each step, alternating, `rounds` times; CPU µs per signal (this process, GC threads included):
//   toString  the frame's bytes decoded to text (what dispatch does first)
//   parse     + JSON.parse
//   decode    + the envelope and payload validated (decodeClientPacket)
//   dispatch  the whole path, forwarded into the recipient's outbox and framed
//   no-window the same without the resume window (what keeping each player's last 64 KiB of frames costs)
// --alloc instead: the bytes the whole path allocates per signal (V8's sampling heap profiler, counting
// objects already collected too). Unlike CPU time it hardly moves with the machine's load, so it shows a
// change too small for the timings' noise; garbage collection is what it costs (docs/performance.md).
// Usage: node bench/signal-path.mjs [rounds=3] [players=1000] [--alloc]
import { Session } from 'node:inspector/promises';
import { importTs } from '../scripts/import-ts.mjs';
import { SDP } from './lib/cl5-clients.mjs';

const { dispatch, Player, RateLimiter, AddressBudgets, decodeClientPacket } = await importTs('bench/lib/signal-path-entry.ts');
const args = process.argv.slice(2).filter((arg) => arg !== '--alloc');
const ALLOC = process.argv.includes('--alloc');
const ROUNDS = Number(args[0] ?? 3);
const PLAYERS = Number(args[1] ?? 1000);
const SIGNALS = 400_000;
const MODES = ['toString', 'parse', 'decode', 'dispatch', 'no-window'];

/** Players in lobbies of two, each socket a stand-in that is open and takes every write. */
function lobbyPairs(keepWindow) {
  const socket = () => ({ readyState: 1, OPEN: 1, _socket: { write: () => true, writableLength: 0 } });
  const unlimited = { perSecond: 1e12, burst: 1e12, strikesBeforeViolation: 100 };
  const ctx = {
    players: new Map(),
    relays: new Map(),
    addressBudgets: new AddressBudgets(unlimited),
    tally: { signals: 0, rejected: { violation: 0, rate_limited: 0, invalid: 0, busy: 0 } },
    log: () => {},
  };
  const players = [];
  for (let i = 0; i < PLAYERS; i += 1) {
    const player = new Player(socket(), 'bench', new RateLimiter(unlimited), '127.0.0.1');
    const id = `${String(i).padStart(8, '0')}-0000-4000-8000-000000000000`;
    player.user = { instance_id: id, user_id: id, username: `p${i}` };
    player.lobby = `lobby${i >> 1}`;
    if (!keepWindow) player.replay.record = player.replay.recordJoined = () => {};
    ctx.players.set(id, player);
    players.push(player);
  }
  const frames = players.map((_, i) =>
    Buffer.from(`{"opcode":"ICE","recipient":"${players[i ^ 1].id}","payload":{"type":0,"contents":{"candidate":"${SDP}","sentAt":1234.5}}}`),
  );
  ctx.addressBudgets.stop();
  return { ctx, players, frames };
}

/** SIGNALS steps over the players in turn. */
const passOf = (step) => async () => {
  for (let k = 0; k < SIGNALS; k += 1) {
    step(k % PLAYERS);
    // The outbox flushes on the next tick: let it, every 8 signals (a read bringing several frames).
    if ((k & 7) === 7) await new Promise((resolve) => setImmediate(resolve));
  }
};

async function measure(mode) {
  const { ctx, players, frames } = lobbyPairs(mode !== 'no-window');
  const step = {
    toString: (i) => frames[i].toString('utf8'),
    parse: (i) => JSON.parse(frames[i].toString('utf8')),
    decode: (i) => decodeClientPacket(frames[i].toString('utf8')),
    dispatch: (i) => dispatch(ctx, players[i], frames[i], false),
    'no-window': (i) => dispatch(ctx, players[i], frames[i], false),
  }[mode];
  const pass = passOf(step);
  await pass(); // warm up, and fill the resume windows
  const before = process.cpuUsage();
  await pass();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / SIGNALS;
}

/** Bytes allocated per signal by the whole path (dispatch, with the resume window), sampled every 256 bytes. */
async function allocated() {
  const { ctx, players, frames } = lobbyPairs(true);
  const pass = passOf((i) => dispatch(ctx, players[i], frames[i], false));
  await pass();
  const session = new Session();
  session.connect();
  await session.post('HeapProfiler.startSampling', { samplingInterval: 256, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  await pass();
  const { profile } = await session.post('HeapProfiler.stopSampling');
  session.disconnect();
  let bytes = 0;
  const walk = (node) => {
    bytes += node.selfSize;
    for (const child of node.children) walk(child);
  };
  walk(profile.head);
  return bytes / SIGNALS;
}

if (ALLOC) {
  const values = [];
  for (let round = 0; round < ROUNDS; round += 1) values.push(await allocated());
  values.sort((a, b) => a - b);
  console.log(`Bytes allocated per relayed signal, ${PLAYERS} players, ${ROUNDS} rounds (min / median / max):`);
  const at = (i) => Math.round(values[i]);
  console.log(`  ${at(0)} / ${at((values.length - 1) >> 1)} / ${at(values.length - 1)}`);
  process.exit(0);
}

const results = Object.fromEntries(MODES.map((mode) => [mode, []]));
for (let round = 0; round < ROUNDS; round += 1) {
  for (const mode of round % 2 === 0 ? MODES : [...MODES].reverse()) results[mode].push(await measure(mode));
}
console.log(`The JavaScript of one relayed signal, ${PLAYERS} players, ${ROUNDS} rounds (CPU µs per signal, min / median / max):`);
for (const [mode, values] of Object.entries(results)) {
  const sorted = [...values].sort((a, b) => a - b);
  console.log(`  ${mode.padEnd(10)} ${sorted[0].toFixed(2)} / ${sorted[(sorted.length - 1) >> 1].toFixed(2)} / ${sorted[sorted.length - 1].toFixed(2)}`);
}
process.exit(0);
