// Runs TypeScript from a plain Node script: esbuild bundles an entry (its source given as text) with
// our modules into node_modules/.cache/ (so npm packages, left external, resolve from there), and
// the bundle is imported. One folder per checkout and process: git worktrees share node_modules
// through a symlink, and two scripts may run at once.
import * as esbuild from 'esbuild';
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Imports the module whose source is `entrySource` (absolute import paths); `name` names its cache folder. */
export async function importTypeScript(name, entrySource) {
  const checkout = createHash('sha1').update(root).digest('hex').slice(0, 12);
  const cache = join(root, 'node_modules/.cache', `cl5-${name}`, `${checkout}-${process.pid}`);
  mkdirSync(cache, { recursive: true });
  try {
    const entry = join(cache, 'entry.ts');
    writeFileSync(entry, entrySource);
    const bundle = join(cache, 'entry.mjs');
    await esbuild.build({
      entryPoints: [entry],
      outfile: bundle,
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      packages: 'external',
      logLevel: 'warning',
    });
    return await import(`${pathToFileURL(bundle).href}?t=${Date.now()}`);
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
}
