// Resume benchmark (issue 13), on 127.0.0.1 with a real server and real WebRTC (@roamhq/wrtc); each
// player's WebSocket goes through a TCP proxy that cuts (resets) and restores it.
// (1) Time from the connection restored to the session resumed (the client's 'reconnected'), with the
//     client's default reconnect policy (backoff 250 ms doubling to 3 s, jitter ×0.5–1.5), after a
//     1 s and after a 10 s outage; and the protocol's own part: a new connection + RESUME → RESUME_OK.
// (2) Messages lost during a 10 s outage: 3 players each broadcasting 40 reliable messages a second
//     through the whole outage; lost, duplicated and out-of-order messages counted (target 0 lost).
// Usage: node bench/resume.mjs [--json] [--runs=N]
import wrtc from '@roamhq/wrtc';
import WebSocket from 'ws';
import { importTs } from '../scripts/import-ts.mjs';
import { summary } from './lib/stats.mjs';

const { CloudLinkClient, startServer, silentLogger, TcpProxy } = await importTs('bench/lib/resume-entry.ts');
const JSON_OUT = process.argv.includes('--json');
const RUNS = Number(process.argv.find((a) => a.startsWith('--runs='))?.slice(7) ?? 20);
const log = JSON_OUT ? () => {} : console.log;
const results = {};

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
async function until(predicate, what, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}
const fmt = (s) => `p50 ${s.p50.toFixed(1)} ms, p99 ${s.p99.toFixed(1)} ms (n=${s.n})`;

async function player(name, port, options = {}) {
  const proxy = await TcpProxy.start(port);
  const client = new CloudLinkClient({ WebSocket, wrtc, keepaliveMs: 5000, ...options });
  const events = [];
  client.on('reconnected', () => events.push(['reconnected', performance.now()]));
  client.on('disconnected', (reason) => events.push(['disconnected', performance.now(), reason]));
  await client.connect({ url: proxy.url, username: name, ugi: 'bench' });
  return { name, client, proxy, events, received: new Map() };
}

async function lobby(players) {
  const [host, ...rest] = players;
  await host.client.createLobby({ name: 'room' });
  for (const p of rest) await p.client.joinLobby('room');
  await until(() => players.every((p) => p.client.players().every((peer) => p.client.isPeerConnected(peer))), 'a full mesh');
}

function close(players) {
  for (const p of players) p.client.disconnect();
  return Promise.all(players.map((p) => p.proxy.close()));
}

// (1) restored → resumed, default policy.
async function resumeLatency(outageMs, runs) {
  const server = await startServer({ port: 0, logger: silentLogger });
  const players = [await player('ann', server.port), await player('bob', server.port)];
  await lobby(players);
  const [ann] = players;
  const samples = [];
  for (let run = 0; run < runs; run += 1) {
    const before = ann.events.length;
    ann.proxy.cut();
    await until(() => ann.client.connectionState === 'reconnecting', 'reconnecting');
    await sleep(outageMs);
    const restored = performance.now();
    ann.proxy.restore();
    await until(() => ann.events.length > before, 'resumed');
    const [kind, at] = ann.events[ann.events.length - 1];
    if (kind !== 'reconnected') throw new Error(`not resumed: ${ann.events[ann.events.length - 1]}`);
    samples.push(at - restored);
  }
  if (players[1].client.players().length !== 1) throw new Error('bob lost ann');
  await close(players);
  await server.close();
  return summary(samples);
}

// (1b) the protocol's part: a new connection, RESUME, RESUME_OK (raw ws, no backoff).
async function resumeHandshake(runs) {
  const server = await startServer({ port: 0, logger: silentLogger });
  const open = () =>
    new Promise((resolve, reject) => {
      const ws = new WebSocket(`${server.wsUrl}?ugi=bench`);
      ws.once('open', () => resolve(ws));
      ws.once('error', reject);
    });
  const request = (ws, packet) =>
    new Promise((resolve) => {
      ws.once('message', (data) => resolve(JSON.parse(String(data))));
      ws.send(JSON.stringify(packet));
    });
  let ws = await open();
  const frames = 1;
  let token = (await request(ws, { opcode: 'INIT', payload: { username: 'ann' }, listener: 'i' })).payload.resume_token;
  const samples = [];
  for (let run = 0; run < runs; run += 1) {
    ws.terminate();
    const started = performance.now();
    ws = await open();
    const reply = await request(ws, { opcode: 'RESUME', payload: { token, received: frames }, listener: 'r' });
    samples.push(performance.now() - started);
    if (reply.opcode !== 'RESUME_OK') throw new Error(JSON.stringify(reply));
    token = reply.payload.resume_token;
  }
  ws.terminate();
  await server.close();
  return summary(samples);
}

// (2) messages lost during a 10 s outage.
async function outageLoss() {
  const server = await startServer({ port: 0, logger: silentLogger });
  const players = [await player('ann', server.port), await player('bob', server.port), await player('cat', server.port)];
  await lobby(players);
  for (const p of players) {
    p.client.on('message', ({ from, payload }) => {
      const seen = p.received.get(from) ?? [];
      seen.push(payload.seq);
      p.received.set(from, seen);
    });
  }
  const sent = new Map(players.map((p) => [p.client.myId, 0]));
  let running = true;
  let failedSends = 0;
  const streaming = (async () => {
    for (let tick = 0; running && tick < 100_000; tick += 1) {
      for (const p of players) {
        const seq = sent.get(p.client.myId) + 1;
        try {
          p.client.broadcast({ seq });
          sent.set(p.client.myId, seq);
        } catch {
          failedSends += 1;
        }
      }
      await sleep(25);
    }
  })();
  await sleep(1000);
  for (const p of players) p.proxy.cut();
  await until(() => players.every((p) => p.client.connectionState === 'reconnecting'), 'reconnecting');
  await sleep(10_000);
  for (const p of players) p.proxy.restore();
  await until(() => players.every((p) => p.client.connectionState === 'connected'), 'resumed', 20_000);
  await sleep(1000);
  running = false;
  await streaming;
  let expected = 0;
  let lost = 0;
  let duplicated = 0;
  let outOfOrder = 0;
  await sleep(500);
  for (const p of players) {
    for (const other of players) {
      if (other === p) continue;
      const count = sent.get(other.client.myId);
      const seqs = p.received.get(other.client.myId) ?? [];
      expected += count;
      lost += count - new Set(seqs).size;
      duplicated += seqs.length - new Set(seqs).size;
      for (let i = 1; i < seqs.length; i += 1) if (seqs[i] < seqs[i - 1]) outOfOrder += 1;
    }
  }
  const peerLeft = players.some((p) => p.client.players().length !== 2);
  await close(players);
  await server.close();
  return { expected, lost, duplicated, outOfOrder, failedSends, peerLeft };
}

log(`Resume after a dropped signalling connection (${RUNS} runs each; 127.0.0.1, real server, real WebRTC)`);
results.handshake = await resumeHandshake(RUNS * 10);
log(`  new connection + RESUME → RESUME_OK (raw ws, no backoff):        ${fmt(results.handshake)}`);
results.restored1s = await resumeLatency(1000, RUNS);
log(`  connection restored → session resumed, after a 1 s outage:      ${fmt(results.restored1s)}`);
results.restored10s = await resumeLatency(10_000, Math.max(3, Math.round(RUNS / 5)));
log(`  connection restored → session resumed, after a 10 s outage:     ${fmt(results.restored10s)}`);
log('  (the client retries with backoff: after a long outage it waits up to 3 s × 1.5 for its next try)');
const losses = [];
for (let i = 0; i < 3; i += 1) losses.push(await outageLoss());
results.outage = losses;
for (const [i, l] of losses.entries()) {
  log(
    `  10 s outage of all 3 players' signalling, 40 reliable msgs/s each (run ${i + 1}): ${l.expected} expected deliveries, ${l.lost} lost, ${l.duplicated} duplicated, ${l.outOfOrder} out of order, ${l.failedSends} sends refused, players left: ${l.peerLeft ? 'yes' : 'no'}`,
  );
}
log(`  target 0 lost on reliable channels: ${losses.every((l) => l.lost === 0 && !l.peerLeft) ? 'met' : 'MISSED'}`);
if (JSON_OUT) console.log(JSON.stringify(results, null, 2));
process.exit(0);
