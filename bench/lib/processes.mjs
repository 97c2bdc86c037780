// Servers under test, each in its own process: ours (dist/server.mjs) and the PeerJS server
// (npm `peer`), both on 127.0.0.1. Each returns its port, pid and a stop().
import { execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Node's flags for every server process: CL5_NODE_FLAGS (e.g. V8 flags), then profiling(). */
const serverFlags = () => [...(process.env.CL5_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean), ...profiling()];

/** CL5_PROFILE=dir: every server process writes a CPU profile there (node --cpu-prof); CL5_PROFILE_INTERVAL=µs samples more often (default 1000). */
const profiling = () =>
  process.env.CL5_PROFILE
    ? [
        '--cpu-prof',
        '--cpu-prof-dir',
        process.env.CL5_PROFILE,
        ...(process.env.CL5_PROFILE_INTERVAL ? ['--cpu-prof-interval', process.env.CL5_PROFILE_INTERVAL] : []),
      ]
    : [];

/**
 * Resolves with the first match of `pattern` in the child's stdout. Then stops collecting: the
 * stream keeps flowing (drained, never buffered), so a chatty server neither blocks on a full pipe
 * nor grows this process's memory for the rest of the run.
 */
function waitForLine(child, pattern, timeoutMs = 10_000) {
  return new Promise((resolve, reject) => {
    let seen = '';
    const done = () => {
      clearTimeout(timer);
      child.stdout.off('data', collect);
      child.off('exit', exited);
      child.stdout.resume();
    };
    const collect = (chunk) => {
      seen += chunk;
      const match = seen.match(pattern);
      if (match) {
        done();
        resolve(match);
      }
    };
    const exited = (code) => {
      done();
      reject(new Error(`server exited with ${code}: ${seen.slice(-500)}`));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`server did not start: ${seen.slice(-500)}`));
    }, timeoutMs);
    child.stdout.on('data', collect);
    child.once('exit', exited);
  });
}

const stopper = (child) => () =>
  new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    const kill = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });

// A benchmark floods on purpose: these lift the rate limits and connection caps.
const LIFTED_LIMITS = [
  '--rate-limit',
  '10000000',
  '--rate-limit-per-address',
  '100000000',
  // Every load generator connects from 127.0.0.1: the per-address cap would refuse them.
  '--max-connections-per-address',
  '1000000',
  '--max-connections',
  '1000000',
];

/**
 * Our server (dist/server.mjs, or the build CL5_SERVER names: an A/B of two builds), only warnings logged,
 * its limits lifted unless `defaultLimits` (bench/abuse.mjs measures the limits themselves); `args` adds
 * flags (e.g. `--redis URL`). Its stderr is passed through; its stdout (the JSON log) is drained, and
 * `output` lets a caller listen to it. `from`: another checkout's root (its committed dist/server.mjs), to
 * measure an earlier version beside this one.
 */
export async function startCl5(args = [], { defaultLimits = false, from = root } = {}) {
  const child = spawn(
    process.execPath,
    [...serverFlags(), process.env.CL5_SERVER ?? 'dist/server.mjs', '--port', '0', '--log-level', 'warn', ...(defaultLimits ? [] : LIFTED_LIMITS), ...args],
    {
      cwd: from,
      stdio: ['ignore', 'pipe', 'inherit'],
      // The lobby limits lifted too (a flood of creates or joins from one address); by env, which a server
      // from before them ignores, where it would refuse an unknown flag.
      // The per-address share of a turn and the rate of new connections too: every load generator's socket is one address.
      env: defaultLimits
        ? process.env
        : {
            CL5_FANOUT_RATE: '100000000',
            CL5_FANOUT_RATE_PER_ADDRESS: '100000000',
            CL5_JOIN_COOLDOWN: '0',
            CL5_NEW_CONNECTIONS_PER_ADDRESS: '0',
            CL5_PACKETS_PER_ADDRESS_PER_TURN: '0',
            CL5_KIB_PER_ADDRESS_PER_TURN: '0',
            CL5_KIB_PER_ADDRESS_PER_SECOND: '0',
            ...process.env,
          },
    },
  );
  const [, port] = await waitForLine(child, /ws:\/\/127\.0\.0\.1:(\d+)\//);
  return { name: 'CL5', port: Number(port), pid: child.pid, output: child.stdout, stop: stopper(child) };
}

export function freePort() {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Starts a server script of ours (bench/lib) on a free port; `pattern` captures the port from its start line. */
async function startScript(name, script, pattern, args = []) {
  const child = spawn(process.execPath, [...serverFlags(), script, '0', '127.0.0.1', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  const [, port] = await waitForLine(child, pattern);
  return { name, port: Number(port), pid: child.pid, stop: stopper(child) };
}

/** The PeerJS server (npm `peer`) as its CLI starts it, without its per-connection console lines (peerjs-server.mjs). */
export const startPeerJs = () => startScript('PeerJS', 'bench/lib/peerjs-server.mjs', /port: (\d+)/);

/** The floor: a `ws` relay that only forwards frames (ws-floor-server.mjs); speaks the PeerJS adapter's URL and frames. */
export const startWsFloor = () => startScript('ws floor', 'bench/lib/ws-floor-server.mjs', /port (\d+)/);

/** The same floor writing as CL5's outbox does: a socket's frames of one turn in one write. */
export const startWsBatchedFloor = () => startScript('ws floor, batched', 'bench/lib/ws-floor-server.mjs', /port (\d+)/, ['batched']);

/** Resident memory of a process in bytes, and its threads, from one read of /proc/PID/status. */
export function procStatus(pid) {
  const lines = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n');
  const field = (name) => Number(lines.find((l) => l.startsWith(`${name}:`)).split(/\s+/)[1]);
  return { rss: field('VmRSS') * 1024, threads: field('Threads') };
}

/** Resident memory of a process, in bytes. */
export const rss = (pid) => procStatus(pid).rss;

/** File descriptors a process holds open. */
export const openFds = (pid) => readdirSync(`/proc/${pid}/fd`).length;

/** The fields of /proc/PID/stat after the command name (`pid` may be 'self'): field N of proc(5) is at N - 3. */
const statFields = (pid) => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');

/** CPU time a process has used, in seconds: user, system (in the kernel: system calls, socket work) and their sum. */
export function cpuTimes(pid) {
  const fields = statFields(pid);
  const user = Number(fields[11]) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  const system = Number(fields[12]) / 100;
  return { user, system, total: user + system };
}

/** Minor page faults a process has taken (memory it touched for the first time: e.g. fresh read buffers). */
export const minorFaults = (pid) => Number(statFields(pid)[7]);

/**
 * Time a thread (the process's main thread by default) has spent runnable but waiting for a core, in ms
 * (the kernel's schedstat): what a busy machine adds to a round trip, apart from the work itself.
 */
export const runQueueWaitMs = (pid, tid = pid) => Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[1]) / 1e6;

/** CPU time (user + system) a process has used, in seconds. */
export const cpuSeconds = (pid) => cpuTimes(pid).total;

/**
 * CPU time this process has used, and its children that have exited and been waited for (cutime + cstime),
 * in seconds: what a load generator took of the machine, with the processes it spawned and saw finish.
 */
export function ownAndReapedCpuSeconds() {
  const fields = statFields('self');
  return [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0) / 100;
}

/**
 * Pins a process (all its threads) to one CPU (taskset, util-linux) so the server under test and the load generator
 * never share a core. Returns false where that is not possible (the run goes on unpinned).
 */
export function pin(pid, cpu) {
  try {
    execFileSync('taskset', ['-apc', String(cpu), String(pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
