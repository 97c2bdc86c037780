// A project that asks the server in a forever loop ("open lobbies" every frame) is paced under the
// server's rate limit (request-pacer.ts) instead of being refused and, refused often enough, thrown out.
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

/** Asks "open lobbies" as fast as the answers come, for `ms` (a forever loop in a project). */
async function poll(p: Poller, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end && p.client.connected) {
    await p.client.listLobbies().then(
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
  it('one project polling "open lobbies" in a forever loop: answered at the limit, never refused, never thrown out', async () => {
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
