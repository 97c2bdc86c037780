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
import { cl5, meet, meetingPair, SDP } from './lib/cl5-clients.mjs';
import { pin, startCl5, startPeerJs } from './lib/processes.mjs';
import { clientFrame, next, open } from './lib/raw-ws.mjs';
import { cycles, relayFlood } from './lib/signal-load.mjs';

const SECONDS = Number(process.argv[2] ?? 5);
const PAIRS = Number(process.argv[3] ?? 50);
const WINDOW = 8;
const WARMUP_MS = 1000;

// ── client adapters: connect a pair, build one signal frame (CL5's: bench/lib/cl5-clients.mjs) ──
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

async function relayLoad(adapter, { port, pid }) {
  const pairs = [];
  for (let i = 0; i < PAIRS; i += 1) pairs.push(await adapter.pair([port], i));
  const result = await relayFlood(adapter, pairs, { pids: [pid], seconds: SECONDS, window: WINDOW, warmupMs: WARMUP_MS });
  for (const pair of pairs) for (const c of pair) c.client.close();
  return { ...result, cpu: result.cores[0] };
}

const WORKERS = 20;
const OFFER = { type: 'offer', sdp: SDP };
const ANSWER = { type: 'answer', sdp: SDP };
const churn = (setup, cycle) => cycles(setup, cycle, { workers: WORKERS, seconds: SECONDS });

/** A CL5 meeting: create a lobby, join it, offer and answer relayed, both leave. */
const cl5Churn = (port) =>
  churn(
    (w) => meetingPair([port], w),
    (pair, w, n) => meet(pair, `churn-${w}-${n}`),
  );

/** The PeerJS equivalent (its peers are its connections): both connect, offer and answer relayed, both disconnect. */
async function peerJsChurn(port) {
  return churn(
    async () => null,
    async (_state, w, n) => {
      const [a, b] = await peerjs.pair([port], `${w}-${n}`);
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
