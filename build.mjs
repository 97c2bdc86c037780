// Builds dist/: the TurboWarp extension (one unsandboxed file, simple-peer and the core bundled in,
// nothing fetched at run time) and the signaling server for `npm start`. Output is deterministic,
// so a test can rebuild into a temporary folder and compare it with the committed dist/.
//
// dist/cloudlink5.js has the shape the TurboWarp extension gallery asks for (see docs/architecture.md,
// "The extension file"): the metadata header its validator reads (blocks/metadata.json), then all code
// inside `(function (Scratch) { "use strict"; ... })(Scratch);`, with the shipped translations
// (blocks/l10n/*.json) packed in by packTranslations below.
import * as esbuild from 'esbuild';
import { parseArgs } from 'node:util';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';

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
  `// Version: ${version} (built by build.mjs: do not edit)`,
].join('\n');

/**
 * Puts the translations in place of `globalThis.CL5_TRANSLATIONS` (blocks/l10n/shipped.ts): per
 * locale, its texts joined by '|', in the order of the bundle's sorted English texts, which are
 * found as the gallery's extractor finds them (Scratch.translate with a literal string).
 */
function packTranslations(code) {
  const english = [...new Set([...code.matchAll(/Scratch\.translate\(("(?:[^"\\]|\\.)*")\)/g)].map((m) => JSON.parse(m[1])))].sort();
  const l10nDir = new URL('./blocks/l10n/', import.meta.url);
  const packed = {};
  for (const file of readdirSync(l10nDir)
    .filter((f) => f.endsWith('.json'))
    .sort()) {
    const strings = JSON.parse(readFileSync(new URL(file, l10nDir), 'utf8'));
    const stale = Object.keys(strings).filter((text) => !english.includes(text));
    if (stale.length) throw new Error(`blocks/l10n/${file}: no block has these texts any more: ${JSON.stringify(stale)}`);
    // Missing, or the same as the English: left empty (the English shows).
    const texts = english.map((text) => (strings[text] === text ? '' : (strings[text] ?? '')));
    const bad = texts.find((text) => text.includes('|'));
    if (bad) throw new Error(`blocks/l10n/${file}: '|' separates the packed texts, so a text cannot hold one: ${bad}`);
    packed[file.slice(0, -'.json'.length)] = texts.join('|');
  }
  const placeholder = 'globalThis.CL5_TRANSLATIONS';
  if (code.split(placeholder).length !== 2) throw new Error(`build: expected ${placeholder} once in the bundle`);
  return code.replace(placeholder, JSON.stringify(packed));
}

/**
 * simple-peer logs through `debug`, which the extension replaces with a no-op (blocks/shims/debug.cjs):
 * its 40 calls still carried their format strings (1.8 KiB). Guarded by `false &&`, the minifier drops them.
 */
const simplePeerWithoutDebug = {
  name: 'simple-peer-without-debug',
  setup(build) {
    build.onLoad({ filter: /[\\/]simple-peer[\\/]index\.js$/ }, ({ path }) => {
      const source = readFileSync(path, 'utf8');
      if (!source.includes('this._debug(')) throw new Error(`build: simple-peer no longer calls this._debug(): ${path}`);
      return { contents: source.replaceAll('this._debug(', 'false && this._debug('), loader: 'js' };
    });
  },
};

const common = { bundle: true, legalComments: 'none', logLevel: 'warning', charset: 'utf8' };

await Promise.all([
  esbuild
    .build({
      ...common,
      write: false,
      entryPoints: ['blocks/index.ts'],
      outfile: `${outdir}/cloudlink5.js`,
      format: 'iife',
      platform: 'browser',
      target: ['chrome100', 'firefox100', 'safari15'],
      // The gallery's lint (no-new-syntax) refuses x ??= y: esbuild writes x ?? (x = y) instead.
      supported: { 'logical-assignment': false },
      minify: true,
      // esbuild starts the bundle with "use strict" (it is ES modules): the wrapper's directive.
      banner: { js: `${header}\n(function (Scratch) {` },
      footer: { js: '})(Scratch);' },
      // randombytes' callback form is the one use of `process` left (simple-peer calls it without one). An
      // injected `process` object would make esbuild start every module of the bundle with its lazy init.
      define: { global: 'globalThis', 'process.env.NODE_ENV': '"production"', 'process.nextTick': 'queueMicrotask' },
      plugins: [simplePeerWithoutDebug],
      // Small stand-ins for Node modules simple-peer pulls in (see blocks/shims/).
      alias: {
        buffer: './blocks/shims/buffer.cjs',
        'safe-buffer': './blocks/shims/buffer.cjs',
        debug: './blocks/shims/debug.cjs',
        'readable-stream': './blocks/shims/readable-stream.cjs',
      },
    })
    .then(({ outputFiles: [file] }) => {
      mkdirSync(outdir, { recursive: true });
      // The wrapper's directive makes the whole file strict; esbuild repeats it in the CommonJS
      // module wrappers, which the gallery's lint (strict: function) calls unnecessary.
      writeFileSync(file.path, packTranslations(file.text.replace(/(?<=\{)"use strict";/g, '')));
    }),
  // The server, and its relay process (forked by the server from beside it: relay-process.ts).
  esbuild.build({
    ...common,
    entryPoints: { server: 'src/server/main.ts', relay: 'src/server/relay/relay-child.ts' },
    outdir,
    outExtension: { '.js': '.mjs' },
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
  }),
]);
