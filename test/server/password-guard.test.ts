// The guard tells each check whether its address has guessed wrong lately (password-guard.ts): such
// checks may be hashed ahead of the guessers'.
import { afterEach, expect, it } from 'vitest';
import { PasswordGuard } from '../../src/server/password-guard.js';

let now = 0;
const guards: PasswordGuard[] = [];
afterEach(() => {
  for (const guard of guards.splice(0)) guard.stop();
});

it('tells a check its address is clean until that address guesses wrong, and again once its budget has refilled', async () => {
  const guard = new PasswordGuard({ perLobby: 30, perAddress: 10 }, () => now);
  guards.push(guard);
  const seen: string[] = [];
  const attempt = (address: string, right: boolean) =>
    guard.check('g\u0000room', address, async (clean) => {
      seen.push(`${address} ${clean ? 'clean' : 'has guessed'}`);
      return right;
    });
  await attempt('10.0.0.1', false);
  await attempt('10.0.0.1', true);
  await attempt('10.0.0.2', true);
  // The address's bucket (10 a minute) refills one wrong guess in 6 s.
  now += 6_000;
  await attempt('10.0.0.1', true);
  expect(seen).toEqual(['10.0.0.1 clean', '10.0.0.1 has guessed', '10.0.0.2 clean', '10.0.0.1 clean']);
});
