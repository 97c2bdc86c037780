// Players of bench/mesh.mjs in one process: real Sessions and Meshes on @roamhq/wrtc, driven over IPC.
// Messages: init {url, names} (connect and INIT each; answers their ids), create {lobby, relay} (the first
// player creates it, a relay lobby if `relay`), join {lobby, size} (the others join at once; answers when every player here has
// an open link to each of the other size−1, or after timeoutMs), close (every player leaves). Each answer carries what this process
// counted: signals sent by kind, candidates left unsent, connect timeouts, offers a busy relay refused, its CPU time, and its file
// descriptors and threads (/proc/self) now. One process serves one run; the parent then kills it.
import { readdirSync } from 'node:fs';
import wrtc from '@roamhq/wrtc';
import WebSocket from 'ws';
import { importTs } from '../../scripts/import-ts.mjs';

const { Session, Mesh } = await importTs('bench/lib/stack.ts');

let players = [];
let counts = null;

const now = () => performance.timeOrigin + performance.now();
const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};
const resources = () => ({ fds: readdirSync('/proc/self/fd').length, threads: readdirSync('/proc/self/task').length });

function freshCounts() {
  return { MAKE_OFFER: 0, MAKE_ANSWER: 0, ICE: 0, tcpSent: 0, skipped: 0, timeouts: 0, failures: 0, refused: 0, cpuMs: 0 };
}

async function connect(url, name) {
  const session = await Session.connect({ url, ugi: 'bench-mesh', WebSocket, keepaliveMs: 0 });
  await session.init(name);
  // Count every signal as it leaves for the server (after the link's candidate filter).
  const sendSignal = session.sendSignal.bind(session);
  session.sendSignal = (opcode, recipient, payload) => {
    counts[opcode] += 1;
    if (opcode === 'ICE' && / tcp /i.test(payload.contents?.candidate?.candidate ?? '')) counts.tcpSent += 1;
    sendSignal(opcode, recipient, payload);
  };
  // An offer the relay refused because it is busy: told by a WARNING (at most every 5 s per player).
  session.on('WARNING', (text) => {
    if (text.startsWith('relay: the relay is already setting up')) counts.refused += 1;
  });
  // Pure mesh: a pair whose link does not open keeps retrying rather than moving to a relay.
  const mesh = new Mesh(session, { wrtc, relayFallbackMs: 0 });
  mesh.on('error', (error) => {
    counts.failures += 1;
    if (error.message.includes('connect timeout')) counts.timeouts += 1;
  });
  return { session, mesh, id: session.me.instance_id };
}

const meshed = (size) => players.every((p) => p.mesh.connectedPeers().length === size - 1);

async function untilMeshed(size, timeoutMs) {
  const deadline = performance.now() + timeoutMs;
  while (!meshed(size)) {
    if (performance.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  return true;
}

const handlers = {
  async init({ url, names }) {
    counts = freshCounts();
    players = await Promise.all(names.map((name) => connect(url, name)));
    return { ids: players.map((p) => p.id), ...resources() };
  },
  async create({ lobby, relay }) {
    await players[0].session.createLobby({ name: lobby, enableRelay: relay });
    return {};
  },
  async join({ lobby, size, host, timeoutMs }) {
    counts = freshCounts();
    const cpu0 = cpuMs();
    const joining = host ? players.slice(1) : players;
    await Promise.all(joining.map((p) => p.session.joinLobby(lobby)));
    const complete = await untilMeshed(size, timeoutMs);
    const doneAt = now();
    counts.cpuMs = cpuMs() - cpu0;
    for (const p of players) for (const peer of p.session.peers.keys()) counts.skipped += p.mesh.link(peer)?.candidates?.skipped ?? 0;
    const links = players.reduce((sum, p) => sum + p.mesh.connectedPeers().length, 0);
    return { complete, doneAt, links, counts, ...resources() };
  },
  close() {
    for (const p of players) {
      p.mesh.destroy();
      p.session.close();
    }
    players = [];
    return {};
  },
};

process.on('message', async (message) => {
  try {
    process.send({ ok: true, ...(await handlers[message.type](message)) });
  } catch (error) {
    process.send({ ok: false, error: error.stack });
  }
});
process.send({ ok: true, ready: true, ...resources() });
