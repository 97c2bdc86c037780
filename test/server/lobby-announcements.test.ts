// NEW_LOBBY coalesced (src/server/lobby-announcer.ts), on one node in memory and on two nodes sharing a
// real redis-server: every idle player learns of every new visible lobby within the stated delay, in
// batches of at most `batchMax` names at most once per interval, and a lobby gone before its batch left
// is never announced. Raw `ws` clients, real servers on 127.0.0.1.
import { afterEach, describe, expect, it } from 'vitest';
import type { AnnouncerOptions } from '../../src/server/lobby-announcer.js';
import { startServer, type RunningServer, type ServerOptions } from '../../src/server/server.js';
import { type Node, startNodes } from '../helpers/cluster-nodes.js';
import { silentLogger } from '../helpers/logger.js';
import { redisForTests } from '../helpers/redis.js';
import { waitFor } from '../helpers/server-process.js';
import { RawClient } from './helpers.js';

const INTERVAL_MS = 1000;
const BATCH_MAX = 5;
/** The interval and batch rules alone (no holding for cost: the held batch has its own test). */
const announcer: Partial<AnnouncerOptions> = { intervalMs: INTERVAL_MS, batchMax: BATCH_MAX, costPerLobbyMs: 0 };
/** Every batch held for its cost (any batch costs more than a few lobbies at 1 ns each) until the stated delay. */
const MAX_DELAY_MS = 2500;
const held: Partial<AnnouncerOptions> = { intervalMs: 500, batchMax: BATCH_MAX, costPerLobbyMs: 0.000_001, maxDelayMs: MAX_DELAY_MS };
/** Frames of one batch arrive together; two batches are at least INTERVAL_MS apart on the server. */
const SAME_BATCH_MS = 300;

const lobby = (name: string, extra: object = {}) => ({ name, max_players: -1, password: '', locked: false, enable_relay: false, ...extra });

interface Watcher {
  client: RawClient;
  /** Each NEW_LOBBY as it arrived. */
  heard: { name: string; at: number }[];
}

/** The servers under test: their WebSocket URLs (one per node) and how to stop them. */
interface Deployment {
  urls: string[];
  stop(): Promise<void>;
}

const clients: RawClient[] = [];

async function player(url: string, username: string, ugi = 'g'): Promise<RawClient & { token: string }> {
  const client = (await RawClient.open(`${url}?ugi=${ugi}`)) as RawClient & { token: string };
  clients.push(client);
  client.token = ((await client.request('INIT', { username }, 'INIT_OK')).payload as { resume_token: string }).resume_token;
  return client;
}

async function watcher(url: string, username: string, ugi = 'g'): Promise<Watcher & { client: { token: string } }> {
  const client = await player(url, username, ugi);
  const heard: Watcher['heard'] = [];
  client.ws.on('message', (data) => {
    const packet = JSON.parse(String(data)) as { opcode: string; payload: string };
    if (packet.opcode === 'NEW_LOBBY') heard.push({ name: packet.payload, at: Date.now() });
  });
  return { client, heard };
}

/** The NEW_LOBBY frames a watcher got, grouped into the batches they came in. */
function batches(w: Watcher): string[][] {
  const groups: { last: number; names: string[] }[] = [];
  for (const { name, at } of w.heard) {
    const group = groups.at(-1);
    if (group && at - group.last < SAME_BATCH_MS) {
      group.names.push(name);
      group.last = at;
    } else groups.push({ last: at, names: [name] });
  }
  return groups.map((group) => group.names);
}

function scenarios(deploy: (options: Partial<AnnouncerOptions>) => Promise<Deployment>) {
  let deployment: Deployment;
  const on = (i: number) => deployment.urls[i % deployment.urls.length]!;
  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await deployment?.stop();
  });

  it('a burst of creates: every watcher hears of every lobby once, in batches of at most batchMax, one per interval', async () => {
    deployment = await deploy(announcer);
    const watchers = await Promise.all(Array.from({ length: 12 }, (_, i) => watcher(on(i), `watcher${i}`)));
    const elsewhere = await watcher(on(0), 'elsewhere', 'other-game');
    const member = await watcher(on(1), 'member');
    expect((await member.client.request('CREATE_LOBBY', lobby('home'), 'CREATE_ACK')).payload).toBe('ok');
    const creators = await Promise.all(Array.from({ length: 12 }, (_, i) => player(on(i), `creator${i}`)));
    const names = creators.map((_, i) => `room${i}`);
    await Promise.all(watchers.map((w) => w.client.until(() => w.heard.some((h) => h.name === 'home'), 'home announced', 5000)));

    const started = Date.now();
    const acks = await Promise.all(creators.map((c, i) => c.request('CREATE_LOBBY', lobby(names[i]!), 'CREATE_ACK')));
    expect(acks.map((ack) => ack.payload)).toEqual(names.map(() => 'ok'));
    // The stated delay: a batch per interval, batchMax names each, oldest first.
    const bound = INTERVAL_MS * Math.ceil(names.length / BATCH_MAX + 1) + 1000;
    for (const w of watchers) await w.client.until(() => names.every((name) => w.heard.some((h) => h.name === name)), 'every lobby announced', bound);
    const took = Date.now() - started;
    expect(took).toBeLessThan(bound);

    for (const w of watchers) {
      const fresh = w.heard.filter((h) => h.name !== 'home').map((h) => h.name);
      expect(fresh.sort()).toEqual([...names].sort());
      const groups = batches({ client: w.client, heard: w.heard.filter((h) => h.name !== 'home') });
      for (const group of groups) expect(group.length).toBeLessThanOrEqual(BATCH_MAX);
      // At most one batch per interval (the first may leave at once).
      expect(groups.length).toBeLessThanOrEqual(Math.floor(took / INTERVAL_MS) + 2);
    }
    await Promise.all([elsewhere, member].map((w) => w.client.sync()));
    expect(elsewhere.heard).toEqual([]);
    expect(member.heard).toEqual([]);
  }, 30_000);

  it('a lobby closed or hidden before its batch leaves is never announced; a shown one is', async () => {
    deployment = await deploy(announcer);
    const watchers = await Promise.all([watcher(on(0), 'w0'), watcher(on(1), 'w1')]);
    const [ann, bob, cat, dan] = await Promise.all(['ann', 'bob', 'cat', 'dan'].map((name, i) => player(on(i), name)));
    // The first announcement leaves at once; the next ones wait for the interval to end.
    await ann!.request('CREATE_LOBBY', lobby('first'), 'CREATE_ACK');
    await bob!.request('CREATE_LOBBY', lobby('fleeting'), 'CREATE_ACK');
    await bob!.request('LEAVE_LOBBY', undefined, 'LEAVE_ACK');
    await cat!.request('CREATE_LOBBY', lobby('shy'), 'CREATE_ACK');
    expect((await cat!.request('MANAGE_LOBBY', { method: 'hide', args: null }, 'MANAGE_ACK')).payload).toBe('ok');
    await dan!.request('CREATE_LOBBY', lobby('secret', { hidden: true }), 'CREATE_ACK');
    expect((await dan!.request('MANAGE_LOBBY', { method: 'show', args: null }, 'MANAGE_ACK')).payload).toBe('ok');
    for (const w of watchers) {
      await w.client.until(() => w.heard.some((h) => h.name === 'secret'), 'the shown lobby announced', 5000);
      expect(w.heard.map((h) => h.name)).toEqual(['first', 'secret']);
    }
  }, 30_000);

  it('held for its cost: every watcher hears every lobby once, together, after the stated delay and not much later', async () => {
    deployment = await deploy(held);
    const watchers = await Promise.all(Array.from({ length: 8 }, (_, i) => watcher(on(i), `watcher${i}`)));
    const creators = await Promise.all(Array.from({ length: 4 }, (_, i) => player(on(i), `creator${i}`)));
    // The first batch leaves at once (nothing measured yet) and measures what a batch costs.
    expect((await creators[0]!.request('CREATE_LOBBY', lobby('first'), 'CREATE_ACK')).payload).toBe('ok');
    await Promise.all(watchers.map((w) => w.client.until(() => w.heard.length === 1, 'first announced', 5000)));

    const names = ['room1', 'room2', 'room3'];
    const started = Date.now();
    for (const [i, name] of names.entries()) expect((await creators[i + 1]!.request('CREATE_LOBBY', lobby(name), 'CREATE_ACK')).payload).toBe('ok');
    for (const w of watchers) await w.client.until(() => w.heard.length === 1 + names.length, 'the held lobbies announced', MAX_DELAY_MS + 3000);
    for (const w of watchers) {
      expect(w.heard.map((h) => h.name)).toEqual(['first', ...names]);
      const arrivals = w.heard.slice(1).map((h) => h.at - started);
      // Held until the oldest waited the stated delay (a timer may fire a little early: 50 ms of slack), in one batch.
      for (const at of arrivals) expect(at).toBeGreaterThanOrEqual(MAX_DELAY_MS - 50);
      expect(Math.max(...arrivals) - Math.min(...arrivals)).toBeLessThan(SAME_BATCH_MS);
      expect(Math.max(...arrivals)).toBeLessThan(MAX_DELAY_MS + 2000);
    }
  }, 30_000);

  it('NEW_LOBBY is not numbered: a watcher that heard some resumes counting every other frame', async () => {
    deployment = await deploy(announcer);
    const w = await watcher(on(0), 'watcher');
    const ann = await player(on(1), 'ann');
    await ann.request('CREATE_LOBBY', lobby('room'), 'CREATE_ACK');
    await w.client.until(() => w.heard.length === 1, 'room announced', 5000);
    const received = w.client.frames;
    w.client.close();
    // On the other node, when there are two.
    const again = await RawClient.open(`${on(1)}?ugi=g`);
    clients.push(again);
    expect((await again.request('RESUME', { token: w.client.token, received })).opcode).toBe('RESUME_OK');
    expect((await again.request('JOIN_LOBBY', { name: 'room', password: '' }, 'JOIN_ACK')).payload).toBe('ok');
  }, 30_000);
}

describe('NEW_LOBBY coalesced, one node (MemoryStore)', () => {
  scenarios(async (announcer) => {
    const server: RunningServer = await startServer({ port: 0, logger: silentLogger, announcer });
    return { urls: [server.wsUrl], stop: () => server.close() };
  });
});

describe('NEW_LOBBY coalesced, two nodes (--redis)', () => {
  const redis = redisForTests();
  scenarios(async (announcer) => {
    const nodes: Node[] = await startNodes(redis.url, 2, { announcer } satisfies ServerOptions);
    return { urls: nodes.map((node) => node.server.wsUrl), stop: async () => void (await Promise.all(nodes.map((node) => node.close()))) };
  });
});

describe('NEW_LOBBY written in slices (one node)', () => {
  let server: RunningServer | undefined;
  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await server?.close();
  });

  it('a batch to many watchers leaves over many turns: a bystander is answered meanwhile, and every watcher hears the lobby once', async () => {
    // One watcher per slice: the batch takes as many event-loop turns as there are watchers.
    // 200 watchers from 127.0.0.1 in a few hundred ms: more than one address's new connections at once.
    server = await startServer({ port: 0, logger: silentLogger, announcer: { ...announcer, sliceMs: 0 }, admission: { connectionsPerSecond: 0 } });
    const url = server.wsUrl;
    const watchers: RawClient[] = [];
    for (let i = 0; i < 200; i += 20) watchers.push(...(await Promise.all(Array.from({ length: 20 }, (_, k) => player(url, `watcher${i + k}`)))));
    const heardAt: number[][] = watchers.map(() => []);
    for (const [i, w] of watchers.entries()) {
      w.ws.on('message', (data) => {
        if (String(data).includes('"NEW_LOBBY"')) heardAt[i]!.push(performance.now());
      });
    }
    const bystander = await player(url, 'bystander', 'other-game');
    const creator = await player(url, 'creator');
    let answeredAt = 0;
    bystander.ws.on('message', (data) => {
      if (String(data).includes('KEEPALIVE_ACK')) answeredAt = performance.now();
    });

    creator.send({ opcode: 'CREATE_LOBBY', payload: lobby('room') });
    bystander.send({ opcode: 'KEEPALIVE' });
    await waitFor(() => heardAt.every((times) => times.length > 0) || undefined, 'every watcher heard', 10_000);
    await bystander.until(() => answeredAt > 0, 'the bystander answered', 5000);
    await Promise.all(watchers.map((w) => w.sync()));
    expect(heardAt.map((times) => times.length)).toEqual(watchers.map(() => 1));
    // Without slices the bystander would wait behind all 200 writes.
    expect(answeredAt).toBeLessThan(Math.max(...heardAt.map((times) => times[0]!)));
  }, 30_000);
});
