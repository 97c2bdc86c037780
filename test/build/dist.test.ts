// The committed dist/ must be what build.mjs produces from the committed sources,
// so a plain URL to dist/cloudlink5.js always serves the current code.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { VERSION } from '../../src/protocol/index.js';

const root = path.resolve(import.meta.dirname, '../..');
const outdir = mkdtempSync(path.join(tmpdir(), 'cl5-dist-'));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe('build', () => {
  it('committed dist/ matches a fresh build', () => {
    execFileSync(process.execPath, ['build.mjs', '--outdir', outdir], { cwd: root, stdio: 'pipe' });
    const built = readdirSync(outdir).sort();
    expect(built).toEqual(expect.arrayContaining(['cloudlink5.js', 'relay.mjs', 'server.mjs']));
    for (const file of built) {
      const fresh = readFileSync(path.join(outdir, file), 'utf8');
      const committed = readFileSync(path.join(root, 'dist', file), 'utf8');
      expect(committed === fresh, `dist/${file} is stale: run npm run build and commit dist/`).toBe(true);
    }
  });

  it('VERSION matches package.json', () => {
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
    expect(VERSION).toBe(pkg.version);
  });
});
