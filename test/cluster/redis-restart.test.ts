// Redis restarted under two nodes. The test's redis-server keeps nothing on disk (like a Redis run
// without persistence), so a restart loses every player, lobby, seat and log. What must happen:
// while it is down /readyz says 503 and a player the node cannot serve is told why and dropped (no
// hang); the nodes reconnect by themselves and /readyz says 200 again; every player then learns its
// session is lost (its resume is refused) and can start again, across nodes, as before.
import WebSocket from 'ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CLOSE_SESSION_LOST, Session } from '../../src/client/session.js';
import type { WebSocketConstructor } from '../../src/client/websocket.js';
import { type Node, startNodes } from '../helpers/cluster-nodes.js';
import { type RedisServer, startRedis } from '../helpers/redis.js';
import { until } from '../helpers/until.js';
import { RawClient } from '../server/helpers.js';

let redis: RedisServer;
let nodes: Node[] = [];
const raws: RawClient[] = [];
const sessions: Session[] = [];

beforeAll(async () => {
  redis = await startRedis();
}, 300_000);
afterAll(async () => {
  await redis?.stop();
});
afterEach(async () => {
  for (const raw of raws.splice(0)) raw.close();
  for (const session of sessions.splice(0)) session.close();
  await Promise.all(nodes.map((node) => node.close()));
});

const readiness = async (node: Node) => (await fetch(`${node.server.url}/readyz`)).status;

async function raw(node: Node, username: string) {
  const client = (await RawClient.open(`${node.server.wsUrl}?ugi=g`)) as RawClient & { id: string; token: string };
  raws.push(client);
  const ok = (await client.request('INIT', { username }, 'INIT_OK')).payload as { instance_id: string; resume_token: string };
  client.id = ok.instance_id;
  client.token = ok.resume_token;
  return client;
}

describe('Redis restarted (no persistence)', () => {
  it('nodes report not ready, drop who they cannot serve with a reason, reconnect, and every session is lost cleanly', async () => {
    nodes = await startNodes(redis.url, 2);
    const [n0, n1] = nodes as [Node, Node];
    const ann = await raw(n0, 'ann');
    const bob = await Session.connect({
      url: n1.server.wsUrl,
      ugi: 'g',
      WebSocket: WebSocket as unknown as WebSocketConstructor,
      keepaliveMs: 0,
      reconnect: { firstDelayMs: 100, maxDelayMs: 300 },
    });
    sessions.push(bob);
    await bob.init('bob');
    let bobClosed: { code: number; reason: string } | null = null;
    bob.on('close', (info) => (bobClosed = info));
    expect((await ann.request('CREATE_LOBBY', { name: 'room', max_players: -1, password: '', locked: false, enable_relay: false }, 'CREATE_ACK')).payload).toBe(
      'ok',
    );
    await bob.joinLobby('room');
    expect(await readiness(n0)).toBe(200);

    const port = redis.port;
    await redis.stop();
    // Not ready, on both nodes, as soon as their connections notice.
    for (const node of nodes) {
      const deadline = Date.now() + 10_000;
      while ((await readiness(node)) !== 503) {
        if (Date.now() > deadline) throw new Error('readyz stayed 200 with redis down');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    const body = await (await fetch(`${n0.server.url}/readyz`)).json();
    expect(body.reason).toMatch(/^store unreachable/);
    // A request the node cannot serve: no hang, the connection is closed with the reason (the client resumes later).
    const started = Date.now();
    ann.send({ opcode: 'LIST_LOBBIES', listener: 'l1' });
    const closed = await ann.closed(5000);
    expect(closed.code).toBe(1011);
    expect(closed.reason).toMatch(/shared store unreachable/);
    expect(Date.now() - started).toBeLessThan(3000);

    redis = await startRedis(port);
    for (const node of nodes) {
      const deadline = Date.now() + 15_000;
      while ((await readiness(node)) !== 200) {
        if (Date.now() > deadline) throw new Error('readyz did not come back to 200');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    // Everything was lost: bob (a real client) is told his session is lost; ann's resume is refused.
    await until(() => bobClosed !== null, 'bob told his session is lost', 20_000);
    expect(bobClosed!.code).toBe(CLOSE_SESSION_LOST);
    expect(bobClosed!.reason).toMatch(/^session lost/);
    const back = await RawClient.open(`${n0.server.wsUrl}?ugi=g`);
    raws.push(back);
    expect((await back.request('RESUME', { token: ann.token, received: ann.frames }, 'WARNING')).payload).toMatch(/^session expired/);

    // Starting again works across the nodes: names are free, the lobby can be made again and joined from the other node.
    const ann2 = await raw(n0, 'ann');
    const bob2 = await raw(n1, 'bob');
    expect((await ann2.request('LIST_LOBBIES', undefined, 'LIST_ACK')).payload).toEqual([]);
    expect(
      (await ann2.request('CREATE_LOBBY', { name: 'room', max_players: -1, password: '', locked: false, enable_relay: false }, 'CREATE_ACK')).payload,
    ).toBe('ok');
    expect((await bob2.request('JOIN_LOBBY', { name: 'room', password: '' }, 'JOIN_ACK')).payload).toBe('ok');
    expect((await ann2.next('NEW_PEER', 5000)).payload).toMatchObject({ instance_id: bob2.id });
    bob2.send({ opcode: 'ICE', payload: { type: 0, contents: 'x' }, recipient: ann2.id });
    expect(await ann2.next('ICE', 5000)).toMatchObject({ origin: { instance_id: bob2.id } });
  }, 90_000);
});
