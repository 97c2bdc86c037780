// Benchmarks are plain .mjs scripts; this bundles a TypeScript entry of ours with esbuild
// (dependencies stay external) into node_modules/.cache and imports it. Each of our modules keeps
// its own `import.meta.url`, so paths it resolves from its own place (the browser harness's page
// files, the packaged Chromium) still point into the source tree, not into the cache.
import * as esbuild from 'esbuild';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';

const root = fileURLToPath(new URL('../..', import.meta.url));
// One folder per checkout: git worktrees share node_modules through a symlink, and must not
// overwrite each other's bundles. It stays under node_modules so the bundles' bare imports resolve.
const cacheDir = path.join(root, 'node_modules/.cache/cl5-bench', createHash('sha1').update(root).digest('hex').slice(0, 12));

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
    plugins: [ownImportMetaUrl],
  });
  return import(pathToFileURL(outfile).href);
}

const ownImportMetaUrl = {
  name: 'own-import-meta-url',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, (args) => {
      if (args.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
      const source = readFileSync(args.path, 'utf8').replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href));
      return { contents: source, loader: 'ts' };
    });
  },
};
