// The reporter against a real vitest run whose fork dies mid-file.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

it('names the file whose test process died, and the tests left without a result', () => {
  const config = fileURLToPath(new URL('./fixtures/dies.config.ts', import.meta.url));
  const run = spawnSync(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', '--config', config], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
    timeout: 60_000,
  });
  expect(run.status).not.toBe(0);
  expect(run.stderr + run.stdout).toContain('dies.fixture.ts: its test process died during or after "dies"; 2 test(s) have no result');
});
