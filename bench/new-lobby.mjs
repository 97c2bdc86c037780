// What a visible CREATE_LOBBY costs the server when many players sit in no lobby (issue 16): each of
// them must hear NEW_LOBBY. A second process holds IDLE INIT'ed players (cheap raw sockets); one lobby
// is announced first (as on a running server: the server's first batch leaves at once, having measured
// none yet); after a quiet spell that measures their idle cost, it creates lobbies at a steady RATE for
// SECONDS, one fresh creator connection per lobby. Reports the server's CPU per create (from /proc: user
// + system, the idle cost of as many ping periods taken off), the creates it answered, whether every
// idle player heard of every lobby, and how late, and the server's longest event-loop stalls (its
// /metrics: prom-client's nodejs_eventloop_lag_*, reset by each scrape): what its other players wait
// behind a batch (and behind a round of pings, which this bench does not control).
// Usage: node bench/new-lobby.mjs [idle=10000] [rate=10] [seconds=10] [root of another checkout to compare]
// The server takes its flags from the environment too (CL5_LOBBY_ANNOUNCE_COST=0 …).
import { fork } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { cpuSeconds, startCl5 } from './lib/processes.mjs';
import { open } from './lib/raw-ws.mjs';

const IDLE = Number(process.argv[2] ?? 10_000);
const RATE = Number(process.argv[3] ?? 10);
const SECONDS = Number(process.argv[4] ?? 10);
const OTHER_ROOT = process.argv[5];
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const NEW_LOBBY = '{"opcode":"NEW_LOBBY","payload":"';
/** The server's ping interval (server.ts, default): idle cost is counted over whole ones. */
const PING_PERIOD_S = 30;
/** How long after the last create the load process waits for every announcement: 30 s past the stated delay. */
const GIVE_UP_MS = 30_000 + Number(process.env.CL5_LOBBY_ANNOUNCE_MAX_DELAY || 10) * 1000;

/**
 * The server's longest event-loop stalls (ms) since the last scrape, max and p99: prom-client samples
 * with a 10 ms timer and records each whole wait, so the stall is what exceeds those 10 ms.
 */
async function eventLoopStall(port) {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const value = (name) => Number(text.match(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)`, 'm'))?.[1] ?? Number.NaN) * 1000 - 10;
  return { max: value('nodejs_eventloop_lag_max_seconds'), p99: value('nodejs_eventloop_lag_p99_seconds') };
}

/** INIT'ed raw connections, 200 handshakes at a time; `onText` sees every frame of each. */
async function players(port, count, prefix, onText) {
  const made = [];
  const one = async (i) => {
    const client = await open(port, '/?ugi=bench');
    await new Promise((resolve, reject) => {
      client.onText = (text) => {
        if (text.includes('INIT_OK')) {
          client.onText = onText;
          resolve();
        } else if (!text.startsWith(NEW_LOBBY)) reject(new Error(text));
      };
      client.send(JSON.stringify({ opcode: 'INIT', payload: { username: `${prefix}${i}` } }));
    });
    return client;
  };
  for (let i = 0; i < count; i += 200) made.push(...(await Promise.all(Array.from({ length: Math.min(200, count - i) }, (_, k) => one(i + k)))));
  return made;
}

if (process.env.CL5_NEW_LOBBY_PORT) {
  // The load process.
  const port = Number(process.env.CL5_NEW_LOBBY_PORT);
  const creates = Math.round(RATE * SECONDS);
  /** Per lobby: when its create was sent, how many idle players heard of it, the last of them when. */
  const lobbies = new Map();
  const heard = (text) => {
    if (!text.startsWith(NEW_LOBBY)) return;
    const lobby = lobbies.get(text.slice(NEW_LOBBY.length, text.indexOf('"', NEW_LOBBY.length)));
    if (!lobby) return;
    lobby.heard += 1;
    lobby.last = performance.now();
  };
  const idle = await players(port, IDLE, 'idle-', heard);
  const creators = await players(port, creates, 'creator-', () => {});
  // One lobby announced before the measured span, as on a server that has been running: the server's
  // first batch leaves at once (it has measured none yet); later ones wait for enough lobbies to share one.
  // Its event-loop stall is that of one batch to every idle player (unless a ping round falls in it).
  const [warmUp] = await players(port, 1, 'warm-up-', () => {});
  lobbies.set('warm-up', { sent: performance.now(), heard: 0, last: 0 });
  await eventLoopStall(port);
  warmUp.send(JSON.stringify({ opcode: 'CREATE_LOBBY', payload: { name: 'warm-up', max_players: -1, password: '', locked: false, enable_relay: false } }));
  for (const until = performance.now() + 60_000; lobbies.get('warm-up').heard < IDLE && performance.now() < until; ) await sleep(50);
  const warmUpMs = lobbies.get('warm-up').last - lobbies.get('warm-up').sent;
  lobbies.delete('warm-up');
  process.send({ ready: true, warmUpMs, warmUpStall: await eventLoopStall(port) });
  await new Promise((resolve) => process.once('message', resolve));
  let acked = 0;
  const started = performance.now();
  for (let i = 0; i < creates; i += 1) {
    const wait = started + (i * 1000) / RATE - performance.now();
    if (wait > 0) await sleep(wait);
    const name = `lobby-${i}`;
    lobbies.set(name, { sent: performance.now(), heard: 0, last: 0 });
    creators[i].onText = (text) => {
      if (text.includes('"CREATE_ACK","payload":"ok"')) acked += 1;
    };
    creators[i].send(JSON.stringify({ opcode: 'CREATE_LOBBY', payload: { name, max_players: -1, password: '', locked: false, enable_relay: false } }));
  }
  const sent = performance.now();
  // Until every idle player heard of every lobby, or 30 s.
  const all = () => [...lobbies.values()].every((lobby) => lobby.heard >= IDLE);
  while (!(all() && acked === creates) && performance.now() - sent < 30_000) await sleep(50);
  const delays = [...lobbies.values()].map((lobby) => (lobby.heard >= IDLE ? lobby.last - lobby.sent : Number.POSITIVE_INFINITY));
  process.send({
    creates,
    acked,
    sendSeconds: (sent - started) / 1000,
    complete: [...lobbies.values()].filter((lobby) => lobby.heard >= IDLE).length,
    heard: [...lobbies.values()].reduce((sum, lobby) => sum + lobby.heard, 0),
    // null: some idle player never heard of some lobby (IPC carries Infinity as null).
    maxDelayMs: Math.max(...delays),
    closedIdle: idle.filter((client) => client.socket.destroyed || client.socket.readableEnded).length,
  });
  await new Promise((resolve) => process.once('message', resolve));
  for (const client of [...idle, ...creators, warmUp]) client.close();
  process.exit(0);
} else {
  const server = await startCl5([], { from: OTHER_ROOT });
  try {
    const load = fork(fileURLToPath(import.meta.url), process.argv.slice(2, 5), { env: { ...process.env, CL5_NEW_LOBBY_PORT: String(server.port) } });
    const message = () =>
      new Promise((resolve, reject) => {
        load.once('message', resolve);
        load.once('exit', (code) => reject(new Error(`load process exited with ${code}`)));
      });
    const { warmUpMs, warmUpStall } = await message();
    // The idle cost, taken off what the creates cost: over whole ping periods of the server, each with
    // one round of pings (with 10,000 idle players a round costs ~0.3 s of CPU, more than the creates).
    await sleep(1000);
    const quietFrom = cpuSeconds(server.pid);
    await sleep(PING_PERIOD_S * 1000);
    const idlePerPeriod = cpuSeconds(server.pid) - quietFrom;
    const quietStall = await eventLoopStall(server.port);
    const from = cpuSeconds(server.pid);
    const wallFrom = performance.now();
    load.send('go');
    const result = await message();
    const stall = await eventLoopStall(server.port);
    const periods = Math.ceil((performance.now() - wallFrom) / 1000 / PING_PERIOD_S);
    await sleep(wallFrom + periods * PING_PERIOD_S * 1000 - performance.now());
    const wall = (performance.now() - wallFrom) / 1000;
    const used = cpuSeconds(server.pid) - from - idlePerPeriod * periods;
    load.send('stop');
    await new Promise((resolve) => load.once('exit', resolve));
    console.log(
      `NEW_LOBBY fan-out: ${IDLE} idle players, ${result.creates} creates at ${RATE}/s (${OTHER_ROOT ? `server of ${OTHER_ROOT}` : 'this checkout'})`,
    );
    console.log(
      `  one batch to every idle player (before the measured span): heard by all ${warmUpMs.toFixed(0)} ms after the create; server event-loop stall meanwhile: max ${warmUpStall.max.toFixed(1)} ms`,
    );
    console.log(`  creates answered ok: ${result.acked}/${result.creates} (sent over ${result.sendSeconds.toFixed(1)} s)`);
    console.log(
      `  server CPU: ${(used * 1000).toFixed(0)} ms over ${wall.toFixed(1)} s beyond its idle ${((idlePerPeriod / PING_PERIOD_S) * 100).toFixed(1)} % = ${((used * 1000) / result.creates).toFixed(2)} ms per create`,
    );
    console.log(
      `  every idle player heard of ${result.complete}/${result.creates} lobbies (${result.heard} NEW_LOBBY frames); the last of them ${result.maxDelayMs === null ? `never (within ${GIVE_UP_MS / 1000} s)` : `${result.maxDelayMs.toFixed(0)} ms`} after its create was sent; idle connections closed by the server: ${result.closedIdle}`,
    );
    console.log(
      `  server event-loop stall: max ${stall.max.toFixed(1)} ms, p99 ${stall.p99.toFixed(1)} ms (the quiet spell before: max ${quietStall.max.toFixed(1)}, p99 ${quietStall.p99.toFixed(1)}); load average ${os.loadavg()[0].toFixed(1)}`,
    );
  } finally {
    await server.stop();
  }
  process.exit(0);
}
