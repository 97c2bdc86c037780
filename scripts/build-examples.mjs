#!/usr/bin/env node
// Builds the example projects: each examples/projects/NAME.ts (a `defineProject({...})` source, see
// examples/lib/define.ts) becomes examples/NAME.sb3, byte-for-byte the same on every run.
//
//   node scripts/build-examples.mjs                 write examples/*.sb3 (extension by URL)
//   node scripts/build-examples.mjs --embed         also write examples/NAME.embedded.sb3, the
//                                                   extension (dist/cloudlink5.js) inside as a data: URL
//   node scripts/build-examples.mjs --check         rebuild in memory; exit 1 if a file's contents differ
//   options: --url URL (default http://localhost:3000/cloudlink5.js, where `npm start` serves it)
//            --extension FILE (what --embed puts in; default dist/cloudlink5.js)  --out DIR  --only NAME
//
// The sources are TypeScript: esbuild bundles them (with the CloudLink 5 blocks, whose shapes the
// builder checks every block against) and runs them (scripts/import-ts.mjs).
import { mkdirSync, readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join, resolve, basename } from 'node:path';
import { parseArgs } from 'node:util';
import { importTsSource, root } from './import-ts.mjs';
const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    embed: { type: 'boolean', default: false },
    extension: { type: 'string', default: 'dist/cloudlink5.js' },
    check: { type: 'boolean', default: false },
    out: { type: 'string', default: 'examples' },
    only: { type: 'string' },
  },
});

const sourcesDir = join(root, 'examples/projects');
const names = readdirSync(sourcesDir)
  .filter((file) => file.endsWith('.ts'))
  .map((file) => basename(file, '.ts'))
  .filter((name) => !values.only || name === values.only)
  .sort();

// One entry that imports every source plus the builder, so the blocks' shapes are read once.
const lib = await importTsSource(
  'examples',
  [
    `import { buildProject, DEFAULT_EXTENSION_URL } from ${JSON.stringify(join(root, 'examples/lib/define.ts'))};`,
    `import { cloudlinkShape } from ${JSON.stringify(join(root, 'examples/lib/extension-shape.ts'))};`,
    `import { extensionDataURL } from ${JSON.stringify(join(root, 'examples/lib/embed.ts'))};`,
    `import { validateProject } from ${JSON.stringify(join(root, 'examples/lib/validate.ts'))};`,
    `import { readZip } from ${JSON.stringify(join(root, 'examples/lib/unzip.ts'))};`,
    ...names.map((name, i) => `import source${i} from ${JSON.stringify(join(sourcesDir, `${name}.ts`))};`),
    `export const sources = [${names.map((_, i) => `source${i}`).join(', ')}];`,
    'export { buildProject, cloudlinkShape, extensionDataURL, validateProject, readZip, DEFAULT_EXTENSION_URL };',
  ].join('\n'),
);

const url = values.url ?? lib.DEFAULT_EXTENSION_URL;
const shape = lib.sources.some((s) => s.extension === 'cloudlink5') ? lib.cloudlinkShape() : undefined;
let embeddedURL;
if (values.embed) {
  const file = resolve(root, values.extension);
  if (!existsSync(file)) throw new Error(`${values.extension} not found: run npm run build first`);
  embeddedURL = lib.extensionDataURL(readFileSync(file));
}

const outDir = resolve(root, values.out);
mkdirSync(outDir, { recursive: true });
let stale = 0;
for (const source of lib.sources) {
  const builder = lib.buildProject(source, shape);
  const problems = lib.validateProject(builder.toJSON(url));
  if (problems.length) throw new Error(`${source.name}:\n  ${problems.join('\n  ')}`);
  const outputs = [[`${source.name}.sb3`, builder.toSb3(source.extension ? url : undefined)]];
  if (embeddedURL && source.extension === 'cloudlink5') outputs.push([`${source.name}.embedded.sb3`, lib.buildProject(source, shape).toSb3(embeddedURL)]);
  for (const [file, bytes] of outputs) {
    const path = join(outDir, file);
    if (values.check) {
      // Same bytes, or the same files inside (another Node's zlib may deflate differently).
      const sameFiles = (a, b) =>
        JSON.stringify(lib.readZip(a).map((f) => [f.name, f.data.toString('base64')])) ===
        JSON.stringify(lib.readZip(b).map((f) => [f.name, f.data.toString('base64')]));
      const same = existsSync(path) && (readFileSync(path).equals(bytes) || sameFiles(readFileSync(path), bytes));
      if (!same) stale++;
      console.log(`${same ? 'up to date' : 'DIFFERS   '} ${join(values.out, file)}`);
    } else {
      writeFileSync(path, bytes);
      console.log(`wrote ${join(values.out, file)} (${bytes.length} bytes)`);
    }
  }
}
if (stale) {
  console.error(`${stale} example file(s) out of date: run node scripts/build-examples.mjs`);
  process.exit(1);
}
