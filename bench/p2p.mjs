// P2P benchmark (issue: mesh). In one run, on loopback with @roamhq/wrtc:
//  (a) raw simple-peer JSON echo round trip, (b) the same echo through our stack (P_MSG on
//  `default` via Session + Mesh + real server), 10,000 round trips each, p50/p99 and ratio b/a;
//  (c) time from the last JOIN until every link of an 8-player lobby is open.
// Usage: node bench/p2p.mjs [roundTrips=10000] [players=8]
import wrtc from '@roamhq/wrtc';
import SimplePeer from 'simple-peer';
import WebSocket from 'ws';
import { importTs } from '../scripts/import-ts.mjs';
import { ms, summary } from './lib/stats.mjs';

const ROUND_TRIPS = Number(process.argv[2] ?? 10_000);
const PLAYERS = Number(process.argv[3] ?? 8);
const WARMUP = 200;

const { Session, Mesh, startServer, silentLogger } = await importTs('bench/lib/stack.ts');

/** An echo pair: `send(msg)` starts a round trip, `onReply(resolve)` registers its completion. */
async function roundTrip(pair, i) {
  const started = performance.now();
  await new Promise((resolve) => {
    pair.pending = resolve;
    pair.send({ seq: i, t: started, pos: [i % 480, i % 360] });
  });
  return performance.now() - started;
}

/** Alternates batches between the pairs so drift on this shared machine hits both equally. */
async function interleaved(pairs) {
  const samples = pairs.map(() => []);
  const BATCH = 250;
  for (let i = 0; i < WARMUP; i += 1) for (const pair of pairs) await roundTrip(pair, i);
  for (let done = 0; done < ROUND_TRIPS; done += BATCH) {
    for (const [index, pair] of pairs.entries()) {
      for (let i = 0; i < BATCH && done + i < ROUND_TRIPS; i += 1) samples[index].push(await roundTrip(pair, done + i));
    }
  }
  return samples.map(summary);
}

async function rawSimplePeer() {
  const a = new SimplePeer({ initiator: true, wrtc, config: { iceServers: [] } });
  const b = new SimplePeer({ wrtc, config: { iceServers: [] } });
  a.on('signal', (s) => b.signal(s));
  b.on('signal', (s) => a.signal(s));
  await Promise.all([new Promise((r) => a.once('connect', r)), new Promise((r) => b.once('connect', r))]);
  b.on('data', (data) => b.send(JSON.stringify(JSON.parse(String(data)))));
  const pair = {
    send: (msg) => a.send(JSON.stringify(msg)),
    close: () => {
      a.destroy();
      b.destroy();
    },
  };
  a.on('data', (data) => {
    JSON.parse(String(data));
    pair.pending();
  });
  return pair;
}

async function connectPlayer(server, name) {
  const session = await Session.connect({ url: server.wsUrl, ugi: 'bench', WebSocket, keepaliveMs: 0 });
  await session.init(name);
  const mesh = new Mesh(session, { wrtc });
  return {
    session,
    mesh,
    close: () => {
      mesh.destroy();
      session.close();
    },
  };
}

const fullyOpen = (players) => players.every((p) => p.mesh.connectedPeers().length === players.length - 1);

async function waitFor(predicate, timeoutMs) {
  const deadline = performance.now() + timeoutMs;
  while (!predicate()) {
    if (performance.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 1));
  }
}

async function ourStack(server) {
  const a = await connectPlayer(server, 'echo-a');
  const b = await connectPlayer(server, 'echo-b');
  await a.session.createLobby({ name: 'echo' });
  await b.session.joinLobby('echo');
  await waitFor(() => fullyOpen([a, b]), 10_000);
  const bId = b.session.me.instance_id;
  b.mesh.on('message', (m) => b.mesh.sendPrivate(m.from, m.payload));
  const pair = {
    send: (msg) => a.mesh.sendPrivate(bId, msg),
    close: () => {
      a.close();
      b.close();
    },
  };
  a.mesh.on('message', () => pair.pending());
  return pair;
}

async function meshFormation(server) {
  const players = [];
  for (let i = 0; i < PLAYERS; i += 1) players.push(await connectPlayer(server, `p${i}`));
  await players[0].session.createLobby({ name: 'mesh8' });
  for (const p of players.slice(1, -1)) await p.session.joinLobby('mesh8');
  await waitFor(() => fullyOpen(players.slice(0, -1)), 20_000);
  const started = performance.now();
  await players.at(-1).session.joinLobby('mesh8');
  await waitFor(() => fullyOpen(players), 20_000);
  const lastJoin = performance.now() - started;
  for (const p of players) p.close();
  return lastJoin;
}

const server = await startServer({ port: 0, logger: silentLogger, rateLimit: { perSecond: 1e6, burst: 1e6 } });
try {
  const pairs = [await rawSimplePeer(), await ourStack(server)];
  const [raw, ours] = await interleaved(pairs);
  for (const pair of pairs) pair.close();
  const formation = await meshFormation(server);
  console.log(`P2P echo, ${ROUND_TRIPS} round trips each (after ${WARMUP} warm-up, batches interleaved), loopback, @roamhq/wrtc`);
  console.log(`  (a) raw simple-peer JSON echo     p50 ${ms(raw.p50)}  p99 ${ms(raw.p99)}`);
  console.log(`  (b) CL5 P_MSG on "default"         p50 ${ms(ours.p50)}  p99 ${ms(ours.p99)}`);
  console.log(`  ratio b/a                          p50 ${(ours.p50 / raw.p50).toFixed(2)}  p99 ${(ours.p99 / raw.p99).toFixed(2)}  (target ≤ 1.2)`);
  console.log(
    `${PLAYERS}-player lobby: last JOIN → all ${(PLAYERS * (PLAYERS - 1)) / 2} links open (the joiner's ${PLAYERS - 1} new ones): ${ms(formation)} (target ≤ 1500 ms)`,
  );
} finally {
  await server.close();
}
process.exit(0);
