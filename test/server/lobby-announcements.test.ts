// NEW_LOBBY coalesced (src/server/lobby-announcer.ts), on one node in memory and on two nodes sharing a
// real redis-server: every idle player learns of every new visible lobby within the stated delay, in
// batches of at most `batchMax` names at most once per interval, and a lobby gone before its batch left
// is never announced. Raw `ws` clients, real servers on 127.0.0.1.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer, type ServerOptions } from '../../src/server/server.js';
import { type Node, startNodes } from '../helpers/cluster-nodes.js';
import { silentLogger } from '../helpers/logger.js';
import { type RedisServer, startRedis } from '../helpers/redis.js';
import { INSTALL_MS } from '../helpers/store-backends.js';
import { RawClient } from './helpers.js';

const INTERVAL_MS = 1000;
const BATCH_MAX = 5;
const announcer = { intervalMs: INTERVAL_MS, batchMax: BATCH_MAX };
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

function scenarios(deploy: () => Promise<Deployment>) {
  let deployment: Deployment;
  const on = (i: number) => deployment.urls[i % deployment.urls.length]!;
  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await deployment?.stop();
  });

  it('a burst of creates: every watcher hears of every lobby once, in batches of at most batchMax, one per interval', async () => {
    deployment = await deploy();
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
    deployment = await deploy();
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

  it('NEW_LOBBY is not numbered: a watcher that heard some resumes counting every other frame', async () => {
    deployment = await deploy();
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
  scenarios(async () => {
    const server: RunningServer = await startServer({ port: 0, logger: silentLogger, announcer });
    return { urls: [server.wsUrl], stop: () => server.close() };
  });
});

describe('NEW_LOBBY coalesced, two nodes (--redis)', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  }, INSTALL_MS);
  afterAll(async () => {
    await redis?.stop();
  });
  scenarios(async () => {
    const nodes: Node[] = await startNodes(redis.url, 2, { announcer } satisfies ServerOptions);
    return { urls: nodes.map((node) => node.server.wsUrl), stop: async () => void (await Promise.all(nodes.map((node) => node.close()))) };
  });
});
