// Signalling benchmark (issue: relay + performance), CL5 vs the PeerJS server, side by side, each
// server in its own process, load from this process, all on 127.0.0.1:
//  (1) signal relay: PAIRS pairs of clients keep WINDOW offer/candidate-sized signals in flight to
//      each other through the server for SECONDS; relayed signals per second and p50/p99 latency;
//  (2) churn: CL5 lobby cycles (create, join, leave, leave) per second; PeerJS has no lobbies, so
//      its nearest equivalent is reported: connect + OPEN + close cycles per second.
// Usage: node bench/signaling.mjs [seconds=5] [pairs=50]
import WebSocket from 'ws';
import { cpuSeconds, startCl5, startPeerJs } from './lib/processes.mjs';
import { summary } from './lib/stats.mjs';

const SECONDS = Number(process.argv[2] ?? 5);
const PAIRS = Number(process.argv[3] ?? 50);
const WINDOW = 8;
const WARMUP_MS = 1000;
const SDP = 'a=candidate:1 1 udp 2122260223 192.0.2.1 54321 typ host generation 0 ufrag abcd network-id 1 '.repeat(3);

const open = (url) =>
  new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
/** Opens a socket and waits for its first message matching `accept` (listening from the start:
 * PeerJS sends OPEN right behind the upgrade, before an `open` handler could attach a listener). */
const openUntil = (url, accept) =>
  new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    const on = (data) => {
      if (!accept(JSON.parse(String(data)))) return;
      ws.off('message', on);
      resolve(ws);
    };
    ws.on('message', on);
    ws.once('error', reject);
  });
const nextMessage = (ws, accept) =>
  new Promise((resolve) => {
    const on = (data) => {
      const packet = JSON.parse(String(data));
      if (accept(packet)) {
        ws.off('message', on);
        resolve(packet);
      }
    };
    ws.on('message', on);
  });

// ── client adapters: connect a pair, send one signal, recognise a received one ────────────────
const cl5 = {
  async pair(port, i) {
    const clients = [];
    for (const side of ['a', 'b']) {
      const ws = await open(`ws://127.0.0.1:${port}/?ugi=bench`);
      ws.send(JSON.stringify({ opcode: 'INIT', payload: { username: `${side}${i}` } }));
      const ok = await nextMessage(ws, (p) => p.opcode === 'INIT_OK');
      clients.push({ ws, id: ok.payload.instance_id });
    }
    clients[0].ws.send(JSON.stringify({ opcode: 'CREATE_LOBBY', payload: { name: `pair${i}`, max_players: 2, password: '', locked: false, enable_relay: false } }));
    await nextMessage(clients[0].ws, (p) => p.opcode === 'CREATE_ACK');
    clients[1].ws.send(JSON.stringify({ opcode: 'JOIN_LOBBY', payload: { name: `pair${i}`, password: '' } }));
    await nextMessage(clients[1].ws, (p) => p.opcode === 'JOIN_ACK');
    return clients;
  },
  signal: (to, sentAt) => JSON.stringify({ opcode: 'ICE', recipient: to, payload: { type: 0, contents: { candidate: SDP, sentAt } } }),
  sentAt: (packet) => (packet.opcode === 'ICE' ? packet.payload.contents.sentAt : undefined),
};

const peerjs = {
  async pair(port, i) {
    const clients = [];
    for (const side of ['a', 'b']) {
      const id = `${side}${i}-${Math.random().toString(36).slice(2, 8)}`;
      const ws = await openUntil(`ws://127.0.0.1:${port}/peerjs?key=peerjs&id=${id}&token=t${i}`, (p) => p.type === 'OPEN');
      clients.push({ ws, id });
    }
    return clients;
  },
  signal: (to, sentAt) => JSON.stringify({ type: 'CANDIDATE', dst: to, payload: { candidate: SDP, sentAt } }),
  sentAt: (packet) => (packet.type === 'CANDIDATE' ? packet.payload.sentAt : undefined),
};

async function relayLoad(adapter, { port, pid }) {
  const pairs = [];
  for (let i = 0; i < PAIRS; i += 1) pairs.push(await adapter.pair(port, i));
  const latencies = [];
  let received = 0;
  let measuring = false;
  let running = true;
  for (const [a, b] of pairs) {
    for (const [me, other] of [[a, b], [b, a]]) {
      me.ws.on('message', (data) => {
        const sentAt = adapter.sentAt(JSON.parse(String(data)));
        if (sentAt === undefined) return;
        if (measuring) {
          received += 1;
          latencies.push(performance.now() - sentAt);
        }
        // Answer with the next signal: keeps WINDOW in flight per direction.
        if (running) me.ws.send(adapter.signal(other.id, performance.now()));
      });
    }
    for (let k = 0; k < WINDOW; k += 1) {
      a.ws.send(adapter.signal(b.id, performance.now()));
      b.ws.send(adapter.signal(a.id, performance.now()));
    }
  }
  await new Promise((resolve) => setTimeout(resolve, WARMUP_MS));
  measuring = true;
  const started = performance.now();
  const cpuBefore = cpuSeconds(pid);
  await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
  measuring = false;
  const serverCpu = cpuSeconds(pid) - cpuBefore;
  const elapsed = (performance.now() - started) / 1000;
  running = false;
  for (const pair of pairs) for (const c of pair) c.ws.terminate();
  // The load generator shares this 2-core machine: signals per server CPU-second is the server's
  // capacity whoever saturates first.
  return { perSecond: received / elapsed, perCpuSecond: received / serverCpu, cpu: serverCpu / elapsed, ...summary(latencies) };
}

async function cl5Churn(port) {
  const WORKERS = 20;
  let cycles = 0;
  const deadline = performance.now() + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: WORKERS }, async (_, w) => {
      const [a, b] = await cl5.pair(port, 1000 + w);
      const request = (ws, packet, reply) => {
        ws.send(JSON.stringify(packet));
        return nextMessage(ws, (p) => p.opcode === reply);
      };
      await request(b.ws, { opcode: 'LEAVE_LOBBY' }, 'LEAVE_ACK');
      await request(a.ws, { opcode: 'LEAVE_LOBBY' }, 'LEAVE_ACK');
      for (let n = 0; performance.now() < deadline; n += 1) {
        const name = `churn-${w}-${n}`;
        await request(a.ws, { opcode: 'CREATE_LOBBY', payload: { name, max_players: 2, password: '', locked: false, enable_relay: false } }, 'CREATE_ACK');
        await request(b.ws, { opcode: 'JOIN_LOBBY', payload: { name, password: '' } }, 'JOIN_ACK');
        await request(b.ws, { opcode: 'LEAVE_LOBBY' }, 'LEAVE_ACK');
        await request(a.ws, { opcode: 'LEAVE_LOBBY' }, 'LEAVE_ACK');
        cycles += 1;
      }
      a.ws.terminate();
      b.ws.terminate();
    }),
  );
  return cycles / SECONDS;
}

async function peerJsChurn(port) {
  const WORKERS = 20;
  let cycles = 0;
  const deadline = performance.now() + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: WORKERS }, async (_, w) => {
      for (let n = 0; performance.now() < deadline; n += 1) {
        const ws = await openUntil(`ws://127.0.0.1:${port}/peerjs?key=peerjs&id=c${w}-${n}&token=t`, (p) => p.type === 'OPEN');
        ws.terminate(); // PeerJS does not answer a close handshake; the server sees the socket end
        cycles += 1;
      }
    }),
  );
  return cycles / SECONDS;
}

const fmt = (r) =>
  `${Math.round(r.perSecond).toString().padStart(8)} signals/s  server CPU ${(r.cpu * 100).toFixed(0).padStart(3)}%  ${Math.round(r.perCpuSecond).toString().padStart(7)} signals per server CPU-second   p50 ${r.p50.toFixed(2)} ms   p99 ${r.p99.toFixed(2)} ms`;

/** Runs one load against a fresh server process (a flood leaves backlog behind). */
async function fresh(start, load) {
  const server = await start();
  try {
    return await load(server);
  } finally {
    await server.stop();
  }
}

const results = {};
for (const start of [startCl5, startPeerJs]) {
  const isCl5 = start === startCl5;
  const relay = await fresh(start, (server) => relayLoad(isCl5 ? cl5 : peerjs, server));
  const churn = await fresh(start, (server) => (isCl5 ? cl5Churn(server.port) : peerJsChurn(server.port)));
  results[isCl5 ? 'CL5' : 'PeerJS'] = { relay, churn };
}

console.log(`Signal relay, ${PAIRS} pairs, ${WINDOW} in flight each way, ${SECONDS} s, loopback (server in its own process)`);
for (const [name, r] of Object.entries(results)) console.log(`  ${name.padEnd(7)} ${fmt(r.relay)}`);
const ratio = results.CL5.relay.perSecond / results.PeerJS.relay.perSecond;
const capacity = results.CL5.relay.perCpuSecond / results.PeerJS.relay.perCpuSecond;
console.log(`  ratio CL5/PeerJS: throughput ${ratio.toFixed(2)}, capacity per server CPU-second ${capacity.toFixed(2)} (target ≥ 2), p99 ${(results.CL5.relay.p99 / results.PeerJS.relay.p99).toFixed(2)} (target ≤ 1)`);
console.log(`Churn, 20 concurrent workers, ${SECONDS} s`);
console.log(`  CL5     ${results.CL5.churn.toFixed(0)} lobby cycles/s (create + join + leave + leave = 4 requests, plus their notifications)`);
console.log(`  PeerJS  ${results.PeerJS.churn.toFixed(0)} connect/OPEN/disconnect cycles/s (it has no lobbies; nearest equivalent)`);
process.exit(0);
