// Matchmaking on the wire, against the real server on 127.0.0.1 with raw `ws` clients: lobby metadata
// (CREATE_LOBBY, MANAGE_LOBBY set_metadata, FIND_ACK), LIST_LOBBIES with a filter, QUICK_JOIN; with
// the default MemoryStore and with RedisStore on a real redis-server (20 players at once: 5 lobbies of 4).
import { wrtc } from '../helpers/wrtc.js';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { METADATA_BYTES_MAX, METADATA_KEYS_MAX } from '../../src/protocol/index.js';
import { webRtcRelay } from '../../src/server/relay/relay-provider.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { silentLogger } from '../helpers/logger.js';
import { type Backend, INSTALL_MS, memory, redisBackend } from '../helpers/store-backends.js';
import { barrier, RawClient } from './helpers.js';

const backends: Backend[] = [memory, redisBackend()];

describe.each(backends)('with $name', (backend) => {
  let server: RunningServer;
  const clients: RawClient[] = [];
  beforeAll(() => backend.start(), INSTALL_MS);
  afterAll(() => backend.stop());
  beforeEach(async () => {
    server = await startServer({ port: 0, logger: silentLogger, store: await backend.make() });
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await server.close();
    // The server releases closed players in the background: let it finish with the store before the next test (or redis stops).
    for (let tries = 0; (await server.store.players('mm')).length > 0; tries += 1) {
      if (tries > 250) throw new Error('the server did not release its players within 5 s');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  });

  async function player(username: string): Promise<RawClient & { id: string }> {
    const client = (await RawClient.open(`${server.wsUrl}?ugi=mm`)) as RawClient & { id: string };
    clients.push(client);
    client.id = ((await client.request('INIT', { username }, 'INIT_OK')).payload as { instance_id: string }).instance_id;
    return client;
  }

  const lobby = (name: string, extra: object = {}) => ({ name, max_players: -1, password: '', locked: false, enable_relay: false, ...extra });

  describe('metadata', () => {
    it('is set at CREATE_LOBBY, shown by FIND_ACK, merged by the host with set_metadata (null removes)', async () => {
      const ann = await player('ann');
      const bob = await player('bob');
      const metadata = { map: 'desert', mode: 'ctf', round: 1 };
      expect((await ann.request('CREATE_LOBBY', lobby('room', { metadata }), 'CREATE_ACK')).payload).toBe('ok');
      expect((await bob.request('FIND_LOBBY', 'room')).payload).toMatchObject({ name: 'room', metadata });
      const change = { round: 2, mode: null, region: 'eu' };
      expect((await ann.request('MANAGE_LOBBY', { method: 'set_metadata', args: change }, 'MANAGE_ACK')).payload).toBe('ok');
      expect((await bob.request('FIND_LOBBY', 'room')).payload).toMatchObject({ metadata: { map: 'desert', round: 2, region: 'eu' } });
      // A lobby made without any has {}.
      expect((await bob.request('CREATE_LOBBY', lobby('plain'), 'CREATE_ACK')).payload).toBe('ok');
      expect((await ann.request('FIND_LOBBY', 'plain')).payload).toMatchObject({ metadata: {} });
    });

    it('refuses bad metadata at the edge with a WARNING saying why, and only the host may change it', async () => {
      const ann = await player('ann');
      const bob = await player('bob');
      const tooMany = Object.fromEntries(Array.from({ length: METADATA_KEYS_MAX + 1 }, (_, i) => [`k${i}`, i]));
      const tooBig = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`k${i}`, 'x'.repeat(120)]));
      const cases: [unknown, RegExp][] = [
        [{ nested: { a: 1 } }, /metadata\.nested must be a string/],
        [['a'], /metadata must be an object/],
        [tooMany, new RegExp(`at most ${METADATA_KEYS_MAX} entries`)],
        [tooBig, new RegExp(`at most ${METADATA_BYTES_MAX} bytes`)],
        [{ pi: Math.PI }, /at most 14 significant digits/],
        [{ long: 'x'.repeat(129) }, /0–128 characters/],
      ];
      for (const [metadata, reason] of cases) {
        const listener = `c${Math.random()}`;
        ann.send({ opcode: 'CREATE_LOBBY', payload: lobby('room', { metadata }), listener });
        expect(await ann.next('WARNING')).toMatchObject({ listener, payload: expect.stringMatching(reason) });
        expect(await ann.next('CREATE_ACK')).toMatchObject({ listener, payload: 'invalid' });
      }
      await ann.request('CREATE_LOBBY', lobby('room', { metadata: { a: 1 } }), 'CREATE_ACK');
      await bob.request('JOIN_LOBBY', { name: 'room', password: '' }, 'JOIN_ACK');
      expect((await bob.request('MANAGE_LOBBY', { method: 'set_metadata', args: { a: 2 } }, 'MANAGE_ACK')).payload).toBe('unauthorized');
      const grown = (await ann.request('MANAGE_LOBBY', { method: 'set_metadata', args: tooBig }, 'MANAGE_ACK')).payload;
      expect(grown).toMatch(/^invalid args: the lobby metadata after the change must be at most 1024 bytes/);
      expect((await ann.request('MANAGE_LOBBY', { method: 'set_metadata', args: 'x' }, 'MANAGE_ACK')).payload).toMatch(/^invalid args: args must be an object/);
      expect((await bob.request('FIND_LOBBY', 'room')).payload).toMatchObject({ metadata: { a: 1 } });
    });
  });

  describe('LIST_LOBBIES', () => {
    it('without a payload answers names (upstream); with a filter, summaries of the matching lobbies, oldest first', async () => {
      const [ann, bob, cat, dan] = await Promise.all(['ann', 'bob', 'cat', 'dan'].map(player));
      await ann!.request('CREATE_LOBBY', lobby('a', { max_players: 2, metadata: { mode: 'ctf', map: 'desert' } }), 'CREATE_ACK');
      await bob!.request('CREATE_LOBBY', lobby('b', { password: 'pw', metadata: { mode: 'ctf' } }), 'CREATE_ACK');
      await cat!.request('CREATE_LOBBY', lobby('c', { metadata: { mode: 'ffa' } }), 'CREATE_ACK');
      await dan!.request('CREATE_LOBBY', lobby('d', { hidden: true, metadata: { mode: 'ctf' } }), 'CREATE_ACK');
      const eve = await player('eve');
      expect((await eve.request('LIST_LOBBIES', undefined, 'LIST_ACK')).payload).toEqual(['a', 'b', 'c']);
      const all = (await eve.request('LIST_LOBBIES', {}, 'LIST_ACK')).payload;
      expect(all).toEqual([
        { name: 'a', metadata: { mode: 'ctf', map: 'desert' }, current_players: 1, max_players: 2, locked: false, password_required: false },
        { name: 'b', metadata: { mode: 'ctf' }, current_players: 1, max_players: -1, locked: false, password_required: true },
        { name: 'c', metadata: { mode: 'ffa' }, current_players: 1, max_players: -1, locked: false, password_required: false },
      ]);
      const names = async (filter: object) => ((await eve.request('LIST_LOBBIES', filter, 'LIST_ACK')).payload as { name: string }[]).map((l) => l.name);
      expect(await names({ metadata: { mode: 'ctf' } })).toEqual(['a', 'b']);
      expect(await names({ metadata: { mode: 'ctf' }, no_password: true })).toEqual(['a']);
      await eve.request('JOIN_LOBBY', { name: 'a', password: '' }, 'JOIN_ACK');
      expect(await names({ free_seats: true })).toEqual(['b', 'c']);
      const bad = await eve.request('LIST_LOBBIES', { free_seats: 'yes' });
      expect(bad).toMatchObject({ opcode: 'WARNING', payload: 'payload.free_seats must be true or false' });
    });
  });

  describe('QUICK_JOIN', () => {
    const quick = (mode = 'ctf', max = 4) => ({ filter: { metadata: { mode } }, create: { max_players: max, metadata: { map: 'desert' } } });

    it('creates a lobby with a readable name when none fits (host), then puts the next player in it (peer)', async () => {
      const ann = await player('ann');
      const bob = await player('bob');
      const idle = await player('idle');
      const first = (await ann.request('QUICK_JOIN', quick(), 'QUICK_JOIN_ACK')).payload as { name: string; created: boolean };
      expect(first).toEqual({ name: expect.stringMatching(/^[a-z]+-[a-z]+-\d+$/), created: true });
      expect((await ann.next('TRANSITION')).payload).toBe('host');
      expect((await ann.next('NEW_HOST')).payload).toMatchObject({ instance_id: ann.id });
      expect((await idle.next('NEW_LOBBY')).payload).toBe(first.name);
      // Made to match the filter it was looked for with.
      expect((await idle.request('FIND_LOBBY', first.name)).payload).toMatchObject({ max_players: 4, metadata: { map: 'desert', mode: 'ctf' } });

      expect((await bob.request('QUICK_JOIN', quick(), 'QUICK_JOIN_ACK')).payload).toEqual({ name: first.name, created: false });
      expect((await bob.next('TRANSITION')).payload).toBe('peer');
      expect((await bob.next('NEW_HOST')).payload).toMatchObject({ instance_id: ann.id });
      expect((await ann.next('NEW_PEER')).payload).toMatchObject({ instance_id: bob.id });
      expect((await bob.request('QUICK_JOIN', quick(), 'QUICK_JOIN_ACK')).payload).toBe('already in lobby');
      // Another mode: a lobby of its own.
      expect((await idle.request('QUICK_JOIN', quick('ffa'), 'QUICK_JOIN_ACK')).payload).toMatchObject({ created: true });
    });

    it('never joins a locked, passworded, hidden or full lobby', async () => {
      const hosts = await Promise.all(['h1', 'h2', 'h3', 'h4'].map(player));
      const settings = [{ locked: true }, { password: 'pw' }, { hidden: true }, { max_players: 1 }];
      for (const [i, host] of hosts.entries()) {
        await host.request('CREATE_LOBBY', lobby(`l${i}`, { ...settings[i], metadata: { mode: 'ctf' } }), 'CREATE_ACK');
      }
      const ann = await player('ann');
      expect((await ann.request('QUICK_JOIN', quick(), 'QUICK_JOIN_ACK')).payload).toMatchObject({ created: true });
    });

    it('refuses a bad request with a WARNING and QUICK_JOIN_ACK "invalid"', async () => {
      const ann = await player('ann');
      for (const payload of [{ filter: {} }, { create: { max_players: 0 } }, { create: { max_players: 4, metadata: { a: [] } } }]) {
        const listener = `q${Math.random()}`;
        ann.send({ opcode: 'QUICK_JOIN', payload, listener });
        expect(await ann.next('WARNING')).toMatchObject({ listener, payload: expect.stringContaining('payload.create') });
        expect(await ann.next('QUICK_JOIN_ACK')).toMatchObject({ listener, payload: 'invalid' });
      }
    });

    it('20 players quick-joining at once over WebSockets fill exactly 5 lobbies of 4, each told its host and members', async () => {
      const players = await Promise.all(Array.from({ length: 20 }, (_, i) => player(`p${i}`)));
      const replies = await Promise.all(players.map((each) => each.request('QUICK_JOIN', quick(), 'QUICK_JOIN_ACK')));
      const answers = replies.map((packet) => packet.payload as { name: string; created: boolean });
      expect(answers.filter((answer) => answer.created)).toHaveLength(5);
      const lobbies = await server.store.lobbies('mm');
      expect(lobbies.map((each) => each.members.length)).toEqual([4, 4, 4, 4, 4]);
      expect(new Set(answers.map((answer) => answer.name)).size).toBe(5);
      await barrier(...players);
      // Each lobby's members agree on who the host is, and the host heard of its 3 peers.
      for (const each of lobbies) {
        const members = players.filter((p) => each.members.some((m) => m.instance_id === p.id));
        const hostClient = members.find((p) => p.id === each.host.instance_id)!;
        expect(hostClient.received.filter((p) => p.opcode === 'NEW_PEER')).toHaveLength(3);
        for (const member of members)
          expect(member.received.find((p) => p.opcode === 'NEW_HOST')?.payload).toMatchObject({ instance_id: each.host.instance_id });
      }
    });
  });
});

describe('QUICK_JOIN with enable_relay', () => {
  it('a lobby it creates is a relay lobby: the creator gets RELAY, and so does the next player it puts there', async () => {
    const server = await startServer({ port: 0, logger: silentLogger, relay: webRtcRelay({ wrtc, log: silentLogger }) });
    const clients: RawClient[] = [];
    try {
      const join = async (username: string) => {
        const client = await RawClient.open(`${server.wsUrl}?ugi=relay`);
        clients.push(client);
        await client.request('INIT', { username }, 'INIT_OK');
        return client.request('QUICK_JOIN', { create: { max_players: 2, enable_relay: true } }, 'QUICK_JOIN_ACK');
      };
      expect((await join('ann')).payload).toMatchObject({ created: true });
      const relayId = (await clients[0]!.next('RELAY', 10_000)).payload;
      expect((await join('bob')).payload).toMatchObject({ created: false });
      expect((await clients[1]!.next('RELAY')).payload).toBe(relayId);
      // The lobby goes with its last member, and its relay peer with it.
      for (const client of clients) await client.request('LEAVE_LOBBY', undefined, 'LEAVE_ACK');
    } finally {
      for (const client of clients) client.close();
      await server.close();
    }
  });
});
