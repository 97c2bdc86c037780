// Mesh formation benchmark (issue 17): N players join one lobby at once and every pair links
// directly (Node, @roamhq/wrtc). The players are spread round-robin over 4 processes
// (bench/lib/mesh-players.mjs), the server (dist/server.mjs) runs in its own. Per N and run: the
// first player creates the lobby, then the other N−1 join at the same moment; measured from the
// joins until every player has an open link to every other: the time, the signals per link (every
// MAKE_OFFER, MAKE_ANSWER and ICE a client sent, over N(N−1)/2 links), connect timeouts (each one a
// retried link), TCP candidates sent (should be 0), the server's CPU time, the clients' CPU time, and
// file descriptors and threads per link end (/proc of each player process, after minus before).
// Reported per N as min / median / max over the runs, with the load average.
// With --relay the lobby is a relay lobby: each player links to the server's relay peer (N links, all
// from one address, 127.0.0.1; signals and retries are of the N−1 joiners' links, the host's began at
// its create) and "meshed" means every player reaches every other through it; the
// offers the relay refused as busy are counted (--relay-negotiations=K sets the server's limit of
// links set up at once, and so the address's share, half of it).
// Usage: node bench/mesh.mjs [--runs=3] [--sizes=2,4,8,12,16] [--processes=4] [--timeout=60] [--relay [--relay-negotiations=K]] [--json]
import { fork } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { cpuSeconds, startCl5 } from './lib/processes.mjs';
import { percentile } from './lib/stats.mjs';

const arg = (name, fallback) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback;
const RUNS = Number(arg('runs', 3));
const SIZES = arg('sizes', '2,4,8,12,16').split(',').map(Number);
const PROCESSES = Number(arg('processes', 4));
const TIMEOUT_MS = Number(arg('timeout', 60)) * 1000;
const JSON_OUT = process.argv.includes('--json');
const RELAY = process.argv.includes('--relay');
const RELAY_NEGOTIATIONS = arg('relay-negotiations', null);
const log = JSON_OUT ? () => {} : console.log;

/** Player processes alive now: stopped if this benchmark is interrupted. */
const alive = new Set();

/** A player process: `ask(message)` resolves with its answer (one question at a time), or rejects if the process dies. */
function playerProcess() {
  const child = fork(fileURLToPath(new URL('./lib/mesh-players.mjs', import.meta.url)), { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  alive.add(child);
  let waiting = null;
  let died = null;
  const ready = new Promise((resolve, reject) => (waiting = { resolve, reject }));
  child.on('message', (answer) => {
    const pending = waiting;
    waiting = null;
    pending?.resolve(answer);
  });
  child.on('exit', (code, signal) => {
    alive.delete(child);
    died = new Error(`a player process exited (${signal ?? `code ${code}`})`);
    waiting?.reject(died);
    waiting = null;
  });
  return {
    ready,
    async ask(message) {
      if (died) throw died;
      const answer = await new Promise((resolve, reject) => {
        waiting = { resolve, reject };
        child.send(message);
      });
      if (!answer.ok) throw new Error(answer.error);
      return answer;
    },
    stop: () => child.kill('SIGKILL'),
  };
}

/** One run in fresh player processes (so one run's sockets, threads or crash never touch the next). */
async function freshRun(server, size, index) {
  const processes = Array.from({ length: Math.min(PROCESSES, size) }, playerProcess);
  try {
    await Promise.all(processes.map((p) => p.ready));
    return await run(server, processes, size, index);
  } catch (error) {
    return { complete: false, failed: error.message };
  } finally {
    // Players close cleanly (the server frees their names and seats at once), then the processes go.
    await Promise.all(processes.map((p) => Promise.race([p.ask({ type: 'close' }).catch(() => {}), new Promise((resolve) => setTimeout(resolve, 2000))])));
    for (const p of processes) p.stop();
  }
}

async function run(server, processes, size, index) {
  const lobby = `mesh${size}-${index}`;
  // Player k lives in process k mod P; player 0 (in process 0) hosts.
  const groups = processes.map((_, p) => Array.from({ length: size }, (_, k) => k).filter((k) => k % processes.length === p));
  const before = await Promise.all(
    processes.map((proc, p) => proc.ask({ type: 'init', url: `ws://127.0.0.1:${server.port}/`, names: groups[p].map((k) => `${lobby}-p${k}`) })),
  );
  await processes[0].ask({ type: 'create', lobby, relay: RELAY });
  const serverCpu0 = cpuSeconds(server.pid);
  const load = os.loadavg()[0];
  const startedAt = performance.timeOrigin + performance.now();
  const answers = await Promise.all(processes.map((proc, p) => proc.ask({ type: 'join', lobby, size, host: p === 0, timeoutMs: TIMEOUT_MS })));
  const serverCpu = cpuSeconds(server.pid) - serverCpu0;
  // Through a relay each player has one link, to the relay peer (the host's started at its create, before
  // the counting: the joiners' are counted); in a mesh one per pair.
  const links = RELAY ? size - 1 : (size * (size - 1)) / 2;
  const sum = (pick) => answers.reduce((total, a) => total + pick(a), 0);
  const signals = sum((a) => a.counts.MAKE_OFFER + a.counts.MAKE_ANSWER + a.counts.ICE);
  const linkEnds = RELAY ? size : size * (size - 1);
  return {
    complete: answers.every((a) => a.complete),
    ms: Math.max(...answers.map((a) => a.doneAt)) - startedAt,
    openLinkEnds: sum((a) => a.links),
    signalsPerLink: signals / links,
    offers: sum((a) => a.counts.MAKE_OFFER),
    ice: sum((a) => a.counts.ICE),
    tcpSent: sum((a) => a.counts.tcpSent),
    skipped: sum((a) => a.counts.skipped),
    timeouts: sum((a) => a.counts.timeouts),
    failures: sum((a) => a.counts.failures),
    refused: sum((a) => a.counts.refused),
    retries: sum((a) => a.counts.MAKE_OFFER) - links,
    serverCpuMs: serverCpu * 1000,
    clientCpuMs: sum((a) => a.counts.cpuMs),
    fdsPerLinkEnd: (sum((a) => a.fds) - before.reduce((t, b) => t + b.fds, 0)) / linkEnds,
    threadsPerLinkEnd: (sum((a) => a.threads) - before.reduce((t, b) => t + b.threads, 0)) / linkEnds,
    load,
  };
}

function spread(values) {
  const sorted = Float64Array.from(values).sort();
  return { min: sorted[0], median: percentile(sorted, 50), max: sorted[sorted.length - 1] };
}

const fmt = (s, digits = 0) => `${s.min.toFixed(digits)} / ${s.median.toFixed(digits)} / ${s.max.toFixed(digits)}`;

const server = await startCl5(RELAY_NEGOTIATIONS ? ['--relay-negotiations', RELAY_NEGOTIATIONS] : []);
for (const signal of ['SIGINT', 'SIGTERM'])
  process.on(signal, async () => {
    for (const child of alive) child.kill('SIGKILL');
    await server.stop();
    process.exit(1);
  });
const results = {};
try {
  const kind = RELAY ? `a relay lobby (each links to the relay peer; --relay-negotiations ${RELAY_NEGOTIATIONS ?? 'default'})` : 'one lobby';
  log(`Mesh formation, N players joining ${kind} at once, over ${PROCESSES} processes (@roamhq/wrtc), ${RUNS} runs each; ${os.cpus().length} CPUs`);
  log('min / median / max over the runs');
  log(
    '   N  complete  time ms                  signals/link     timeouts  retries  refused   TCP sent  server CPU ms     clients CPU ms        fds/link end  threads/link end  load',
  );
  for (const size of SIZES) {
    const all = [];
    for (let i = 0; i < RUNS; i += 1) all.push(await freshRun(server, size, i));
    // Figures of the runs that measured something (an incomplete mesh still counts its signals).
    const runs = all.filter((r) => !r.failed);
    for (const r of all) if (r.failed) log(`   N=${size}: a run failed: ${r.failed}`);
    if (runs.length === 0) continue;
    const row = {
      complete: all.filter((r) => r.complete).length,
      ms: spread(runs.map((r) => r.ms)),
      signalsPerLink: spread(runs.map((r) => r.signalsPerLink)),
      timeouts: spread(runs.map((r) => r.timeouts)),
      retries: spread(runs.map((r) => r.retries)),
      refused: spread(runs.map((r) => r.refused)),
      tcpSent: spread(runs.map((r) => r.tcpSent)),
      serverCpuMs: spread(runs.map((r) => r.serverCpuMs)),
      clientCpuMs: spread(runs.map((r) => r.clientCpuMs)),
      fdsPerLinkEnd: spread(runs.map((r) => r.fdsPerLinkEnd)),
      threadsPerLinkEnd: spread(runs.map((r) => r.threadsPerLinkEnd)),
      load: spread(runs.map((r) => r.load)),
      runs: all,
    };
    results[size] = row;
    log(
      `${String(size).padStart(4)}  ${`${row.complete}/${RUNS}`.padEnd(8)}  ${fmt(row.ms).padEnd(23)}  ${fmt(row.signalsPerLink, 1).padEnd(15)}  ${fmt(row.timeouts).padEnd(8)}  ${fmt(row.retries).padEnd(7)}  ${fmt(row.refused).padEnd(8)}  ${fmt(row.tcpSent).padEnd(8)}  ${fmt(row.serverCpuMs).padEnd(14)}  ${fmt(row.clientCpuMs).padEnd(20)}  ${fmt(row.fdsPerLinkEnd, 1).padEnd(12)}  ${fmt(row.threadsPerLinkEnd, 1).padEnd(16)}  ${fmt(row.load, 1)}`,
    );
  }
  if (JSON_OUT) console.log(JSON.stringify(results));
} finally {
  await server.stop();
}
process.exit(0);
