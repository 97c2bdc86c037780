// GET /metrics and GET /readyz on the real server, driven by raw `ws` clients: the numbers scraped
// are the ones the test caused; /readyz follows the store (a real redis-server, then stopped).
import { hostname } from 'node:os';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { RedisStore } from '../../src/server/redis-store.js';
import { startServer, type RunningServer, type ServerOptions } from '../../src/server/server.js';
import { silentLogger } from '../helpers/logger.js';
import { type RedisServer, startRedis } from '../helpers/redis.js';
import { barrier, RawClient } from './helpers.js';

const servers: RunningServer[] = [];
const clients: RawClient[] = [];
const cleanups: (() => Promise<unknown>)[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  for (const server of servers.splice(0)) await server.close();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function serve(options: ServerOptions = {}): Promise<RunningServer> {
  const server = await startServer({ port: 0, logger: silentLogger, ...options });
  servers.push(server);
  return server;
}

type Player = RawClient & { id: string; token: string };

async function player(server: RunningServer, username: string): Promise<Player> {
  const client = (await RawClient.open(`${server.wsUrl}?ugi=g`)) as Player;
  clients.push(client);
  const ok = (await client.request('INIT', { username }, 'INIT_OK')).payload as { instance_id: string; resume_token: string };
  client.id = ok.instance_id;
  client.token = ok.resume_token;
  return client;
}

const lobby = { name: 'room', max_players: -1, password: '', locked: false, enable_relay: false };

/** ann hosts "room", bob joins it. */
async function lobbyOfTwo(server: RunningServer): Promise<{ ann: Player; bob: Player }> {
  const ann = await player(server, 'ann');
  const bob = await player(server, 'bob');
  await ann.request('CREATE_LOBBY', lobby, 'CREATE_ACK');
  await bob.request('JOIN_LOBBY', { name: 'room', password: '' }, 'JOIN_ACK');
  await barrier(ann, bob);
  return { ann, bob };
}

/** One scrape: each sample by its name and labels as written (`name{a="b"}`), and the raw text. */
async function scrape(server: RunningServer): Promise<{ text: string; value(series: string): number | undefined }> {
  const response = await fetch(`${server.url}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/plain');
  const text = await response.text();
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const cut = line.lastIndexOf(' ');
    samples.set(line.slice(0, cut), Number(line.slice(cut + 1)));
  }
  return { text, value: (series) => samples.get(series) };
}

describe('GET /metrics', () => {
  it('counts the players, lobby and signals the clients caused, labelled with the node id', async () => {
    const server = await serve({ nodeId: 'node-a' });
    const { ann, bob } = await lobbyOfTwo(server);
    for (let n = 1; n <= 5; n += 1) ann.send({ opcode: 'ICE', payload: { type: 0, contents: { n } }, recipient: bob.id });
    for (let n = 1; n <= 3; n += 1) bob.send({ opcode: 'ICE', payload: { type: 0, contents: { n } }, recipient: ann.id });
    await bob.until(() => bob.received.filter((p) => p.opcode === 'ICE').length === 5, '5 ICE at bob');
    await ann.until(() => ann.received.filter((p) => p.opcode === 'ICE').length === 3, '3 ICE at ann');
    // A signal to nobody in the lobby is refused, not relayed.
    await ann.request('ICE', { type: 0, contents: {} }, 'WARNING', { recipient: 'nobody' });

    const { text, value } = await scrape(server);
    expect(value('cl5_connections{node="node-a"}')).toBe(2);
    expect(value('cl5_players{node="node-a"}')).toBe(2);
    expect(value('cl5_players_held{node="node-a"}')).toBe(0);
    expect(value('cl5_lobbies{node="node-a"}')).toBe(1);
    expect(value('cl5_signals_relayed_total{node="node-a"}')).toBe(8);
    expect(value('cl5_relay_peers{node="node-a"}')).toBe(0);
    expect(value('cl5_relay_links{node="node-a"}')).toBe(0);
    expect(value('cl5_relay_negotiations{node="node-a"}')).toBe(0);
    for (const reason of ['rate_limited', 'invalid', 'busy', 'violation']) {
      expect(value(`cl5_rejected_packets_total{reason="${reason}",node="node-a"}`)).toBe(0);
    }
    // prom-client's default metrics, with the same label: event-loop lag and the process.
    expect(value('nodejs_eventloop_lag_seconds{node="node-a"}')).toBeGreaterThanOrEqual(0);
    expect(value('process_resident_memory_bytes{node="node-a"}')).toBeGreaterThan(0);
    expect(text).toContain('# TYPE cl5_signals_relayed_total counter');
    // Every sample carries the node label.
    const unlabelled = text.split('\n').filter((line) => line !== '' && !line.startsWith('#') && !line.includes('node="node-a"'));
    expect(unlabelled).toEqual([]);

    // Counters keep counting across scrapes; gauges follow the state.
    ann.send({ opcode: 'ICE', payload: { type: 0, contents: { n: 6 } }, recipient: bob.id });
    await bob.until(() => bob.received.filter((p) => p.opcode === 'ICE').length === 6, '6th ICE at bob');
    await bob.request('LEAVE_LOBBY', undefined, 'LEAVE_ACK');
    await ann.request('LEAVE_LOBBY', undefined, 'LEAVE_ACK');
    const after = await scrape(server);
    expect(after.value('cl5_signals_relayed_total{node="node-a"}')).toBe(9);
    expect(after.value('cl5_lobbies{node="node-a"}')).toBe(0);
  });

  it('counts packets refused at the edge by reason: rate limited, invalid, violation', async () => {
    const server = await serve({ nodeId: 'n', rateLimit: { perSecond: 1, burst: 5, strikesBeforeViolation: 1000 } });
    const ann = await player(server, 'ann');
    ann.send('{not json');
    ann.send({ opcode: 'NO_SUCH_OPCODE' });
    for (let i = 0; i < 20; i += 1) ann.send({ opcode: 'KEEPALIVE', listener: `k${i}` });
    const limitedWarning = () => ann.received.filter((p) => p.opcode === 'WARNING' && p.payload === 'rate limited: slow down').length;
    // INIT and the two invalid packets took 3 of the burst of 5: 2 KEEPALIVEs pass, 18 are limited (a refill may let one more through).
    await ann.until(() => limitedWarning() + ann.received.filter((p) => p.opcode === 'KEEPALIVE_ACK').length === 20, 'an answer to every KEEPALIVE');
    const limited = limitedWarning();
    expect(limited).toBeGreaterThanOrEqual(16);

    const bob = await player(server, 'bob');
    bob.send('x'.repeat(70_000));
    await bob.closed();
    // A violator's socket is read no further and destroyed by the 1 s close timer (drop.ts): the
    // server counts it until then, though the client is gone.
    const deadline = Date.now() + 3000;
    while ((await scrape(server)).value('cl5_connections{node="n"}') !== 1 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));

    const { value } = await scrape(server);
    expect(value('cl5_rejected_packets_total{reason="rate_limited",node="n"}')).toBe(limited);
    expect(value('cl5_rejected_packets_total{reason="invalid",node="n"}')).toBe(2);
    expect(value('cl5_rejected_packets_total{reason="violation",node="n"}')).toBe(1);
    expect(value('cl5_connections{node="n"}')).toBe(1);
  });

  it('counts held seats, resumes and refused resumes', async () => {
    const server = await serve({ nodeId: 'n' });
    const { ann, bob } = await lobbyOfTwo(server);
    ann.close();
    await ann.closed();
    // The server notices the drop on its own time: wait until the seat is held.
    const deadline = Date.now() + 3000;
    while (!(await server.store.seatHeld('g', ann.id))) {
      if (Date.now() > deadline) throw new Error('seat never held');
      await bob.sync();
    }
    let scraped = await scrape(server);
    expect(scraped.value('cl5_players_held{node="n"}')).toBe(1);
    expect(scraped.value('cl5_players{node="n"}')).toBe(1);
    expect(scraped.value('cl5_connections{node="n"}')).toBe(1);

    const back = await RawClient.open(`${server.wsUrl}?ugi=g`);
    clients.push(back);
    expect((await back.request('RESUME', { token: ann.token, received: ann.frames })).opcode).toBe('RESUME_OK');
    const stranger = await RawClient.open(`${server.wsUrl}?ugi=g`);
    clients.push(stranger);
    expect((await stranger.request('RESUME', { token: ann.token, received: 0 })).opcode).toBe('WARNING');

    scraped = await scrape(server);
    expect(scraped.value('cl5_resumes_total{node="n"}')).toBe(1);
    expect(scraped.value('cl5_resumes_refused_total{node="n"}')).toBe(1);
    expect(scraped.value('cl5_players_held{node="n"}')).toBe(0);
    expect(scraped.value('cl5_players{node="n"}')).toBe(2);
  });

  it('keeps two servers in one process apart: each its own registry and node label', async () => {
    const one = await serve({ nodeId: 'one' });
    const two = await serve({ nodeId: 'two' });
    expect(one.metrics.registry).not.toBe(two.metrics.registry);
    const { ann, bob } = await lobbyOfTwo(one);
    ann.send({ opcode: 'ICE', payload: { type: 0, contents: {} }, recipient: bob.id });
    await bob.next('ICE');

    const first = await scrape(one);
    const second = await scrape(two);
    expect(first.value('cl5_signals_relayed_total{node="one"}')).toBe(1);
    expect(first.value('cl5_players{node="one"}')).toBe(2);
    expect(second.value('cl5_signals_relayed_total{node="two"}')).toBe(0);
    expect(second.value('cl5_players{node="two"}')).toBe(0);
    expect(second.value('cl5_lobbies{node="two"}')).toBe(0);
    expect(second.text).not.toContain('node="one"');
  });

  it('labels by hostname, pid and a part new at every start when no node id is given', async () => {
    const server = await serve();
    expect(server.metrics.nodeId).toMatch(new RegExp(`^${hostname()}-${process.pid}-[0-9a-f]{6}$`));
    expect((await scrape(server)).text).toContain(`cl5_players{node="${server.metrics.nodeId}"} 0`);
    // A restart in place (same host, same pid: a container's pid 1) is still a new node.
    const again = await serve();
    expect(again.metrics.nodeId).not.toBe(server.metrics.nodeId);
  });
});

describe('GET /readyz', () => {
  const healthz = async (server: RunningServer) => {
    const response = await fetch(`${server.url}/healthz`);
    return { status: response.status, body: (await response.json()) as { ok: boolean; players: number | null; lobbies: number | null; store?: string } };
  };
  const ready = async (server: RunningServer) => {
    const response = await fetch(`${server.url}/readyz`);
    return { status: response.status, body: (await response.json()) as { ready: boolean; reason?: string } };
  };

  it('is ready with the in-memory store; /healthz is unchanged', async () => {
    const server = await serve();
    expect(await ready(server)).toEqual({ status: 200, body: { ready: true } });
    const health = await fetch(`${server.url}/healthz`);
    expect(health.status).toBe(200);
    expect(((await health.json()) as { ok: boolean }).ok).toBe(true);
  });

  it('follows a RedisStore: ready while redis-server answers, 503 with the reason once it is stopped', async () => {
    const redisServer: RedisServer = await startRedis();
    let stopped = false;
    cleanups.push(async () => {
      if (!stopped) await redisServer.stop();
    });
    const redis = new Redis(redisServer.port, '127.0.0.1', { maxRetriesPerRequest: 1 });
    // Its reconnect attempts after the stop fail by design here.
    redis.on('error', () => {});
    cleanups.push(async () => redis.disconnect());
    const server = await serve({ store: new RedisStore(redis, 'ops-test:') });
    const ann = await player(server, 'ann');
    await ann.request('CREATE_LOBBY', lobby, 'CREATE_ACK');
    expect(await ready(server)).toEqual({ status: 200, body: { ready: true } });
    expect((await scrape(server)).value(`cl5_lobbies{node="${server.metrics.nodeId}"}`)).toBe(1);

    await redisServer.stop();
    stopped = true;
    // ioredis notices the closed connection by itself (bounded wait); from then on the store is unreachable.
    if (redis.status === 'ready') {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('ioredis did not notice redis-server stopping')), 5000);
        redis.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    const answer = await ready(server);
    expect(answer.status).toBe(503);
    expect(answer.body.ready).toBe(false);
    expect(answer.body.reason).toMatch(/^store unreachable: /);
    // /metrics still answers; the lobby count it cannot know reads NaN.
    expect((await scrape(server)).value(`cl5_lobbies{node="${server.metrics.nodeId}"}`)).toBeNaN();
    // Liveness is the process's: /healthz still answers 200, the counts unknown and why.
    expect(await healthz(server)).toMatchObject({
      status: 200,
      body: { ok: true, players: null, lobbies: null, store: expect.stringMatching(/^store unreachable: /) },
    });
    const page = await fetch(`${server.url}/`);
    expect(page.status).toBe(503);
    expect(await page.text()).toMatch(/Players and lobbies are unknown: store unreachable: /);
  }, 300_000);

  it('answers /healthz, /readyz, /metrics and the status page within the deadline while redis-server hangs, and counts again once it answers', async () => {
    const redisServer: RedisServer = await startRedis();
    cleanups.push(() => redisServer.stop());
    const redis = new Redis(redisServer.port, '127.0.0.1', { maxRetriesPerRequest: 1 });
    cleanups.push(async () => redis.disconnect());
    const pid = Number((await redis.info('server')).match(/^process_id:(\d+)/m)?.[1]);
    const server = await serve({ store: new RedisStore(redis, 'hang-test:') });
    const ann = await player(server, 'ann');
    await ann.request('CREATE_LOBBY', lobby, 'CREATE_ACK');
    expect((await healthz(server)).body).toMatchObject({ players: 1, lobbies: 1 });

    // Stopped, not killed: its socket stays open and nothing it is asked is ever answered.
    process.kill(pid, 'SIGSTOP');
    const resume = async () => void process.kill(pid, 'SIGCONT');
    cleanups.push(resume);
    // Past the last read's second, so the next one must ask the store.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const late = /^store unreachable: no answer within 2000 ms$/;
    const started = Date.now();
    const [health, readiness, page, metrics] = await Promise.all([
      healthz(server),
      ready(server),
      fetch(`${server.url}/`).then(async (response) => ({ status: response.status, text: await response.text() })),
      scrape(server),
    ]);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(health).toMatchObject({ status: 200, body: { ok: true, players: null, lobbies: null, store: expect.stringMatching(late) } });
    expect(readiness).toMatchObject({ status: 503, body: { ready: false, reason: expect.stringMatching(late) } });
    expect(page.status).toBe(503);
    expect(page.text).toContain('Players and lobbies are unknown: store unreachable: no answer within 2000 ms');
    expect(metrics.value(`cl5_lobbies{node="${server.metrics.nodeId}"}`)).toBeNaN();

    await resume();
    let counts = (await healthz(server)).body;
    for (const deadline = Date.now() + 10_000; counts.players !== 1 && Date.now() < deadline; ) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      counts = (await healthz(server)).body;
    }
    expect(counts).toMatchObject({ players: 1, lobbies: 1 });
    expect(counts).not.toHaveProperty('store');
  }, 300_000);
});
