// Abuse benchmark (issue 16): each attack runs for a bounded time against a fresh CL5 server in its own
// process, with the server's default limits (only --init-deadline is shortened so a run sees it act, and
// rows that open 200 connections from one address in their setup raise the burst of new connections).
// Beside it, a well-behaved player in another game (its own process: bench/lib/bystander.mjs) times a
// KEEPALIVE every 6 ms (over 4 connections, each every 24 ms). Each row: the server's RSS before the
// attack, at its peak and after the attack stopped and the server settled; the bystander's round trip p50/p99; what the attacker achieved; whether
// the attacker was cut off and why. Targets: peak RSS ≤ before + 64 MiB; bystander p99 ≤ 2× its p99 alone just before
// the attack (same server, same minute: this machine is shared) — and, printed beside it, 2× the idle row's.
// Clients speak the wire protocol only (raw sockets: lib/raw-ws.mjs; WebRTC through @roamhq/wrtc for the
// relay data flood), each attacker from its own loopback address (127.0.0.0/8) where the server's
// per-address limits must not lump it with the bystander (127.0.0.2).
// --runs=N runs the whole set N times (rows one after another, a fresh server each) and ends with each row's
// min / median / max: RSS must stay within the target in every run, the p99 ratio is judged on its median
// (one noisy minute on this shared machine moves a single p99 by several ms either way).
// --attacker-nice=19 runs the attackers (this process) at that nice value, the server, the bystander and the
// control rows' spinners at 0: as with a remote attacker, whose CPU is not the server's machine's (root only).
// --pin keeps the server on CPUs of its own and every client (this process with the attackers, the control
// rows' spinners, the bystander) on the last CPU (taskset): the attack's own CPU, its kernel side of loopback
// included, then never runs where the server does, as with remote clients. With --attacker-nice=19 the
// bystander (nice 0) still runs first on the clients' CPU.
// Usage: node bench/abuse.mjs [--runs=1] [--seconds=5] [--only=name,name] [--idle-seconds=15] [--warmup-seconds=20] [--baseline-seconds=5] [--init-deadline=2] [--fragments=1000]
//        [--idle-players=2000] [--settle=5] [--relay-offers=40] [--password-seconds=15] [--attacker-nice=0] [--pin]   (npm run build first)
import { fork, spawn } from 'node:child_process';
import { appendFileSync, readdirSync } from 'node:fs';
import { availableParallelism, loadavg, setPriority } from 'node:os';
import { Agent as HttpAgent, get as httpGet } from 'node:http';
import { parseArgs } from 'node:util';
import { SDP, isOpcode, player } from './lib/cl5-clients.mjs';
import { cpuSeconds, minorFaults, openFds, ownAndReapedCpuSeconds, pin, procStatus, runQueueWaitMs, startCl5 } from './lib/processes.mjs';
import { clientFrame, open, unfinishedFragment } from './lib/raw-ws.mjs';
import { summary } from './lib/stats.mjs';
import { stealMeter } from './lib/steal.mjs';

const { values: flags } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    only: { type: 'string' },
    'idle-seconds': { type: 'string', default: '15' },
    'baseline-seconds': { type: 'string', default: '5' },
    'warmup-seconds': { type: 'string', default: '20' },
    'init-deadline': { type: 'string', default: '2' },
    fragments: { type: 'string', default: '1000' },
    'idle-players': { type: 'string', default: '2000' },
    settle: { type: 'string', default: '5' },
    'relay-offers': { type: 'string', default: '40' },
    'password-seconds': { type: 'string', default: '15' },
    runs: { type: 'string', default: '1' },
    'attacker-nice': { type: 'string', default: '0' },
    pin: { type: 'boolean', default: false },
  },
});
const RUNS = Number(flags.runs);
const SECONDS = Number(flags.seconds);
const WARMUP_SECONDS = Number(flags['warmup-seconds']);
const INIT_DEADLINE = Number(flags['init-deadline']);
const MIB = 1024 * 1024;
const RSS_TARGET = 64 * MIB;
const ATTACKER_NICE = Number(flags['attacker-nice']);

/** Every thread of this process at nice `value` (Linux keeps it per thread; a child takes its forking thread's). */
function niceThisProcess(value) {
  if (ATTACKER_NICE === 0) return;
  for (const tid of readdirSync('/proc/self/task')) setPriority(Number(tid), value);
}

/** Starts a process that is not an attacker (the server, the bystander, a control's spinner) at nice 0. */
function notAttacker(start) {
  niceThisProcess(0);
  try {
    return start();
  } finally {
    niceThisProcess(ATTACKER_NICE);
  }
}
niceThisProcess(ATTACKER_NICE);

const CPUS = availableParallelism();
if (flags.pin && CPUS < 2) throw new Error('--pin needs at least 2 CPUs');
/** With --pin, `pid`'s threads (and the threads it makes later) on `cpus` (taskset's list); a row never runs unpinned by mistake. */
const pinTo = (cpus, pid) => {
  if (flags.pin && !pin(pid, cpus)) throw new Error(`--pin: taskset could not pin ${pid} to CPU ${cpus}`);
};
/** The clients' CPU (the attackers', the bystander's), and the server's. */
const CLIENT_CPUS = String(CPUS - 1);
const SERVER_CPUS = CPUS > 2 ? `0-${CPUS - 2}` : '0';
pinTo(CLIENT_CPUS, process.pid);

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const BYSTANDER = '127.0.0.2';
const ATTACKER = '127.0.0.3';
/** Address of the i-th of many clients, `perAddress` to an address (the default cap is 256). */
const spread = (i, perAddress = 200) => {
  const n = Math.floor(i / perAddress);
  return `127.0.${10 + (n >> 8)}.${(n & 255) + 1}`;
};
/**
 * For rows whose setup opens `spread`'s 200 connections an address at once: past the default burst of new
 * connections (128) their setup would be refused. What the row attacks is not that limit, and with 100 an
 * address, twice the addresses would get twice the per-address shares: not the attack of earlier sets.
 */
const SPREAD_SETUP = ['--new-connections-burst-per-address', '200'];

/** What the attack's clients were told: replies by opcode, warnings by text, how they were closed. */
function tallies() {
  const t = { opcodes: new Map(), warnings: new Map(), closes: new Map(), closed: 0 };
  t.bump = (map, key, by = 1) => map.set(key, (map.get(key) ?? 0) + by);
  t.count = (opcode) => t.opcodes.get(opcode) ?? 0;
  return t;
}

/** Counts what `client` receives into `t`; `client.listener(packet)` also sees each packet. */
function watched(client, t) {
  let violation = null;
  client.onText = (text) => {
    const packet = JSON.parse(text);
    t.bump(t.opcodes, packet.opcode);
    if (packet.opcode === 'WARNING') t.bump(t.warnings, String(packet.payload).slice(0, 60));
    if (packet.opcode === 'VIOLATION') violation = String(packet.payload);
    client.listener?.(packet);
  };
  // Closed: by a close frame (not answered, as a hostile client would not), or the socket's end without one.
  const closed = () => {
    if (client.closedAt) return;
    client.closedAt = performance.now();
    t.closed += 1;
    const frame = client.closeFrame;
    t.bump(t.closes, [frame ? frame.code : 'cut (no close frame)', violation ?? frame?.reason].filter(Boolean).join(' '));
    client.gone?.();
  };
  client.onClose = closed;
  client.socket.once('close', closed);
  if (client.closeFrame) closed(); // it came with the upgrade's answer
  return client;
}

/** Sends `packet`; resolves with the first reply `accept` takes, or null if the socket closes or 3 s pass. */
function ask(client, packet, accept) {
  return new Promise((resolve) => {
    const done = (reply) => {
      clearTimeout(timer);
      client.listener = null;
      client.gone = null;
      client.socket.off('close', gone);
      resolve(reply);
    };
    const gone = () => done(null);
    const timer = setTimeout(gone, 3000);
    client.listener = (p) => accept(p) && done(p);
    client.socket.once('close', gone);
    client.gone = gone;
    if (client.closedAt) gone();
    else client.send(JSON.stringify(packet));
  });
}

/** `n` INIT'ed players of `game`, opened 100 at a time, watched into `t`. */
async function players(port, n, game, name, addressOf, t) {
  const all = [];
  for (let i = 0; i < n; i += 100)
    all.push(
      ...(await Promise.all(Array.from({ length: Math.min(100, n - i) }, (_, k) => player(port, `${name}${i + k}`, game, { localAddress: addressOf(i + k) })))),
    );
  if (t) for (const p of all) watched(p.client, t);
  return all;
}

/** One watched player of `game` from `localAddress`; rejects if the upgrade or INIT is refused. */
async function connect(port, username, game, localAddress, t) {
  const client = watched(await open(port, `/?ugi=${game}`, { localAddress }), t);
  const ok = await ask(client, { opcode: 'INIT', payload: { username } }, isOpcode('INIT_OK'));
  if (ok) return client;
  client.close();
  throw new Error(`INIT refused: ${client.closeFrame?.reason ?? 'no answer'}`);
}

/** Runs `tick(elapsedMs)` every `everyMs` for `seconds` (or until it returns false). */
async function during(seconds, everyMs, tick) {
  const started = performance.now();
  while (performance.now() - started < seconds * 1000) {
    if (tick(performance.now() - started) === false) return;
    await sleep(everyMs);
  }
}

/** Writes `frame` to open `clients` at `perSecond` in all, skipping any whose socket holds ≥ 64 KiB unsent. */
async function flood(clients, frame, perSecond, seconds) {
  let sent = 0;
  await during(seconds, 10, (elapsed) => {
    const open = clients().filter((c) => isOpen(c) && c.socket.writableLength < 65536);
    for (let due = Math.floor((elapsed / 1000) * perSecond); sent < due && open.length; sent += 1) open[sent % open.length].write(frame);
  });
  return sent;
}

const rate = (n, seconds) => `${Math.round(n / seconds).toLocaleString('en')}/s`;
const closesText = (t, of) =>
  t.closed === 0 ? 'no' : `${t.closed}${of ? `/${of}` : ''} closed: ${[...t.closes].map(([why, n]) => `${why} ×${n}`).join('; ')}`;
const isOpen = (client) => !client.closedAt && !client.socket.destroyed;
/** Of closed `clients`, how many still hold their TCP connection (the server waits for a close handshake they never answer). */
const lingering = (clients) => {
  const n = clients.filter((c) => c.closedAt && !c.socket.destroyed).length;
  return n ? `; ${n} TCP connections still open (close handshake not answered)` : '';
};
const warningsText = (t) => [...t.warnings].map(([text, n]) => `"${text}" ×${n}`).join('; ');

/** `player.cut` (and other warn-level events) the server logged during a row, by reason. */
function serverEvents(output) {
  const events = new Map();
  let partial = '';
  output.on('data', (chunk) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop();
    for (const line of lines) {
      const event = line.match(/"event":"([^"]+)"/)?.[1];
      if (!event) continue;
      const why = line.match(/"why":"([^"]+)"/)?.[1];
      const key = why ? `${event}: ${why}` : event;
      events.set(key, (events.get(key) ?? 0) + 1);
    }
  });
  return events;
}
const cutsText = (events) =>
  [...events]
    .filter(([key]) => key.startsWith('player.cut'))
    .map(([key, n]) => `${key.slice('player.cut: '.length)} ×${n}`)
    .join('; ');

// --- the attacks: setup(server) → state; run(server, state) → { achieved, cut } -----------------------

async function idleRow() {
  await sleep(Number(flags['idle-seconds']) * 1000);
  return { achieved: '—', cut: '—' };
}

/** Keeps `cores` cores busy for `seconds` in processes of their own that never touch the server (the control rows). */
async function hog(cores, seconds) {
  const spin = `const end = Date.now() + ${seconds * 1000}; while (Date.now() < end) {}`;
  const hogs = Array.from({ length: cores }, () => notAttacker(() => spawn(process.execPath, ['-e', spin], { stdio: 'ignore' })));
  await Promise.all(hogs.map((child) => new Promise((resolve) => child.once('exit', resolve))));
  return { achieved: `${cores} core(s) busy for ${seconds} s, nothing sent to the server`, cut: '—' };
}

const lobby = (name, extra = {}) => ({ name, max_players: -1, password: '', locked: false, enable_relay: false, ...extra });

const attacks = [
  // Longer than a row, so that the baseline's p99 is this machine's, not one quiet moment's.
  { name: 'idle', what: `nothing: the bystander alone, for ${flags['idle-seconds']} s`, run: idleRow },
  {
    name: 'idle-password',
    what: `nothing, and the bystander also joins a password lobby of its game every 1.05 s (the join cooldown is 1 s), for ${flags['idle-seconds']} s`,
    passwordJoins: true,
    run: idleRow,
  },
  // Controls, not attacks (judged, but not counted as misses): nothing reaches the server, only the
  // machine's cores are taken, as an attack's own load generator and the server's extra work take them.
  // What that alone does to the bystander's p99 on this machine, whatever the server does.
  { name: 'cpu-hog', control: true, what: 'control, no attack: one process keeps a core busy and sends nothing', run: () => hog(1, SECONDS) },
  { name: 'cpu-hog-2', control: true, what: 'control, no attack: two processes keep both cores busy and send nothing', run: () => hog(2, SECONDS) },
  {
    name: 'slow-reader',
    what: 'a member that never reads while 8 others send it 60 KB signals (40/s each)',
    async setup(server) {
      const t = tallies();
      const [victim] = await players(server.port, 1, 'slow', 'victim', () => spread(0));
      await ask(watched(victim.client, tallies()), { opcode: 'CREATE_LOBBY', payload: lobby('slow') }, isOpcode('CREATE_ACK'));
      const senders = await players(server.port, 8, 'slow', 'sender', () => spread(1), t);
      for (const s of senders) await ask(s.client, { opcode: 'JOIN_LOBBY', payload: { name: 'slow', password: '' } }, isOpcode('JOIN_ACK'));
      victim.client.socket.pause();
      return { victim, senders };
    },
    async run(server, { victim, senders }) {
      const big = clientFrame(JSON.stringify({ opcode: 'ICE', recipient: victim.id, payload: { type: 0, contents: { candidate: 'x'.repeat(60_000) } } }));
      let cutAt = null;
      const started = performance.now();
      for (const s of senders)
        s.client.listener = (p) => {
          if (p.opcode === 'PEER_LEFT') cutAt ??= performance.now() - started;
        };
      const sent = await flood(() => senders.map((s) => s.client), big, 8 * 40, SECONDS);
      const seconds = (cutAt ?? SECONDS * 1000) / 1000;
      return {
        achieved: `${sent} signals (${((sent * big.length) / MIB).toFixed(0)} MiB) sent in the row; ${cutAt === null ? 'never cut' : `PEER_LEFT after ${seconds.toFixed(2)} s`}`,
        cut: cutsText(server.events) || (cutAt === null ? 'no' : 'left'),
        close: [victim, ...senders],
      };
    },
  },
  {
    name: 'list-lobbies',
    what: '4 non-reading LIST_LOBBIES callers (40/s each) in a game with 1,000 lobbies',
    serverArgs: SPREAD_SETUP,
    async setup(server) {
      const owners = await players(server.port, 1000, 'lists', 'owner', spread, tallies());
      await Promise.all(owners.map((o, i) => ask(o.client, { opcode: 'CREATE_LOBBY', payload: lobby(`lobby-${i}`) }, isOpcode('CREATE_ACK'))));
      const listers = await players(server.port, 4, 'lists', 'lister', () => ATTACKER);
      for (const l of listers) l.client.socket.pause();
      return { owners, listers };
    },
    async run(server, { owners, listers }) {
      const sent = await flood(() => listers.map((l) => l.client), clientFrame('{"opcode":"LIST_LOBBIES"}'), 4 * 40, SECONDS);
      return { achieved: `${rate(sent, SECONDS)} LIST_LOBBIES sent`, cut: cutsText(server.events) || 'no', close: [...owners, ...listers] };
    },
  },
  fragmentAttack('fragments', 17, 'an unfinished ~1 MiB fragmented message (60 KiB fragments)'),
  fragmentAttack('fragments-held', 1, 'one 60 KiB fragment of a message it never finishes (under the 64 KiB limit, so it is held)'),
  {
    name: 'no-init',
    what: `500 sockets that answer pings and send KEEPALIVE every 500 ms but never INIT (server run with --init-deadline ${INIT_DEADLINE})`,
    serverArgs: SPREAD_SETUP,
    async setup(server) {
      const t = tallies();
      const sockets = [];
      for (let i = 0; i < 500; i += 100)
        sockets.push(...(await Promise.all(Array.from({ length: 100 }, (_, k) => open(server.port, '/?ugi=noinit', { localAddress: spread(i + k) })))));
      for (const s of sockets) watched(s, t);
      return { t, sockets, openedAt: performance.now() };
    },
    async run(_server, { t, sockets, openedAt }) {
      await during(SECONDS, 500, () => {
        for (const s of sockets) if (isOpen(s)) s.send('{"opcode":"KEEPALIVE"}');
      });
      const held = summary(sockets.filter((s) => s.closedAt).map((s) => (s.closedAt - openedAt) / 1000));
      return {
        achieved: `held open ${held.n ? `${held.p50.toFixed(1)} s p50, ${held.p99.toFixed(1)} s p99 (from the last one opened)` : 'throughout'}; ${sockets.filter(isOpen).length} not closed`,
        cut: closesText(t, sockets.length) + lingering(sockets),
        close: sockets,
      };
    },
  },
  {
    name: 'connection-flood',
    what: 'one address opens up to 400 connections (20 at a time, before the row), then floods KEEPALIVE through them (20,000/s offered)',
    async setup(server) {
      const t = tallies();
      const clients = [];
      let refused = 0;
      let attempts = 0;
      for (const deadline = performance.now() + 10_000; attempts < 400 && performance.now() < deadline; attempts += 20)
        await Promise.all(
          Array.from({ length: 20 }, (_, k) =>
            connect(server.port, `c${attempts + k}`, 'conflood', ATTACKER, t).then(
              (client) => clients.push(client),
              () => (refused += 1),
            ),
          ),
        );
      return { t, clients, opened: `${clients.length} of ${attempts} connections got INIT_OK (${refused} refused)` };
    },
    async run(_server, { t, clients, opened }) {
      const sent = await flood(() => clients, clientFrame('{"opcode":"KEEPALIVE"}'), 20_000, SECONDS);
      return {
        achieved: `${opened}; ${rate(t.count('KEEPALIVE_ACK'), SECONDS)} KEEPALIVE answered of ${rate(sent, SECONDS)} sent`,
        cut: `${closesText(t)}${t.warnings.size ? `; warnings ${warningsText(t)}` : ''}`,
        close: clients,
      };
    },
  },
  {
    name: 'reconnect-flood',
    what: 'one connection floods KEEPALIVE (20,000/s offered) and reconnects at once whenever it is closed',
    async run(server) {
      const t = tallies();
      let current = null;
      let connections = 0;
      const sent = await (async () => {
        let sent = 0;
        await during(SECONDS, 10, () => {
          if (current === 'connecting') return;
          if (!current || !isOpen(current)) {
            current?.close();
            current = 'connecting';
            connections += 1;
            connect(server.port, `flooder${connections}`, 'reflood', ATTACKER, t).then(
              (client) => (current = client),
              () => (current = null),
            );
            return;
          }
          if (current.socket.writableLength > 65536) return;
          for (let k = 0; k < 200; k += 1) current.write(clientFrame('{"opcode":"KEEPALIVE"}'));
          sent += 200;
        });
        return sent;
      })();
      return {
        achieved: `${connections} connections; ${rate(t.count('KEEPALIVE_ACK'), SECONDS)} KEEPALIVE answered of ${rate(sent, SECONDS)} sent`,
        cut: `${closesText(t)}${t.warnings.size ? `; warnings ${warningsText(t)}` : ''}`,
        close: current?.socket ? [current] : [],
      };
    },
  },
  {
    name: 'http-flood',
    what: 'one address asks for the status page over 8 connections as fast as it is answered (a game with 1,000 lobbies), reconnecting whenever a connection is closed',
    serverArgs: SPREAD_SETUP,
    async setup(server) {
      const owners = await players(server.port, 1000, 'statuspage', 'owner', spread, tallies());
      await Promise.all(owners.map((o, i) => ask(o.client, { opcode: 'CREATE_LOBBY', payload: lobby(`lobby-${i}`) }, isOpcode('CREATE_ACK'))));
      return { owners };
    },
    async run(server, { owners }) {
      const agent = new HttpAgent({ keepAlive: true, maxSockets: 8, localAddress: ATTACKER });
      const answers = new Map();
      const count = (key) => answers.set(key, (answers.get(key) ?? 0) + 1);
      const end = performance.now() + SECONDS * 1000;
      const get = () =>
        new Promise((resolve) => {
          const req = httpGet({ host: '127.0.0.1', port: server.port, path: '/', agent }, (res) => {
            count(res.statusCode);
            res.resume().on('end', resolve);
          });
          req.on('error', (error) => {
            count(error.code ?? 'error');
            resolve();
          });
        });
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          while (performance.now() < end) await get();
        }),
      );
      agent.destroy();
      const asked = [...answers.values()].reduce((a, b) => a + b, 0);
      return {
        achieved: `${rate(answers.get(200) ?? 0, SECONDS)} pages served of ${rate(asked, SECONDS)} asked`,
        cut: [...answers].map(([key, n]) => `${key} ×${n}`).join('; '),
        close: owners,
      };
    },
  },
  {
    name: 'create-flood',
    what: `10 connections of one address create and leave lobbies in a loop, with ${Number(flags['idle-players']).toLocaleString('en')} idle players in the game`,
    serverArgs: SPREAD_SETUP,
    async setup(server) {
      const idle = await players(server.port, Number(flags['idle-players']), 'fanout', 'idle', spread);
      const heard = { newLobby: 0 };
      for (const p of idle)
        p.client.onText = (text) => {
          if (text.includes('"NEW_LOBBY"')) heard.newLobby += 1;
        };
      const t = tallies();
      const flooders = await players(server.port, 10, 'fanout', 'flooder', () => ATTACKER, t);
      return { idle, flooders, heard, t };
    },
    async run(server, { idle, flooders, heard, t }) {
      let creates = 0;
      const cpuBefore = cpuSeconds(server.pid);
      const deadline = performance.now() + SECONDS * 1000;
      await Promise.all(
        flooders.map(async ({ client }, w) => {
          for (let n = 0; performance.now() < deadline && isOpen(client); n += 1) {
            const created = await ask(
              client,
              { opcode: 'CREATE_LOBBY', payload: lobby(`flood-${w}-${n}`) },
              (p) => p.opcode === 'CREATE_ACK' || p.opcode === 'WARNING',
            );
            if (created?.payload === 'ok') {
              creates += 1;
              await ask(client, { opcode: 'LEAVE_LOBBY' }, (p) => p.opcode === 'LEAVE_ACK' || p.opcode === 'WARNING');
            } else await sleep(20);
          }
        }),
      );
      const cpu = cpuSeconds(server.pid) - cpuBefore;
      await sleep(1000); // NEW_LOBBY still coalescing or on its way
      return {
        achieved: `${rate(creates, SECONDS)} creates; ${rate(heard.newLobby, SECONDS + 1)} NEW_LOBBY to idle players; server CPU ${((cpu / Math.max(creates, 1)) * 1000).toFixed(2)} ms per create`,
        cut: `${closesText(t)}${t.warnings.size ? `; warnings ${warningsText(t)}` : ''}`,
        close: [...idle, ...flooders],
      };
    },
  },
  {
    name: 'join-churn',
    what: 'one player joins and leaves an open lobby of 3 honest members 5 times a second; each member answers a newcomer as a mesh member would (MAKE_OFFER + 4 ICE)',
    async setup(server) {
      const honestTally = tallies();
      const honest = await players(server.port, 3, 'churn', 'honest', () => spread(0), honestTally);
      await ask(honest[0].client, { opcode: 'CREATE_LOBBY', payload: lobby('open') }, isOpcode('CREATE_ACK'));
      for (const h of honest.slice(1)) await ask(h.client, { opcode: 'JOIN_LOBBY', payload: { name: 'open', password: '' } }, isOpcode('JOIN_ACK'));
      for (const h of honest)
        h.client.listener = (p) => {
          if (p.opcode !== 'NEW_PEER' && p.opcode !== 'PEER_JOIN') return;
          const to = p.payload.instance_id;
          h.client.send(JSON.stringify({ opcode: 'MAKE_OFFER', recipient: to, payload: { type: 0, contents: { type: 'offer', sdp: SDP } } }));
          for (let k = 0; k < 4; k += 1) h.client.send(JSON.stringify({ opcode: 'ICE', recipient: to, payload: { type: 0, contents: { candidate: SDP } } }));
        };
      const t = tallies();
      const [churner] = await players(server.port, 1, 'churn', 'churner', () => ATTACKER, t);
      return { honest, honestTally, churner, t };
    },
    async run(_server, { honest, honestTally, churner, t }) {
      let joins = 0;
      let attempts = 0;
      const started = performance.now();
      for (let n = 0; performance.now() - started < SECONDS * 1000 && isOpen(churner.client); n += 1) {
        await sleep(Math.max(0, n * 200 - (performance.now() - started)));
        attempts += 1;
        const joined = await ask(churner.client, { opcode: 'JOIN_LOBBY', payload: { name: 'open', password: '' } }, isOpcode('JOIN_ACK'));
        if (joined?.payload !== 'ok') continue;
        joins += 1;
        await sleep(100);
        await ask(churner.client, { opcode: 'LEAVE_LOBBY' }, isOpcode('LEAVE_ACK'));
      }
      return {
        achieved: `${joins} of ${attempts} joins accepted (${rate(joins, SECONDS)}); churner warned: ${warningsText(t) || 'no'}`,
        cut: `honest members: ${closesText(honestTally, honest.length)}${honestTally.warnings.size ? `, warned ${warningsText(honestTally)}` : ', not warned'}; churner: ${closesText(t)}`,
        close: [...honest, churner],
      };
    },
  },
  {
    name: 'relay-offers',
    what: `20 members of a relay lobby (each its own address) send the relay peer offers it cannot complete, ${flags['relay-offers']}/s each`,
    async setup(server) {
      const [host] = await players(server.port, 1, 'relayoffers', 'host', () => spread(0), tallies());
      const relayId = new Promise((resolve) => (host.client.listener = (p) => p.opcode === 'RELAY' && resolve(p.payload)));
      host.client.send(JSON.stringify({ opcode: 'CREATE_LOBBY', payload: lobby('relay', { enable_relay: true }) }));
      const relay = await Promise.race([relayId, sleep(10_000).then(() => Promise.reject(new Error('no RELAY: is @roamhq/wrtc installed?')))]);
      const t = tallies();
      const members = await players(server.port, 20, 'relayoffers', 'member', (i) => spread(i + 1, 1), t);
      for (const m of members) await ask(m.client, { opcode: 'JOIN_LOBBY', payload: { name: 'relay', password: '' } }, isOpcode('JOIN_ACK'));
      return { relay, host, members, t, sdp: await unanswerableOffer() };
    },
    async run(server, { relay, host, members, t, sdp }) {
      const fdsBefore = openFds(server.pid);
      let fdsPeak = fdsBefore;
      const offer = clientFrame(JSON.stringify({ opcode: 'MAKE_OFFER', recipient: relay, payload: { type: 0, contents: { type: 'offer', sdp } } }));
      const fdSampler = setInterval(() => (fdsPeak = Math.max(fdsPeak, openFds(server.pid))), 100);
      const sent = await flood(() => members.map((m) => m.client), offer, 20 * Number(flags['relay-offers']), SECONDS);
      clearInterval(fdSampler);
      return {
        achieved: `${rate(sent, SECONDS)} offers sent, ${rate(t.count('MAKE_ANSWER'), SECONDS)} answered; fds ${fdsBefore} → ${fdsPeak} peak`,
        cut: `${closesText(t)}${t.warnings.size ? `; warnings ${warningsText(t)}` : ''}`,
        close: [host, ...members],
      };
    },
  },
  {
    name: 'relay-data',
    what: 'a member of a relay lobby floods the relay peer with 8 KiB broadcasts (~9 MiB/s offered) to one other member (WebRTC, @roamhq/wrtc)',
    async setup(server) {
      const [{ default: wrtc }, { default: WebSocket }, { CloudLinkClient }] = await Promise.all([
        import('@roamhq/wrtc'),
        import('ws'),
        (await import('../scripts/import-ts.mjs')).importTs('bench/lib/relay-entry.ts'),
      ]);
      const url = `ws://127.0.0.1:${server.port}/`;
      const [sender, receiver] = [new CloudLinkClient({ WebSocket, wrtc, keepaliveMs: 0 }), new CloudLinkClient({ WebSocket, wrtc, keepaliveMs: 0 })];
      await sender.connect({ url, username: 'sender', ugi: 'relaydata' });
      await receiver.connect({ url, username: 'receiver', ugi: 'relaydata' });
      await sender.createLobby({ name: 'flood', enableRelay: true });
      await receiver.joinLobby('flood');
      const deadline = performance.now() + 20_000;
      while (!(sender.isPeerConnected(receiver.myId) && receiver.isPeerConnected(sender.myId))) {
        if (performance.now() > deadline) throw new Error('the relay links did not open');
        await sleep(20);
      }
      const got = { bytes: 0 };
      receiver.on('message', (message) => (got.bytes += String(message.payload).length));
      return { sender, receiver, got };
    },
    async run(_server, { sender, receiver, got }) {
      const chunk = 'r'.repeat(8 * 1024);
      let offered = 0;
      let refused = 0;
      await during(SECONDS, 10, (elapsed) => {
        for (let due = (elapsed / 1000) * 9 * MIB; offered + refused * chunk.length < due; ) {
          try {
            sender.broadcast(chunk);
            offered += chunk.length;
          } catch {
            refused += 1; // not sent: counted so the offered rate stays 9 MiB/s
          }
        }
      });
      await sleep(500);
      return {
        achieved: `${(offered / MIB / SECONDS).toFixed(1)} MiB/s offered, ${(got.bytes / MIB / SECONDS).toFixed(1)} MiB/s delivered through the relay${refused ? `, ${refused} sends refused` : ''}`,
        cut: sender.connected === false ? 'sender disconnected' : 'no',
        disconnect: () => {
          sender.disconnect();
          receiver.disconnect();
        },
      };
    },
  },
  passwordAttack('password-brute', 'default guard', []),
  passwordAttack('password-brute-unguarded', 'guard lifted (every guess reaches scrypt)', [
    '--password-guesses-per-lobby',
    '1000000000',
    '--password-guesses-per-address',
    '1000000000',
  ]),
  passwordAttack('password-brute-spread', 'default guard', [], { lobbies: 8, perLobby: 8 }),
];

/**
 * `perLobby` guessers, each from an address of its own, try wrong passwords on each of `lobbies` lobbies, 20/s
 * each; the bystander joins its own password lobby meanwhile.
 */
function passwordAttack(name, guard, serverArgs, { lobbies = 1, perLobby = 10 } = {}) {
  const vaults = Array.from({ length: lobbies }, (_, i) => (lobbies === 1 ? 'vault' : `vault${i}`));
  const where = lobbies === 1 ? 'one lobby' : `each of ${lobbies} lobbies`;
  return {
    name,
    what: `for ${flags['password-seconds']} s, ${perLobby} guessers (${perLobby} addresses) try wrong passwords on ${where}, 20/s each, not waiting for answers; ${guard}`,
    passwordJoins: true,
    serverArgs,
    async setup(server) {
      const hostTally = tallies();
      const hosts = await players(server.port, lobbies, 'vault', 'host', () => spread(0), hostTally);
      for (const [i, { client }] of hosts.entries())
        await ask(client, { opcode: 'CREATE_LOBBY', payload: lobby(vaults[i], { password: 'not in any dictionary' }) }, isOpcode('CREATE_ACK'));
      const t = tallies();
      const guessers = await players(server.port, lobbies * perLobby, 'vault', 'guesser', (i) => spread(i + 1, 1), t);
      return { hosts, hostTally, t, guessers };
    },
    async run(_server, { hosts, hostTally, t, guessers }) {
      // Pipelined, 20/s each: replies are not waited for (the server answers a connection's requests in order).
      const seconds = Number(flags['password-seconds']);
      const sentBy = guessers.map(() => 0);
      await during(seconds, 50, (elapsed) => {
        for (const [g, { client }] of guessers.entries()) {
          const name = vaults[Math.floor(g / perLobby)];
          for (; sentBy[g] < Math.floor((elapsed / 1000) * 20) && isOpen(client); sentBy[g] += 1)
            client.send(JSON.stringify({ opcode: 'JOIN_LOBBY', payload: { name, password: `guess-${g}-${sentBy[g]}` } }));
        }
      });
      const sent = sentBy.reduce((a, b) => a + b, 0);
      await sleep(1000); // the answers to the last ones
      const answered = t.count('JOIN_ACK');
      const refused = [...t.warnings].filter(([text]) => text.startsWith('too many wrong passwords')).reduce((n, [, k]) => n + k, 0);
      const perMinute = (n) => `${Math.round((n / seconds) * 60).toLocaleString('en')}/min`;
      return {
        achieved: `in ${seconds} s: ${sent} guesses sent, ${answered} answered, ${answered - refused} checked (${perMinute(answered - refused)}); host told: ${hostTally.warnings.size ? 'yes' : 'no'}`,
        cut: closesText(t),
        close: [...hosts, ...guessers],
      };
    },
  };
}

/** Many INIT'ed connections each write `fragments` 60 KiB fragments of a text message they never finish. */
function fragmentAttack(name, fragments, what) {
  const connections = Number(flags.fragments);
  return {
    name,
    what: `${connections.toLocaleString('en')} INIT'ed connections (200 an address) each write ${what}`,
    serverArgs: SPREAD_SETUP,
    async setup(server) {
      const t = tallies();
      return { t, holders: await players(server.port, connections, 'frag', 'holder', spread, t) };
    },
    async run(_server, { t, holders }) {
      const fragment = Buffer.alloc(60 * 1024, 'a');
      const written = [];
      const write = (client, first) => new Promise((resolve) => client.socket.write(unfinishedFragment(fragment, first), (error) => resolve(!error)));
      const writing = Promise.all(
        holders.map(async ({ client }) => {
          let bytes = 0;
          for (let k = 0; k < fragments && isOpen(client); k += 1) if (await write(client, k === 0)) bytes += fragment.length;
          written.push(bytes);
        }),
      );
      await Promise.all([sleep(SECONDS * 1000), Promise.race([writing, sleep(SECONDS * 1000)])]);
      const open = holders.filter((h) => isOpen(h.client)).length;
      return {
        achieved: `${(summary(written).p50 / 1024).toFixed(0)} KiB handed to the socket per connection (p50); ${open} connections still open at the end`,
        cut: closesText(t, holders.length) + lingering(holders.map((h) => h.client)),
        close: holders,
      };
    },
  };
}

/** A real WebRTC offer whose ICE can never complete (no candidates): the relay peer answers it and then waits. */
async function unanswerableOffer() {
  const { default: wrtc } = await import('@roamhq/wrtc');
  const pc = new wrtc.RTCPeerConnection({ iceServers: [] });
  pc.createDataChannel('default');
  const offer = await pc.createOffer();
  pc.close();
  return offer.sdp;
}

// --- running a row -----------------------------------------------------------------------------------

/** The bystander's process: start({ passwordJoins }) and stop() → its summaries; alone(seconds, options) does both around a wait. */
async function startBystander(port) {
  const child = notAttacker(() =>
    fork(new URL('./lib/bystander.mjs', import.meta.url), [String(port), BYSTANDER], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] }),
  );
  pinTo(CLIENT_CPUS, child.pid);
  const reply = () =>
    new Promise((resolve, reject) => {
      const exited = (code) => reject(new Error(`the bystander exited with ${code}`));
      child.once('exit', exited);
      child.once('message', (message) => {
        child.off('exit', exited);
        resolve(message);
      });
    });
  await reply();
  const start = (options) => child.send({ start: options });
  const stop = () => {
    const summaries = reply();
    child.send({ stop: true });
    return summaries;
  };
  return {
    pid: child.pid,
    start,
    stop,
    alone: async (seconds, options) => {
      start(options);
      await sleep(seconds * 1000);
      return stop();
    },
    kill: () => (child.connected ? child.disconnect() : child.kill()),
  };
}

/** How long the main threads of `pids` have waited for a core since now, each in ms per second of the span. */
function waitMeter(pids) {
  const started = performance.now();
  const before = pids.map((pid) => runQueueWaitMs(pid));
  return () => pids.map((pid, i) => (runQueueWaitMs(pid) - before[i]) / ((performance.now() - started) / 1000));
}

/** Samples the server's RSS and threads every 100 ms: before (now), and the peak so far. */
function sampler(pid) {
  const before = procStatus(pid);
  const peak = { ...before };
  const timer = setInterval(() => {
    try {
      const now = procStatus(pid);
      peak.rss = Math.max(peak.rss, now.rss);
      peak.threads = Math.max(peak.threads, now.threads);
    } catch {} // the server is gone: the row reports it
  }, 100);
  return { before, peak, stop: () => clearInterval(timer) };
}

/** RSS once it has moved less than 1 MiB in the last second, or after `settle` seconds. */
async function settledRss(pid) {
  const samples = [procStatus(pid).rss];
  const deadline = performance.now() + Number(flags.settle) * 1000;
  while (performance.now() < deadline) {
    await sleep(250);
    samples.push(procStatus(pid).rss);
    const recent = samples.slice(-5);
    if (recent.length === 5 && Math.max(...recent) - Math.min(...recent) < MIB) break;
  }
  return samples.at(-1);
}

const running = new Set();

/** CL5_MARKS=file: each attack's start and end (CLOCK_MONOTONIC ns, as process.hrtime) appended, to line up with a profile of the server. */
const mark = (what) => process.env.CL5_MARKS && appendFileSync(process.env.CL5_MARKS, `${process.hrtime.bigint()} ${what}\n`);

async function runRow(attack) {
  // The server's process is spawned before startCl5 first awaits: at nice 0.
  const server = await notAttacker(() => startCl5(['--init-deadline', String(INIT_DEADLINE), ...(attack.serverArgs ?? [])], { defaultLimits: true }));
  running.add(server);
  pinTo(SERVER_CPUS, server.pid);
  server.events = serverEvents(server.output);
  let bystander = null;
  let outcome = null;
  try {
    bystander = await startBystander(server.port);
    // A server runs for days; a fresh one spends its first seconds tiering up its hot functions (TurboFan,
    // compiling on another thread, which the main thread can wait behind for a core) and, ~8 s after start,
    // runs V8's memory reducer: a few full collections of 2–8 ms. Neither is the attack's doing, and both
    // fell in the attack's window: the bystander drives the server past them (its samples discarded) before
    // the row's setup, so that what the setup holds open (stuck offers, sockets that never INIT) meets the
    // attack as fresh as before.
    // Keepalives only: 20 s more of honest joins would spend the joiner's lobby-change budget.
    if (WARMUP_SECONDS > 0) await bystander.alone(WARMUP_SECONDS, { passwordJoins: false });
    const state = attack.setup ? await attack.setup(server) : {};
    await sleep(500);
    // The bystander alone just before the attack, at this minute's load, doing what it does during the
    // attack (its own password joins too): what the row is judged against.
    const passwordJoins = Boolean(attack.passwordJoins);
    let quiet = null;
    let stealBefore = NaN;
    let waitedBefore = null;
    const mainThreads = [server.pid, bystander.pid];
    if (!attack.name.startsWith('idle')) {
      const steal = stealMeter();
      const waited = waitMeter(mainThreads);
      mark(`${attack.name} ${server.pid} baseline`);
      quiet = (await bystander.alone(Number(flags['baseline-seconds']), { passwordJoins })).keepalive;
      stealBefore = steal();
      waitedBefore = waited();
    }
    const memory = sampler(server.pid);
    const cpuBefore = cpuSeconds(server.pid);
    const generatorBefore = ownAndReapedCpuSeconds();
    const faultsBefore = minorFaults(server.pid);
    const started = performance.now();
    mark(`${attack.name} ${server.pid} start`);
    const steal = stealMeter();
    const waited = waitMeter(mainThreads);
    bystander.start({ passwordJoins });
    outcome = await attack.run(server, state);
    mark(`${attack.name} ${server.pid} end`);
    const seen = await bystander.stop();
    const stealDuring = steal();
    const waitedDuring = waited();
    const elapsed = (performance.now() - started) / 1000;
    const cpu = (cpuSeconds(server.pid) - cpuBefore) / elapsed;
    // The attack's own load generator (this process, and the hog rows' spinners): on this 2-core machine what
    // it takes, a remote attacker would not.
    const generatorCpu = (ownAndReapedCpuSeconds() - generatorBefore) / elapsed;
    const faults = minorFaults(server.pid) - faultsBefore;
    for (const p of outcome.close ?? []) (p.client ?? p).close(); // players or bare sockets
    outcome.disconnect?.();
    const after = await settledRss(server.pid);
    memory.stop();
    return {
      attack,
      before: memory.before,
      peak: memory.peak,
      after,
      seen,
      quiet,
      cpu,
      generatorCpu,
      faults,
      load: loadavg()[0],
      stealBefore,
      stealDuring,
      waitedBefore,
      waitedDuring,
      ...outcome,
    };
  } finally {
    bystander?.kill();
    await server.stop();
    running.delete(server);
  }
}

/** Ctrl-C or a failure outside a row: stop every server still running, then exit. */
const abort = (code) => async (error) => {
  if (error instanceof Error) console.error(error);
  await Promise.all([...running].map((server) => server.stop()));
  process.exit(code);
};
process.once('SIGINT', abort(130));
process.once('unhandledRejection', abort(1));
process.once('uncaughtException', abort(1));

// --- the table -----------------------------------------------------------------------------------------

const mib = (bytes) => (bytes / MIB).toFixed(0);
const percent = (share) => `${(share * 100).toFixed(0)} %`;
const chosen = flags.only ? flags.only.split(',') : null;
const unknown = chosen?.filter((name) => !attacks.some((attack) => attack.name === name)) ?? [];
if (unknown.length) {
  console.error(`no such attack: ${unknown.join(', ')} (there are: ${attacks.map((attack) => attack.name).join(', ')})`);
  process.exit(2);
}
/** Every row of every run, in order; each with its run. */
const rows = [];
try {
  for (let run = 1; run <= RUNS; run += 1)
    for (const attack of attacks) {
      const needed = attack.name === 'idle' || (attack.name === 'idle-password' && chosen?.some((name) => name.startsWith('password')));
      if (chosen && !needed && !chosen.includes(attack.name)) continue;
      process.stderr.write(`${RUNS > 1 ? `run ${run}: ` : ''}${attack.name}…\n`);
      try {
        rows.push({ run, ...(await runRow(attack)) });
      } catch (error) {
        rows.push({ run, attack, error: error.message });
      }
    }
} finally {
  await Promise.all([...running].map((server) => server.stop()));
}

/** What a row's figures say against the targets (null for the idle rows, which are baselines). */
function judged(r, idle) {
  if (r.error || r.attack.name.startsWith('idle')) return null;
  return {
    grown: r.peak.rss - r.before.rss,
    rssOk: r.peak.rss - r.before.rss <= RSS_TARGET,
    // Against the bystander's p99 alone just before the attack (same server, same load), and the idle row's.
    ratio: r.seen.keepalive.p99 / r.quiet.p99,
    p99OkIdle: r.seen.keepalive.p99 <= 2 * idle.seen.keepalive.p99,
  };
}

console.log(
  `Abuse: each attack ${SECONDS} s (password rows ${flags['password-seconds']} s) against a fresh server (default limits, ` +
    `--init-deadline ${INIT_DEADLINE}), clients on 127.0.0.0/8, Node ${process.versions.node}; load = the machine's 1-minute load average after the row; steal = CPU time the host gave to other guests during the attack (and the bystander's window just before); ` +
    `waited = how long the server's and the bystander's main threads were ready to run but waited for a core, ms per second (just before); control rows send nothing to the server and are not counted as misses` +
    (ATTACKER_NICE === 0 ? '' : `; the attackers ran at nice ${ATTACKER_NICE}, the server, the bystander and the controls' spinners at 0`) +
    (flags.pin ? `; pinned: the server on CPU ${SERVER_CPUS}, every client (the attackers, the bystander, the controls' spinners) on CPU ${CLIENT_CPUS}` : ''),
);
let failures = 0;
for (let run = 1; run <= RUNS; run += 1) {
  const ran = rows.filter((r) => r.run === run);
  const idle = ran.find((r) => r.attack.name === 'idle');
  const idlePassword = ran.find((r) => r.attack.name === 'idle-password')?.seen?.passwordJoin;
  if (RUNS > 1) console.log(`\nRun ${run} of ${RUNS}:`);
  console.log(
    '| attack | RSS before / peak / after (MiB) | peak − before | bystander keepalive p50 / p99 (alone just before the attack) | server CPU (share of a core; minor page faults); load generator CPU | load; steal (just before); waited, server + bystander (just before) | attacker achieved | cut off | RSS ≤ +64 MiB | p99 ≤ 2× just before |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const r of ran) {
    if (r.error) {
      failures += 1;
      console.log(`| ${r.attack.name} | error: ${r.error} | | | | | | | FAIL | FAIL |`);
      continue;
    }
    const verdicts = judged(r, idle);
    const baseline = verdicts === null;
    const p99Ok = verdicts?.ratio <= 2;
    if (RUNS === 1 && !baseline && !r.attack.control && (!verdicts.rssOk || !p99Ok)) failures += 1;
    const verdict = (ok) => (baseline ? '—' : ok ? 'pass' : 'FAIL');
    const quiet = r.quiet ? ` (just before: ${r.quiet.p50.toFixed(2)} / ${r.quiet.p99.toFixed(2)})` : '';
    const joins = r.seen.passwordJoin
      ? `; honest password join p50 / p99 ${r.seen.passwordJoin.p50.toFixed(0)} / ${r.seen.passwordJoin.p99.toFixed(0)} ms${r.seen.passwordJoin.lost ? ` (${r.seen.passwordJoin.lost} unanswered)` : ''}`
      : '';
    const lost = r.seen.lost ? ` (${r.seen.lost} lost)` : '';
    const threads = r.peak.threads > r.before.threads + 2 ? `; threads ${r.before.threads} → ${r.peak.threads}` : '';
    const waits = (pair) => pair.map((ms) => ms.toFixed(0)).join(' + ');
    const waited = `${waits(r.waitedDuring)} ms/s${r.waitedBefore ? ` (${waits(r.waitedBefore)})` : ''}`;
    console.log(
      `| ${r.attack.name} | ${mib(r.before.rss)} / ${mib(r.peak.rss)} / ${mib(r.after)} | +${mib(r.peak.rss - r.before.rss)} | ` +
        `${r.seen.keepalive.p50.toFixed(2)} / ${r.seen.keepalive.p99.toFixed(2)} ms${lost}${quiet} | ${(r.cpu * 100).toFixed(0)} % (${r.faults.toLocaleString('en')} faults); ${(r.generatorCpu * 100).toFixed(0)} % | ${r.load.toFixed(1)}; ${percent(r.stealDuring)}${r.quiet ? ` (${percent(r.stealBefore)})` : ''}; ${waited} | ` +
        `${r.achieved}${joins}${threads} | ${r.cut} | ${verdict(verdicts?.rssOk)} | ${baseline ? '—' : `${verdict(p99Ok)} (vs idle row: ${verdict(verdicts.p99OkIdle)})`} |`,
    );
  }
  if (idlePassword) console.log(`(idle honest password join p50 / p99: ${idlePassword.p50.toFixed(0)} / ${idlePassword.p99.toFixed(0)} ms)`);
}

if (RUNS > 1) {
  // Each row over the runs: RSS must hold in every run; the p99 ratio is judged on its median.
  const spread = (values, format) => {
    const sorted = [...values].sort((a, b) => a - b);
    return [sorted[0], sorted[Math.floor((sorted.length - 1) / 2)], sorted.at(-1)].map(format).join(' / ');
  };
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)];
  console.log(`\nOver the ${RUNS} runs (min / median / max):`);
  console.log(
    '| attack | peak − before (MiB) | bystander p99 (ms) | just before (ms) | p99 ÷ just before | steal during | waited for a core, server + bystander (ms/s; just before) | CPU, server; load generator (share of a core) | RSS ≤ +64 MiB in every run | median p99 ≤ 2× just before |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const attack of attacks) {
    const of = rows.filter((r) => r.attack === attack && !r.error && !attack.name.startsWith('idle'));
    if (of.length === 0) continue;
    const verdicts = of.map((r) =>
      judged(
        r,
        rows.find((i) => i.run === r.run && i.attack.name === 'idle'),
      ),
    );
    const rssOk = verdicts.every((v) => v.rssOk) && of.length === RUNS;
    const p99Ok = median(verdicts.map((v) => v.ratio)) <= 2;
    if (!attack.control && (!rssOk || !p99Ok)) failures += 1;
    const waitSum = (pair) => pair[0] + pair[1];
    console.log(
      `| ${attack.name} | ${spread(
        verdicts.map((v) => v.grown),
        (b) => `+${mib(b)}`,
      )} | ${spread(
        of.map((r) => r.seen.keepalive.p99),
        (ms) => ms.toFixed(2),
      )} | ${spread(
        of.map((r) => r.quiet.p99),
        (ms) => ms.toFixed(2),
      )} | ${spread(
        verdicts.map((v) => v.ratio),
        (x) => x.toFixed(1),
      )} | ${spread(
        of.map((r) => r.stealDuring),
        percent,
      )} | ${spread(
        of.map((r) => waitSum(r.waitedDuring)),
        (ms) => ms.toFixed(0),
      )} (${spread(
        of.map((r) => waitSum(r.waitedBefore)),
        (ms) => ms.toFixed(0),
      )}) | ${spread(
        of.map((r) => r.cpu),
        percent,
      )}; ${spread(
        of.map((r) => r.generatorCpu),
        percent,
      )} | ${rssOk ? 'pass' : 'FAIL'} | ${p99Ok ? 'pass' : 'FAIL'}${attack.control ? ' (control)' : ''} |`,
    );
  }
}
console.log('\nWhat each row does:');
for (const attack of attacks) if (rows.some((r) => r.attack === attack)) console.log(`- ${attack.name}: ${attack.what}`);
console.log(`\n${failures === 0 ? 'All targets met.' : `${failures} row(s) missed a target.`}`);
process.exit(0);
