// The lobby rules each LobbyStore command decides, on the store alone (the server suites test them on
// the wire): the same tests for MemoryStore and for RedisStore on a real redis-server, plus the race
// only a shared store has (two nodes, one seat).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { User } from '../../src/protocol/index.js';
import { PasswordHasher } from '../../src/server/password.js';
import { RedisStore } from '../../src/server/redis-store.js';
import type { LobbySettings, LobbyStore } from '../../src/server/store.js';
import { type Backend, INSTALL_MS, memory, redisBackend } from '../helpers/store-backends.js';

const user = (name: string): User => ({ instance_id: `id-${name}`, user_id: `id-${name}`, username: name });
const [ann, bob, cat, dan] = ['ann', 'bob', 'cat', 'dan'].map(user) as [User, User, User, User];
const open: LobbySettings = { maxPlayers: -1, password: null, locked: false, hidden: false, relayEnabled: false };
const noPassword = async () => {
  throw new Error('no password to check');
};
/** Whether the game has a player whose name looks like `username`: the way INIT finds out (a claim, undone). */
async function taken(store: LobbyStore, game: string, username: string): Promise<boolean> {
  const probe: User = { instance_id: 'probe', user_id: 'probe', username };
  if ((await store.addPlayer(game, probe)) === 'taken') return true;
  await store.removePlayer(game, probe.instance_id);
  return false;
}

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
    for (const each of [ann, bob, cat, dan]) expect(await store.addPlayer('g', each)).toBe('ok');
  });

  it('a username is unique per game, and free again once its player is removed', async () => {
    expect(await store.addPlayer('g', { ...user('ann'), instance_id: 'other' })).toBe('taken');
    expect(await store.addPlayer('h', { ...user('ann'), instance_id: 'other' })).toBe('ok');
    expect(await taken(store, 'g', 'ann')).toBe(true);
    await store.removePlayer('g', ann.instance_id);
    expect(await taken(store, 'g', 'ann')).toBe(false);
    expect((await store.players('g')).map((p) => p.username).sort()).toEqual(['bob', 'cat', 'dan']);
  });

  it('a username that only looks like a taken one (Cyrillic а, 1 for l) is taken, until the player it looks like is removed', async () => {
    const lookalike = { ...user('\u0430nn'), instance_id: 'mallory' };
    expect(await store.addPlayer('g', lookalike)).toBe('taken');
    expect(await taken(store, 'g', 'a\u043dn')).toBe(false); // Cyrillic н is not drawn like n
    expect(await taken(store, 'g', 'b0b')).toBe(false);
    expect(await taken(store, 'g', 'dan')).toBe(true);
    expect(await store.addPlayer('g', { ...user('Dan'), instance_id: 'other' })).toBe('ok'); // case is visible
    await store.removePlayer('g', ann.instance_id);
    expect(await store.addPlayer('g', lookalike)).toBe('ok');
    // Stored and listed as given, not as its skeleton.
    expect((await store.players('g')).map((p) => p.username)).toContain('\u0430nn');
    expect(await taken(store, 'g', 'ann')).toBe(true);
  });

  it('create: a lobby name is unique per game; a member cannot create another', async () => {
    const created = await store.create('g', 'room', ann, open);
    expect(created.outcome).toBe('ok');
    if (created.outcome !== 'ok') return;
    expect(created.lobby.host).toEqual(ann);
    expect(created.lobby.members).toEqual([ann]);
    expect((await store.create('g', 'room', bob, open)).outcome).toBe('exists');
    expect((await store.create('g', 'other', ann, open)).outcome).toBe('in-lobby');
    await store.addPlayer('h', bob);
    expect((await store.create('h', 'room', bob, open)).outcome).toBe('ok');
  });

  it('list hides hidden lobbies, find still answers them by name; showing one says so (it is then announced)', async () => {
    await store.create('g', 'shown', ann, open);
    const hidden = await store.create('g', 'secret', bob, { ...open, hidden: true });
    expect(hidden.outcome === 'ok' && hidden.lobby.settings.hidden).toBe(true);
    expect(await store.list('g', 100)).toEqual({ first: ['shown'], total: 1 });
    expect((await store.find('g', 'secret'))?.settings.hidden).toBe(true);
    expect(await store.find('g', 'nope')).toBeNull();
    const shown = await store.setSettings('g', bob.instance_id, { hidden: false });
    expect(shown.outcome === 'ok' && shown.shown).toBe(true);
    expect(await store.setSettings('g', bob.instance_id, { hidden: false })).toMatchObject({ outcome: 'ok', shown: false });
    expect(await store.list('g', 100)).toEqual({ first: ['shown', 'secret'], total: 2 });
  });

  it('games: each game by name with its players and lobbies counted, hidden ones included', async () => {
    expect(await store.games()).toEqual([{ game: 'g', players: 4, lobbies: 0 }]);
    await store.create('g', 'a', ann, open);
    await store.create('g', 'b', bob, { ...open, hidden: true });
    await store.addPlayer('f', ann);
    expect(await store.games()).toEqual([
      { game: 'f', players: 1, lobbies: 0 },
      { game: 'g', players: 4, lobbies: 2 },
    ]);
    await store.close('g', ann.instance_id);
    await store.removePlayer('g', dan.instance_id);
    await store.removePlayer('f', ann.instance_id);
    expect(await store.games()).toEqual([{ game: 'g', players: 3, lobbies: 1 }]);
  });

  it('list: the oldest page of the visible lobbies and how many there are, following every change that adds, hides, shows or closes one', async () => {
    const names = async (limit = 2) => store.list('g', limit);
    expect(await names()).toEqual({ first: [], total: 0 });
    await store.create('g', 'a', ann, open);
    await store.create('g', 'b', bob, { ...open, hidden: true });
    await store.create('g', 'c', cat, open);
    await store.create('g', 'd', dan, open);
    expect(await names()).toEqual({ first: ['a', 'c'], total: 3 });
    expect(await names(1)).toEqual({ first: ['a'], total: 3 });
    // Shown again, it keeps its place among the oldest.
    await store.setSettings('g', bob.instance_id, { hidden: false });
    expect(await names()).toEqual({ first: ['a', 'b'], total: 4 });
    await store.setSettings('g', ann.instance_id, { hidden: true });
    expect(await names()).toEqual({ first: ['b', 'c'], total: 3 });
    // Members coming and going change nothing listed; the last one out closes it.
    await store.leave('g', cat.instance_id);
    expect(await names()).toEqual({ first: ['b', 'd'], total: 2 });
    await store.close('g', bob.instance_id);
    await store.close('g', dan.instance_id);
    expect(await names()).toEqual({ first: [], total: 0 });
  });

  it('join: in-lobby, not-found, locked, full in that order; ok appends in join order', async () => {
    await store.create('g', 'room', ann, { ...open, maxPlayers: 2 });
    expect((await store.join('g', 'nope', bob, noPassword)).outcome).toBe('not-found');
    expect((await store.join('g', 'room', ann, noPassword)).outcome).toBe('in-lobby');
    const joined = await store.join('g', 'room', bob, noPassword);
    expect(joined.outcome === 'ok' && joined.lobby.members).toEqual([ann, bob]);
    expect((await store.join('g', 'room', cat, noPassword)).outcome).toBe('full');
    await store.setSettings('g', ann.instance_id, { maxPlayers: -1, locked: true });
    expect((await store.join('g', 'room', cat, noPassword)).outcome).toBe('locked');
    expect((await store.lobbyOf('g', bob.instance_id))?.name).toBe('room');
  });

  it('join with a password: checked outside, every rule decided again after the check', async () => {
    const hash = await passwords.hash('pw');
    await store.create('g', 'room', ann, { ...open, maxPlayers: 2, password: hash });
    expect((await store.find('g', 'room'))?.settings.password).toEqual(hash);
    expect((await store.join('g', 'room', bob, (stored) => passwords.verify('wrong', stored))).outcome).toBe('password');
    // Two joins racing for the last seat: both pass the check, only the first to finish gets in.
    const [first, second] = await Promise.all([
      store.join('g', 'room', bob, (stored) => passwords.verify('pw', stored)),
      store.join('g', 'room', cat, (stored) => passwords.verify('pw', stored)),
    ]);
    expect([first.outcome, second.outcome].sort()).toEqual(['full', 'ok']);
    // The password changed while a join was checking the old one: refused.
    await store.setSettings('g', ann.instance_id, { maxPlayers: -1 });
    const join = store.join('g', 'room', dan, async (stored) => {
      await store.setSettings('g', ann.instance_id, { password: await passwords.hash('new') });
      return passwords.verify('pw', stored);
    });
    expect((await join).outcome).toBe('password');
  });

  it('leave: the host moves to the earliest remaining member; the last one out deletes the lobby', async () => {
    await store.create('g', 'room', ann, open);
    for (const each of [bob, cat, dan]) await store.join('g', 'room', each, noPassword);
    const peerLeft = await store.leave('g', cat.instance_id);
    expect(peerLeft).toMatchObject({ left: cat, newHost: null, closed: false });
    expect(peerLeft?.lobby.members).toEqual([ann, bob, dan]);
    const hostLeft = await store.leave('g', ann.instance_id);
    expect(hostLeft).toMatchObject({ newHost: bob, closed: false });
    expect(hostLeft?.lobby.host).toEqual(bob);
    expect(await store.leave('g', ann.instance_id)).toBeNull();
    await store.leave('g', bob.instance_id);
    expect(await store.leave('g', dan.instance_id)).toMatchObject({ closed: true, newHost: null });
    expect(await store.find('g', 'room')).toBeNull();
    expect(await store.lobbyOf('g', dan.instance_id)).toBeNull();
  });

  it('host-only commands: refused for members and outsiders; kick, transfer, max players, close', async () => {
    await store.create('g', 'room', ann, open);
    await store.join('g', 'room', bob, noPassword);
    await store.join('g', 'room', cat, noPassword);
    expect((await store.kick('g', bob.instance_id, cat.instance_id)).outcome).toBe('unauthorized');
    expect((await store.setSettings('g', dan.instance_id, { locked: true })).outcome).toBe('not-in-lobby');
    expect((await store.kick('g', ann.instance_id, dan.instance_id)).outcome).toBe('not-a-member');
    expect((await store.kick('g', ann.instance_id, ann.instance_id)).outcome).toBe('self');
    expect((await store.setSettings('g', ann.instance_id, { maxPlayers: 2 })).outcome).toBe('below-current-players');
    const kicked = await store.kick('g', ann.instance_id, cat.instance_id);
    expect(kicked.outcome === 'ok' && kicked.departure.lobby.members).toEqual([ann, bob]);
    expect((await store.setHost('g', ann.instance_id, ann.instance_id)).outcome).toBe('already-host');
    const moved = await store.setHost('g', ann.instance_id, bob.instance_id);
    expect(moved.outcome === 'ok' && [moved.previous, moved.lobby.host]).toEqual([ann, bob]);
    expect((await store.close('g', ann.instance_id)).outcome).toBe('unauthorized');
    const closed = await store.close('g', bob.instance_id);
    expect(closed.outcome === 'ok' && closed.lobby.members).toEqual([ann, bob]);
    expect(await store.lobbyOf('g', ann.instance_id)).toBeNull();
    expect((await store.create('g', 'room', ann, open)).outcome).toBe('ok');
  });

  it('returns copies: changing a result changes nothing stored', async () => {
    const created = await store.create('g', 'room', ann, open);
    if (created.outcome !== 'ok') throw new Error('not created');
    created.lobby.members.push(bob);
    created.lobby.settings.locked = true;
    created.lobby.host.username = 'mallory';
    const stored = await store.find('g', 'room');
    expect(stored?.members).toEqual([ann]);
    expect(stored?.settings.locked).toBe(false);
    expect(stored?.host.username).toBe('ann');
  });

  it('seats: a token resumes once and is replaced; hold and resume; removal releases the seat and its token', async () => {
    const token = await store.issueToken('g', ann.instance_id);
    expect(await store.resumeSeat('h', token)).toBeNull();
    await store.holdSeat('g', ann.instance_id);
    expect(await store.seatHeld('g', ann.instance_id)).toBe(true);
    const resumed = await store.resumeSeat('g', token);
    expect(resumed?.user).toEqual(ann);
    expect(resumed?.token).not.toBe(token);
    expect(await store.seatHeld('g', ann.instance_id)).toBe(false);
    expect(await store.resumeSeat('g', token)).toBeNull();
    // A newer token replaces the older one.
    const newer = await store.issueToken('g', ann.instance_id);
    expect(await store.resumeSeat('g', resumed!.token)).toBeNull();
    await store.holdSeat('g', ann.instance_id);
    await store.removePlayer('g', ann.instance_id);
    expect(await store.seatHeld('g', ann.instance_id)).toBe(false);
    expect(await store.resumeSeat('g', newer)).toBeNull();
  });

  it('setRelay: records the relay peer, makes it a relay lobby only when lobby-wide; null once the lobby is gone', async () => {
    await store.create('g', 'mesh', ann, open);
    const relay = user('relay');
    expect((await store.setRelay('g', 'mesh', relay, false))?.settings.relayEnabled).toBe(false);
    expect((await store.find('g', 'mesh'))?.relay).toEqual(relay);
    await store.create('g', 'wide', bob, open);
    expect((await store.setRelay('g', 'wide', relay, true))?.settings.relayEnabled).toBe(true);
    await store.leave('g', bob.instance_id);
    expect(await store.setRelay('g', 'wide', relay, true)).toBeNull();
  });

  it('keeps names and users as given: unicode, quotes, braces and glob characters, an optional pubkey', async () => {
    const game = 'odd}:players{*?[x]\\';
    const odd: User = { instance_id: 'id-ödd', user_id: 'u"1', username: 'Zoë 🎮 "quoted" \\', pubkey: 'pk/+=' };
    expect(await store.addPlayer(game, odd)).toBe('ok');
    expect(await taken(store, game, odd.username)).toBe(true);
    const created = await store.create(game, 'lobby 🎲 {*}', odd, { ...open, maxPlayers: 7 });
    expect(created.outcome === 'ok' && created.lobby).toEqual({
      game,
      name: 'lobby 🎲 {*}',
      host: odd,
      members: [odd],
      settings: { ...open, maxPlayers: 7 },
      relay: null,
      created: 1,
    });
    expect(await store.list(game, 100)).toEqual({ first: ['lobby 🎲 {*}'], total: 1 });
    expect(await store.players(game)).toEqual([odd]);
    expect((await store.games()).map((counted) => counted.game)).toEqual(['g', game].sort());
  });

  it('forgets a game once it has no players and no lobbies', async () => {
    await store.create('g', 'room', ann, open);
    for (const each of [ann, bob, cat, dan]) await store.removePlayer('g', each.instance_id);
    expect(await store.games()).toEqual([{ game: 'g', players: 0, lobbies: 1 }]);
    await store.leave('g', ann.instance_id);
    expect(await store.games()).toEqual([]);
    // Its lobby counter went with it: lobbies are numbered from 1 again.
    await store.addPlayer('g', ann);
    expect(await store.create('g', 'again', ann, open)).toMatchObject({ outcome: 'ok', lobby: { created: 1 } });
  });
});

describe('RedisStore keys', () => {
  beforeAll(() => redis.start(), INSTALL_MS);
  afterAll(() => redis.stop());

  it('leaves no key behind once a game has no players and no lobbies (the lobby counter included)', async () => {
    const store = await redis.make();
    const keys = () => redis.client().keys('test:*');
    for (const each of [ann, bob, cat]) await store.addPlayer('g', each);
    await store.create('g', 'room', ann, open);
    await store.join('g', 'room', bob, noPassword);
    await store.quickJoin('g', cat, {}, { namePrefix: 'quick', settings: open });
    await store.issueToken('g', bob.instance_id);
    await store.holdSeat('g', bob.instance_id);
    expect((await keys()).length).toBeGreaterThan(0);
    await store.leave('g', cat.instance_id);
    for (const each of [ann, bob, cat]) await store.removePlayer('g', each.instance_id);
    // ann's lobby still holds bob: removing a player does not take it out of its lobby.
    expect(await keys()).toContain('test:{g}:lobbySeq');
    for (const each of [ann, bob]) await store.leave('g', each.instance_id);
    expect(await keys()).toEqual([]);
  });
});

describe('RedisStore on two nodes', () => {
  beforeAll(() => redis.start(), INSTALL_MS);
  afterAll(() => redis.stop());

  it('two nodes race 100 times for the last seat of a lobby: exactly one wins each time', async () => {
    await redis.make();
    // Two clients, as two server nodes would have, on the same keys.
    const [nodeA, nodeB] = [new RedisStore(redis.client(), 'test:'), new RedisStore(redis.client(), 'test:')];
    for (const each of [ann, bob, cat]) expect(await nodeA.addPlayer('g', each)).toBe('ok');
    for (let round = 0; round < 100; round++) {
      const name = `room-${round}`;
      expect((await nodeA.create('g', name, ann, { ...open, maxPlayers: 2 })).outcome).toBe('ok');
      const [first, second] = await Promise.all([nodeA.join('g', name, bob, noPassword), nodeB.join('g', name, cat, noPassword)]);
      expect([first.outcome, second.outcome].sort(), `round ${round}`).toEqual(['full', 'ok']);
      const lobby = await nodeB.find('g', name);
      expect(lobby?.members.map((member) => member.username)).toEqual(['ann', first.outcome === 'ok' ? 'bob' : 'cat']);
      // Everyone out again (the lobby goes with its last member), for the next round.
      for (const each of [ann, bob, cat]) await (round % 2 ? nodeA : nodeB).leave('g', each.instance_id);
      expect(await nodeA.find('g', name)).toBeNull();
    }
  });

  it("a node's search reads the game's lobbies once per change, and sees every change another node makes", async () => {
    await redis.make();
    const searcher = redis.client();
    let reads = 0;
    const hvals = searcher.hvals.bind(searcher);
    searcher.hvals = ((...args: Parameters<typeof hvals>) => {
      reads += 1;
      return hvals(...args);
    }) as typeof searcher.hvals;
    const [nodeA, nodeB] = [new RedisStore(searcher, 'test:'), new RedisStore(redis.client(), 'test:')];
    for (const each of [ann, bob, cat, dan]) expect(await nodeB.addPlayer('g', each)).toBe('ok');
    const search = async () => {
      const { first, total } = await nodeA.listMatching('g', { freeSeats: true }, 10);
      return { names: first.map((lobby) => `${lobby.name}:${lobby.members.length}`), total };
    };
    expect(await search()).toEqual({ names: [], total: 0 });
    await nodeB.create('g', 'a', ann, { ...open, maxPlayers: 2 });
    await nodeB.create('g', 'b', bob, open);
    expect(await search()).toEqual({ names: ['a:1', 'b:1'], total: 2 });
    const before = reads;
    await Promise.all([search(), search(), search()]);
    expect(reads).toBe(before);
    await nodeB.join('g', 'a', cat, noPassword);
    expect(await search()).toEqual({ names: ['b:1'], total: 1 });
    await nodeB.setSettings('g', bob.instance_id, { hidden: true });
    expect(await search()).toEqual({ names: [], total: 0 });
    await nodeB.leave('g', cat.instance_id);
    expect(await search()).toEqual({ names: ['a:1'], total: 1 });
    await nodeB.close('g', ann.instance_id);
    await nodeB.setSettings('g', bob.instance_id, { hidden: false, metadata: { mode: 'ctf' } });
    expect(await nodeA.listMatching('g', { metadata: { mode: 'ctf' } }, 10)).toMatchObject({ first: [{ name: 'b' }], total: 1 });
    // Read again once after each change seen (the close and the settings were seen together), never in between.
    expect(reads).toBe(before + 4);
    // What a node answers is a copy: changing it changes nothing kept.
    const [kept] = (await nodeA.listMatching('g', {}, 10)).first;
    kept!.members.push(dan);
    expect((await nodeA.listMatching('g', {}, 10)).first[0]!.members).toHaveLength(1);
  });

  it('reindex: a lobby an older version wrote without its indexes is listed, searched and quick-joined after it', async () => {
    await redis.make();
    const client = redis.client();
    const node = new RedisStore(client, 'test:');
    for (const each of [ann, bob]) expect(await node.addPlayer('g', each)).toBe('ok');
    // As a node from before visibleLobbies and openLobbies wrote it: the lobby's field and the member's, nothing else.
    const old = { game: 'g', name: 'old', host: ann, members: [ann], settings: { ...open, maxPlayers: 4, metadata: {} }, relay: null, created: 1 };
    await client.hset('test:{g}:lobbies', 'old', JSON.stringify(old));
    await client.hset('test:{g}:memberOf', ann.instance_id, 'old');
    expect(await node.list('g', 10)).toEqual({ first: [], total: 0 });
    await node.reindex();
    expect(await node.list('g', 10)).toEqual({ first: ['old'], total: 1 });
    expect((await node.listMatching('g', { freeSeats: true }, 10)).first.map((lobby) => lobby.name)).toEqual(['old']);
    expect(await node.quickJoin('g', bob, {}, { namePrefix: 'new', settings: open })).toMatchObject({ outcome: 'joined', lobby: { name: 'old' } });
  });

  it('games are read from their set, not from the keyspace; reindex adds those an older version left out, and a game it emptied is dropped', async () => {
    await redis.make();
    const client = redis.client();
    const node = new RedisStore(client, 'test:');
    expect(await node.addPlayer('g', ann)).toBe('ok');
    expect(await client.smembers('test:games')).toEqual(['g']);
    // As a node from before the set wrote them: a player of one game, a lobby of another, no entry in the set.
    await client.hset('test:{old}:players', bob.instance_id, JSON.stringify(bob));
    await client.hset(
      'test:{older}:lobbies',
      'room',
      JSON.stringify({ game: 'older', name: 'room', host: cat, members: [cat], settings: open, relay: null, created: 1 }),
    );
    const scans = await commandCount(client, 'scan');
    expect((await node.games()).map((counted) => counted.game)).toEqual(['g']);
    expect(await commandCount(client, 'scan')).toBe(scans);
    await node.reindex();
    expect(await node.games()).toEqual([
      { game: 'g', players: 1, lobbies: 0 },
      { game: 'old', players: 1, lobbies: 0 },
      { game: 'older', players: 0, lobbies: 1 },
    ]);
    // An older node removes the last player of 'old' without taking it out of the set: not listed, and taken out.
    await client.hdel('test:{old}:players', bob.instance_id);
    expect((await node.games()).map((counted) => counted.game)).toEqual(['g', 'older']);
    expect((await client.smembers('test:games')).sort()).toEqual(['g', 'older']);
  });
});

describe('RedisStore games', () => {
  beforeAll(() => redis.start(), INSTALL_MS);
  afterAll(() => redis.stop());

  it('counts 600 games a page at a time: every game, none twice, in several short script runs', async () => {
    await redis.make();
    const client = redis.client();
    const node = new RedisStore(client, 'test:');
    const names = Array.from({ length: 600 }, (_, i) => `game-${String(i).padStart(3, '0')}`);
    await Promise.all(names.map((game, i) => node.addPlayer(game, user(`p${i}`))));
    // The games each run of the counting script is given.
    const given: number[] = [];
    const script = client as unknown as { cl5_games(...args: string[]): Promise<unknown> };
    const run = script.cl5_games;
    script.cl5_games = function (this: unknown, ...args: string[]) {
      given.push(args.length - 2); // after the set's key and the prefix
      return run.apply(this, args);
    };
    const games = await node.games();
    expect(games).toHaveLength(600);
    expect(games.map((counted) => counted.game)).toEqual(names);
    expect(games.every((counted) => counted.players === 1 && counted.lobbies === 0)).toBe(true);
    // At most 250 a run: at least 3 runs, each game in exactly one.
    expect(given.length).toBeGreaterThanOrEqual(3);
    expect(Math.max(...given)).toBeLessThanOrEqual(250);
    expect(given.reduce((sum, n) => sum + n, 0)).toBe(600);
  });
});

/** How many times Redis has run `command` since it started (INFO commandstats). */
async function commandCount(client: ReturnType<typeof redis.client>, command: string): Promise<number> {
  const stats = await client.info('commandstats');
  return Number(stats.match(new RegExp(`^cmdstat_${command}:calls=(\\d+)`, 'm'))?.[1] ?? 0);
}
