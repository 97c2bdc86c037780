// Pluggable services and request ordering: token verifier, relay provider hook, serial handling.
import { describe, expect, it } from 'vitest';
import type { RelayedOpcode, User } from '../../src/protocol/index.js';
import type { RelayLobby, RelayProvider, RelaySignalSink, SignalPayload } from '../../src/server/context.js';
import { serverPerTest } from '../helpers/served.js';
import { barrier, RawClient } from './helpers.js';

const served = serverPerTest();
const { serve } = served;
const open = (ugi?: string) => served.open(ugi === undefined ? '' : `?ugi=${ugi}`);

async function player(username: string, ugi?: string): Promise<RawClient & { id: string }> {
  const client = (await open(ugi)) as RawClient & { id: string };
  const ok = await client.request('INIT', { username }, 'INIT_OK');
  client.id = (ok.payload as { instance_id: string }).instance_id;
  return client;
}

const lobby = (name: string, extra: object = {}) => ({ name, max_players: -1, password: '', locked: false, enable_relay: false, ...extra });

describe('token verifier', () => {
  it('uses the verified account id, refuses bad tokens with a WARNING, and the client can retry', async () => {
    const calls: [string, string | undefined][] = [];
    await serve({
      tokenVerifier: async (token, username) => {
        calls.push([token, username]);
        await new Promise((resolve) => setTimeout(resolve, 10));
        return token === 'good' ? { user_id: `acct-${username}` } : null;
      },
    });
    const ann = await open();
    expect(await ann.request('INIT', { username: 'ann', token: 'bad' })).toMatchObject({ opcode: 'WARNING', payload: 'invalid token' });
    const ok = await ann.request('INIT', { username: 'ann', token: 'good' });
    expect(ok).toMatchObject({ opcode: 'INIT_OK', payload: { user_id: 'acct-ann', username: 'ann' } });
    expect(calls).toEqual([
      ['bad', 'ann'],
      ['good', 'ann'],
    ]);
    // No token: a guest whose user id is its instance id.
    const bob = await open();
    const guest = (await bob.request('INIT', { username: 'bob' }, 'INIT_OK')).payload as { instance_id: string; user_id: string };
    expect(guest.user_id).toBe(guest.instance_id);
  });

  it('ignores tokens when no verifier is configured', async () => {
    await serve();
    const ann = await open();
    const ok = (await ann.request('INIT', { username: 'ann', token: 'anything' }, 'INIT_OK')).payload as { instance_id: string; user_id: string };
    expect(ok.user_id).toBe(ok.instance_id);
    expect(ok.instance_id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers a second INIT sent while the first is being verified with "already initialized"', async () => {
    await serve({
      tokenVerifier: async () => {
        await new Promise((resolve) => setTimeout(resolve, 30));
        return { user_id: 'x' };
      },
    });
    const ann = await open();
    ann.send({ opcode: 'INIT', payload: { username: 'ann', token: 't' }, listener: 'first' });
    ann.send({ opcode: 'INIT', payload: { username: 'ann', token: 't' }, listener: 'second' });
    expect(await ann.next('INIT_OK')).toMatchObject({ listener: 'first' });
    expect(await ann.next('WARNING')).toMatchObject({ listener: 'second', payload: 'already initialized' });
  });
});

describe('request order', () => {
  it("handles one player's requests in order even when one waits (password hashing)", async () => {
    await serve();
    const ann = await player('ann');
    // Sent back to back: the lock must apply to the lobby the first request creates.
    ann.send({ opcode: 'CREATE_LOBBY', payload: lobby('room', { password: 'pw' }), listener: 'create' });
    ann.send({ opcode: 'MANAGE_LOBBY', payload: { method: 'lock', args: null }, listener: 'lock' });
    ann.send({ opcode: 'FIND_LOBBY', payload: 'room', listener: 'find' });
    const replies = [];
    for (const opcode of ['CREATE_ACK', 'MANAGE_ACK', 'FIND_ACK']) replies.push(await ann.next(opcode));
    expect(replies.map((p) => [p.listener, typeof p.payload === 'string' ? p.payload : 'info'])).toEqual([
      ['create', 'ok'],
      ['lock', 'ok'],
      ['find', 'info'],
    ]);
    expect(replies[2]!.payload).toMatchObject({ currently_locked: true, password_required: true });
  });
});

describe('backlog bound', () => {
  it('refuses requests queued behind a slow one beyond the backlog, with a WARNING each, then serves the rest in order', async () => {
    let release = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    await serve({
      rateLimit: { perSecond: 1000, burst: 1000 },
      tokenVerifier: async () => {
        await gate;
        return { user_id: 'acct' };
      },
    });
    const ann = await open();
    ann.send({ opcode: 'INIT', payload: { username: 'ann', token: 't' }, listener: 'init' });
    for (let i = 0; i < 300; i += 1) ann.send({ opcode: 'KEEPALIVE', listener: `k${i}` });
    // The barrier's KEEPALIVE, sent last, finds the backlog full too: its refusal comes after all the others.
    expect(await ann.sync()).toMatchObject({ opcode: 'WARNING', payload: expect.stringContaining('server busy') });
    const refused = ann.received.filter((p) => p.opcode === 'WARNING');
    expect(refused).toHaveLength(44);
    expect(refused[0]).toMatchObject({ listener: 'k256', payload: expect.stringContaining('server busy') });
    release();
    expect(await ann.next('INIT_OK')).toMatchObject({ listener: 'init' });
    const first = await ann.next('KEEPALIVE_ACK');
    expect(first.listener).toBe('k0');
  });
});

describe('ugi partitions', () => {
  it('puts connections without ?ugi= in "default", and refuses an over-long ugi', async () => {
    await serve();
    const ann = await player('ann');
    await ann.request('CREATE_LOBBY', lobby('room'), 'CREATE_ACK');
    const bob = await player('bob', 'default');
    expect((await bob.request('LIST_LOBBIES')).payload).toEqual(['room']);
    const cat = await player('cat', 'elsewhere');
    expect((await cat.request('LIST_LOBBIES')).payload).toEqual([]);
    // Usernames are unique per game only.
    await expect(player('ann', 'elsewhere')).resolves.toBeDefined();
    await expect(RawClient.open(`${served.server.wsUrl}?ugi=${'g'.repeat(129)}`)).rejects.toThrow(/400/);
    expect((await served.server.store.players('default')).map((user) => user.username).sort()).toEqual(['ann', 'bob']);
  });
});

describe('show', () => {
  it('announces a lobby to idle players when it stops being hidden', async () => {
    await serve();
    const ann = await player('ann');
    const bob = await player('bob');
    await ann.request('CREATE_LOBBY', lobby('room', { hidden: true }), 'CREATE_ACK');
    await barrier(bob);
    expect(bob.opcodes()).not.toContain('NEW_LOBBY');
    expect((await ann.request('MANAGE_LOBBY', { method: 'show', args: null })).payload).toBe('ok');
    expect((await bob.next('NEW_LOBBY')).payload).toBe('room');
    // Showing a visible lobby again announces nothing.
    expect((await ann.request('MANAGE_LOBBY', { method: 'show', args: null })).payload).toBe('ok');
    await barrier(bob);
    expect(bob.opcodes()).not.toContain('NEW_LOBBY');
  });
});

/** A stand-in relay provider that records what the server asks of it. */
class FakeRelay implements RelayProvider {
  created = 0;
  readonly signals: { lobby: string; from: User; opcode: RelayedOpcode; payload: SignalPayload }[] = [];
  readonly left: string[] = [];
  readonly destroyed: string[] = [];
  send: RelaySignalSink | null = null;

  async create(lobby: RelayLobby, send: RelaySignalSink): Promise<User> {
    this.created += 1;
    this.send = send;
    return { instance_id: `relay-${lobby.name}`, user_id: `relay-${lobby.name}`, username: 'relay' };
  }
  signal(lobby: RelayLobby, from: User, opcode: RelayedOpcode, payload: SignalPayload): void {
    this.signals.push({ lobby: lobby.name, from, opcode, payload });
  }
  memberLeft(_lobby: RelayLobby, instanceId: string): void {
    this.left.push(instanceId);
  }
  destroy(lobby: RelayLobby): void {
    this.destroyed.push(lobby.name);
  }
}

describe('relay hook', () => {
  it('without a provider: the lobby is created, a WARNING says so (with the listener), relay_enabled is false', async () => {
    await serve();
    const ann = await player('ann');
    ann.send({ opcode: 'CREATE_LOBBY', payload: lobby('room', { enable_relay: true }), listener: 'mk' });
    expect(await ann.next('CREATE_ACK')).toMatchObject({ payload: 'ok', listener: 'mk' });
    expect(await ann.next('WARNING')).toMatchObject({ payload: 'relay not available on this server', listener: 'mk' });
    expect((await ann.request('FIND_LOBBY', 'room')).payload).toMatchObject({ relay_enabled: false });
    expect(ann.opcodes()).not.toContain('RELAY');
  });

  it('with a provider: RELAY to members, signals routed both ways with stamped origins, leave and close reported', async () => {
    const relay = new FakeRelay();
    await serve({ relay });
    const ann = await player('ann');
    const bob = await player('bob');
    await ann.request('CREATE_LOBBY', lobby('room', { enable_relay: true }), 'CREATE_ACK');
    expect((await ann.next('RELAY')).payload).toBe('relay-room');
    expect((await ann.request('FIND_LOBBY', 'room')).payload).toMatchObject({ relay_enabled: true });
    await bob.request('JOIN_LOBBY', { name: 'room', password: '' }, 'JOIN_ACK');
    expect((await bob.next('RELAY')).payload).toBe('relay-room');

    // Member → relay: handed to the provider with the server's origin, never the forged one.
    const signal = { type: 0, contents: { type: 'offer', sdp: 'x' } };
    bob.send({ opcode: 'MAKE_OFFER', payload: signal, recipient: 'relay-room', origin: { instance_id: 'forged', username: 'mallory' } });
    // Handled (synchronously) before bob's next request.
    await barrier(bob);
    expect(relay.signals).toEqual([
      { lobby: 'room', from: expect.objectContaining({ instance_id: bob.id, username: 'bob' }), opcode: 'MAKE_OFFER', payload: signal },
    ]);
    // A bare signal is read from its bytes (readSignalFrame), unparsed: its payload is decoded when the relay needs it.
    const ice = { type: 0, contents: { candidate: 'candidate:1 1 udp 1 192.0.2.1 9 typ host', sdpMid: '0' } };
    bob.send({ opcode: 'ICE', payload: ice, recipient: 'relay-room' });
    await barrier(bob);
    expect(relay.signals.at(-1)).toEqual({ lobby: 'room', from: expect.objectContaining({ instance_id: bob.id }), opcode: 'ICE', payload: ice });

    // Relay → member: delivered with the relay as origin; non-members get nothing.
    relay.send!(bob.id, 'MAKE_ANSWER', { type: 0, contents: { type: 'answer', sdp: 'y' } });
    expect(await bob.next('MAKE_ANSWER')).toMatchObject({ origin: { instance_id: 'relay-room', username: 'relay' }, payload: { contents: { sdp: 'y' } } });

    // Voice is not relayed: a voice signal to the relay is refused and never reaches the provider.
    const voice = { type: 1, contents: { type: 'offer', sdp: 'v' } };
    expect(await bob.request('MAKE_OFFER', voice, 'WARNING', { recipient: 'relay-room' })).toMatchObject({
      payload: 'voice is not relayed: calls need a direct link between the two players',
    });
    bob.send({ opcode: 'MAKE_OFFER', payload: voice, recipient: 'relay-room' }); // bare: read from its bytes
    expect(await bob.next('WARNING')).toMatchObject({ payload: 'voice is not relayed: calls need a direct link between the two players' });
    expect(relay.signals).toHaveLength(2);

    // A player outside the lobby cannot reach the relay.
    const out = await player('out');
    expect(await out.request('ICE', signal, 'WARNING', { recipient: 'relay-room' })).toMatchObject({ payload: 'peer invalid' });

    await bob.request('LEAVE_LOBBY', undefined, 'LEAVE_ACK');
    expect(relay.left).toEqual([bob.id]);
    await ann.request('MANAGE_LOBBY', { method: 'close_lobby', args: null }, 'MANAGE_ACK');
    expect(relay.destroyed).toEqual(['room']);
  });

  it('USE_RELAY in a mesh lobby: refused without a provider, validated, and the relay started once for the pairs that ask', async () => {
    await serve();
    const lone = await player('lone');
    const other = await player('other');
    await lone.request('CREATE_LOBBY', lobby('plain'), 'CREATE_ACK');
    await other.request('JOIN_LOBBY', { name: 'plain', password: '' }, 'JOIN_ACK');
    expect(await lone.request('USE_RELAY', other.id)).toMatchObject({ opcode: 'WARNING', payload: 'relay not available on this server' });
    await served.server.close();

    const relay = new FakeRelay();
    await serve({ relay });
    const [ann, bob, cat, dan] = [await player('ann'), await player('bob'), await player('cat'), await player('dan')];
    expect(await ann.request('USE_RELAY', bob.id)).toMatchObject({ opcode: 'WARNING', payload: 'not in lobby' });
    await ann.request('CREATE_LOBBY', lobby('room'), 'CREATE_ACK');
    for (const p of [bob, cat]) await p.request('JOIN_LOBBY', { name: 'room', password: '' }, 'JOIN_ACK');
    // Not a member, myself, or not an instance id.
    expect(await ann.request('USE_RELAY', dan.id)).toMatchObject({ opcode: 'WARNING', payload: 'peer invalid' });
    expect(await ann.request('USE_RELAY', ann.id)).toMatchObject({ opcode: 'WARNING', payload: 'peer invalid' });
    expect(await ann.request('USE_RELAY', 42)).toMatchObject({ opcode: 'WARNING', payload: expect.stringContaining('payload') });
    expect(relay.created).toBe(0);

    // Both sides of two pairs ask at once: one relay peer; each asker is answered, each other side told.
    ann.send({ opcode: 'USE_RELAY', payload: bob.id, listener: 'ab' });
    bob.send({ opcode: 'USE_RELAY', payload: ann.id, listener: 'ba' });
    cat.send({ opcode: 'USE_RELAY', payload: ann.id, listener: 'ca' });
    const relayPair = (peer: string, listener?: string) => ({
      opcode: 'RELAY_PAIR',
      payload: { relay: 'relay-room', peer },
      ...(listener ? { listener } : {}),
    });
    await ann.until(() => ann.received.filter((p) => p.opcode === 'RELAY_PAIR').length === 3, 'three RELAY_PAIRs for ann');
    expect(ann.received.filter((p) => p.opcode === 'RELAY_PAIR').sort((a, b) => (a.listener ?? '').localeCompare(b.listener ?? ''))).toEqual([
      relayPair(bob.id),
      relayPair(cat.id),
      relayPair(bob.id, 'ab'),
    ]);
    await bob.until(() => bob.received.filter((p) => p.opcode === 'RELAY_PAIR').length === 2, 'two RELAY_PAIRs for bob');
    expect(bob.received.filter((p) => p.opcode === 'RELAY_PAIR').sort((a, b) => (a.listener ?? '').localeCompare(b.listener ?? ''))).toEqual([
      relayPair(ann.id),
      relayPair(ann.id, 'ba'),
    ]);
    expect(await cat.next('RELAY_PAIR')).toEqual(relayPair(ann.id, 'ca'));
    expect(relay.created).toBe(1);
    // Still a mesh lobby: nobody is told to relay everything, and neither is a joiner.
    expect((await ann.request('FIND_LOBBY', 'room')).payload).toMatchObject({ relay_enabled: false });
    await dan.request('JOIN_LOBBY', { name: 'room', password: '' }, 'JOIN_ACK');
    await barrier(dan);
    for (const p of [ann, bob, cat, dan]) expect(p.opcodes()).not.toContain('RELAY');
    // Signals reach the relay peer like in a relay lobby; leaves and the close are reported to it.
    const signal = { type: 0, contents: { type: 'offer', sdp: 'x' } };
    bob.send({ opcode: 'MAKE_OFFER', payload: signal, recipient: 'relay-room' });
    await barrier(bob);
    expect(relay.signals).toEqual([{ lobby: 'room', from: expect.objectContaining({ instance_id: bob.id }), opcode: 'MAKE_OFFER', payload: signal }]);
    await bob.request('LEAVE_LOBBY', undefined, 'LEAVE_ACK');
    expect(relay.left).toEqual([bob.id]);
    await ann.request('MANAGE_LOBBY', { method: 'close_lobby', args: null }, 'MANAGE_ACK');
    expect(relay.destroyed).toEqual(['room']);
  });

  it('reports a relay that fails to start, and the lobby keeps working', async () => {
    const relay = new FakeRelay();
    relay.create = async () => {
      throw new Error('no wrtc');
    };
    await serve({ relay });
    const ann = await player('ann');
    ann.send({ opcode: 'CREATE_LOBBY', payload: lobby('room', { enable_relay: true }), listener: 'mk' });
    expect(await ann.next('CREATE_ACK')).toMatchObject({ payload: 'ok' });
    expect(await ann.next('WARNING')).toMatchObject({ payload: 'relay could not be started', listener: 'mk' });
    expect((await ann.request('FIND_LOBBY', 'room')).payload).toMatchObject({ relay_enabled: false, current_players: 1 });
  });
});

describe('shutdown', () => {
  it('close() tells every client 1001 and resolves', async () => {
    await serve();
    const ann = await player('ann');
    const bob = await open();
    await served.server.close();
    expect((await ann.closed()).code).toBe(1001);
    expect((await bob.closed()).code).toBe(1001);
  });
});
