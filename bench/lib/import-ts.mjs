// Benchmarks are plain .mjs scripts; this bundles a TypeScript entry of ours with esbuild
// (dependencies stay external) into node_modules/.cache and imports it.
import * as esbuild from 'esbuild';
import { mkdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cacheDir = path.join(root, 'node_modules/.cache/cl5-bench');

/** importTs('src/client/index.ts') → the module's exports. */
export async function importTs(entry) {
  mkdirSync(cacheDir, { recursive: true });
  const outfile = path.join(cacheDir, entry.replace(/[\\/]/g, '_').replace(/\.ts$/, '.mjs'));
  await esbuild.build({
    entryPoints: [path.join(root, entry)],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
  });
  return import(pathToFileURL(outfile).href);
}
