// An address's fan-out budget is one for the whole cluster (cluster/fanout-share.ts): two nodes sharing a
// real redis-server, clients from their own loopback addresses. What an address spends on one node is
// spent on the other within about a second, so reconnecting to another node does not refill it; another
// address's budget is untouched. And the batching: at most one publish per interval, none while quiet.
import { afterEach, describe, expect, it } from 'vitest';
import { FanoutShare, type Spends } from '../../src/server/cluster/fanout-share.js';
import { type Node, startNodes } from '../helpers/cluster-nodes.js';
import { redisForTests } from '../helpers/redis.js';
import { until } from '../helpers/until.js';
import { RawClient } from '../server/helpers.js';

describe('FanoutShare batching', () => {
  it('publishes at once after a quiet interval; what is spent within the interval goes together at its end', async () => {
    const published: Spends[] = [];
    const share = new FanoutShare((spends) => published.push(spends), 200);
    try {
      share.spent('127.0.0.3', 20);
      expect(published).toEqual([[['127.0.0.3', 20]]]);
      share.spent('127.0.0.3', 5);
      share.spent('127.0.0.4', 1);
      share.spent('127.0.0.3', 2);
      expect(published).toHaveLength(1);
      await until(() => published.length === 2, 'the second publish', 5000);
      expect(published[1]).toEqual([
        ['127.0.0.3', 7],
        ['127.0.0.4', 1],
      ]);
    } finally {
      share.stop();
    }
  });

  it('stop drops what was waiting: nothing is published after it', async () => {
    const published: Spends[] = [];
    const share = new FanoutShare((spends) => published.push(spends), 50);
    share.spent('a', 1);
    share.spent('a', 1);
    share.stop();
    // Longer than the interval: the waiting spend would have gone by now.
    const stoppedAt = Date.now();
    await until(() => Date.now() - stoppedAt > 200, 'past the interval');
    expect(published).toEqual([[['a', 1]]]);
  });
});

describe("an address's fan-out budget across two nodes (--redis)", () => {
  const redis = redisForTests();
  let nodes: Node[] = [];
  const clients: RawClient[] = [];

  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await Promise.all(nodes.map((node) => node.close()));
  });

  async function player(node: number, username: string, localAddress: string): Promise<RawClient> {
    const client = await RawClient.open(`${nodes[node]!.server.wsUrl}?ugi=g`, { localAddress });
    clients.push(client);
    await client.request('INIT', { username }, 'INIT_OK');
    return client;
  }

  const create = (client: RawClient, name: string) =>
    client.request('CREATE_LOBBY', { name, max_players: -1, password: '', locked: false, enable_relay: false }, 'CREATE_ACK');

  it("what an address spends on one node is spent on the other: reconnecting there is refused; another address's budget is its own", async () => {
    // 0.1 message a second, 2 in a burst: one visible create (20 messages) leaves the address in debt for ~3 minutes.
    nodes = await startNodes(redis.url, 2, { fanout: { perSecond: 1_000_000, perAddressPerSecond: 0.1 } });
    const churner = await player(0, 'churner', '127.0.0.3');
    expect((await create(churner, 'one')).payload).toBe('ok');
    expect((await churner.request('LEAVE_LOBBY', undefined, 'LEAVE_ACK')).payload).toBe('ok');
    expect((await create(churner, 'two')).payload).toMatch(/^too many lobby changes: try again in/);
    const spentAt = Date.now();

    // The same address on the other node, as a new player. A join of a lobby that does not exist is
    // checked against the budget first and costs nothing if let through: it probes the budget there.
    const again = await player(1, 'churner2', '127.0.0.3');
    const refused = (answer: unknown) => typeof answer === 'string' && answer.startsWith('too many lobby changes');
    let answer: unknown;
    while (!refused(answer) && Date.now() - spentAt < 10_000) {
      answer = (await again.request('JOIN_LOBBY', { name: 'nowhere', password: '' }, 'JOIN_ACK')).payload;
      if (!refused(answer)) await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const heardMs = Date.now() - spentAt;
    console.log('fanout-share', JSON.stringify({ heardMs, answer }));
    expect(answer).toMatch(/^too many lobby changes: try again in \d+ s$/);
    expect(heardMs).toBeLessThan(5000);
    expect((await create(again, 'three')).payload).toMatch(/^too many lobby changes: try again in/);

    // Another address, on either node: untouched.
    const bystander = await player(1, 'bystander', '127.0.0.4');
    expect((await create(bystander, 'four')).payload).toBe('ok');
  }, 60_000);
});
