// A real server from a Debian package for tests (coturn.ts, redis.ts): finds its binary or installs the
// package with apt (we are root on the dev and CI machines), starts it on a free port of 127.0.0.1
// with a temporary folder of its own, waits until it answers, and stop() ends it and removes the folder.
// When the binary is missing and apt cannot install it, the error is one line naming what to install.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ServiceSpec {
  /** For messages: 'coturn', 'redis-server'. */
  label: string;
  /** The binary to run, and the Debian package that has it. */
  command: string;
  debianPackage: string;
  /** What needs it, for the install hint: 'the TURN tests'. */
  neededFor: string;
  /** A free port (default: a free TCP port of 127.0.0.1). */
  port?: () => Promise<number>;
  args(port: number, dir: string): string[];
  /** Resolves once the server answers on `port`; throws when `exited()` says why it stopped first. Bounded. */
  ready(port: number, exited: () => string | null): Promise<void>;
  /** The last words of the server when it exits early (default: its stderr). */
  lastWords?(dir: string): string;
}

export interface Service {
  port: number;
  /** Its own temporary folder, removed by stop(). */
  dir: string;
  stop(): Promise<void>;
}

const onPath = (command: string): boolean => {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

/** Makes sure `command` runs here: installs `debianPackage` when missing (an apt index update only if needed). */
export function ensureCommand(spec: Pick<ServiceSpec, 'label' | 'command' | 'debianPackage' | 'neededFor'>): void {
  if (onPath(spec.command)) return;
  const hint = `${spec.label} (\`${spec.command}\`) is needed for ${spec.neededFor}: install it with \`apt-get install ${spec.debianPackage}\``;
  const apt = (...args: string[]) =>
    execFileSync('apt-get', args, { stdio: 'ignore', timeout: 300_000, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  try {
    try {
      apt('install', '-y', '-qq', spec.debianPackage);
    } catch {
      apt('update', '-qq');
      apt('install', '-y', '-qq', spec.debianPackage);
    }
  } catch (error) {
    throw new Error(`${hint} (installing it failed: ${(error as Error).message.split('\n')[0]})`);
  }
  if (!onPath(spec.command)) throw new Error(hint);
}

export async function freeTcpPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Calls `attempt` until it returns true, every `everyMs`, failing when the server exited or after `timeoutMs`. */
export async function pollUntil(attempt: () => Promise<boolean>, exited: () => string | null, what: string, timeoutMs = 15_000, everyMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const why = exited();
    if (why !== null) throw new Error(why);
    if (await attempt()) return;
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

export async function startService(spec: ServiceSpec): Promise<Service> {
  ensureCommand(spec);
  const dir = mkdtempSync(join(tmpdir(), `cl5-${spec.label}-`));
  const port = await (spec.port ?? freeTcpPort)();
  const child = spawn(spec.command, spec.args(port, dir), { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += String(chunk)));
  let exit: string | null = null;
  const lastWords = () => stderr.trim() || spec.lastWords?.(dir) || '';
  child.once('exit', (code, signal) => (exit = `${spec.label} exited (${signal ?? code}): ${lastWords()}`));
  child.once('error', (error) => (exit = `${spec.label} did not start: ${error.message}`));

  // A test process that ends without stop() (a crash, a failing hook) takes its server and folder with it.
  const orphaned = () => {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', orphaned);
  const stop = async (): Promise<void> => {
    process.off('exit', orphaned);
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(killer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await spec.ready(port, () => exit);
  } catch (error) {
    await stop();
    throw error;
  }
  return { port, dir, stop };
}
