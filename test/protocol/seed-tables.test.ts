// One wire test per row of the seed's tables (shared/protocol.md §2 and §3), named by opcode, against the
// real server on 127.0.0.1: out-of-band rows with raw `ws` clients; in-band rows between two real client
// cores (CloudLinkClient, real WebRTC via @roamhq/wrtc), each row both as the core sends it (read off the
// other side's data channel) and as a raw packet of the seed's shape that the core acts upon.
// The many edge cases of each row live in test/server/*, test/mesh/*, test/sync/*; this file is the map.
import { wrtc } from '../helpers/wrtc.js';
import { disconnectAll } from '../helpers/disconnect-all.js';
import WebSocket from 'ws';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ReceivedMessage, VoiceEvent } from '../../src/client/api.js';
import { CloudLinkClient } from '../../src/client/cloudlink.js';
import type { CloudLinkError } from '../../src/client/errors.js';
import type { Mesh } from '../../src/client/mesh/mesh.js';
import type { WebSocketConstructor } from '../../src/client/websocket.js';
import { MAX_FRAME_BYTES, Warning } from '../../src/protocol/index.js';
import { webRtcRelay } from '../../src/server/relay/relay-provider.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { silentLogger } from '../helpers/logger.js';
import { serverPerTest } from '../helpers/served.js';
import { until } from '../helpers/until.js';
import { barrier, type RawClient } from '../server/helpers.js';
import { MemoryList, MemoryVariable } from '../sync/memory.js';

// ── out-of-band (client ↔ server), §2 ────────────────────────────────────────────────────────────

const served = serverPerTest();
const { serve, clients } = served;
const open = (ugi = 'seed') => served.open(`?ugi=${ugi}`);

type Player = RawClient & { id: string; user: { instance_id: string; user_id: string; username: string } };

async function player(username: string, ugi = 'seed', extra: object = {}): Promise<Player> {
  const client = (await open(ugi)) as Player;
  const ok = await client.request('INIT', { username, ...extra }, 'INIT_OK');
  const { instance_id, user_id, username: name } = ok.payload as Player['user'];
  client.user = { instance_id, user_id, username: name };
  client.id = client.user.instance_id;
  return client;
}

const settings = (name: string, extra: object = {}) => ({ name, max_players: -1, password: '', locked: false, enable_relay: false, ...extra });

/** `host` creates `name` and `members` join; every queue is emptied afterwards. */
async function lobbyOf(host: Player, name: string, members: Player[] = [], extra: object = {}): Promise<void> {
  expect((await host.request('CREATE_LOBBY', settings(name, extra), 'CREATE_ACK')).payload).toBe('ok');
  for (const member of members) expect((await member.request('JOIN_LOBBY', { name, password: '' }, 'JOIN_ACK')).payload).toBe('ok');
  await barrier(...clients);
  for (const client of clients) client.received.length = 0;
}

const manage = (client: RawClient, method: string, args: unknown = null) => client.request('MANAGE_LOBBY', { method, args }, 'MANAGE_ACK');

describe('out-of-band', () => {
  beforeEach(async () => {
    await serve();
  });

  describe('client → server', () => {
    describe('INIT', () => {
      it('{username}: INIT_OK {instance_id, user_id, username}; must be first; a second is "already initialized"; names unique per game', async () => {
        const ann = await open();
        expect(await ann.request('LIST_LOBBIES', undefined, 'WARNING')).toMatchObject({ payload: Warning.notInitialized });
        const ok = await ann.request('INIT', { username: 'ann' }, 'INIT_OK');
        expect(ok.payload).toEqual({ instance_id: expect.any(String), user_id: expect.any(String), username: 'ann', resume_token: expect.any(String) });
        expect(await ann.request('INIT', { username: 'ann' }, 'WARNING')).toMatchObject({ payload: Warning.alreadyInitialized });
        const twin = await open();
        expect(await twin.request('INIT', { username: 'ann' }, 'WARNING')).toMatchObject({ payload: Warning.usernameTaken });
        expect(await twin.request('INIT', { username: 'ann 2' }, 'INIT_OK')).toBeDefined();
        const elsewhere = await open('other game');
        expect(await elsewhere.request('INIT', { username: 'ann' }, 'INIT_OK')).toBeDefined();
      });

      it('{token} or {credential} without a username: the verifier names the player; without a verifier a guest name and a WARNING', async () => {
        await served.server.close();
        await serve({ tokenVerifier: async (token) => (token === 'good' ? { user_id: 'acct-7', username: 'Verified' } : null) });
        const byToken = await open();
        expect((await byToken.request('INIT', { token: 'good' }, 'INIT_OK')).payload).toMatchObject({ user_id: 'acct-7', username: 'Verified' });
        const byCredential = await open('g2');
        expect((await byCredential.request('INIT', { credential: 'good' }, 'INIT_OK')).payload).toMatchObject({ user_id: 'acct-7', username: 'Verified' });
        const bad = await open();
        expect(await bad.request('INIT', { token: 'bad' })).toMatchObject({ opcode: 'WARNING', payload: Warning.invalidToken });
        await served.server.close();
        await serve();
        const guest = await open();
        expect((await guest.request('INIT', { token: 'anything' }, 'INIT_OK')).payload).toMatchObject({ username: expect.stringMatching(/^Guest \d+$/) });
        expect(await guest.next('WARNING')).toEqual({ opcode: 'WARNING', payload: Warning.tokenNotChecked });
      });

      it('{pubkey}: passed on inside user objects', async () => {
        const ann = await player('ann', 'seed', { pubkey: 'QUJD' });
        const bob = await player('bob');
        await ann.request('CREATE_LOBBY', settings('room'), 'CREATE_ACK');
        await bob.request('JOIN_LOBBY', { name: 'room' }, 'JOIN_ACK');
        expect((await bob.next('NEW_HOST')).payload).toMatchObject({ instance_id: ann.id, pubkey: 'QUJD' });
      });
    });

    describe('KEEPALIVE', () => {
      it('KEEPALIVE_ACK, before INIT too (upstream sends it first)', async () => {
        const client = await open();
        expect(await client.request('KEEPALIVE')).toEqual({ opcode: 'KEEPALIVE_ACK', listener: expect.any(String) });
        await client.request('INIT', { username: 'ann' }, 'INIT_OK');
        expect((await client.request('KEEPALIVE')).opcode).toBe('KEEPALIVE_ACK');
      });
    });

    describe('LIST_LOBBIES', () => {
      it('LIST_ACK [name, ...]: the lobbies of this game that are not hidden', async () => {
        const [ann, bob, cat] = [await player('ann'), await player('bob'), await player('cat')];
        await ann.request('CREATE_LOBBY', settings('open'), 'CREATE_ACK');
        await bob.request('CREATE_LOBBY', settings('hidden', { hidden: true }), 'CREATE_ACK');
        await (await player('dan', 'other game')).request('CREATE_LOBBY', settings('elsewhere'), 'CREATE_ACK');
        expect((await cat.request('LIST_LOBBIES', undefined, 'LIST_ACK')).payload).toEqual(['open']);
      });
    });

    describe('FIND_LOBBY', () => {
      it('FIND_ACK {name, host, max_players, current_players, currently_locked, password_required, relay_enabled, hidden} or "not found"; never the password', async () => {
        const [ann, bob] = [await player('ann'), await player('bob')];
        await ann.request('CREATE_LOBBY', settings('room', { max_players: 4, password: 'hunter2', hidden: true }), 'CREATE_ACK');
        const found = await bob.request('FIND_LOBBY', 'room', 'FIND_ACK');
        expect(found.payload).toEqual({
          name: 'room',
          host: ann.user,
          max_players: 4,
          current_players: 1,
          currently_locked: false,
          password_required: true,
          relay_enabled: false,
          hidden: true,
          metadata: {},
        });
        expect(JSON.stringify(found)).not.toContain('hunter2');
        expect((await bob.request('FIND_LOBBY', 'nope', 'FIND_ACK')).payload).toBe('not found');
      });
    });

    describe('CREATE_LOBBY', () => {
      it('CREATE_ACK "ok", TRANSITION "host", NEW_HOST (self); NEW_LOBBY to idle players of the game unless hidden', async () => {
        const [ann, bob, cat] = [await player('ann'), await player('bob'), await player('cat', 'other game')];
        expect((await ann.request('CREATE_LOBBY', settings('room'), 'CREATE_ACK')).payload).toBe('ok');
        expect(ann.opcodes()).toEqual(['TRANSITION', 'NEW_HOST']);
        expect(ann.received.map((p) => p.payload)).toEqual(['host', ann.user]);
        expect((await bob.next('NEW_LOBBY')).payload).toBe('room');
        await bob.request('CREATE_LOBBY', settings('secret', { hidden: true }), 'CREATE_ACK');
        await barrier(ann, cat);
        expect(ann.opcodes()).not.toContain('NEW_LOBBY');
        expect(cat.opcodes()).toEqual([]);
      });

      it('errors: "exists", "already in lobby", "invalid" with a WARNING saying which field', async () => {
        const [ann, bob] = [await player('ann'), await player('bob')];
        await ann.request('CREATE_LOBBY', settings('room'), 'CREATE_ACK');
        expect((await ann.request('CREATE_LOBBY', settings('second'), 'CREATE_ACK')).payload).toBe('already in lobby');
        expect((await bob.request('CREATE_LOBBY', settings('room'), 'CREATE_ACK')).payload).toBe('exists');
        bob.send({ opcode: 'CREATE_LOBBY', payload: settings('x', { max_players: 'lots' }), listener: 'bad' });
        expect(await bob.next('WARNING')).toMatchObject({ listener: 'bad', payload: expect.stringContaining('payload.max_players') });
        expect(await bob.next('CREATE_ACK')).toMatchObject({ listener: 'bad', payload: 'invalid' });
      });
    });

    describe('JOIN_LOBBY', () => {
      it('JOIN_ACK "ok", TRANSITION "peer", NEW_HOST (host) to the joiner; NEW_PEER to the host; PEER_JOIN to the others', async () => {
        const [ann, bob, cat] = [await player('ann'), await player('bob'), await player('cat')];
        await lobbyOf(ann, 'room', [bob]);
        expect((await cat.request('JOIN_LOBBY', { name: 'room', password: '' }, 'JOIN_ACK')).payload).toBe('ok');
        expect(cat.opcodes()).toEqual(['TRANSITION', 'NEW_HOST']);
        expect(cat.received.map((p) => p.payload)).toEqual(['peer', ann.user]);
        expect((await ann.next('NEW_PEER')).payload).toEqual(cat.user);
        expect((await bob.next('PEER_JOIN')).payload).toEqual(cat.user);
      });

      it('errors: "not found", "locked", "full", "password", "already in lobby"', async () => {
        const [ann, bob, cat, dan] = [await player('ann'), await player('bob'), await player('cat'), await player('dan')];
        const join = (who: RawClient, name: string, password = '') => who.request('JOIN_LOBBY', { name, password }, 'JOIN_ACK').then((p) => p.payload);
        expect(await join(dan, 'nope')).toBe('not found');
        await ann.request('CREATE_LOBBY', settings('locked', { locked: true }), 'CREATE_ACK');
        expect(await join(dan, 'locked')).toBe('locked');
        await bob.request('CREATE_LOBBY', settings('full', { max_players: 1 }), 'CREATE_ACK');
        expect(await join(dan, 'full')).toBe('full');
        await cat.request('CREATE_LOBBY', settings('secret', { password: 'pw' }), 'CREATE_ACK');
        expect(await join(dan, 'secret', 'wrong')).toBe('password');
        expect(await join(dan, 'secret', 'pw')).toBe('ok');
        expect(await join(dan, 'secret', 'pw')).toBe('already in lobby');
      });
    });

    describe('LEAVE_LOBBY', () => {
      it('LEAVE_ACK "ok", TRANSITION ""; the rest see PEER_LEFT; "not in lobby" when in none', async () => {
        const [ann, bob, cat] = [await player('ann'), await player('bob'), await player('cat')];
        await lobbyOf(ann, 'room', [bob, cat]);
        expect((await cat.request('LEAVE_LOBBY', undefined, 'LEAVE_ACK')).payload).toBe('ok');
        expect((await cat.next('TRANSITION')).payload).toBe('');
        for (const other of [ann, bob]) expect((await other.next('PEER_LEFT')).payload).toBe(cat.id);
        expect((await cat.request('LEAVE_LOBBY', undefined, 'LEAVE_ACK')).payload).toBe('not in lobby');
      });
    });

    describe('MANAGE_LOBBY', () => {
      it('host only, else "unauthorized"; lock, unlock, hide, show, change_password, change_max_players (≥ -1 and ≥ members)', async () => {
        const [ann, bob, cat] = [await player('ann'), await player('bob'), await player('cat')];
        await lobbyOf(ann, 'room', [bob]);
        expect((await manage(bob, 'lock')).payload).toBe('unauthorized');
        const info = async () => (await cat.request('FIND_LOBBY', 'room', 'FIND_ACK')).payload as Record<string, unknown>;
        expect((await manage(ann, 'lock')).payload).toBe('ok');
        expect(await info()).toMatchObject({ currently_locked: true });
        expect((await manage(ann, 'unlock')).payload).toBe('ok');
        expect((await manage(ann, 'hide')).payload).toBe('ok');
        expect(await info()).toMatchObject({ currently_locked: false, hidden: true });
        expect((await manage(ann, 'show')).payload).toBe('ok');
        expect((await cat.next('NEW_LOBBY')).payload).toBe('room');
        expect((await manage(ann, 'change_password', 'pw')).payload).toBe('ok');
        expect(await info()).toMatchObject({ hidden: false, password_required: true });
        expect((await manage(ann, 'change_max_players', 1)).payload).toBe('below current players');
        expect((await manage(ann, 'change_max_players', 2)).payload).toBe('ok');
        expect((await manage(ann, 'change_max_players', -1)).payload).toBe('ok');
        expect(await info()).toMatchObject({ max_players: -1 });
      });

      it('kick (instance id), transfer_ownership (instance id), close_lobby', async () => {
        const [ann, bob, cat] = [await player('ann'), await player('bob'), await player('cat')];
        await lobbyOf(ann, 'room', [bob, cat]);
        expect((await manage(ann, 'kick', cat.id)).payload).toBe('ok');
        expect(await cat.next('WARNING')).toMatchObject({ payload: Warning.kicked });
        expect((await cat.next('TRANSITION')).payload).toBe('');
        expect((await bob.next('PEER_LEFT')).payload).toBe(cat.id);
        expect((await manage(ann, 'transfer_ownership', bob.id)).payload).toBe('ok');
        expect((await bob.next('TRANSITION')).payload).toBe('host');
        expect((await ann.next('TRANSITION')).payload).toBe('peer');
        expect((await manage(bob, 'close_lobby')).payload).toBe('ok');
        expect((await ann.next('LOBBY_CLOSED')).payload).toBe('room');
        expect((await cat.request('FIND_LOBBY', 'room', 'FIND_ACK')).payload).toBe('not found');
      });
    });

    for (const opcode of ['MAKE_OFFER', 'MAKE_ANSWER', 'ICE'] as const) {
      describe(opcode, () => {
        it('{type, contents} + recipient: relayed to the recipient with a server-stamped origin; else WARNING "peer invalid"', async () => {
          const [ann, bob, cat] = [await player('ann'), await player('bob'), await player('cat')];
          await lobbyOf(ann, 'room', [bob]);
          const payload = { type: 0, contents: { sdp: 'v=0', n: 1 } };
          ann.send({ opcode, payload, recipient: bob.id, origin: { instance_id: 'forged', username: 'x' } });
          const relayed = await bob.next(opcode);
          expect(relayed.payload).toEqual(payload);
          expect(relayed.origin).toMatchObject({ instance_id: ann.id, username: 'ann' });
          // cat is in no lobby with ann.
          expect(await ann.request(opcode, { type: 1, contents: ['Y2lwaGVy', 'aXY='] }, 'WARNING', { recipient: cat.id })).toMatchObject({
            payload: Warning.peerInvalid,
          });
        });
      });
    }
  });

  describe('server → client', () => {
    describe('TRANSITION', () => {
      it('every change of my role: create "host", join "peer", leave "", kicked "", migration "host", transfer "host"/"peer", close ""', async () => {
        const [ann, bob, cat] = [await player('ann'), await player('bob'), await player('cat')];
        const role = async (client: RawClient) => (await client.next('TRANSITION')).payload;
        await ann.request('CREATE_LOBBY', settings('room'), 'CREATE_ACK');
        expect(await role(ann)).toBe('host');
        await bob.request('JOIN_LOBBY', { name: 'room' }, 'JOIN_ACK');
        expect(await role(bob)).toBe('peer');
        await cat.request('JOIN_LOBBY', { name: 'room' }, 'JOIN_ACK');
        expect(await role(cat)).toBe('peer');
        await manage(ann, 'kick', cat.id);
        expect(await role(cat)).toBe('');
        await manage(ann, 'transfer_ownership', bob.id);
        expect([await role(bob), await role(ann)]).toEqual(['host', 'peer']);
        await bob.request('LEAVE_LOBBY', undefined, 'LEAVE_ACK');
        expect([await role(bob), await role(ann)]).toEqual(['', 'host']);
        await manage(ann, 'close_lobby');
        expect(await role(ann)).toBe('');
      });
    });

    describe('NEW_HOST', () => {
      it('the joiner learns the host; after migration EVERY member learns the new host, the new host too; after a transfer everyone', async () => {
        const [ann, bob, cat] = [await player('ann'), await player('bob'), await player('cat')];
        await ann.request('CREATE_LOBBY', settings('room'), 'CREATE_ACK');
        await bob.request('JOIN_LOBBY', { name: 'room' }, 'JOIN_ACK');
        expect((await bob.next('NEW_HOST')).payload).toEqual(ann.user);
        await lobbyOf(cat, 'other');
        await cat.request('LEAVE_LOBBY', undefined, 'LEAVE_ACK');
        await cat.request('JOIN_LOBBY', { name: 'room' }, 'JOIN_ACK');
        await barrier(ann, bob, cat);
        for (const client of [ann, bob, cat]) client.received.length = 0;
        // Migration: ann goes (a goodbye: a dropped connection would hold her seat); bob (earliest) becomes host
        // and hears NEW_HOST like cat (upstream's "am I host" reads it).
        ann.ws.close();
        expect((await bob.next('TRANSITION')).payload).toBe('host');
        for (const member of [bob, cat]) expect((await member.next('NEW_HOST')).payload).toEqual(bob.user);
        // Transfer: to everyone.
        await manage(bob, 'transfer_ownership', cat.id);
        for (const member of [bob, cat]) expect((await member.next('NEW_HOST')).payload).toEqual(cat.user);
      });
    });

    describe('NEW_PEER', () => {
      it('to the host: someone joined (their user)', async () => {
        const [ann, bob] = [await player('ann'), await player('bob')];
        await ann.request('CREATE_LOBBY', settings('room'), 'CREATE_ACK');
        await bob.request('JOIN_LOBBY', { name: 'room' }, 'JOIN_ACK');
        expect((await ann.next('NEW_PEER')).payload).toEqual(bob.user);
      });
    });

    describe('PEER_JOIN', () => {
      it('to the other members: someone joined (their user)', async () => {
        const [ann, bob, cat] = [await player('ann'), await player('bob'), await player('cat')];
        await lobbyOf(ann, 'room', [bob]);
        await cat.request('JOIN_LOBBY', { name: 'room' }, 'JOIN_ACK');
        expect((await bob.next('PEER_JOIN')).payload).toEqual(cat.user);
        expect(ann.opcodes()).not.toContain('PEER_JOIN');
      });
    });

    describe('PEER_LEFT', () => {
      it('instance id: someone left, was kicked, or disconnected', async () => {
        const [ann, bob, cat, dan] = [await player('ann'), await player('bob'), await player('cat'), await player('dan')];
        await lobbyOf(ann, 'room', [bob, cat, dan]);
        await bob.request('LEAVE_LOBBY', undefined, 'LEAVE_ACK');
        expect((await ann.next('PEER_LEFT')).payload).toBe(bob.id);
        await manage(ann, 'kick', cat.id);
        expect((await dan.next('PEER_LEFT')).payload).toBe(bob.id);
        expect((await dan.next('PEER_LEFT')).payload).toBe(cat.id);
        dan.ws.close();
        expect((await ann.next('PEER_LEFT')).payload).toBe(cat.id);
        expect((await ann.next('PEER_LEFT')).payload).toBe(dan.id);
      });
    });

    describe('NEW_LOBBY', () => {
      it('name: a visible lobby was created, to players of that game not in a lobby', async () => {
        const [ann, bob, cat, other] = [await player('ann'), await player('bob'), await player('cat'), await player('eve', 'other game')];
        await lobbyOf(ann, 'first', [bob]);
        await cat.request('CREATE_LOBBY', settings('second'), 'CREATE_ACK');
        await barrier(ann, bob, other);
        expect([...ann.opcodes(), ...bob.opcodes(), ...other.opcodes()]).not.toContain('NEW_LOBBY');
        const dan = await player('dan');
        await ann.request('LEAVE_LOBBY', undefined, 'LEAVE_ACK');
        await cat.request('LEAVE_LOBBY', undefined, 'LEAVE_ACK');
        await (await player('fay')).request('CREATE_LOBBY', settings('third'), 'CREATE_ACK');
        await barrier(bob);
        expect(bob.opcodes()).not.toContain('NEW_LOBBY');
        for (const idle of [ann, cat, dan]) expect((await idle.next('NEW_LOBBY')).payload).toBe('third');
      });
    });

    describe('LOBBY_CLOSED', () => {
      it("name: to the lobby's members only, when it closes", async () => {
        const [ann, bob, idle] = [await player('ann'), await player('bob'), await player('idle')];
        await lobbyOf(ann, 'room', [bob]);
        await manage(ann, 'close_lobby');
        for (const member of [ann, bob]) expect((await member.next('LOBBY_CLOSED')).payload).toBe('room');
        await barrier(idle);
        expect(idle.opcodes()).not.toContain('LOBBY_CLOSED');
      });
    });

    describe('WARNING', () => {
      it('text, non-fatal: a bad packet, unauthorized, kicked notice; the connection stays', async () => {
        const ann = await player('ann');
        ann.send('not json');
        expect((await ann.next('WARNING')).payload).toEqual(expect.any(String));
        expect(await ann.request('NO_SUCH_OPCODE', 1, 'WARNING')).toMatchObject({ payload: expect.stringContaining('NO_SUCH_OPCODE') });
        expect((await ann.request('KEEPALIVE')).opcode).toBe('KEEPALIVE_ACK');
      });
    });

    describe('VIOLATION', () => {
      it('text, fatal: sent, then the socket closes (1009 for size)', async () => {
        const ann = await player('ann');
        ann.send('x'.repeat(MAX_FRAME_BYTES + 1));
        expect((await ann.next('VIOLATION')).payload).toContain('frame too large');
        expect((await ann.closed()).code).toBe(1009);
      });

      it('text, fatal: sent, then the socket closes (1008 for policy: the rate limit exceeded again and again)', async () => {
        await served.server.close();
        await serve({ rateLimit: { perSecond: 1, burst: 1, strikesBeforeViolation: 3 } });
        const ann = await player('ann');
        for (let i = 0; i < 20; i += 1) ann.send({ opcode: 'KEEPALIVE' });
        expect((await ann.next('VIOLATION')).payload).toContain('rate limit');
        expect((await ann.closed()).code).toBe(1008);
      });
    });
  });
});

describe('RELAY', () => {
  it("relay peer's instance id, to a member of a relay lobby (create with enable_relay: the host; a joiner after JOIN_ACK)", async () => {
    await serve({ relay: webRtcRelay({ wrtc, log: silentLogger }) });
    const [ann, bob] = [await player('ann'), await player('bob')];
    await ann.request('CREATE_LOBBY', settings('relayed', { enable_relay: true }), 'CREATE_ACK');
    const relayId = (await ann.next('RELAY', 10_000)).payload;
    expect(relayId).toEqual(expect.any(String));
    await bob.request('JOIN_LOBBY', { name: 'relayed' }, 'JOIN_ACK');
    expect((await bob.next('RELAY')).payload).toBe(relayId);
    expect((await bob.request('FIND_LOBBY', 'relayed', 'FIND_ACK')).payload).toMatchObject({ relay_enabled: true });
    // The lobby goes with its last member, and its relay peer with it.
    for (const member of [bob, ann]) await member.request('LEAVE_LOBBY', undefined, 'LEAVE_ACK');
  });
});

// ── in-band (peer ↔ peer), §3 and §4 ─────────────────────────────────────────────────────────────

/** An in-band packet as it came off a data channel, with the channel's label. */
interface WirePacket {
  label: string;
  opcode: string;
  payload?: unknown;
  id?: string;
}

describe('in-band', () => {
  let inBandServer: RunningServer;
  let ann: CloudLinkClient;
  let bob: CloudLinkClient;
  /** Frames each side's data channels received from the other, as text, with the channel label. */
  const wire: Record<'ann' | 'bob', [label: string, text: string][]> = { ann: [], bob: [] };
  const messages: ReceivedMessage[] = [];
  const voice: [VoiceEvent, string][] = [];
  const errors: CloudLinkError[] = [];

  const meshOf = (client: CloudLinkClient) => (client as unknown as { connection: { mesh: Mesh } }).connection.mesh;
  /** A raw packet of the seed's shape from ann to bob, as it would come off any client. */
  const rawToBob = (packet: object, label = 'default') => meshOf(ann).link(bob.myId)!.send(label, JSON.stringify(packet));
  /** The packets bob's side received from ann with this opcode, parsed (batches flattened). */
  const bobGot = (opcode: string): WirePacket[] =>
    wire.bob
      .flatMap(([label, text]) => [JSON.parse(text) as WirePacket].flat().map((packet) => ({ ...packet, label })))
      .filter((packet) => packet.opcode === opcode);

  beforeAll(async () => {
    inBandServer = await startServer({ port: 0, logger: silentLogger });
    const make = () => new CloudLinkClient({ WebSocket: WebSocket as unknown as WebSocketConstructor, wrtc, keepaliveMs: 0 });
    [ann, bob] = [make(), make()];
    bob.on('message', (message) => messages.push(message));
    bob.on('voice', (event, peer) => voice.push([event, peer]));
    bob.on('error', (error) => errors.push(error));
    await ann.connect({ url: inBandServer.wsUrl, username: 'ann', ugi: 'in-band' });
    await bob.connect({ url: inBandServer.wsUrl, username: 'bob', ugi: 'in-band' });
    await ann.createLobby({ name: 'room' });
    await bob.joinLobby('room');
    await until(() => ann.isPeerConnected(bob.myId) && bob.isPeerConnected(ann.myId), 'ann and bob linked');
    meshOf(bob)
      .link(ann.myId)!
      .on('data', (label, text) => wire.bob.push([label, text]));
    meshOf(ann)
      .link(bob.myId)!
      .on('data', (label, text) => wire.ann.push([label, text]));
  });
  afterAll(async () => {
    await disconnectAll([ann, bob]);
    await inBandServer.close();
  });

  describe('G_MSG', () => {
    it('any payload, broadcast to every connected peer on the chosen channel', async () => {
      ann.broadcast({ hi: [1, 'two'] });
      await until(() => messages.length === 1, 'the broadcast');
      expect(bobGot('G_MSG')).toEqual([{ label: 'default', opcode: 'G_MSG', payload: { hi: [1, 'two'] } }]);
      expect(messages[0]).toEqual({ from: ann.myId, channel: 'default', kind: 'broadcast', payload: { hi: [1, 'two'] } });
      rawToBob({ opcode: 'G_MSG', payload: 'raw' });
      await until(() => messages.length === 2, 'the raw broadcast');
      expect(messages[1]).toMatchObject({ kind: 'broadcast', payload: 'raw' });
    });
  });

  describe('P_MSG', () => {
    it('any payload, private to one peer', async () => {
      messages.length = 0;
      ann.sendPrivate(bob.myId, 42);
      rawToBob({ opcode: 'P_MSG', payload: ['raw'] });
      await until(() => messages.length === 2, 'both private messages');
      expect(bobGot('P_MSG').map((p) => p.payload)).toEqual([42, ['raw']]);
      expect(messages.map((m) => [m.kind, m.payload])).toEqual([
        ['private', 42],
        ['private', ['raw']],
      ]);
    });
  });

  describe('G_VAR', () => {
    it('new value; id = network id: a global networked variable', async () => {
      const [mine, theirs] = [new MemoryVariable(0), new MemoryVariable(0)];
      ann.bindNetworked('score', null, mine);
      bob.bindNetworked('score', null, theirs);
      mine.value = 5;
      ann.flushSync();
      await until(() => theirs.value === 5, 'score 5 at bob');
      expect(bobGot('G_VAR').at(-1)).toMatchObject({ opcode: 'G_VAR', id: 'score', payload: 5, seq: expect.any(Number) });
      // The seed's shape plus our version (seq; docs/sync.md): a later version wins.
      rawToBob({ opcode: 'G_VAR', id: 'score', payload: 'raw', seq: 1000 });
      await until(() => theirs.value === 'raw', 'the raw G_VAR');
    });
  });

  describe('P_VAR', () => {
    it('new value; id = network id: a variable private to one peer (the fix: not sent as G_VAR)', async () => {
      const [mine, theirs] = [new MemoryVariable(''), new MemoryVariable('')];
      ann.bindNetworked('secret', bob.myId, mine);
      bob.bindNetworked('secret', ann.myId, theirs);
      mine.value = 'psst';
      ann.flushSync();
      await until(() => theirs.value === 'psst', 'the private value');
      expect(bobGot('P_VAR').at(-1)).toMatchObject({ opcode: 'P_VAR', id: 'secret', payload: 'psst' });
      expect(bobGot('G_VAR').some((p) => p.id === 'secret')).toBe(false);
      rawToBob({ opcode: 'P_VAR', id: 'secret', payload: 'raw', seq: 1000 });
      await until(() => theirs.value === 'raw', 'the raw P_VAR');
    });
  });

  describe('G_LIST', () => {
    it('method set (whole list), replace {index, value} (0-based, grows), length (truncate or pad with ""), reset (as set)', async () => {
      const [mine, theirs] = [new MemoryList([]), new MemoryList([])];
      ann.bindNetworked('items', null, mine);
      bob.bindNetworked('items', null, theirs);
      mine.edit((items) => items.push('a', 'b'));
      ann.flushSync();
      await until(() => theirs.value.join() === 'a,b', 'the list at bob');
      expect(bobGot('G_LIST').at(-1)).toMatchObject({ opcode: 'G_LIST', id: 'items', method: expect.any(String) });
      // Raw, in the seed's shapes (with our version fields: an edit names the version it applies to).
      const w = ann.myId;
      rawToBob({ opcode: 'G_LIST', id: 'items', method: 'set', payload: ['x', 'y', 'z'], seq: 1000, writer: w });
      await until(() => theirs.value.join() === 'x,y,z', 'set');
      rawToBob({ opcode: 'G_LIST', id: 'items', method: 'replace', payload: { index: 4, value: 'e' }, seq: 1001, writer: w, base: [1000, w] });
      await until(() => theirs.value.join() === 'x,y,z,,e', 'replace grows the list');
      rawToBob({ opcode: 'G_LIST', id: 'items', method: 'length', payload: 2, seq: 1002, writer: w, base: [1001, w] });
      await until(() => theirs.value.join() === 'x,y', 'length truncates');
      rawToBob({ opcode: 'G_LIST', id: 'items', method: 'length', payload: 3, seq: 1003, writer: w, base: [1002, w] });
      await until(() => theirs.value.length === 3 && theirs.value[2] === '', 'length pads with ""');
      rawToBob({ opcode: 'G_LIST', id: 'items', method: 'reset', payload: [1, 2], seq: 1004, writer: w });
      await until(() => theirs.value.join() === '1,2', 'reset');
    });
  });

  describe('P_LIST', () => {
    it('per method, private to one peer', async () => {
      const [mine, theirs] = [new MemoryList([]), new MemoryList([])];
      ann.bindNetworked('hand', bob.myId, mine);
      bob.bindNetworked('hand', ann.myId, theirs);
      mine.edit((items) => items.push('card'));
      ann.flushSync();
      await until(() => theirs.value.join() === 'card', 'the private list');
      expect(bobGot('P_LIST').at(-1)).toMatchObject({ opcode: 'P_LIST', id: 'hand' });
      rawToBob({ opcode: 'P_LIST', id: 'hand', method: 'set', payload: ['raw'], seq: 1000, writer: ann.myId });
      await until(() => theirs.value.join() === 'raw', 'the raw P_LIST');
    });
  });

  describe('NEW_CHAN', () => {
    it('{id, label, ordered}, only on default: both sides open that channel; the receiver advances its id counter (the fix)', async () => {
      ann.openChannel('chat', true);
      await until(() => bob.openChannels(ann.myId).includes('chat'), 'chat open at bob');
      const announced = bobGot('NEW_CHAN').find((p) => (p as { payload?: { label?: string } }).payload?.label === 'chat') as {
        label: string;
        payload: { id: number };
      };
      expect(announced).toMatchObject({ label: 'default', payload: { label: 'chat', ordered: true } });
      // A raw announcement with a high id: bob's next channel gets a higher one.
      rawToBob({ opcode: 'NEW_CHAN', payload: { id: 600, label: 'raw', ordered: false } });
      await until(() => bob.openChannels(ann.myId).includes('raw'), 'raw open at bob');
      bob.openChannel('mine', true);
      await until(() => ann.openChannels(bob.myId).includes('mine'), 'mine open at ann');
      const mine = wire.ann.flatMap(([, text]) => [JSON.parse(text)].flat()).find((p: { payload?: { label?: string } }) => p.payload?.label === 'mine');
      expect(mine.payload.id).toBeGreaterThan(600);
      // Not on another channel: a protocol error, dropped.
      const before = errors.length;
      rawToBob({ opcode: 'NEW_CHAN', payload: { id: 700, label: 'nope', ordered: true } }, 'chat');
      await until(() => errors.length > before, 'the refusal');
      expect(errors.at(-1)).toMatchObject({ code: 'protocol', message: expect.stringContaining('only valid on "default"') });
    });
  });

  describe('HANGUP', () => {
    it('none, on default: the call with the sender ends ("hung up"). (A real call with microphones: test/browser/voice.test.ts.)', async () => {
      bob.setVolume(ann.myId, 50);
      rawToBob({ opcode: 'HANGUP' });
      await until(() => voice.length === 1, 'the hangup');
      expect(voice[0]).toEqual(['hungup', ann.myId]);
    });
  });

  describe('DECLINE', () => {
    it('none, on default: my call was declined', async () => {
      bob.setVolume(ann.myId, 50);
      rawToBob({ opcode: 'DECLINE' });
      await until(() => voice.length === 2, 'the decline');
      expect(voice[1]).toEqual(['declined', ann.myId]);
    });
  });
});
