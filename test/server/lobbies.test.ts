// The real signalling server on 127.0.0.1 with raw `ws` clients: identity, lobbies, management.
import { scryptSync } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LIST_REPLY_MAX } from '../../src/protocol/index.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { silentLogger } from '../helpers/logger.js';
import { barrier, RawClient } from './helpers.js';

let server: RunningServer;
const clients: RawClient[] = [];

beforeEach(async () => {
  server = await startServer({ port: 0, logger: silentLogger });
});
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await server.close();
});

async function open(ugi = 'g'): Promise<RawClient> {
  const client = await RawClient.open(`${server.wsUrl}?ugi=${ugi}`);
  clients.push(client);
  return client;
}

async function player(username: string, ugi = 'g', pubkey?: string): Promise<RawClient & { id: string }> {
  const client = (await open(ugi)) as RawClient & { id: string };
  const ok = await client.request('INIT', { username, ...(pubkey ? { pubkey } : {}) }, 'INIT_OK');
  client.id = (ok.payload as { instance_id: string }).instance_id;
  return client;
}

const lobby = (name: string, extra: object = {}) => ({ name, max_players: -1, password: '', locked: false, enable_relay: false, ...extra });

async function lobbyOf(host: RawClient, name: string, members: RawClient[] = [], extra: object = {}) {
  expect((await host.request('CREATE_LOBBY', lobby(name, extra), 'CREATE_ACK')).payload).toBe('ok');
  for (const member of members) {
    expect((await member.request('JOIN_LOBBY', { name, password: '' }, 'JOIN_ACK')).payload).toBe('ok');
  }
  // Every announcement those requests caused has arrived (their replies came first, so a round-trip on
  // each socket now comes after them), then each test starts from empty queues.
  await barrier(...clients);
  for (const client of [host, ...members]) client.received.length = 0;
}

describe('INIT and KEEPALIVE', () => {
  it('refuses anything before INIT, then initialises once', async () => {
    const client = await open();
    expect(await client.request('LIST_LOBBIES', undefined, 'WARNING')).toMatchObject({ payload: 'not initialized' });
    // Except KEEPALIVE: upstream sends it before INIT and stops its keepalive loop when it goes unanswered.
    expect(await client.request('KEEPALIVE')).toMatchObject({ opcode: 'KEEPALIVE_ACK' });
    const ok = await client.request('INIT', { username: 'ann' }, 'INIT_OK');
    expect(ok.payload).toMatchObject({ username: 'ann', instance_id: expect.any(String), user_id: expect.any(String) });
    expect(await client.request('INIT', { username: 'ann2' }, 'WARNING')).toMatchObject({ payload: 'already initialized' });
    expect(await client.request('KEEPALIVE', undefined)).toMatchObject({ opcode: 'KEEPALIVE_ACK' });
  });

  it('keeps usernames unique per game only, and lets the client retry', async () => {
    await player('ann', 'g1');
    const twin = await open('g1');
    expect(await twin.request('INIT', { username: 'ann' })).toMatchObject({ opcode: 'WARNING', payload: 'username taken' });
    // One name, two spellings (composed ñ, then n + combining tilde): the second is taken.
    await player('a\u00f1n', 'g1');
    const decomposed = await open('g1');
    expect(await decomposed.request('INIT', { username: 'an\u0303n' })).toMatchObject({ opcode: 'WARNING', payload: 'username taken' });
    // A look-alike (Cyrillic а) of a taken name is taken too.
    expect(await decomposed.request('INIT', { username: '\u0430nn' })).toMatchObject({ opcode: 'WARNING', payload: 'username taken' });
    expect(await twin.request('INIT', { username: 'ann-2' })).toMatchObject({ opcode: 'INIT_OK' });
    await expect(player('ann', 'g2')).resolves.toBeDefined();
  });

  it('rejects bad usernames with the reason', async () => {
    const client = await open();
    expect((await client.request('INIT', { username: '' })).payload).toContain('payload.username must be 1–64');
    expect((await client.request('INIT', { username: 'a\nb' })).payload).toContain('printable');
    expect((await client.request('INIT', { username: 7 })).payload).toContain('must be a string');
  });

  it('partitions players and lobbies by ugi', async () => {
    const ann = await player('ann', 'one');
    const bob = await player('bob', 'two');
    await lobbyOf(ann, 'room');
    expect((await bob.request('LIST_LOBBIES')).payload).toEqual([]);
    expect((await bob.request('JOIN_LOBBY', { name: 'room', password: '' })).payload).toBe('not found');
  });
});

describe('lobbies', () => {
  it('creates a lobby: ACK, TRANSITION host, NEW_HOST self, NEW_LOBBY to idle players only', async () => {
    const ann = await player('ann');
    const bob = await player('bob');
    const cat = await player('cat');
    await lobbyOf(cat, 'other');
    bob.received.length = 0;
    ann.received.length = 0;
    await ann.request('CREATE_LOBBY', lobby('room'), 'CREATE_ACK');
    expect((await ann.next('TRANSITION')).payload).toBe('host');
    expect((await ann.next('NEW_HOST')).payload).toMatchObject({ instance_id: ann.id, username: 'ann' });
    expect((await bob.next('NEW_LOBBY')).payload).toBe('room');
    await barrier(ann, cat);
    expect(cat.opcodes()).not.toContain('NEW_LOBBY');
    expect(ann.opcodes()).not.toContain('NEW_LOBBY');
  });

  it('reports create errors: exists, already in lobby, invalid with the field named', async () => {
    const ann = await player('ann');
    const bob = await player('bob');
    await lobbyOf(ann, 'room');
    expect((await bob.request('CREATE_LOBBY', lobby('room'), 'CREATE_ACK')).payload).toBe('exists');
    expect((await ann.request('CREATE_LOBBY', lobby('second'), 'CREATE_ACK')).payload).toBe('already in lobby');
    const listener = 'bad-create';
    bob.send({ opcode: 'CREATE_LOBBY', payload: lobby('x', { max_players: 'lots' }), listener });
    expect(await bob.next('WARNING')).toMatchObject({ listener, payload: expect.stringContaining('payload.max_players') });
    expect(await bob.next('CREATE_ACK')).toMatchObject({ listener, payload: 'invalid' });
    expect((await bob.request('CREATE_LOBBY', lobby('y', { max_players: 0 }), 'CREATE_ACK')).payload).toBe('invalid');
  });

  it('lists visible lobbies only; finds hidden ones without ever exposing the password', async () => {
    const ann = await player('ann');
    const bob = await player('bob');
    const cat = await player('cat');
    await lobbyOf(ann, 'open');
    await lobbyOf(bob, 'secret', [], { hidden: true, password: 'hunter2', max_players: 3 });
    expect((await cat.request('LIST_LOBBIES')).payload).toEqual(['open']);
    const found = await cat.request('FIND_LOBBY', 'secret');
    expect(found.payload).toEqual({
      name: 'secret',
      host: { instance_id: bob.id, user_id: expect.any(String), username: 'bob' },
      max_players: 3,
      current_players: 1,
      currently_locked: false,
      password_required: true,
      relay_enabled: false,
      hidden: true,
      metadata: {},
    });
    expect(JSON.stringify(found)).not.toContain('hunter2');
    expect((await cat.request('FIND_LOBBY', 'nope')).payload).toBe('not found');
    expect((await cat.request('JOIN_LOBBY', { name: 'secret', password: 'hunter2' }, 'JOIN_ACK')).payload).toBe('ok');
  });

  it('stores passwords as salted scrypt hashes', async () => {
    const ann = await player('ann');
    await lobbyOf(ann, 'room', [], { password: 'hunter2' });
    const stored = (await server.store.find('g', 'room'))!.settings.password!;
    expect(stored.hash.toString('utf8')).not.toContain('hunter2');
    expect(stored.salt.length).toBe(16);
    expect(JSON.stringify((await server.store.find('g', 'room'))!.settings)).not.toContain('hunter2');
    // Plain scrypt with its defaults (hashed on the server's hashing threads): hashes stored before them still verify.
    expect(scryptSync('hunter2', stored.salt, 32).equals(stored.hash)).toBe(true);
    expect(scryptSync('hunter3', stored.salt, 32).equals(stored.hash)).toBe(false);
  });

  it('joins: ACK, TRANSITION peer, NEW_HOST to joiner, NEW_PEER to host, PEER_JOIN to others, pubkeys passed on', async () => {
    const ann = await player('ann');
    const bob = await player('bob');
    const cat = await player('cat', 'g', 'A'.repeat(124));
    await lobbyOf(ann, 'room', [bob]);
    expect((await cat.request('JOIN_LOBBY', { name: 'room', password: '' }, 'JOIN_ACK')).payload).toBe('ok');
    expect((await cat.next('TRANSITION')).payload).toBe('peer');
    expect((await cat.next('NEW_HOST')).payload).toMatchObject({ instance_id: ann.id });
    expect((await ann.next('NEW_PEER')).payload).toMatchObject({ instance_id: cat.id, username: 'cat', pubkey: 'A'.repeat(124) });
    expect((await bob.next('PEER_JOIN')).payload).toMatchObject({ instance_id: cat.id });
    expect(ann.opcodes()).not.toContain('PEER_JOIN');
    expect((await server.store.find('g', 'room'))!.members.length).toBe(3);
  });

  it('reports join errors: not found, locked, full, password, already in lobby', async () => {
    const ann = await player('ann');
    const bob = await player('bob');
    const cat = await player('cat');
    await lobbyOf(ann, 'pw', [], { password: 'pw', max_players: 2 });
    expect((await bob.request('JOIN_LOBBY', { name: 'missing', password: '' }, 'JOIN_ACK')).payload).toBe('not found');
    expect((await bob.request('JOIN_LOBBY', { name: 'pw', password: 'wrong' }, 'JOIN_ACK')).payload).toBe('password');
    expect((await bob.request('JOIN_LOBBY', { name: 'pw' }, 'JOIN_ACK')).payload).toBe('password');
    expect((await bob.request('JOIN_LOBBY', { name: 'pw', password: 'pw' }, 'JOIN_ACK')).payload).toBe('ok');
    expect((await cat.request('JOIN_LOBBY', { name: 'pw', password: 'pw' }, 'JOIN_ACK')).payload).toBe('full');
    expect((await bob.request('JOIN_LOBBY', { name: 'pw', password: 'pw' }, 'JOIN_ACK')).payload).toBe('already in lobby');
    expect((await ann.request('MANAGE_LOBBY', { method: 'change_max_players', args: -1 }, 'MANAGE_ACK')).payload).toBe('ok');
    expect((await ann.request('MANAGE_LOBBY', { method: 'lock', args: null }, 'MANAGE_ACK')).payload).toBe('ok');
    expect((await cat.request('JOIN_LOBBY', { name: 'pw', password: 'pw' }, 'JOIN_ACK')).payload).toBe('locked');
  });

  it('leaves: ACK, TRANSITION "", PEER_LEFT to the rest; an emptied lobby is deleted', async () => {
    const ann = await player('ann');
    const bob = await player('bob');
    await lobbyOf(ann, 'room', [bob]);
    expect((await bob.request('LEAVE_LOBBY', undefined, 'LEAVE_ACK')).payload).toBe('ok');
    expect((await bob.next('TRANSITION')).payload).toBe('');
    expect((await ann.next('PEER_LEFT')).payload).toBe(bob.id);
    expect((await bob.request('LEAVE_LOBBY', undefined, 'LEAVE_ACK')).payload).toBe('not in lobby');
    await ann.request('LEAVE_LOBBY', undefined, 'LEAVE_ACK');
    expect((await bob.request('FIND_LOBBY', 'room')).payload).toBe('not found');
  });

  it('migrates the host to the earliest member when the host disconnects', async () => {
    const ann = await player('ann');
    const bob = await player('bob');
    const cat = await player('cat');
    const dan = await player('dan');
    await lobbyOf(ann, 'room', [bob, cat, dan]);
    // A goodbye (a close frame): the seat is not held (test/server/resume.test.ts covers drops).
    ann.ws.close();
    expect((await bob.next('TRANSITION')).payload).toBe('host');
    for (const other of [cat, dan]) {
      expect((await other.next('NEW_HOST')).payload).toMatchObject({ instance_id: bob.id });
      expect(other.opcodes()[0]).toBe('PEER_LEFT');
      expect((await other.next('PEER_LEFT')).payload).toBe(ann.id);
    }
    // The new host learns it from NEW_HOST too (upstream clients know "am I host" only from it), before PEER_LEFT.
    expect((await bob.next('NEW_HOST')).payload).toMatchObject({ instance_id: bob.id });
    expect((await bob.next('PEER_LEFT')).payload).toBe(ann.id);
    expect((await cat.request('FIND_LOBBY', 'room')).payload).toMatchObject({ host: { instance_id: bob.id }, current_players: 3 });
  });
});

describe('MANAGE_LOBBY', () => {
  it('is host only', async () => {
    const ann = await player('ann');
    const bob = await player('bob');
    const cat = await player('cat');
    await lobbyOf(ann, 'room', [bob]);
    expect((await bob.request('MANAGE_LOBBY', { method: 'lock', args: null })).payload).toBe('unauthorized');
    expect((await cat.request('MANAGE_LOBBY', { method: 'lock', args: null })).payload).toBe('not in lobby');
  });

  it('hides and shows, locks and unlocks', async () => {
    const ann = await player('ann');
    const bob = await player('bob');
    await lobbyOf(ann, 'room');
    const manage = async (method: string) => (await ann.request('MANAGE_LOBBY', { method, args: null })).payload;
    expect(await manage('hide')).toBe('ok');
    expect((await bob.request('LIST_LOBBIES')).payload).toEqual([]);
    expect(await manage('show')).toBe('ok');
    expect((await bob.request('LIST_LOBBIES')).payload).toEqual(['room']);
    expect(await manage('lock')).toBe('ok');
    expect((await bob.request('FIND_LOBBY', 'room')).payload).toMatchObject({ currently_locked: true });
    expect(await manage('unlock')).toBe('ok');
    expect((await bob.request('JOIN_LOBBY', { name: 'room', password: '' }, 'JOIN_ACK')).payload).toBe('ok');
  });

  it('kicks a member: WARNING + TRANSITION "" to them, PEER_LEFT to the rest', async () => {
    const ann = await player('ann');
    const bob = await player('bob');
    const cat = await player('cat');
    await lobbyOf(ann, 'room', [bob, cat]);
    expect((await ann.request('MANAGE_LOBBY', { method: 'kick', args: cat.id }, 'MANAGE_ACK')).payload).toBe('ok');
    expect((await cat.next('WARNING')).payload).toBe('kicked from the lobby');
    expect((await cat.next('TRANSITION')).payload).toBe('');
    expect((await bob.next('PEER_LEFT')).payload).toBe(cat.id);
    expect((await ann.next('PEER_LEFT')).payload).toBe(cat.id);
    expect((await ann.request('MANAGE_LOBBY', { method: 'kick', args: cat.id })).payload).toBe('not a member');
    expect((await ann.request('MANAGE_LOBBY', { method: 'kick', args: ann.id })).payload).toBe('cannot kick yourself');
    expect((await ann.request('MANAGE_LOBBY', { method: 'kick', args: 42 })).payload).toContain('invalid args');
    // A kick is not a ban, but the join cooldown (join-cooldown.ts) holds: cat joined within the last second.
    const rejoin = async () => (await cat.request('JOIN_LOBBY', { name: 'room', password: '' }, 'JOIN_ACK')).payload;
    expect(await rejoin()).toMatch(/^joining too often: try again in 1 s$/);
    const deadline = Date.now() + 5000;
    let answer: unknown;
    do {
      await new Promise((resolve) => setTimeout(resolve, 250));
      answer = await rejoin();
    } while (answer !== 'ok' && Date.now() < deadline);
    expect(answer).toBe('ok');
  });

  it('changes the password: the old one stops working, "" removes it', async () => {
    const ann = await player('ann');
    const bob = await player('bob');
    await lobbyOf(ann, 'room', [], { password: 'old' });
    expect((await ann.request('MANAGE_LOBBY', { method: 'change_password', args: 'new' })).payload).toBe('ok');
    expect((await bob.request('JOIN_LOBBY', { name: 'room', password: 'old' }, 'JOIN_ACK')).payload).toBe('password');
    expect((await ann.request('MANAGE_LOBBY', { method: 'change_password', args: '' })).payload).toBe('ok');
    expect((await bob.request('FIND_LOBBY', 'room')).payload).toMatchObject({ password_required: false });
    expect((await bob.request('JOIN_LOBBY', { name: 'room', password: 'whatever' }, 'JOIN_ACK')).payload).toBe('ok');
    expect((await ann.request('MANAGE_LOBBY', { method: 'change_password', args: 5 })).payload).toContain('invalid args');
  });

  it('changes the player limit (upstream always failed), never below the current players', async () => {
    const ann = await player('ann');
    const bob = await player('bob');
    await lobbyOf(ann, 'room', [bob]);
    const limit = async (args: unknown) => (await ann.request('MANAGE_LOBBY', { method: 'change_max_players', args })).payload;
    expect(await limit(1)).toBe('below current players');
    expect(await limit(0)).toContain('invalid args');
    expect(await limit(1.5)).toContain('invalid args');
    expect(await limit(2)).toBe('ok');
    expect((await bob.request('FIND_LOBBY', 'room')).payload).toMatchObject({ max_players: 2, current_players: 2 });
    expect(await limit(-1)).toBe('ok');
  });

  it('transfers ownership: TRANSITION host / peer and NEW_HOST to everyone', async () => {
    const ann = await player('ann');
    const bob = await player('bob');
    const cat = await player('cat');
    await lobbyOf(ann, 'room', [bob, cat]);
    expect((await ann.request('MANAGE_LOBBY', { method: 'transfer_ownership', args: cat.id }, 'MANAGE_ACK')).payload).toBe('ok');
    expect((await cat.next('TRANSITION')).payload).toBe('host');
    expect((await ann.next('TRANSITION')).payload).toBe('peer');
    for (const each of [ann, bob, cat]) expect((await each.next('NEW_HOST')).payload).toMatchObject({ instance_id: cat.id });
    expect((await ann.request('MANAGE_LOBBY', { method: 'lock', args: null })).payload).toBe('unauthorized');
    expect((await cat.request('MANAGE_LOBBY', { method: 'transfer_ownership', args: cat.id })).payload).toBe('already host');
  });

  it('closes the lobby: LOBBY_CLOSED + TRANSITION "" to members only', async () => {
    const ann = await player('ann');
    const bob = await player('bob');
    const outsider = await player('out');
    await lobbyOf(ann, 'room', [bob]);
    expect((await ann.request('MANAGE_LOBBY', { method: 'close_lobby', args: null }, 'MANAGE_ACK')).payload).toBe('ok');
    for (const each of [ann, bob]) {
      expect((await each.next('LOBBY_CLOSED')).payload).toBe('room');
      expect((await each.next('TRANSITION')).payload).toBe('');
    }
    expect((await outsider.request('FIND_LOBBY', 'room')).payload).toBe('not found');
    expect(outsider.opcodes()).not.toContain('LOBBY_CLOSED');
    expect((await bob.request('CREATE_LOBBY', lobby('room'), 'CREATE_ACK')).payload).toBe('ok');
  });
});

describe('LIST_LOBBIES is bounded', () => {
  it('names at most the oldest 100 lobbies, with or without a filter, and a WARNING says how many there are', async () => {
    const hosts = await Promise.all(Array.from({ length: LIST_REPLY_MAX + 5 }, (_, i) => player(`host${i}`, 'big')));
    for (const [i, host] of hosts.entries()) await host.request('CREATE_LOBBY', lobby(`room${i}`), 'CREATE_ACK');
    const lister = await player('lister', 'big');
    const names = (await lister.request('LIST_LOBBIES', undefined, 'LIST_ACK')).payload as string[];
    expect(names).toEqual(Array.from({ length: LIST_REPLY_MAX }, (_, i) => `room${i}`));
    expect((await lister.next('WARNING')).payload).toBe(`list truncated: the oldest ${LIST_REPLY_MAX} of ${LIST_REPLY_MAX + 5} lobbies`);
    const summaries = (await lister.request('LIST_LOBBIES', { free_seats: true }, 'LIST_ACK')).payload as { name: string }[];
    expect(summaries.map((s) => s.name)).toEqual(names);
    expect((await lister.next('WARNING')).payload).toContain(`of ${LIST_REPLY_MAX + 5} lobbies`);
    // At the limit exactly: no WARNING.
    for (const host of hosts.slice(0, 5)) await host.request('MANAGE_LOBBY', { method: 'close_lobby', args: null }, 'MANAGE_ACK');
    expect(((await lister.request('LIST_LOBBIES', undefined, 'LIST_ACK')).payload as string[]).length).toBe(LIST_REPLY_MAX);
    await lister.sync();
    expect(lister.opcodes()).not.toContain('WARNING');
  });
});
