// Servers under test, each in its own process: ours (dist/server.mjs) and the PeerJS server
// (npm `peer`), both on 127.0.0.1. Each returns its port, pid and a stop().
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

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

/**
 * Our server, rate limit and connection caps lifted (a benchmark floods on purpose) and only warnings
 * logged; `args` adds flags (e.g. `--redis URL`). Its stderr is passed through. `from`: another
 * checkout's root (its committed dist/server.mjs), to measure an earlier version beside this one.
 */
export async function startCl5(args = [], from = root) {
  const child = spawn(
    process.execPath,
    [
      ...(process.env.CL5_PROFILE ? ['--cpu-prof', '--cpu-prof-dir', process.env.CL5_PROFILE] : []),
      'dist/server.mjs',
      '--port',
      '0',
      '--log-level',
      'warn',
      '--rate-limit',
      '10000000',
      '--rate-limit-per-address',
      '100000000',
      // Every load generator connects from 127.0.0.1: the per-address cap would refuse them.
      '--max-connections-per-address',
      '1000000',
      '--max-connections',
      '1000000',
      ...args,
    ],
    {
      cwd: from,
      stdio: ['ignore', 'pipe', 'inherit'],
      // The lobby limits lifted too (a flood of creates or joins from one address); by env, which a server
      // from before them ignores, where it would refuse an unknown flag.
      env: { CL5_FANOUT_RATE: '100000000', CL5_FANOUT_RATE_PER_ADDRESS: '100000000', CL5_JOIN_COOLDOWN: '0', ...process.env },
    },
  );
  const [, port] = await waitForLine(child, /ws:\/\/127\.0\.0\.1:(\d+)\//);
  return { name: 'CL5', port: Number(port), pid: child.pid, stop: stopper(child) };
}

export function freePort() {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** The PeerJS server as `npx peerjs --port P --host 127.0.0.1` starts it. */
export async function startPeerJs() {
  const port = await freePort();
  const child = spawn(process.execPath, ['node_modules/peer/dist/bin/peerjs.js', '--port', String(port), '--host', '127.0.0.1'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await waitForLine(child, /Started PeerServer/);
  return { name: 'PeerJS', port, pid: child.pid, stop: stopper(child) };
}

/** Resident memory of a process, in bytes. */
export function rss(pid) {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  return Number(line.split(/\s+/)[1]) * 1024;
}

/** CPU time (user + system) a process has used, in seconds. */
export function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
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
