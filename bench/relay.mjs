// Relay fan-out benchmark (issue: relay + performance): 8 players broadcast over a full mesh and
// through a relay lobby, in one run. Reports messages delivered per second and the bytes each
// player uploads (what its own sends put on the wire, before WebRTC framing).
// Usage: node bench/relay.mjs [players=8] [messagesEach=500]
import wrtc from '@roamhq/wrtc';
import WebSocket from 'ws';
import { importTs } from '../scripts/import-ts.mjs';

const PLAYERS = Number(process.argv[2] ?? 8);
const EACH = Number(process.argv[3] ?? 500);
const { CloudLinkClient, PeerLink, startServer, silentLogger, webRtcRelay } = await importTs('bench/lib/relay-entry.ts');

// Upload accounting: bytes a player's own broadcast() hands to its links.
let sender = null;
const uploaded = new Map();
const send = PeerLink.prototype.send;
PeerLink.prototype.send = function (label, text) {
  if (sender !== null) uploaded.set(sender, (uploaded.get(sender) ?? 0) + text.length);
  return send.call(this, label, text);
};

async function until(predicate, timeoutMs) {
  const deadline = performance.now() + timeoutMs;
  while (!predicate()) {
    if (performance.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 2));
  }
}

async function scenario(server, relay) {
  const lobby = `fanout-${relay ? 'relay' : 'mesh'}`;
  const players = [];
  for (let i = 0; i < PLAYERS; i += 1) {
    const client = new CloudLinkClient({ WebSocket, wrtc, keepaliveMs: 0 });
    await client.connect({ url: server.wsUrl, username: `${lobby}-${i}`, ugi: 'fanout' });
    players.push({ client, received: 0 });
  }
  for (const p of players) p.client.on('message', () => (p.received += 1));
  await players[0].client.createLobby({ name: lobby, enableRelay: relay });
  if (relay) await until(() => players[0].client.mesh?.relayId, 5000);
  for (const p of players.slice(1)) await p.client.joinLobby(lobby);
  await until(() => players.every((p) => p.client.players().length === PLAYERS - 1 && p.client.players().every((id) => p.client.isPeerConnected(id))), 20_000);
  await new Promise((r) => setTimeout(r, 300));
  uploaded.clear();

  const payload = { x: 123.5, y: -42.25, state: 'running', frame: 0 };
  const expected = PLAYERS * EACH * (PLAYERS - 1);
  const started = performance.now();
  for (let n = 0; n < EACH; n += 1) {
    for (const [i, p] of players.entries()) {
      sender = i;
      p.client.broadcast({ ...payload, frame: n });
      sender = null;
    }
    if (n % 20 === 19) await new Promise((r) => setImmediate(r)); // let the channels drain
  }
  await until(() => players.reduce((sum, p) => sum + p.received, 0) >= expected, 60_000);
  const seconds = (performance.now() - started) / 1000;
  const perPlayer = [...uploaded.values()].reduce((a, b) => a + b, 0) / PLAYERS;
  for (const p of players) p.client.disconnect();
  return { delivered: expected, perSecond: expected / seconds, uploadPerPlayer: perPlayer, uploadPerMessage: perPlayer / EACH };
}

const relayProvider = webRtcRelay({ wrtc, log: silentLogger });
const server = await startServer({ port: 0, logger: silentLogger, relay: relayProvider, rateLimit: { perSecond: 1e6, burst: 1e6 } });
try {
  const mesh = await scenario(server, false);
  const relay = await scenario(server, true);
  console.log(`Fan-out: ${PLAYERS} players each broadcast ${EACH} messages (${mesh.delivered} deliveries), loopback, @roamhq/wrtc, one process`);
  for (const [name, r] of [
    ['full mesh', mesh],
    ['relay', relay],
  ]) {
    console.log(
      `  ${name.padEnd(10)} ${Math.round(r.perSecond).toString().padStart(7)} messages delivered/s   upload per player ${(r.uploadPerPlayer / 1024).toFixed(1)} KiB (${r.uploadPerMessage.toFixed(0)} bytes per broadcast)`,
    );
  }
  console.log(
    `  relay/mesh: throughput ${(relay.perSecond / mesh.perSecond).toFixed(2)}, upload per player ${(relay.uploadPerPlayer / mesh.uploadPerPlayer).toFixed(2)} (1/${PLAYERS - 1} expected)`,
  );
} finally {
  await server.close();
}
process.exit(0);
