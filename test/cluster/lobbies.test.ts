// Two and three server nodes sharing a real redis-server, raw `ws` clients spread across them: every
// lobby request and event, and every signal, reaches a player whichever node holds its connection.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { redisForTests } from '../helpers/redis.js';
import { type Node, startNodes } from '../helpers/cluster-nodes.js';
import { until } from '../helpers/until.js';
import { barrier, RawClient } from '../server/helpers.js';

const redis = redisForTests();
let nodes: Node[];
const clients: RawClient[] = [];

beforeEach(async () => {
  nodes = await startNodes(redis.url, 3);
});
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await Promise.all(nodes.map((node) => node.close()));
});

type Client = RawClient & { id: string; name: string; token: string };

/** A player on node `n`. */
async function player(n: number, username: string, ugi = 'g'): Promise<Client> {
  const client = (await open(n, ugi)) as Client;
  const ok = await client.request('INIT', { username }, 'INIT_OK');
  client.id = (ok.payload as { instance_id: string }).instance_id;
  client.token = (ok.payload as { resume_token: string }).resume_token;
  client.name = username;
  return client;
}

async function open(n: number, ugi = 'g'): Promise<RawClient> {
  const client = await RawClient.open(`${nodes[n]!.server.wsUrl}?ugi=${ugi}`);
  clients.push(client);
  return client;
}

const lobby = (name: string, extra: object = {}) => ({ name, max_players: -1, password: '', locked: false, enable_relay: false, ...extra });

/** Bounded wait for a packet that another node sends (no barrier covers frames routed through Redis). */
const next = (client: RawClient, opcode: string) => client.next(opcode, 5000);

describe('lobbies across nodes', () => {
  it('create on one node, join from the others: joins, NEW_PEER/PEER_JOIN and NEW_LOBBY reach every node', async () => {
    const ann = await player(0, 'ann');
    const bob = await player(1, 'bob');
    const cat = await player(2, 'cat');
    expect((await ann.request('CREATE_LOBBY', lobby('room'), 'CREATE_ACK')).payload).toBe('ok');
    // Idle players on the other nodes hear of the new lobby.
    expect((await next(bob, 'NEW_LOBBY')).payload).toBe('room');
    expect((await next(cat, 'NEW_LOBBY')).payload).toBe('room');
    expect((await bob.request('LIST_LOBBIES', undefined, 'LIST_ACK')).payload).toEqual(['room']);
    expect((await cat.request('FIND_LOBBY', 'room', 'FIND_ACK')).payload).toMatchObject({ name: 'room', current_players: 1, host: { instance_id: ann.id } });

    expect((await bob.request('JOIN_LOBBY', { name: 'room', password: '' }, 'JOIN_ACK')).payload).toBe('ok');
    expect((await next(bob, 'NEW_HOST')).payload).toMatchObject({ instance_id: ann.id });
    expect((await next(ann, 'NEW_PEER')).payload).toMatchObject({ instance_id: bob.id, username: 'bob' });
    expect((await cat.request('JOIN_LOBBY', { name: 'room', password: '' }, 'JOIN_ACK')).payload).toBe('ok');
    expect((await next(ann, 'NEW_PEER')).payload).toMatchObject({ instance_id: cat.id });
    expect((await next(bob, 'PEER_JOIN')).payload).toMatchObject({ instance_id: cat.id });
  });

  it('relays signals between members on different nodes in order, with a server-stamped origin, and refuses non-members', async () => {
    const ann = await player(0, 'ann');
    const bob = await player(1, 'bob');
    const eve = await player(2, 'eve');
    await ann.request('CREATE_LOBBY', lobby('room'), 'CREATE_ACK');
    await bob.request('JOIN_LOBBY', { name: 'room', password: '' }, 'JOIN_ACK');
    for (let i = 0; i < 50; i += 1) bob.send({ opcode: 'ICE', payload: { type: 0, contents: { i } }, recipient: ann.id });
    ann.send({ opcode: 'MAKE_OFFER', payload: { type: 0, contents: 'offer' }, recipient: bob.id });
    for (let i = 0; i < 50; i += 1) {
      const ice = await next(ann, 'ICE');
      expect(ice.payload).toEqual({ type: 0, contents: { i } });
      expect(ice.origin).toMatchObject({ instance_id: bob.id, username: 'bob' });
    }
    expect(await next(bob, 'MAKE_OFFER')).toMatchObject({ payload: { contents: 'offer' }, origin: { instance_id: ann.id } });
    // eve (another node, in no lobby) can neither send to them nor be sent to.
    eve.send({ opcode: 'ICE', payload: { type: 0, contents: 'x' }, recipient: ann.id, listener: 'e1' });
    expect(await next(eve, 'WARNING')).toMatchObject({ payload: 'peer invalid' });
    ann.send({ opcode: 'ICE', payload: { type: 0, contents: 'x' }, recipient: eve.id, listener: 'a1' });
    expect(await next(ann, 'WARNING')).toMatchObject({ payload: 'peer invalid', listener: 'a1' });
    await barrier(eve);
    expect(eve.opcodes().filter((opcode) => opcode !== 'NEW_LOBBY')).toEqual([]);
  });

  it('the last seat raced from two nodes goes to exactly one; a name is unique per game across nodes', async () => {
    const ann = await player(0, 'ann');
    await ann.request('CREATE_LOBBY', lobby('duo', { max_players: 2 }), 'CREATE_ACK');
    const bob = await player(1, 'bob');
    const cat = await player(2, 'cat');
    const replies = await Promise.all([bob, cat].map((c) => c.request('JOIN_LOBBY', { name: 'duo', password: '' }, 'JOIN_ACK')));
    expect(replies.map((r) => r.payload).sort()).toEqual(['full', 'ok']);
    const twin = await RawClient.open(`${nodes[1]!.server.wsUrl}?ugi=g`);
    clients.push(twin);
    expect(await twin.request('INIT', { username: 'ann' })).toMatchObject({ opcode: 'WARNING', payload: 'username taken' });
  });

  it('manage across nodes: lock, hide, kick, transfer and close reach the members on other nodes', async () => {
    const ann = await player(0, 'ann');
    const bob = await player(1, 'bob');
    const cat = await player(2, 'cat');
    const dan = await player(1, 'dan');
    await ann.request('CREATE_LOBBY', lobby('room'), 'CREATE_ACK');
    await bob.request('JOIN_LOBBY', { name: 'room', password: '' }, 'JOIN_ACK');
    await cat.request('JOIN_LOBBY', { name: 'room', password: '' }, 'JOIN_ACK');
    const manage = (host: RawClient, method: string, args?: unknown) => host.request('MANAGE_LOBBY', { method, args }, 'MANAGE_ACK');

    expect((await manage(ann, 'lock')).payload).toBe('ok');
    expect((await dan.request('JOIN_LOBBY', { name: 'room', password: '' }, 'JOIN_ACK')).payload).toBe('locked');
    expect((await manage(ann, 'hide')).payload).toBe('ok');
    expect((await dan.request('LIST_LOBBIES', undefined, 'LIST_ACK')).payload).toEqual([]);
    expect((await manage(ann, 'show')).payload).toBe('ok');
    expect((await next(dan, 'NEW_LOBBY')).payload).toBe('room');

    // Kick cat (node 2) from node 0: cat hears it and is in no lobby (it may create one at once).
    for (const c of [bob, cat]) c.received.length = 0;
    expect((await manage(ann, 'kick', cat.id)).payload).toBe('ok');
    expect(await next(cat, 'WARNING')).toMatchObject({ payload: 'kicked from the lobby' });
    expect((await next(cat, 'TRANSITION')).payload).toBe('');
    expect((await next(bob, 'PEER_LEFT')).payload).toBe(cat.id);
    expect((await cat.request('CREATE_LOBBY', lobby('cats'), 'CREATE_ACK')).payload).toBe('ok');

    // Transfer to bob (node 1): bob becomes host, ann a peer; bob can manage from his node.
    for (const c of [ann, bob]) c.received.length = 0;
    expect((await manage(ann, 'transfer_ownership', bob.id)).payload).toBe('ok');
    expect((await next(bob, 'TRANSITION')).payload).toBe('host');
    expect((await next(bob, 'NEW_HOST')).payload).toMatchObject({ instance_id: bob.id });
    expect((await next(ann, 'TRANSITION')).payload).toBe('peer');
    expect((await manage(bob, 'change_max_players', 5)).payload).toBe('ok');

    // bob closes it: ann (node 0) hears LOBBY_CLOSED and may join another lobby right away.
    ann.received.length = 0;
    expect((await manage(bob, 'close_lobby')).payload).toBe('ok');
    expect((await next(ann, 'LOBBY_CLOSED')).payload).toBe('room');
    expect((await next(ann, 'TRANSITION')).payload).toBe('');
    expect((await ann.request('JOIN_LOBBY', { name: 'cats', password: '' }, 'JOIN_ACK')).payload).toBe('ok');
    expect((await next(cat, 'NEW_PEER')).payload).toMatchObject({ instance_id: ann.id });
  });

  it('a host leaving migrates the lobby: TRANSITION, NEW_HOST and PEER_LEFT reach the members on other nodes', async () => {
    const ann = await player(0, 'ann');
    const bob = await player(1, 'bob');
    const cat = await player(2, 'cat');
    await ann.request('CREATE_LOBBY', lobby('room'), 'CREATE_ACK');
    await bob.request('JOIN_LOBBY', { name: 'room', password: '' }, 'JOIN_ACK');
    await cat.request('JOIN_LOBBY', { name: 'room', password: '' }, 'JOIN_ACK');
    for (const c of [bob, cat]) c.received.length = 0;
    expect((await ann.request('LEAVE_LOBBY', undefined, 'LEAVE_ACK')).payload).toBe('ok');
    expect((await next(bob, 'TRANSITION')).payload).toBe('host');
    expect((await next(cat, 'NEW_HOST')).payload).toMatchObject({ instance_id: bob.id });
    expect((await next(bob, 'PEER_LEFT')).payload).toBe(ann.id);
    expect((await next(cat, 'PEER_LEFT')).payload).toBe(ann.id);
    // A goodbye close of bob's socket (node 1) migrates again, to cat on node 2.
    bob.ws.close(1000);
    expect((await next(cat, 'TRANSITION')).payload).toBe('host');
  });

  it("every node's /healthz and status page count the games of every node, and forget a game once it is empty", async () => {
    const ann = await player(0, 'ann', 'alpha');
    await player(1, 'bob', 'beta');
    await player(1, 'cat', 'beta');
    expect((await ann.request('CREATE_LOBBY', lobby('room'), 'CREATE_ACK')).payload).toBe('ok');
    const health = async (n: number) => (await (await fetch(`${nodes[n]!.server.url}/healthz`)).json()) as { players: number; lobbies: number };
    /** Node n's counts once they are `want` (each node reads the store at most once a second). */
    const counts = async (n: number, want: { players: number; lobbies: number }) => {
      let seen = await health(n);
      for (const deadline = Date.now() + 5000; (seen.players !== want.players || seen.lobbies !== want.lobbies) && Date.now() < deadline; ) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        seen = await health(n);
      }
      return seen;
    };
    expect(await counts(2, { players: 3, lobbies: 1 })).toMatchObject({ players: 3, lobbies: 1 });
    const page = await (await fetch(`${nodes[2]!.server.url}/`)).text();
    expect(page).toContain('<td>alpha</td><td>1</td><td>room (1)</td>');
    expect(page).toContain('<td>beta</td><td>2</td>');
    // ann says goodbye: alpha has no player and no lobby left.
    ann.ws.close(1000);
    expect(await counts(2, { players: 2, lobbies: 0 })).toMatchObject({ players: 2, lobbies: 0 });
    expect(await (await fetch(`${nodes[0]!.server.url}/`)).text()).not.toContain('alpha');
  });
});

describe('resume with several nodes', () => {
  it('a drop resumed on the same node replays what was sent meanwhile, from any node', async () => {
    const ann = await player(0, 'ann');
    const bob = await player(1, 'bob');
    await ann.request('CREATE_LOBBY', lobby('room'), 'CREATE_ACK');
    await bob.request('JOIN_LOBBY', { name: 'room', password: '' }, 'JOIN_ACK');
    await next(ann, 'NEW_PEER');
    await ann.sync();
    const received = ann.frames;
    ann.close();
    await until(() => nodes[0]!.server.connections('g').some((p) => p.id === ann.id && !p.open), 'node 0 noticing the drop');
    for (let i = 0; i < 3; i += 1) bob.send({ opcode: 'ICE', payload: { type: 0, contents: { i } }, recipient: ann.id });
    await bob.sync();
    const back = await open(0);
    expect((await back.request('RESUME', { token: ann.token, received }, 'RESUME_OK')).payload).toMatchObject({ instance_id: ann.id });
    for (let i = 0; i < 3; i += 1) expect(await next(back, 'ICE')).toMatchObject({ payload: { contents: { i } }, origin: { instance_id: bob.id } });
    expect((await back.request('MANAGE_LOBBY', { method: 'lock', args: null }, 'MANAGE_ACK')).payload).toBe('ok');
  });

  it('a RESUME on another node while the old connection still looks open takes the seat over there', async () => {
    const ann = await player(0, 'ann');
    const bob = await player(2, 'bob');
    await ann.request('CREATE_LOBBY', lobby('room'), 'CREATE_ACK');
    await bob.request('JOIN_LOBBY', { name: 'room', password: '' }, 'JOIN_ACK');
    await next(ann, 'NEW_PEER');
    await ann.sync();
    const back = await open(1);
    expect((await back.request('RESUME', { token: ann.token, received: ann.frames }, 'RESUME_OK')).payload).toMatchObject({ instance_id: ann.id });
    // The old connection (node 0) is cut; node 0 no longer holds ann, and nobody saw ann leave.
    await ann.closed(5000);
    await until(() => !nodes[0]!.server.connections('g').some((p) => p.id === ann.id), 'node 0 forgetting ann');
    bob.send({ opcode: 'ICE', payload: { type: 0, contents: 'to the new node' }, recipient: ann.id });
    expect(await next(back, 'ICE')).toMatchObject({ payload: { contents: 'to the new node' } });
    await bob.sync();
    expect(bob.opcodes()).not.toContain('PEER_LEFT');
    expect((await back.request('MANAGE_LOBBY', { method: 'kick', args: bob.id }, 'MANAGE_ACK')).payload).toBe('ok');
    expect(await next(bob, 'WARNING')).toMatchObject({ payload: 'kicked from the lobby' });
  });
});
