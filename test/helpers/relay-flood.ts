// Runs the relay flooder (relay-flooder.ts) as its own process, bundled once like the server.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { setPriority } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { NODE_BUNDLE } from './node-bundle.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface Flood {
  child: ChildProcess;
  /** The JSON lines it printed so far. */
  lines: () => Record<string, number | boolean>[];
  exited: Promise<number | null>;
}

export interface Flooder {
  run(url: string, seconds: number, size: number): Flood;
  dispose(): void;
}

export async function bundleFlooder(): Promise<Flooder> {
  mkdirSync(path.join(root, 'tmp'), { recursive: true });
  const dir = mkdtempSync(path.join(root, 'tmp', 'flooder-'));
  const entry = path.join(dir, 'flooder.mjs');
  await esbuild.build({
    entryPoints: [path.join(root, 'test/helpers/relay-flooder.ts')],
    outfile: entry,
    ...NODE_BUNDLE,
  });
  const children: ChildProcess[] = [];
  return {
    run(url, seconds, size) {
      const child = spawn(process.execPath, [entry, url, String(seconds), String(size)], { stdio: ['ignore', 'pipe', 'inherit'] });
      children.push(child);
      // A real attacker floods from its own machine; here it shares two cores with the server under test,
      // so it yields them as the relay process does (it still pushes 14–27 MiB/s here, the issue used ~9).
      setPriority(child.pid!, 10);
      let out = '';
      child.stdout!.on('data', (chunk) => (out += String(chunk)));
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      const lines = () =>
        out
          .split('\n')
          .filter((line) => line.startsWith('{'))
          .map((line) => JSON.parse(line) as Record<string, number | boolean>);
      return { child, lines, exited };
    },
    dispose() {
      for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
