// A first connect holds through a busy server (first-connect.ts), against the real server and its real
// limit on new connections per address: refused for now with "try again in N s" (1013) it waits that
// long and connects; refused with a bare HTTP 429 (what a browser sees as a failed connection) it backs
// off and connects; a server that stays unreachable fails after the give-up time with what it tried;
// the next URL is tried when the first is down; a refusal that trying again cannot help ends it at once;
// disconnect() during a wait cancels it. A resume after a drop waits out a "try again in N s" too.
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { CloudLinkClient, type CloudLinkClientOptions } from '../../src/client/cloudlink.js';
import type { WebSocketConstructor } from '../../src/client/websocket.js';
import { serverPerTest } from '../helpers/served.js';
import { refuseNext } from '../helpers/refusals.js';
import { until } from '../helpers/until.js';

const served = serverPerTest();
const { serve } = served;
const clients: CloudLinkClient[] = [];
afterEach(() => {
  for (const client of clients.splice(0)) client.disconnect();
});

/** Every socket a client opened: how each was answered, and when it was made. */
interface Attempt {
  at: number;
  /** The HTTP status of an upgrade the server refused without upgrading. */
  status?: number;
  close?: { code: number; reason: string };
}

function tracked(options: Partial<CloudLinkClientOptions> = {}): { client: CloudLinkClient; attempts: Attempt[] } {
  const attempts: Attempt[] = [];
  class TrackedWebSocket extends WebSocket {
    constructor(url: string) {
      super(url);
      const attempt: Attempt = { at: Date.now() };
      attempts.push(attempt);
      // Listening for it, ws leaves the refused upgrade to us: end it as a browser would (a failed connection).
      this.on('unexpected-response', (_request, response) => {
        attempt.status = response.statusCode;
        this.terminate();
      });
      this.on('close', (code, reason) => (attempt.close = { code, reason: reason.toString() }));
    }
  }
  const client = new CloudLinkClient({ WebSocket: TrackedWebSocket as unknown as WebSocketConstructor, keepaliveMs: 0, ...options });
  clients.push(client);
  return { client, attempts };
}

/** Brings the address's new connections to the point of refusal: the next one is refused until the budget refills. */
const spendBudget = (until: 'told' | 'bare' = 'told') => refuseNext(served.server.wsUrl, until, served.clients);

describe('a first connect refused for now', () => {
  it('"try again in 1 s" (1013): waits that long, not its 250 ms backoff, then connects', async () => {
    await serve({ admission: { connectionsPerSecond: 1, connectionBurst: 1 } });
    await spendBudget();
    const { client, attempts } = tracked();
    await client.connect({ url: served.server.wsUrl, username: 'ann', ugi: 'g' });
    expect(client.connected).toBe(true);
    expect(attempts.length).toBe(2);
    expect(attempts[0]!.close).toEqual({ code: 1013, reason: 'too many new connections from your address: try again in 1 s' });
    expect(attempts[1]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(1000);
    expect(client.lastError).toBeNull();
  });

  it('a bare HTTP 429 (refusals past the few told): backs off and connects once the budget refills', async () => {
    await serve({ admission: { connectionsPerSecond: 1, connectionBurst: 1 } });
    // Past the refusals an address is told of at once (5): the next refusal is a bare 429.
    await spendBudget('bare');
    const { client, attempts } = tracked();
    await client.connect({ url: served.server.wsUrl, username: 'ann', ugi: 'g' });
    expect(client.connected).toBe(true);
    expect(attempts[0]!.status).toBe(429);
    expect(attempts.length).toBeGreaterThanOrEqual(2);
  });
});

describe('a class behind one router', () => {
  it('200 players opening the project at once, from one address, with the default limits: every one connects', async () => {
    const server = await serve();
    const players = Array.from({ length: 200 }, () => tracked());
    const results = await Promise.allSettled(players.map(({ client }, i) => client.connect({ url: server.wsUrl, username: `p${i}`, ugi: 'class' })));
    const failed = results.flatMap((result, i) => (result.status === 'rejected' ? [`p${i}: ${String(result.reason)}`] : []));
    expect(failed).toEqual([]);
    expect(server.connections('class').length).toBe(200);
    // Past the default burst of 128 (less what refilled meanwhile) players were refused at first, told or
    // with a bare 429, and tried again: every attempt but each player's last was a refusal the server counted.
    const retried = players.filter(({ attempts }) => attempts.length > 1).length;
    expect(retried).toBeGreaterThan(0);
    const refusals = players.reduce((sum, { attempts }) => sum + attempts.length - 1, 0);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`cl5_connections_refused_total\\{node="[^"]+"\\} ${refusals}\\n`));
  }, 30_000);
});

describe('a first connect that cannot be made', () => {
  it('fails after the give-up time with the last reason and how often it tried', async () => {
    // A port nothing listens on: a server started and closed.
    const gone = await serve();
    await gone.close();
    const { client, attempts } = tracked({ reconnect: { firstDelayMs: 50, maxDelayMs: 100, connectGiveUpMs: 600 } });
    const started = Date.now();
    const failure = client.connect({ url: gone.wsUrl, username: 'ann' });
    await expect(failure).rejects.toMatchObject({
      code: 'unreachable',
      message: expect.stringMatching(/^cannot connect to .* \(tried \d+ times in [01] s\)$/),
    });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(attempts.length).toBeGreaterThanOrEqual(3);
    expect(client.lastError?.code).toBe('unreachable');
  });

  it('tries the next of its URLs when the first is down', async () => {
    const gone = await serve();
    await gone.close();
    const live = await serve();
    const { client, attempts } = tracked();
    await client.connect({ url: gone.wsUrl, fallbackUrls: [live.wsUrl], username: 'ann', ugi: 'g' });
    expect(client.connected).toBe(true);
    expect(attempts.length).toBe(2);
    expect(live.connections('g').map((p) => p.user?.username)).toEqual(['ann']);
  });

  it('does not try again when that cannot help: a name taken fails at once, on one socket', async () => {
    await serve();
    const { client: ann } = tracked();
    await ann.connect({ url: served.server.wsUrl, username: 'ann', ugi: 'g' });
    const { client: other, attempts } = tracked();
    await expect(other.connect({ url: served.server.wsUrl, username: 'ann', ugi: 'g' })).rejects.toMatchObject({ code: 'username-taken' });
    expect(attempts.length).toBe(1);
  });

  it("told to wait longer than its give-up time: fails at once with the server's reason", async () => {
    await serve({ admission: { connectionsPerSecond: 0.01, connectionBurst: 1 } });
    await spendBudget();
    const { client, attempts } = tracked();
    await expect(client.connect({ url: served.server.wsUrl, username: 'ann', ugi: 'g' })).rejects.toMatchObject({
      code: 'unreachable',
      message: 'the server refused the connection: too many new connections from your address: try again in 100 s',
    });
    expect(attempts.length).toBe(1);
  });

  it('disconnect() while it waits to try again cancels it at once, with nothing left open', async () => {
    await serve({ admission: { connectionsPerSecond: 0.25, connectionBurst: 1 } });
    await spendBudget();
    const { client, attempts } = tracked();
    const connecting = client.connect({ url: served.server.wsUrl, username: 'ann', ugi: 'g' });
    connecting.catch(() => {});
    // Refused "try again in 4 s": it waits.
    await until(() => attempts[0]?.close?.code === 1013, 'the first attempt refused', 5000);
    const cancelledAt = Date.now();
    client.disconnect();
    await expect(connecting).rejects.toMatchObject({ code: 'cancelled' });
    expect(Date.now() - cancelledAt).toBeLessThan(1000);
    expect(attempts.length).toBe(1);
    expect(client.connected).toBe(false);
  });
});

describe('a resume refused for now', () => {
  it('waits out "try again in N s" before its next attempt, and resumes', async () => {
    const server = await serve({ admission: { connectionsPerSecond: 0.5, connectionBurst: 1 } });
    const { client, attempts } = tracked({ reconnect: { firstDelayMs: 50, maxDelayMs: 400 } });
    await client.connect({ url: server.wsUrl, username: 'ann', ugi: 'g' });
    const id = client.myId;
    let resumed = false;
    client.on('reconnected', () => (resumed = true));
    // The drop: the server's end of the socket dies (no close handshake), so the seat is held.
    server.connections('g')[0]!.socket.terminate();
    await until(() => resumed, 'resumed', 15_000);
    expect(client.myId).toBe(id);
    // Its budget was spent by the first connect: the first resume attempt is told to wait (2 s), and the next waits that long.
    const [, refused, next, ...more] = attempts;
    expect(refused!.close).toEqual({ code: 1013, reason: expect.stringMatching(/^too many new connections from your address: try again in [12] s$/) });
    const told = Number(/in (\d) s$/.exec(refused!.close!.reason)![1]);
    expect(next!.at - refused!.at).toBeGreaterThanOrEqual(told * 1000);
    expect(more).toEqual([]);
  });
});
