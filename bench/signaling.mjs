// Signalling benchmark (issue: relay + performance), CL5 vs the PeerJS server, side by side, each
// server in its own process, load from this process, all on 127.0.0.1:
//  (1) signal relay: PAIRS pairs of clients keep WINDOW offer/candidate-sized signals in flight to
//      each other through the server for SECONDS; relayed signals per second and p50/p99 latency;
//  (2) churn: two players meet and negotiate, cycles per second and per-cycle latency. CL5: create
//      a lobby, join, MAKE_OFFER + MAKE_ANSWER relayed, leave, leave. PeerJS has no lobbies (a peer
//      is its connection), so its nearest equivalent: both connect, OFFER + ANSWER, both disconnect.
// The load comes from bench/lib/raw-ws.mjs (cheap enough that the server, not the load, saturates);
// server and load are pinned to different cores where taskset works.
// Usage: node bench/signaling.mjs [seconds=5] [pairs=50]
import { cpuSeconds, pin, startCl5, startPeerJs } from './lib/processes.mjs';
import { clientFrame, next, open, request } from './lib/raw-ws.mjs';
import { summary } from './lib/stats.mjs';

const SECONDS = Number(process.argv[2] ?? 5);
const PAIRS = Number(process.argv[3] ?? 50);
const WINDOW = 8;
const WARMUP_MS = 1000;
const SDP = 'a=candidate:1 1 udp 2122260223 192.0.2.1 54321 typ host generation 0 ufrag abcd network-id 1 '.repeat(3);

/** When a received signal was sent (performance.now() of the sender), read without parsing the frame. */
function sentAtOf(text) {
  const at = text.indexOf('"sentAt":');
  return at < 0 ? undefined : parseFloat(text.slice(at + 9, at + 40));
}

// ── client adapters: connect a pair, build one signal frame ─────────────────────────────────────
const cl5 = {
  async pair(port, i) {
    const clients = [];
    for (const side of ['a', 'b']) {
      const client = await open(port, '/?ugi=bench');
      const ok = await request(client, { opcode: 'INIT', payload: { username: `${side}${i}` } }, (p) => p.opcode === 'INIT_OK');
      clients.push({ client, id: ok.payload.instance_id });
    }
    const created = await request(
      clients[0].client,
      { opcode: 'CREATE_LOBBY', payload: { name: `pair${i}`, max_players: 2, password: '', locked: false, enable_relay: false } },
      (p) => p.opcode === 'CREATE_ACK',
    );
    const joined = await request(clients[1].client, { opcode: 'JOIN_LOBBY', payload: { name: `pair${i}`, password: '' } }, (p) => p.opcode === 'JOIN_ACK');
    if (created.payload !== 'ok' || joined.payload !== 'ok') throw new Error(`pair ${i}: ${created.payload} / ${joined.payload}`);
    return clients;
  },
  signal: (to, sentAt) => clientFrame(`{"opcode":"ICE","recipient":"${to}","payload":{"type":0,"contents":{"candidate":"${SDP}","sentAt":${sentAt}}}}`),
};

const peerjs = {
  async pair(port, i) {
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

async function relayLoad(adapter, { port, pid }) {
  const pairs = [];
  for (let i = 0; i < PAIRS; i += 1) pairs.push(await adapter.pair(port, i));
  const latencies = [];
  let received = 0;
  let measuring = false;
  let running = true;
  for (const [a, b] of pairs) {
    for (const [me, other] of [
      [a, b],
      [b, a],
    ]) {
      me.client.onText = (text) => {
        const sentAt = sentAtOf(text);
        if (sentAt === undefined) return;
        if (measuring) {
          received += 1;
          latencies.push(performance.now() - sentAt);
        }
        // Answer with the next signal: keeps WINDOW in flight per direction.
        if (running) me.client.write(adapter.signal(other.id, performance.now()));
      };
    }
    for (let k = 0; k < WINDOW; k += 1) {
      a.client.write(adapter.signal(b.id, performance.now()));
      b.client.write(adapter.signal(a.id, performance.now()));
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
  for (const pair of pairs) for (const c of pair) c.client.close();
  return { perSecond: received / elapsed, perCpuSecond: received / serverCpu, cpu: serverCpu / elapsed, ...summary(latencies) };
}

const WORKERS = 20;
const OFFER = { type: 'offer', sdp: SDP };
const ANSWER = { type: 'answer', sdp: SDP };

/** Runs `cycle(state, worker, n)` on WORKERS workers until the time is up: cycles per second and each cycle's duration. */
async function cycles(setup, cycle) {
  const durations = [];
  const deadline = performance.now() + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: WORKERS }, async (_, w) => {
      const state = await setup(w);
      for (let n = 0; performance.now() < deadline; n += 1) {
        const started = performance.now();
        await cycle(state, w, n);
        durations.push(performance.now() - started);
      }
    }),
  );
  return { perSecond: durations.length / SECONDS, ...summary(durations) };
}

/** A CL5 meeting: create a lobby, join it, offer and answer relayed, both leave. */
async function cl5Churn(port) {
  return cycles(
    async (w) => {
      const [a, b] = await cl5.pair(port, 1000 + w);
      await request(b.client, { opcode: 'LEAVE_LOBBY' }, (p) => p.opcode === 'LEAVE_ACK');
      await request(a.client, { opcode: 'LEAVE_LOBBY' }, (p) => p.opcode === 'LEAVE_ACK');
      return [a, b];
    },
    async ([a, b], w, n) => {
      const name = `churn-${w}-${n}`;
      const isOpcode = (opcode) => (p) => p.opcode === opcode;
      await request(
        a.client,
        { opcode: 'CREATE_LOBBY', payload: { name, max_players: 2, password: '', locked: false, enable_relay: false } },
        isOpcode('CREATE_ACK'),
      );
      await request(b.client, { opcode: 'JOIN_LOBBY', payload: { name, password: '' } }, isOpcode('JOIN_ACK'));
      const offered = next(b.client, isOpcode('MAKE_OFFER'));
      a.client.send(JSON.stringify({ opcode: 'MAKE_OFFER', recipient: b.id, payload: { type: 0, contents: OFFER } }));
      await offered;
      const answered = next(a.client, isOpcode('MAKE_ANSWER'));
      b.client.send(JSON.stringify({ opcode: 'MAKE_ANSWER', recipient: a.id, payload: { type: 0, contents: ANSWER } }));
      await answered;
      await request(b.client, { opcode: 'LEAVE_LOBBY' }, isOpcode('LEAVE_ACK'));
      await request(a.client, { opcode: 'LEAVE_LOBBY' }, isOpcode('LEAVE_ACK'));
    },
  );
}

/** The PeerJS equivalent (its peers are its connections): both connect, offer and answer relayed, both disconnect. */
async function peerJsChurn(port) {
  return cycles(
    async () => null,
    async (_state, w, n) => {
      const [a, b] = await peerjs.pair(port, `${w}-${n}`);
      const isType = (type) => (p) => p.type === type;
      const offered = next(b.client, isType('OFFER'));
      a.client.send(JSON.stringify({ type: 'OFFER', dst: b.id, payload: OFFER }));
      await offered;
      const answered = next(a.client, isType('ANSWER'));
      b.client.send(JSON.stringify({ type: 'ANSWER', dst: a.id, payload: ANSWER }));
      await answered;
      a.client.close(); // PeerJS does not answer a close handshake; the server sees the socket end
      b.client.close();
    },
  );
}

const fmt = (r) =>
  `${Math.round(r.perSecond).toString().padStart(8)} signals/s  server CPU ${(r.cpu * 100).toFixed(0).padStart(3)}%  ${Math.round(r.perCpuSecond).toString().padStart(7)} signals per server CPU-second   p50 ${r.p50.toFixed(2)} ms   p99 ${r.p99.toFixed(2)} ms`;

/** Runs one load against a fresh server process (a flood leaves backlog behind). */
async function fresh(start, load) {
  const server = await start();
  pinned = pin(server.pid, 1) && pin(process.pid, 0);
  try {
    return await load(server);
  } finally {
    await server.stop();
  }
}

let pinned = false;
const results = {};
for (const start of [startCl5, startPeerJs]) {
  const isCl5 = start === startCl5;
  const relay = await fresh(start, (server) => relayLoad(isCl5 ? cl5 : peerjs, server));
  const churn = await fresh(start, (server) => (isCl5 ? cl5Churn(server.port) : peerJsChurn(server.port)));
  results[isCl5 ? 'CL5' : 'PeerJS'] = { relay, churn };
}

console.log(
  `Signal relay, ${PAIRS} pairs, ${WINDOW} in flight each way, ${SECONDS} s, loopback (server in its own process, ${pinned ? 'pinned to a core of its own' : 'not pinned: taskset failed'})`,
);
for (const [name, r] of Object.entries(results)) console.log(`  ${name.padEnd(7)} ${fmt(r.relay)}`);
const ratio = results.CL5.relay.perSecond / results.PeerJS.relay.perSecond;
const capacity = results.CL5.relay.perCpuSecond / results.PeerJS.relay.perCpuSecond;
console.log(
  `  ratio CL5/PeerJS: throughput ${ratio.toFixed(2)}, capacity per server CPU-second ${capacity.toFixed(2)} (target ≥ 2), p99 ${(results.CL5.relay.p99 / results.PeerJS.relay.p99).toFixed(2)} (target ≤ 1)`,
);
console.log(`Churn, ${WORKERS} concurrent workers, ${SECONDS} s: two players meet and negotiate`);
const cycle = (r) => `${Math.round(r.perSecond).toString().padStart(6)} cycles/s   p50 ${r.p50.toFixed(2)} ms   p99 ${r.p99.toFixed(2)} ms per cycle`;
console.log(`  CL5     ${cycle(results.CL5.churn)}   (create lobby, join, MAKE_OFFER + MAKE_ANSWER relayed, leave, leave)`);
console.log(`  PeerJS  ${cycle(results.PeerJS.churn)}   (both connect and get OPEN, OFFER + ANSWER relayed, both disconnect: it has no lobbies)`);
console.log(
  `  ratio CL5/PeerJS: throughput ${(results.CL5.churn.perSecond / results.PeerJS.churn.perSecond).toFixed(2)} (target ≥ 2), p99 ${(results.CL5.churn.p99 / results.PeerJS.churn.p99).toFixed(2)} (target ≤ 1)`,
);
process.exit(0);
