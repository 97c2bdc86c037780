// The CLI server (src/server/main.ts), bundled the way build.mjs bundles it and run as a child
// process: for tests that need a real process (flags, signals, kill -9 and restart).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { NODE_BUNDLE } from './node-bundle.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface ServerProcess {
  child: ChildProcess;
  /** Everything it printed so far (stdout and stderr). */
  output: () => string;
  exited: Promise<number | null>;
}

export interface ServerBundle {
  /** Starts the server with these flags and env (the CL5_* env of the test process is cleared). */
  run(args: string[], env?: Record<string, string>): ServerProcess;
  /** Kills what is still running and deletes the bundle. */
  dispose(): void;
}

export async function bundleServer(): Promise<ServerBundle> {
  // Inside the repo (tmp/ is git-ignored) so the bundle resolves `ws` from node_modules.
  mkdirSync(path.join(root, 'tmp'), { recursive: true });
  const dir = mkdtempSync(path.join(root, 'tmp', 'server-'));
  const entry = path.join(dir, 'server.mjs');
  // The server forks its relay process from relay.mjs beside it, as in dist/.
  await esbuild.build({
    entryPoints: { server: path.join(root, 'src/server/main.ts'), relay: path.join(root, 'src/server/relay/relay-child.ts') },
    outdir: dir,
    outExtension: { '.js': '.mjs' },
    ...NODE_BUNDLE,
  });
  const children: ChildProcess[] = [];
  return {
    run(args, env = {}) {
      const child = spawn(process.execPath, [entry, ...args], {
        env: { ...withoutOurEnv(process.env), ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(child);
      let out = '';
      child.stdout!.on('data', (chunk) => (out += String(chunk)));
      child.stderr!.on('data', (chunk) => (out += String(chunk)));
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      return { child, output: () => out, exited };
    },
    dispose() {
      for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls until `probe` returns something (bounded). */
export async function waitFor<T>(probe: () => T | undefined, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The ws:// URL a started server printed in its banner. */
export const printedWsUrl = (server: ServerProcess) =>
  waitFor(() => /Server URL[^\n]*?(ws:\/\/127\.0\.0\.1:\d+\/)/.exec(server.output())?.[1], 'the server URL');

/** The environment without any CL5_* variable: a test's server sees only the flags and env it was given. */
function withoutOurEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !name.startsWith('CL5_')));
}
