// Plain .mjs scripts (benchmarks, scripts/, test fixtures run as processes) run our TypeScript
// through this: esbuild bundles an entry of ours (dependencies stay external) into
// node_modules/.cache and imports it. Each of our modules keeps its own `import.meta.url`, so paths it
// resolves from its own place (the browser harness's page files, the packaged Chromium) still point
// into the source tree, not into the cache.
import * as esbuild from 'esbuild';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';

export const root = fileURLToPath(new URL('..', import.meta.url));
// One folder per checkout: git worktrees share node_modules through a symlink, and must not
// overwrite each other's bundles. It stays under node_modules so the bundles' bare imports resolve.
const cacheDir = path.join(root, 'node_modules/.cache/cl5-ts', createHash('sha1').update(root).digest('hex').slice(0, 12));

/** importTs('src/client/index.ts') (or an absolute path) → the module's exports. */
export async function importTs(entry) {
  mkdirSync(cacheDir, { recursive: true });
  // One bundle per process too: several processes may bundle the same entry at once.
  const name = path.relative(root, path.resolve(root, entry)).replace(/[\\/]/g, '_').replace(/\.ts$/, '');
  const outfile = path.join(cacheDir, `${name}-${process.pid}.mjs`);
  try {
    await esbuild.build({
      entryPoints: [path.resolve(root, entry)],
      outfile,
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      packages: 'external',
      logLevel: 'warning',
      plugins: [ownImportMetaUrl],
    });
    return await import(pathToFileURL(outfile).href);
  } finally {
    rmSync(outfile, { force: true });
  }
}

/** The same for an entry written on the fly (`source`, importing by absolute paths); `name` names its file. */
export async function importTsSource(name, source) {
  mkdirSync(cacheDir, { recursive: true });
  const entry = path.join(cacheDir, `${name}-${process.pid}.ts`);
  writeFileSync(entry, source);
  try {
    return await importTs(entry);
  } finally {
    rmSync(entry, { force: true });
  }
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
