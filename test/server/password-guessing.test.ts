// Wrong lobby passwords are budgeted per lobby and per address: past the budget an attempt is refused
// before its password is hashed (a WARNING says when to try again), and the host hears of it once.
import { describe, expect, it } from 'vitest';
import { Warning } from '../../src/protocol/index.js';
import { serverPerTest } from '../helpers/served.js';
import type { RawClient } from './helpers.js';

const served = serverPerTest({ rateLimit: { perSecond: 1000, burst: 1000 } });
const { serve } = served;

async function player(username: string): Promise<RawClient> {
  const client = await served.open();
  await client.request('INIT', { username }, 'INIT_OK');
  return client;
}

const create = (host: RawClient, name: string, password: string) =>
  host.request('CREATE_LOBBY', { name, max_players: -1, password, locked: false, enable_relay: false }, 'CREATE_ACK');

/** One join attempt: 'checked' (the password was hashed and was wrong), 'waited' (refused before that), or 'ok'. */
async function attempt(client: RawClient, name: string, password: string): Promise<'checked' | 'waited' | 'ok'> {
  const answer = await client.request('JOIN_LOBBY', { name, password });
  if (answer.opcode === 'WARNING') {
    expect(answer.payload).toMatch(/^too many wrong passwords: try again in \d+ s$/);
    await client.next('JOIN_ACK');
    return 'waited';
  }
  expect(answer.opcode).toBe('JOIN_ACK');
  if (answer.payload === 'ok') return 'ok';
  expect(answer.payload).toBe('password');
  return 'checked';
}

describe('password guessing', () => {
  it('checks at most the lobby budget of wrong passwords, tells the host once, and leaves other lobbies alone', async () => {
    await serve({ passwordGuard: { perLobby: 5, perAddress: 1000 } });
    const host = await player('host');
    await create(host, 'vault', 'secret');
    const other = await player('other');
    await create(other, 'den', 'open sesame');
    const guesser = await player('guesser');
    const outcomes: string[] = [];
    for (let i = 0; i < 40; i += 1) outcomes.push(await attempt(guesser, 'vault', `guess${i}`));
    const checked = outcomes.filter((o) => o === 'checked').length;
    // 5, plus at most one refilled meanwhile (5 per minute).
    expect(checked).toBeGreaterThanOrEqual(5);
    expect(checked).toBeLessThanOrEqual(6);
    expect(outcomes.filter((o) => o === 'waited').length).toBe(40 - checked);
    await host.sync();
    expect(host.received.filter((p) => p.opcode === 'WARNING').map((p) => p.payload)).toEqual([Warning.passwordGuessed]);

    // Another lobby's password join is not slowed or refused.
    const honest = await player('honest');
    expect(await attempt(honest, 'den', 'open sesame')).toBe('ok');
    // The documented cost: while vault's budget is spent, even its right password waits.
    const friend = await player('friend');
    expect(await attempt(friend, 'vault', 'secret')).toBe('waited');
  });

  it('budgets an address over all lobbies', async () => {
    await serve({ passwordGuard: { perLobby: 1000, perAddress: 3 } });
    const hosts = [await player('a'), await player('b')];
    await create(hosts[0]!, 'one', 'x');
    await create(hosts[1]!, 'two', 'y');
    const guesser = await player('guesser');
    expect([await attempt(guesser, 'one', '1'), await attempt(guesser, 'one', '2'), await attempt(guesser, 'two', '3')]).toEqual([
      'checked',
      'checked',
      'checked',
    ]);
    expect(await attempt(guesser, 'two', '4')).toBe('waited');
    // A lobby without a password is not affected.
    const host = await player('c');
    await create(host, 'free', '');
    expect(await attempt(guesser, 'free', '')).toBe('ok');
  });

  it('hashes one password at a time per address: a burst from many connections mostly waits unhashed', async () => {
    await serve({ passwordGuard: { perLobby: 1000, perAddress: 1000 } });
    const host = await player('host');
    await create(host, 'vault', 'secret');
    const guessers = await Promise.all(Array.from({ length: 12 }, (_, i) => player(`guesser${i}`)));
    const outcomes = await Promise.all(guessers.map((guesser, i) => attempt(guesser, 'vault', `guess${i}`)));
    // All 12 arrive while the first hash runs (scrypt takes tens of ms); only the running check and the
    // two queued behind it are hashed. Even on a loaded machine, most are refused before scrypt.
    expect(outcomes.filter((o) => o === 'checked').length).toBeLessThan(12);
    expect(outcomes.filter((o) => o === 'waited').length).toBeGreaterThan(0);
    expect(outcomes).not.toContain('ok');
  });
});
