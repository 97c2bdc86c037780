// The core client facade against the real server: connecting twice (a green flag pressed again).
import WebSocket from 'ws';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CloudLinkClient } from '../../src/client/cloudlink.js';
import type { WebSocketConstructor } from '../../src/client/websocket.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { silentLogger } from '../helpers/logger.js';

let server: RunningServer;
let client: CloudLinkClient;

beforeEach(async () => {
  server = await startServer({ port: 0, logger: silentLogger });
  client = new CloudLinkClient({ WebSocket: WebSocket as unknown as WebSocketConstructor, keepaliveMs: 0 });
});
afterEach(async () => {
  client.disconnect();
  await server.close();
});

describe('CloudLinkClient.connect', () => {
  it('treats connecting again with the same settings as success, and says connected again', async () => {
    let connected = 0;
    client.on('connected', () => (connected += 1));
    await client.connect({ url: server.wsUrl, username: 'ann', ugi: 'g' });
    const id = client.myId;
    await client.connect({ url: server.wsUrl, username: 'ann', ugi: 'g' });
    expect(connected).toBe(2);
    expect(client.myId).toBe(id);
    expect(client.lastError).toBe('');
  });

  it('refuses a different connection while connected, with a clear error', async () => {
    await client.connect({ url: server.wsUrl, username: 'ann', ugi: 'g' });
    await expect(client.connect({ url: server.wsUrl, username: 'bob', ugi: 'g' })).rejects.toThrow('already connected: disconnect first');
    expect(client.lastError).toBe('already connected: disconnect first');
    expect(client.myUsername).toBe('ann');
  });

  it('reports a server that cannot be reached as the last error', async () => {
    await expect(client.connect({ url: 'ws://127.0.0.1:1/', username: 'ann' })).rejects.toThrow('cannot connect');
    expect(client.lastError).toContain('cannot connect to');
    expect(client.connected).toBe(false);
  });
});
