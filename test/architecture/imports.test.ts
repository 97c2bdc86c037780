// The module boundaries of docs/architecture.md, checked on every import statement: the server and
// the shared modules never pull in client or block code (so the server bundle carries none of it).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');

function sources(folder: string): string[] {
  return readdirSync(path.join(root, folder), { recursive: true, encoding: 'utf8' })
    .filter((file) => /\.(ts|mts|js|mjs)$/.test(file))
    .map((file) => path.join(folder, file));
}

/** Every module a file imports or re-exports (static and dynamic), resolved to a path from the repository root. */
function importsOf(file: string): string[] {
  const text = readFileSync(path.join(root, file), 'utf8');
  const specifiers = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)/g)].map((m) => m[1] ?? m[2]!);
  return specifiers.filter((s) => s.startsWith('.')).map((s) => path.relative(root, path.resolve(path.dirname(path.join(root, file)), s)));
}

/** Imports from `folder` that land in one of `forbidden`, as "file → target". */
function crossings(folder: string, forbidden: string[]): string[] {
  return sources(folder).flatMap((file) =>
    importsOf(file)
      .filter((target) => forbidden.some((f) => target === f || target.startsWith(`${f}/`)))
      .map((target) => `${file} → ${target}`),
  );
}

describe('module boundaries', () => {
  it('the scan sees imports (a self-check)', () => {
    expect(importsOf('src/server/relay/relay-peer.ts')).toContain('src/peer/link.js');
    expect(importsOf('src/client/cloudlink.ts')).toContain('src/peer/emitter.js');
  });

  it('src/protocol imports none of our other modules', () => {
    expect(crossings('src/protocol', ['src/peer', 'src/client', 'src/server', 'blocks'])).toEqual([]);
  });

  it('src/peer imports only src/protocol', () => {
    expect(crossings('src/peer', ['src/client', 'src/server', 'blocks'])).toEqual([]);
  });

  it('src/server never imports client or block code', () => {
    expect(crossings('src/server', ['src/client', 'blocks'])).toEqual([]);
  });

  it('src/client never imports the server or the blocks', () => {
    expect(crossings('src/client', ['src/server', 'blocks'])).toEqual([]);
  });

  it('blocks hold no networking: no server or peer code, and the core client only through its port (the real one in wiring.ts)', () => {
    expect(crossings('blocks', ['src/server', 'src/peer'])).toEqual([]);
    expect(crossings('blocks', ['src/client/cloudlink.js'])).toEqual(['blocks/wiring.ts → src/client/cloudlink.js']);
  });
});
