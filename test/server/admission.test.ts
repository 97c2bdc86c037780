// Who may hold a connection: caps on all connections and per address (refused with 1013 and the reason),
// the rate of new connections per address (and what a violation costs it), and the INIT deadline (a
// socket that never says who it is is closed, one that did or resumed is not).
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { serverPerTest } from '../helpers/served.js';
import { RawClient } from './helpers.js';

const served = serverPerTest();
const { serve, clients } = served;
const open = () => served.open();
// Header values only (documentation addresses): every socket is still from 127.0.0.1 (with trustProxy).
const via = (forwardedFor: string) => RawClient.open(served.server.wsUrl, { headers: { 'X-Forwarded-For': forwardedFor } });

async function player(username: string): Promise<RawClient & { token: string }> {
  const client = (await open()) as RawClient & { token: string };
  client.token = ((await client.request('INIT', { username }, 'INIT_OK')).payload as { resume_token: string }).resume_token;
  return client;
}

describe('connection caps', () => {
  it('refuses a connection past the per-address cap with 1013 and the reason, and admits again once one closed', async () => {
    await serve({ admission: { maxPerAddress: 3 } });
    const admitted = [await player('a'), await player('b'), await player('c')];
    const refused = await open();
    expect(await refused.closed()).toEqual({ code: 1013, reason: 'too many connections from your address (limit 3)' });
    // The others are untouched.
    for (const client of admitted) expect((await client.sync()).opcode).toBe('KEEPALIVE_ACK');
    admitted[0]!.ws.close();
    await admitted[0]!.closed();
    // The server counts the close when it sees it: try (bounded) until a new connection stays open.
    let again: RawClient | undefined;
    for (let attempt = 0; attempt < 50 && !again; attempt += 1) {
      const candidate = await open();
      const reply = await candidate.request('INIT', { username: `d${attempt}` }).catch(() => undefined);
      if (reply?.opcode === 'INIT_OK') again = candidate;
    }
    expect(again, 'a connection is admitted again after one closed').toBeDefined();
  });

  it('refuses a connection past the total cap with "server full"', async () => {
    await serve({ admission: { maxConnections: 2 } });
    await player('a');
    await player('b');
    const refused = await open();
    expect(await refused.closed()).toEqual({ code: 1013, reason: 'server full (limit 2 connections)' });
  });
});

describe('new connections per address', () => {
  /** An upgrade the server answers without upgrading: its HTTP status and Retry-After (else it opened or closed: null). */
  const httpRefusal = (url: string) =>
    new Promise<{ status: number; retryAfter: string | undefined } | null>((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.once('unexpected-response', (_request, response) => {
        resolve({ status: response.statusCode ?? 0, retryAfter: response.headers['retry-after'] });
        ws.terminate();
      });
      ws.once('open', () => ws.once('close', () => resolve(null)));
      ws.once('error', reject);
    });

  it('refuses past the burst with 1013 and the wait; past a few told refusals a second, with a bare 429 and Retry-After', async () => {
    // One new connection per 100 s: none comes back while the test runs.
    await serve({ admission: { connectionsPerSecond: 0.01, connectionBurst: 2 } });
    await player('a');
    await player('b');
    const told = await Promise.all(Array.from({ length: 5 }, () => open().then((client) => client.closed())));
    for (const close of told) expect(close).toEqual({ code: 1013, reason: 'too many new connections from your address: try again in 100 s' });
    // The told refusals refill at one a second: within five more tries, at least one is a bare 429.
    const bare: { status: number; retryAfter: string | undefined }[] = [];
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const refusal = await httpRefusal(served.server.wsUrl);
      if (refusal) bare.push(refusal);
    }
    expect(bare.length).toBeGreaterThan(0);
    for (const refusal of bare) expect(refusal).toEqual({ status: 429, retryAfter: '100' });
    const metrics = await (await fetch(`${served.server.url}/metrics`)).text();
    expect(metrics).toMatch(/cl5_connections_refused_total\{node="[^"]+"\} 10/);
  });

  it('a connection cut for a violation costs its address more new connections; another address and a clean close do not pay', async () => {
    await serve({ trustProxy: true, admission: { connectionsPerSecond: 1, connectionBurst: 4, violationCost: 4 } });
    const flooder = await via('203.0.113.1');
    clients.push(flooder);
    // A frame above the 64 KiB limit: cut with 1009.
    flooder.send('x'.repeat(70_000));
    expect((await flooder.closed()).code).toBe(1009);
    // 4 - 1 (the connection) - 4 (its cut): in debt, with a second's refill needed for each token.
    const again = await via('203.0.113.1');
    clients.push(again);
    expect((await again.closed()).reason).toMatch(/^too many new connections from your address: try again in [12] s$/);
    // Another address connects as before, and again after a clean close (which would have cost it 4 if it counted).
    for (const address of ['203.0.113.2', '203.0.113.2']) {
      const client = await via(address);
      clients.push(client);
      expect((await client.request('INIT', { username: `p${clients.length}` })).opcode).toBe('INIT_OK');
      client.ws.close(1000);
      await client.closed();
    }
  });
});

describe('behind a reverse proxy (trustProxy)', () => {
  it("counts each connection against the proxy's last X-Forwarded-For entry, not an entry the client wrote", async () => {
    await serve({ trustProxy: true, admission: { maxPerAddress: 1 } });
    const first = await via('203.0.113.1');
    clients.push(first);
    const second = await via('203.0.113.2');
    clients.push(second);
    expect((await second.request('INIT', { username: 'b' })).opcode).toBe('INIT_OK');
    const again = await via('203.0.113.1');
    clients.push(again);
    expect((await again.closed()).code).toBe(1013);
    // A forged first entry proves nothing: the proxy's own entry is the last one.
    const forged = await via('203.0.113.9, 203.0.113.2');
    clients.push(forged);
    expect((await forged.closed()).reason).toBe('too many connections from your address (limit 1)');
  });

  it('ignores X-Forwarded-For unless told to trust it', async () => {
    await serve({ admission: { maxPerAddress: 1 } });
    clients.push(await via('203.0.113.1'));
    const other = await via('203.0.113.2');
    clients.push(other);
    expect((await other.closed()).code).toBe(1013);
  });
});

describe('INIT deadline', () => {
  it('closes a socket that never INITs (pings and KEEPALIVEs do not keep it), not one that did', async () => {
    await serve({ admission: { initDeadlineMs: 300 } });
    const identified = await player('ann');
    const silent = await open();
    silent.send({ opcode: 'KEEPALIVE' });
    const { code, reason } = await silent.closed(5000);
    expect(code).toBe(1008);
    expect(reason).toBe('no INIT within 0.3 s');
    expect(silent.received.map((p) => p.payload)).toContain('no INIT within 0.3 s');
    // ann connected before the silent one, so she is past the deadline too, and still served.
    expect((await identified.sync()).opcode).toBe('KEEPALIVE_ACK');
    expect(identified.closeInfo).toBeNull();
  });

  it('does not close a connection that took a held seat back with RESUME', async () => {
    await serve({ admission: { initDeadlineMs: 300 }, resumeGraceMs: 10_000 });
    const ann = await player('ann');
    ann.close();
    const resumed = await open();
    let reply = await resumed.request('RESUME', { token: ann.token, received: 1 });
    // The drop may not be noticed yet: RESUME takes over the half-open connection either way.
    expect(reply.opcode).toBe('RESUME_OK');
    // A socket opened after the resumed one misses the deadline; the resumed one is still open after it.
    const later = await open();
    await later.closed(5000);
    reply = await resumed.sync();
    expect(reply.opcode).toBe('KEEPALIVE_ACK');
    expect(resumed.closeInfo).toBeNull();
  });
});
