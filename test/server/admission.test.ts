// Who may hold a connection: caps on all connections and per address (refused with 1013 and the reason),
// and the INIT deadline (a socket that never says who it is is closed, one that did or resumed is not).
import { describe, expect, it } from 'vitest';
import { serverPerTest } from '../helpers/served.js';
import { RawClient } from './helpers.js';

const served = serverPerTest();
const { serve, clients } = served;
const open = () => served.open();

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

describe('behind a reverse proxy (trustProxy)', () => {
  // Header values only (documentation addresses): every socket is still from 127.0.0.1.
  const via = (forwardedFor: string) => RawClient.open(served.server.wsUrl, { headers: { 'X-Forwarded-For': forwardedFor } });

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
