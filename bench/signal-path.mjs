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
// Usage: node bench/signal-path.mjs [rounds=3] [players=1000]
import { importTs } from '../scripts/import-ts.mjs';
import { SDP } from './lib/cl5-clients.mjs';

const { dispatch, Player, RateLimiter, AddressBudgets, decodeClientPacket } = await importTs('bench/lib/signal-path-entry.ts');
const ROUNDS = Number(process.argv[2] ?? 3);
const PLAYERS = Number(process.argv[3] ?? 1000);
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
    if (!keepWindow) player.replay.record = () => {};
    ctx.players.set(id, player);
    players.push(player);
  }
  const frames = players.map((_, i) =>
    Buffer.from(`{"opcode":"ICE","recipient":"${players[i ^ 1].id}","payload":{"type":0,"contents":{"candidate":"${SDP}","sentAt":1234.5}}}`),
  );
  ctx.addressBudgets.stop();
  return { ctx, players, frames };
}

async function measure(mode) {
  const { ctx, players, frames } = lobbyPairs(mode !== 'no-window');
  const step = {
    toString: (i) => frames[i].toString('utf8'),
    parse: (i) => JSON.parse(frames[i].toString('utf8')),
    decode: (i) => decodeClientPacket(frames[i].toString('utf8')),
    dispatch: (i) => dispatch(ctx, players[i], frames[i], false),
    'no-window': (i) => dispatch(ctx, players[i], frames[i], false),
  }[mode];
  const pass = async () => {
    for (let k = 0; k < SIGNALS; k += 1) {
      step(k % PLAYERS);
      // The outbox flushes on the next tick: let it, every 8 signals (a read bringing several frames).
      if ((k & 7) === 7) await new Promise((resolve) => setImmediate(resolve));
    }
  };
  await pass(); // warm up, and fill the resume windows
  const before = process.cpuUsage();
  await pass();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / SIGNALS;
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
