// Does tearing down @roamhq/wrtc links crash the process? (The vitest worker that died in the mesh
// tests: WonderInventions/node-webrtc#35.) Forks --runs child processes one after another; each builds
// --rounds full meshes of --players (our PeerLink, every link end in the child, no ICE server), tears
// each down with --teardown, and exits as a vitest fork does (process.exit right after). The parent
// counts how each child ended: exit 0, another code, or a signal (SIGSEGV, SIGABRT…).
//   --teardown=at-once    every link destroyed in one synchronous loop, plain wrtc, nothing awaited (what the tests did)
//   --teardown=one-by-one links made through nodeWrtc (src/peer/node-wrtc.ts), destroyed one at a time, each
//                         awaited until WebRTC has let go of it (PeerLink.released); with --scenario=lobby, players
//                         closed one at a time, each awaited (test/mesh closes them in one turn, then awaits)
//   --abort-ms=N          destroy within N ms of making the links, open or not (mid-negotiation); 0: once all are open
//   --gc=N                collect garbage N times (one per event-loop turn) after each teardown
//   --gc-interval=N       V8 collects every N allocations (--gc-interval) in the children
//   --starve              WebRTC's signalling and worker threads run SCHED_IDLE (chrt -i): a loaded machine at its worst,
//                         where they answer long after the JavaScript thread has moved on
//   --scenario=lobby      players as in test/mesh (real server, Session, Mesh) instead of bare PeerLinks
//   --hogs=N              N busy-looping processes beside it (ended with it)
// Usage: node bench/wrtc-close-stress.mjs [--runs=20] [--players=8] [--rounds=3] [--teardown=at-once|one-by-one]
//        [--abort-ms=0] [--gc=0] [--gc-interval=0] [--starve] [--hogs=0] [--scenario=links|lobby]
import { fork, spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import wrtc from '@roamhq/wrtc';
import { importTs } from '../scripts/import-ts.mjs';

const { values: flags } = parseArgs({
  options: {
    runs: { type: 'string', default: '20' },
    players: { type: 'string', default: '8' },
    rounds: { type: 'string', default: '3' },
    teardown: { type: 'string', default: 'at-once' },
    scenario: { type: 'string', default: 'links' },
    'abort-ms': { type: 'string', default: '0' },
    hogs: { type: 'string', default: '0' },
    gc: { type: 'string', default: '0' },
    'gc-interval': { type: 'string', default: '0' },
    starve: { type: 'boolean', default: false },
    child: { type: 'boolean', default: false },
  },
});

/** How long WebRTC took to let go of each closed link (PeerLink.released), in the child. */
const holds = [];

if (flags.child) await child();
else await parent();

async function parent() {
  const runs = Number(flags.runs);
  // CPU hogs, bounded: they end with this script (killed below) or after an hour at the latest.
  const hogs = Array.from({ length: Number(flags.hogs) }, () =>
    spawn(process.execPath, ['-e', 'const e = Date.now() + 3600e3; while (Date.now() < e) {}'], { stdio: 'ignore' }),
  );
  const ends = new Map();
  /** Per child: [closed connections, median hold, longest hold]. */
  const holdRuns = [];
  const started = Date.now();
  for (let i = 0; i < runs; i += 1) {
    const args = process.argv.slice(2).filter((arg) => !arg.startsWith('--runs') && !arg.startsWith('--hogs'));
    const result = await new Promise((resolve) => {
      const proc = fork(new URL(import.meta.url).pathname, [...args, '--child'], {
        execArgv: ['--expose-gc', ...(Number(flags['gc-interval']) > 0 ? [`--gc-interval=${flags['gc-interval']}`] : [])],
        stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      });
      let stderr = '';
      proc.stderr.on('data', (chunk) => {
        stderr += chunk;
      });
      proc.on('exit', (code, signal) => resolve({ end: signal ?? `exit ${code}`, stderr }));
    });
    ends.set(result.end, (ends.get(result.end) ?? 0) + 1);
    const held = /holds: (\d+), median ([\d.]+) ms, max ([\d.]+) ms/.exec(result.stderr);
    if (held) holdRuns.push(held.slice(1).map(Number));
    if (result.end !== 'exit 0') console.log(`run ${i + 1}: ${result.end} ${result.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  }
  for (const hog of hogs) hog.kill();
  const crashed = [...ends].filter(([end]) => end !== 'exit 0').reduce((sum, [, n]) => sum + n, 0);
  console.log(
    `teardown=${flags.teardown} abort-ms=${flags['abort-ms']} players=${flags.players} rounds=${flags.rounds} hogs=${flags.hogs}: ` +
      `${runs} runs, ${crashed} crashed (${[...ends].map(([end, n]) => `${end}: ${n}`).join(', ')}) in ${((Date.now() - started) / 1000).toFixed(0)} s`,
  );
  if (holdRuns.length)
    console.log(
      `closed connections held until WebRTC let go: ${holdRuns.reduce((sum, [n]) => sum + n, 0)}; per child median ` +
        `${Math.min(...holdRuns.map(([, m]) => m))}–${Math.max(...holdRuns.map(([, m]) => m))} ms, longest ${Math.max(...holdRuns.map(([, , x]) => x))} ms`,
    );
}

async function child() {
  if (flags.scenario === 'lobby') return lobbyChild();
  const { PeerLink } = await importTs('src/peer/link.ts');
  // one-by-one: connections held until WebRTC has let go of them, as the relay peer's and the test players' are.
  const { nodeWrtc } = await importTs('src/peer/node-wrtc.ts');
  const linkWrtc = flags.teardown === 'one-by-one' ? nodeWrtc(wrtc) : wrtc;
  const players = Number(flags.players);
  const abortMs = Number(flags['abort-ms']);
  for (let round = 0; round < Number(flags.rounds); round += 1) {
    const ends = [];
    const opened = [];
    for (let a = 0; a < players; a += 1)
      for (let b = a + 1; b < players; b += 1) {
        const pair = [];
        const end = (initiator) =>
          new PeerLink({
            peerId: `${a}-${b}-${initiator}`,
            initiator,
            wrtc: linkWrtc,
            config: { iceServers: [] },
            onSignal: (signal) => pair[initiator ? 1 : 0].signal(signal),
          });
        pair.push(end(true), end(false));
        // A named negotiated channel on each link, as the mesh's channel table adds them.
        for (const link of pair) link.once('open', () => link.addChannel('named', 2, true));
        ends.push(...pair);
        opened.push(
          ...pair.map(
            (link) =>
              new Promise((resolve) => {
                link.once('open', resolve);
                link.once('close', resolve);
              }),
          ),
        );
      }
    if (flags.starve) starveWebRtcThreads();
    if (abortMs > 0) await new Promise((resolve) => setTimeout(resolve, abortMs * Math.random()));
    else await Promise.all(opened);
    if (flags.teardown === 'one-by-one') for (const end of ends) await released(end);
    else for (const end of ends) end.destroy();
    // Collect garbage now and then while the closes settle: a finalizer running at a bad moment is one suspect.
    for (let i = 0; i < Number(flags.gc); i += 1) {
      globalThis.gc?.();
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  reportHolds();
  process.exit(0);
}

async function released(link) {
  const started = performance.now();
  link.destroy();
  await link.released;
  holds.push(performance.now() - started);
}
function reportHolds() {
  if (!holds.length) return;
  holds.sort((a, b) => a - b);
  process.stderr.write(`holds: ${holds.length}, median ${holds[holds.length >> 1].toFixed(1)} ms, max ${holds.at(-1).toFixed(1)} ms\n`);
}

/** WebRTC's own threads (named PeerConnectionFactory:…) get CPU only when nothing else wants it. */
function starveWebRtcThreads() {
  for (const task of readdirSync('/proc/self/task'))
    if (readFileSync(`/proc/self/task/${task}/comm`, 'utf8').startsWith('PeerConnection')) spawnSync('chrt', ['-i', '-p', '0', task]);
}

/** As test/mesh/signal-economy.test.ts: a real server on 127.0.0.1, --players join one lobby at once, full mesh, all close. */
async function lobbyChild() {
  const { startServer } = await importTs('src/server/server.ts');
  const { player, fullyMeshed } = await importTs('test/mesh/players.ts');
  const { until } = await importTs('test/helpers/until.ts');
  const { silentLogger } = await importTs('test/helpers/logger.ts');
  for (let round = 0; round < Number(flags.rounds); round += 1) {
    const server = await startServer({ port: 0, logger: silentLogger });
    const players = await Promise.all(Array.from({ length: Number(flags.players) }, (_, i) => player(server.wsUrl, `p${i}`, { relayFallbackMs: 0 })));
    const [host, ...rest] = players;
    await host.session.createLobby({ name: 'all-at-once' });
    await Promise.all(rest.map((p) => p.session.joinLobby('all-at-once')));
    await until(fullyMeshed(players), 'a full mesh', 60_000);
    if (flags.teardown === 'one-by-one') for (const p of players) await p.close();
    else for (const p of players) p.close();
    await server.close();
    for (let i = 0; i < Number(flags.gc); i += 1) {
      globalThis.gc?.();
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  process.exit(0);
}
