// Builds dist/: the TurboWarp extension (one unsandboxed file, simple-peer and the core bundled in,
// nothing fetched at run time) and the signaling server for `npm start`. Output is deterministic,
// so a test can rebuild into a temporary folder and compare it with the committed dist/.
//
// dist/cloudlink5.js has the shape of a file the TurboWarp extension gallery serves (see
// docs/architecture.md, "The extension file"): the metadata header its validator reads
// (blocks/metadata.json), then the translations as the gallery's builder inserts them
// (blocks/l10n/*.json), then all code inside `(function (Scratch) { "use strict"; ... })(Scratch);`.
import * as esbuild from 'esbuild';
import { parseArgs } from 'node:util';
import { readFileSync, readdirSync } from 'node:fs';

const { values } = parseArgs({ options: { outdir: { type: 'string', default: 'dist' } } });
const outdir = values.outdir;
const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));
const metadata = JSON.parse(readFileSync(new URL('./blocks/metadata.json', import.meta.url), 'utf8'));

const header = [
  `// Name: ${metadata.name}`,
  `// ID: ${metadata.id}`,
  `// Description: ${metadata.description}`,
  ...metadata.by.map((person) => `// By: ${person}`),
  `// License: ${metadata.license}`,
  '',
  `// CloudLink 5 for TurboWarp v${version}. Load as an unsandboxed extension. Built from the CL5 repository (build.mjs); do not edit.`,
].join('\n');

// blocks/l10n/<locale>.json maps each English text to its translation; TurboWarp's Scratch.translate
// looks strings up by the default id, '_' + the English text. Same statement as the gallery's builder.
const l10nDir = new URL('./blocks/l10n/', import.meta.url);
const translations = Object.fromEntries(
  readdirSync(l10nDir)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => {
      const strings = JSON.parse(readFileSync(new URL(file, l10nDir), 'utf8'));
      return [file.slice(0, -'.json'.length), Object.fromEntries(Object.entries(strings).map(([english, text]) => [`_${english}`, text]))];
    }),
);
const l10n = Object.keys(translations).length
  ? `/* generated l10n code */Scratch.translate.setup(${JSON.stringify(translations)});/* end generated l10n code */\n`
  : '';

const common = { bundle: true, legalComments: 'none', logLevel: 'warning', charset: 'utf8' };

await Promise.all([
  esbuild.build({
    ...common,
    entryPoints: ['blocks/index.ts'],
    outfile: `${outdir}/cloudlink5.js`,
    format: 'iife',
    platform: 'browser',
    target: ['chrome100', 'firefox100', 'safari15'],
    // The gallery's lint (no-new-syntax) refuses x ??= y: esbuild writes x ?? (x = y) instead.
    supported: { 'logical-assignment': false },
    minify: true,
    // esbuild starts the bundle with "use strict" (it is ES modules): the wrapper's directive.
    banner: { js: `${header}\n${l10n}(function (Scratch) {` },
    footer: { js: '})(Scratch);' },
    define: { global: 'globalThis', 'process.env.NODE_ENV': '"production"' },
    inject: ['blocks/shims/process.js'],
    // Small stand-ins for Node modules simple-peer pulls in (see blocks/shims/).
    alias: {
      buffer: './blocks/shims/buffer.cjs',
      'safe-buffer': './blocks/shims/buffer.cjs',
      debug: './blocks/shims/debug.cjs',
      'readable-stream': './blocks/shims/readable-stream.cjs',
      events: 'events/',
    },
  }),
  esbuild.build({
    ...common,
    entryPoints: ['src/server/main.ts'],
    outfile: `${outdir}/server.mjs`,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
  }),
]);
