// How the tests bundle a TypeScript entry to run it in a Node child process: ESM for Node 20, with
// node_modules left to resolve at run time (the bundle sits inside the repo, under tmp/).
import type { BuildOptions } from 'esbuild';

export const NODE_BUNDLE = {
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
} as const satisfies BuildOptions;
