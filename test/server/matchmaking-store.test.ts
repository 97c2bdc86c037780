// Matchmaking in the lobby store: metadata, listMatching and the atomic quickJoin, the same tests for
// MemoryStore and for RedisStore on a real redis-server; 20 players quick-joining at once fill exactly
// 5 lobbies of 4 (in RedisStore through four clients, as four server nodes would race).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { User } from '../../src/protocol/index.js';
import { PasswordHasher } from '../../src/server/password.js';
import { RedisStore } from '../../src/server/redis-store.js';
import type { LobbySettings, LobbyStore, QuickCreate } from '../../src/server/store.js';
import { type Backend, INSTALL_MS, memory, redisBackend } from '../helpers/store-backends.js';

const user = (name: string): User => ({ instance_id: `id-${name}`, user_id: `id-${name}`, username: name });
const players = Array.from({ length: 20 }, (_, i) => user(`p${i}`));
const [ann, bob, cat, dan] = players as [User, User, User, User];
const open: LobbySettings = { maxPlayers: -1, password: null, locked: false, hidden: false, relayEnabled: false };
const noPassword = async () => {
  throw new Error('no password to check');
};
const quick = (metadata = {}, maxPlayers = 4): QuickCreate => ({ namePrefix: 'brave-otter', settings: { ...open, maxPlayers, metadata } });

const redis = redisBackend();
const backends: Backend[] = [memory, redis];

const passwords = new PasswordHasher();
afterAll(() => passwords.stop());
describe.each(backends)('$name', (backend) => {
  let store: LobbyStore;
  beforeAll(() => backend.start(), INSTALL_MS);
  afterAll(() => backend.stop());
  beforeEach(async () => {
    store = await backend.make();
    for (const each of players) expect(await store.addPlayer('g', each)).toBe('ok');
  });

  it('keeps metadata as given (strings, numbers, unicode) and changes it with setSettings', async () => {
    const metadata = { map: 'desert "dunes" {x}', mode: 'ctf', round: 3, ratio: 0.25, emoji: '🏜️' };
    await store.create('g', 'room', ann, { ...open, metadata });
    expect((await store.find('g', 'room'))?.settings.metadata).toEqual(metadata);
    expect((await store.setSettings('g', ann.instance_id, { metadata: { mode: 'ffa' } })).outcome).toBe('ok');
    expect((await store.find('g', 'room'))?.settings.metadata).toEqual({ mode: 'ffa' });
    expect((await store.setSettings('g', bob.instance_id, { metadata: {} })).outcome).toBe('not-in-lobby');
  });

  it('listMatching: metadata equality (a string never equals a number), free seats, no password; hidden never; oldest first', async () => {
    await store.create('g', 'a', ann, { ...open, maxPlayers: 2, metadata: { mode: 'ctf', level: 1 } });
    await store.create('g', 'b', bob, { ...open, metadata: { mode: 'ctf', level: '1' }, password: await passwords.hash('pw') });
    await store.create('g', 'c', cat, { ...open, metadata: { mode: 'ffa' } });
    await store.create('g', 'd', dan, { ...open, hidden: true, metadata: { mode: 'ctf' } });
    const names = async (filter: object) => (await store.listMatching('g', filter, 100)).first.map((lobby) => lobby.name);
    expect(await names({})).toEqual(['a', 'b', 'c']);
    expect(await names({ metadata: { mode: 'ctf' } })).toEqual(['a', 'b']);
    expect(await names({ metadata: { level: 1 } })).toEqual(['a']);
    expect(await names({ metadata: { level: '1' } })).toEqual(['b']);
    expect(await names({ metadata: { mode: 'ctf', missing: 'x' } })).toEqual([]);
    expect(await names({ noPassword: true })).toEqual(['a', 'c']);
    await store.join('g', 'a', players[4]!, async () => true);
    expect(await names({ freeSeats: true })).toEqual(['b', 'c']);
    // A page: the oldest matching, and how many match.
    const page = await store.listMatching('g', { metadata: { mode: 'ctf' } }, 1);
    expect({ first: page.first.map((lobby) => lobby.name), total: page.total }).toEqual({ first: ['a'], total: 2 });
  });

  it('quickJoin: the oldest open matching lobby (not locked, full, passworded or hidden), else a new one with a readable unique name', async () => {
    await store.create('g', 'locked', ann, { ...open, locked: true, metadata: { mode: 'ctf' } });
    await store.create('g', 'pw', bob, { ...open, password: await passwords.hash('pw'), metadata: { mode: 'ctf' } });
    await store.create('g', 'hidden', cat, { ...open, hidden: true, metadata: { mode: 'ctf' } });
    await store.create('g', 'ffa', dan, { ...open, metadata: { mode: 'ffa' } });
    const first = await store.quickJoin('g', players[4]!, { metadata: { mode: 'ctf' } }, quick({ mode: 'ctf' }));
    expect(first).toMatchObject({
      outcome: 'created',
      lobby: { name: 'brave-otter-5', host: { username: 'p4' }, settings: { maxPlayers: 4, metadata: { mode: 'ctf' } } },
    });
    // The next one joins it; one with another filter joins the ffa lobby (unlimited, open).
    expect(await store.quickJoin('g', players[5]!, { metadata: { mode: 'ctf' } }, quick({ mode: 'ctf' }))).toMatchObject({
      outcome: 'joined',
      lobby: { name: 'brave-otter-5' },
    });
    expect(await store.quickJoin('g', players[6]!, { metadata: { mode: 'ffa' } }, quick())).toMatchObject({ outcome: 'joined', lobby: { name: 'ffa' } });
    expect(await store.quickJoin('g', players[6]!, {}, quick())).toEqual({ outcome: 'in-lobby' });
    // A name someone took by hand is skipped.
    await store.create('g', 'brave-otter-6', players[7]!, { ...open, locked: true });
    expect(await store.quickJoin('g', players[8]!, { metadata: { mode: 'duel' } }, quick({ mode: 'duel' }))).toMatchObject({
      outcome: 'created',
      lobby: { name: 'brave-otter-7' },
    });
    // Oldest first: the ffa lobby (created before brave-otter-5) wins for an empty filter.
    expect(await store.quickJoin('g', players[9]!, {}, quick())).toMatchObject({ outcome: 'joined', lobby: { name: 'ffa' } });
    expect((await store.lobbyOf('g', players[9]!.instance_id))?.name).toBe('ffa');
  });

  it('quickJoin follows every change that opens or closes a lobby: unlock, show, password removed, a seat freed, a limit raised', async () => {
    const ctf = { metadata: { mode: 'ctf' } };
    const joins = async (player: User) => {
      const result = await store.quickJoin('g', player, ctf, quick({ mode: 'ctf' }));
      if (result.outcome === 'in-lobby') throw new Error('in a lobby');
      await store.leave('g', player.instance_id);
      // A lobby it created goes again with it.
      return result.outcome === 'joined' ? result.lobby.name : 'created';
    };
    await store.create('g', 'room', ann, { ...open, maxPlayers: 2, metadata: { mode: 'ctf' } });
    await store.join('g', 'room', bob, noPassword);
    await store.setSettings('g', ann.instance_id, { locked: true, hidden: true, password: await passwords.hash('pw') });
    await store.leave('g', bob.instance_id);
    expect(await joins(players[4]!)).toBe('created');
    // Opened one change at a time: joinable only once all three are undone.
    await store.setSettings('g', ann.instance_id, { locked: false });
    await store.setSettings('g', ann.instance_id, { hidden: false });
    expect(await joins(players[4]!)).toBe('created');
    await store.setSettings('g', ann.instance_id, { password: null });
    expect(await joins(players[4]!)).toBe('room');
    await store.join('g', 'room', bob, noPassword);
    expect(await joins(players[4]!)).toBe('created'); // full
    await store.leave('g', bob.instance_id);
    expect(await joins(players[4]!)).toBe('room'); // a seat freed
    await store.join('g', 'room', bob, noPassword);
    await store.setSettings('g', ann.instance_id, { maxPlayers: 3 });
    expect(await joins(players[4]!)).toBe('room');
    await store.setSettings('g', ann.instance_id, { metadata: { mode: 'ffa' } });
    expect(await joins(players[4]!)).toBe('created');
    // Closed: gone from quick join too.
    await store.setSettings('g', ann.instance_id, { metadata: { mode: 'ctf' } });
    await store.close('g', ann.instance_id);
    expect(await joins(players[4]!)).toBe('created');
  });

  it('20 players quick-joining at once fill exactly 5 lobbies of 4', async () => {
    const stores = backend === redis ? [store, ...[1, 2, 3].map(() => new RedisStore(redis.client(), 'test:'))] : [store];
    const results = await Promise.all(
      players.map((each, i) => stores[i % stores.length]!.quickJoin('g', each, { metadata: { mode: 'ctf' } }, quick({ mode: 'ctf' }))),
    );
    expect(results.filter((result) => result.outcome === 'created')).toHaveLength(5);
    const lobbies = await store.lobbies('g');
    expect(lobbies.map((lobby) => lobby.members.length)).toEqual([4, 4, 4, 4, 4]);
    expect(new Set(lobbies.map((lobby) => lobby.name)).size).toBe(5);
    for (const lobby of lobbies) expect(lobby.name).toMatch(/^brave-otter-\d+$/);
    const members = lobbies.flatMap((lobby) => lobby.members.map((member) => member.username));
    expect(members.sort()).toEqual(players.map((p) => p.username).sort());
  });
});
