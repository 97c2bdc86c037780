// TURN credentials handed out at INIT (src/server/turn.ts): the TURN REST shared-secret format that
// coturn checks, INIT_OK's `ice_servers` on the wire, and settings that cannot work refused up front.
// That coturn really accepts them is shown in test/client/turn.test.ts.
import { afterEach, describe, expect, it } from 'vitest';
import { decodeServerPacket } from '../../src/protocol/index.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { turnCredentials } from '../../src/server/turn.js';
import { silentLogger } from '../helpers/logger.js';
import { RawClient } from './helpers.js';

const TURN = { urls: ['turn:127.0.0.1:3478', 'turn:127.0.0.1:3478?transport=tcp'], secret: 'north', ttlSeconds: 3600 };

let server: RunningServer | undefined;
const clients: RawClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.ws.close();
  await server?.close();
  server = undefined;
});

async function initOk(options: Parameters<typeof startServer>[0], username = 'ann') {
  server = await startServer({ port: 0, logger: silentLogger, ...options });
  const client = await RawClient.open(server.wsUrl);
  clients.push(client);
  return (await client.request('INIT', { username }, 'INIT_OK')).payload as { instance_id: string; ice_servers?: unknown };
}

describe('TURN credentials', () => {
  it('are "<expiry>:<instance id>" and base64(HMAC-SHA1(secret, username)), as coturn checks them', () => {
    // Expected value from `printf %s 1700003600:abc | openssl dgst -sha1 -hmac north -binary | base64`.
    expect(turnCredentials(TURN, 'abc', 1_700_000_000_000)).toEqual({
      urls: TURN.urls,
      username: '1700003600:abc',
      credential: 'IMSPYGMI9e0aXDFcZousOwkA8N0=',
    });
    // Whole seconds: the expiry is the second the lifetime ends in, from the default of 24 h.
    expect(turnCredentials({ urls: TURN.urls, secret: 'north' }, 'abc', 1_700_000_000_999).username).toBe(`${1_700_000_000 + 86_400}:abc`);
  });

  it('come in INIT_OK as ice_servers, one set per player, valid for the configured lifetime', async () => {
    const before = Math.floor(Date.now() / 1000);
    const ok = await initOk({ turn: TURN });
    const after = Math.floor(Date.now() / 1000);
    const [turn, ...others] = ok.ice_servers as { urls: string[]; username: string; credential: string }[];
    expect(others).toEqual([]);
    expect(turn!.urls).toEqual(TURN.urls);
    const [expiry, id] = turn!.username.split(':');
    expect(id).toBe(ok.instance_id);
    expect(Number(expiry)).toBeGreaterThanOrEqual(before + 3600);
    expect(Number(expiry)).toBeLessThanOrEqual(after + 3600);
    expect(turn!.credential).toBe(turnCredentials(TURN, ok.instance_id, Number(expiry) * 1000 - 3600_000).credential);
    // The client's decoder accepts it as it came.
    expect(decodeServerPacket(JSON.stringify({ opcode: 'INIT_OK', payload: ok })).payload).toEqual(ok);
  });

  it('are not in INIT_OK when the server has no TURN service', async () => {
    const ok = await initOk({});
    expect(ok).not.toHaveProperty('ice_servers');
  });

  it('settings that cannot work are refused when the server starts, with the reason', async () => {
    await expect(startServer({ port: 0, logger: silentLogger, turn: { ...TURN, urls: [] } })).rejects.toThrow('at least one turn: or turns: URL');
    await expect(startServer({ port: 0, logger: silentLogger, turn: { ...TURN, urls: ['stun:127.0.0.1:3478'] } })).rejects.toThrow(
      'not a turn: or turns: URL: "stun:127.0.0.1:3478"',
    );
    await expect(startServer({ port: 0, logger: silentLogger, turn: { ...TURN, secret: '' } })).rejects.toThrow('the shared secret is empty');
    await expect(startServer({ port: 0, logger: silentLogger, turn: { ...TURN, ttlSeconds: 0 } })).rejects.toThrow('credential lifetime');
  });

  it('an INIT_OK whose ice_servers are not STUN/TURN servers is a bad packet for the client', () => {
    const packet = (ice_servers: unknown) => JSON.stringify({ opcode: 'INIT_OK', payload: { instance_id: 'i', user_id: 'i', username: 'ann', ice_servers } });
    expect(() => decodeServerPacket(packet([{ urls: ['https://example.org/'] }]))).toThrow('must be a stun:, stuns:, turn: or turns: URL');
    expect(() => decodeServerPacket(packet([{ urls: 'turn:127.0.0.1' }]))).toThrow('must be an array');
    expect(() => decodeServerPacket(packet([{ urls: ['turn:127.0.0.1'], credential: 7 }]))).toThrow('must be a string');
  });
});
