// Builds dist/: the TurboWarp extension (one unsandboxed file, simple-peer and the core bundled in,
// nothing fetched at run time) and the signaling server for `npm start`. Output is deterministic,
// so a test can rebuild into a temporary folder and compare it with the committed dist/.
import * as esbuild from 'esbuild';
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';

const { values } = parseArgs({ options: { outdir: { type: 'string', default: 'dist' } } });
const outdir = values.outdir;
const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));

const banner = `// CloudLink 5 for TurboWarp v${version}. Load as an unsandboxed extension. Built from the CL5 repository; do not edit.`;

const common = { bundle: true, legalComments: 'none', logLevel: 'warning', charset: 'utf8' };

await Promise.all([
  esbuild.build({
    ...common,
    entryPoints: ['blocks/index.ts'],
    outfile: `${outdir}/cloudlink5.js`,
    format: 'iife',
    platform: 'browser',
    target: ['chrome100', 'firefox100', 'safari15'],
    minify: true,
    banner: { js: banner },
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
