// A project that asks the server in a forever loop is paced under the server's rate limit
// (request-pacer.ts) instead of being refused and, refused often enough, thrown out; "open lobbies"
// read every frame reuses each answer for a moment (session.ts #read).
// Against the real server with its real limits: one poller alone is never refused; pollers behind one
// router whose shared address budget is too small for them all are refused now and then, hold off after
// each refusal, and are never thrown out.
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { CloudLinkClient } from '../../src/client/cloudlink.js';
import type { WebSocketConstructor } from '../../src/client/websocket.js';
import { serverPerTest } from '../helpers/served.js';

const served = serverPerTest();
const clients: CloudLinkClient[] = [];
afterEach(() => {
  for (const client of clients.splice(0)) client.disconnect();
});

interface Poller {
  client: CloudLinkClient;
  answers: number;
  errors: string[];
  disconnected: string | null;
}

async function poller(name: string): Promise<Poller> {
  const client = new CloudLinkClient({ WebSocket: WebSocket as unknown as WebSocketConstructor, keepaliveMs: 0 });
  clients.push(client);
  const p: Poller = { client, answers: 0, errors: [], disconnected: null };
  client.on('error', (error) => p.errors.push(error.code));
  client.on('disconnected', (reason?: unknown) => (p.disconnected = String(reason)));
  await client.connect({ url: served.server.wsUrl, username: name, ugi: 'g' });
  return p;
}

/** Asks the server as fast as the answers come, for `ms`: "find lobby" with a new name each time (a read no answer can be reused for). */
async function poll(p: Poller, ms: number): Promise<void> {
  const end = Date.now() + ms;
  for (let n = 0; Date.now() < end && p.client.connected; n += 1) {
    await p.client.findLobby(`lobby ${n}`).then(
      () => (p.answers += 1),
      () => {},
    );
  }
}

const rejectedForRate = async () => {
  const metrics = await (await fetch(`${served.server.url}/metrics`)).text();
  return Number(/cl5_rejected_packets_total\{[^}]*reason="rate_limited"[^}]*\} (\d+)/.exec(metrics)?.[1] ?? 'NaN');
};

describe('requests paced under the server rate limit', () => {
  it('one project asking in a forever loop, as fast as the answers come: answered at the limit, never refused, never thrown out', async () => {
    await served.serve();
    const p = await poller('ann');
    await poll(p, 3000);
    expect(p.disconnected).toBeNull();
    expect(p.client.connected).toBe(true);
    expect(p.errors).toEqual([]);
    expect(await rejectedForRate()).toBe(0);
    // The burst, then ~45 a second: far more than a round trip's worth, far less than unpaced (thousands).
    expect(p.answers).toBeGreaterThan(150);
    expect(p.answers).toBeLessThan(150 + 3 * 50 + 20);
  });

  it('"open lobbies" read every frame (60 a second): an answer every frame, the server asked a few times a second', async () => {
    await served.serve();
    let asked = 0;
    class CountingWebSocket extends WebSocket {
      override send(data: string, ...rest: never[]): void {
        if (String(data).includes('"LIST_LOBBIES"')) asked += 1;
        super.send(data, ...rest);
      }
    }
    const client = new CloudLinkClient({ WebSocket: CountingWebSocket as unknown as WebSocketConstructor, keepaliveMs: 0 });
    clients.push(client);
    await client.connect({ url: served.server.wsUrl, username: 'ann', ugi: 'g' });
    await client.createLobby({ name: 'mine' });
    let answers = 0;
    const started = Date.now();
    while (Date.now() - started < 3000) {
      expect(await client.listLobbies()).toEqual(['mine']);
      answers += 1;
      await new Promise((resolve) => setTimeout(resolve, 1000 / 60));
    }
    expect(answers).toBeGreaterThan(60);
    // A read's answer is given again for 250 ms: about 4 asks a second, not 60.
    expect(asked).toBeGreaterThanOrEqual(3);
    expect(asked).toBeLessThanOrEqual(3 * 5 + 2);
    // A change of mine asks again at once: the new lobby shows in the next read.
    await client.leaveLobby();
    expect(await client.listLobbies()).toEqual([]);
  });

  it('three pollers behind one router, their address budget too small for them all: refused now and then, never thrown out', async () => {
    // Each would send ~45 a second; the address may send 60. Ten refusals in 10 s would cut a connection.
    await served.serve({ addressRateLimit: { perSecond: 60, burst: 60 }, rateLimit: { strikesBeforeViolation: 10 } });
    const pollers = [await poller('ann'), await poller('bob'), await poller('cat')];
    await Promise.all(pollers.map((p) => poll(p, 6000)));
    for (const p of pollers) {
      expect(p.disconnected).toBeNull();
      expect(p.client.connected).toBe(true);
    }
    // They were refused (the address budget is real), each refusal a visible error, and each held its poller back.
    const refused = await rejectedForRate();
    expect(refused).toBeGreaterThan(0);
    expect(pollers.flatMap((p) => p.errors).every((code) => code === 'rate-limited')).toBe(true);
    expect(pollers.reduce((sum, p) => sum + p.answers, 0)).toBeGreaterThan(6 * 60 * 0.5);
  });
});
