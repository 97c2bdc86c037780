// Fair limits for fan-out (issue 16), raw `ws` clients against a real server on 127.0.0.1: the fan-out a
// create, show or join causes is charged to its author's connection and address (a flood is refused at
// its source, with the wait); the signals a member owes a newcomer do not count against the member's own
// rate limit (bounded per newcomer); a player joins at most once per cooldown.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer, type ServerOptions } from '../../src/server/server.js';
import { SignalCredit } from '../../src/server/signal-credit.js';
import { LOBBY_CHURN_ALLOWED } from '../helpers/churn-limits.js';
import { type Node, startNodes } from '../helpers/cluster-nodes.js';
import { silentLogger } from '../helpers/logger.js';
import { type RedisServer, startRedis } from '../helpers/redis.js';
import { INSTALL_MS } from '../helpers/store-backends.js';
import { barrier, RawClient } from './helpers.js';

let server: RunningServer;
const clients: RawClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await server?.close();
});

/** Every limit but the ones a test is about out of the way. */
const loose: ServerOptions = LOBBY_CHURN_ALLOWED;

async function serve(options: ServerOptions): Promise<void> {
  server = await startServer({ port: 0, logger: silentLogger, ...loose, ...options });
}

async function player(username: string, url = server.wsUrl): Promise<RawClient & { id: string }> {
  const client = (await RawClient.open(`${url}?ugi=g`)) as RawClient & { id: string };
  clients.push(client);
  client.id = ((await client.request('INIT', { username }, 'INIT_OK')).payload as { instance_id: string }).instance_id;
  return client;
}

const lobby = (name: string, extra: object = {}) => ({ name, max_players: -1, password: '', locked: false, enable_relay: false, ...extra });
const create = (client: RawClient, name: string, extra: object = {}) => client.request('CREATE_LOBBY', lobby(name, extra), 'CREATE_ACK');
const join = (client: RawClient, name: string) => client.request('JOIN_LOBBY', { name, password: '' }, 'JOIN_ACK');
const leave = (client: RawClient) => client.request('LEAVE_LOBBY', undefined, 'LEAVE_ACK');
const ice = (to: string, n: number) => ({ opcode: 'ICE', recipient: to, payload: { type: 0, contents: { candidate: `c${n}` } } });

describe('fan-out charged to whoever caused it', () => {
  it('a create/leave flood is refused at its source with the wait; a hidden create costs nothing', async () => {
    // 1 message a second, 20 in all: one visible create (20 messages), then refusals.
    await serve({ fanout: { perSecond: 1, perAddressPerSecond: 1_000_000 } });
    const [ann, bob] = [await player('ann'), await player('bob')];
    expect((await create(ann, 'one')).payload).toBe('ok');
    expect((await leave(ann)).payload).toBe('ok');
    expect((await create(ann, 'two')).payload).toMatch(/^too many lobby changes: try again in [12] s$/);
    expect((await create(ann, 'secret', { hidden: true })).payload).toBe('ok');
    expect((await ann.request('MANAGE_LOBBY', { method: 'show', args: null }, 'MANAGE_ACK')).payload).toMatch(/^too many lobby changes: try again in/);
    // Another player's budget is its own.
    expect((await create(bob, 'two')).payload).toBe('ok');
    await barrier(ann, bob);
    expect(server.connections('g').length).toBe(2);
  });

  it('the connections of one address share a budget: reconnecting does not refill it', async () => {
    await serve({ fanout: { perSecond: 1_000_000, perAddressPerSecond: 1 } });
    const ann = await player('ann');
    expect((await create(ann, 'one')).payload).toBe('ok');
    ann.close();
    const again = await player('ann2');
    expect((await create(again, 'two')).payload).toMatch(/^too many lobby changes: try again in/);
  });

  it('a join is charged per member told and per signal they may send the joiner: a bigger lobby, a longer wait', async () => {
    // A join into a lobby of 3 costs 3 × (1 + 4) = 15 messages; the budget holds 20, refills 1 a second.
    await serve({ fanout: { perSecond: 1, perAddressPerSecond: 1_000_000 }, signalCredit: { signals: 4 } });
    const [ann, bob, cat, dan] = [await player('ann'), await player('bob'), await player('cat'), await player('dan')];
    await create(ann, 'room', { hidden: true });
    for (const member of [bob, cat]) expect((await join(member, 'room')).payload).toBe('ok');
    expect((await join(dan, 'room')).payload).toBe('ok');
    expect((await leave(dan)).payload).toBe('ok');
    // 20 − 15 − 3 (PEER_LEFT to the three members) = 2 left: allowed, into debt.
    expect((await join(dan, 'room')).payload).toBe('ok');
    expect((await leave(dan)).payload).toBe('ok');
    expect((await join(dan, 'room')).payload).toMatch(/^too many lobby changes: try again in 1[0-9] s$/);
  });
});

describe('signals a member owes a newcomer', () => {
  it('do not count against the member’s rate limit, up to the credit per newcomer; past it the limit holds', async () => {
    // 3 packets in a burst, 1 a second: a mesh member answering a join would be over at once.
    await serve({ rateLimit: { perSecond: 1, burst: 3, strikesBeforeViolation: 1000 }, signalCredit: { signals: 20 } });
    const [ann, bob] = [await player('ann'), await player('bob')];
    expect((await create(ann, 'room', { hidden: true })).payload).toBe('ok');
    expect((await join(bob, 'room')).payload).toBe('ok');
    expect((await ann.next('NEW_PEER')).payload).toMatchObject({ instance_id: bob.id });
    for (let n = 0; n < 20; n += 1) ann.send(ice(bob.id, n));
    await bob.until(() => bob.received.filter((p) => p.opcode === 'ICE').length === 20, '20 ICE at bob');
    expect(ann.opcodes()).not.toContain('WARNING');
    // The credit is used up: the member's own limit again (3 in a burst).
    for (let n = 20; n < 30; n += 1) ann.send(ice(bob.id, n));
    expect((await ann.next('WARNING')).payload).toBe('rate limited: slow down');
    expect(bob.received.filter((p) => p.opcode === 'ICE').length).toBeLessThan(30);
  });

  it('an unreadable packet is never credited: it counts against the member’s own limit', async () => {
    await serve({ rateLimit: { perSecond: 1, burst: 3, strikesBeforeViolation: 1000 }, signalCredit: { signals: 20 } });
    const [ann, bob] = [await player('ann'), await player('bob')];
    expect((await create(ann, 'room', { hidden: true })).payload).toBe('ok');
    expect((await join(bob, 'room')).payload).toBe('ok');
    expect((await ann.next('NEW_PEER')).payload).toMatchObject({ instance_id: bob.id });
    // Credit for bob is held; 4 unreadable packets are more than the burst of 3 holds.
    for (let n = 0; n < 4; n += 1) ann.send('{not json');
    await ann.until(() => ann.received.some((p) => p.opcode === 'WARNING' && p.payload === 'rate limited: slow down'), 'rate limited');
  });

  describe('with two nodes (--redis): the member hears of the newcomer from the other node', () => {
    let redis: RedisServer;
    let nodes: Node[] = [];
    beforeAll(async () => {
      redis = await startRedis();
    }, INSTALL_MS);
    afterAll(async () => {
      await Promise.all(nodes.map((node) => node.close()));
      await redis?.stop();
    });

    it('its signals to the newcomer do not count against its limit', async () => {
      const tight = { ...loose, rateLimit: { perSecond: 1, burst: 3, strikesBeforeViolation: 1000 }, signalCredit: { signals: 20 } };
      nodes = await startNodes(redis.url, 2, tight);
      const ann = await player('ann', nodes[0]!.server.wsUrl);
      const bob = await player('bob', nodes[1]!.server.wsUrl);
      expect((await create(ann, 'room', { hidden: true })).payload).toBe('ok');
      expect((await join(bob, 'room')).payload).toBe('ok');
      expect((await ann.next('NEW_PEER', 5000)).payload).toMatchObject({ instance_id: bob.id });
      for (let n = 0; n < 20; n += 1) ann.send(ice(bob.id, n));
      await bob.until(() => bob.received.filter((p) => p.opcode === 'ICE').length === 20, '20 ICE at bob', 5000);
      expect(ann.opcodes()).not.toContain('WARNING');
    });
  });

  it('are bounded: per newcomer, within the window, for the newest joiners only, and only signals to them', () => {
    let now = 0;
    const credit = new SignalCredit({ signals: 2, windowMs: 1000 }, () => now);
    expect(credit.held).toBe(false);
    credit.grant('bob');
    expect(credit.use('ICE', 'cat')).toBe(false);
    expect(credit.use('KEEPALIVE', 'bob')).toBe(false);
    expect(credit.use('MAKE_OFFER', 'bob')).toBe(true);
    expect(credit.use('ICE', 'bob')).toBe(true);
    expect(credit.use('ICE', 'bob')).toBe(false);
    credit.grant('cat');
    now = 1001;
    expect(credit.use('ICE', 'cat')).toBe(false);
    expect(credit.held).toBe(false);
    for (let i = 0; i < 100; i += 1) credit.grant(`p${i}`);
    expect(credit.use('ICE', 'p0')).toBe(false);
    expect(credit.use('ICE', 'p99')).toBe(true);
    expect(new SignalCredit({ signals: 0, windowMs: 1000 }).held).toBe(false);
  });
});

describe('join cooldown', () => {
  it('refuses a join (or a quick join) sooner than the cooldown after the last one, with the wait; 0 turns it off', async () => {
    await serve({ joinCooldownMs: 60_000 });
    const [ann, bob] = [await player('ann'), await player('bob')];
    await create(ann, 'room');
    expect((await join(bob, 'room')).payload).toBe('ok');
    expect((await leave(bob)).payload).toBe('ok');
    expect((await join(bob, 'room')).payload).toBe('joining too often: try again in 60 s');
    expect((await bob.request('QUICK_JOIN', { create: { max_players: 4 } }, 'QUICK_JOIN_ACK')).payload).toBe('joining too often: try again in 60 s');
    // Creating is not joining.
    expect((await create(bob, 'own')).payload).toBe('ok');
    await server.close();

    await serve({ joinCooldownMs: 0 });
    const [cat, dan] = [await player('cat'), await player('dan')];
    await create(cat, 'room');
    for (let i = 0; i < 3; i += 1) {
      expect((await join(dan, 'room')).payload).toBe('ok');
      expect((await leave(dan)).payload).toBe('ok');
    }
  });
});
