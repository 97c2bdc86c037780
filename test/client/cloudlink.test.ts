// The core client facade against the real server: connect (again, overlapping, cancelled) and the
// error model (one CloudLinkError with a code, reported once: last error + one 'error' event).
import WebSocket from 'ws';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CloudLinkClient } from '../../src/client/cloudlink.js';
import type { CloudLinkError } from '../../src/client/errors.js';
import type { WebSocketConstructor } from '../../src/client/websocket.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { silentLogger } from '../helpers/logger.js';
import { until } from '../helpers/until.js';

let servers: RunningServer[];
let server: RunningServer;
let client: CloudLinkClient;
let errors: CloudLinkError[];
let connectedEvents: number;
/** Every socket the client opened, and a hook on what it sends. */
let sockets: WebSocket[];
let onSend: ((text: string) => void) | null;

class TrackedWebSocket extends WebSocket {
  constructor(url: string) {
    super(url);
    sockets.push(this);
    const send = this.send.bind(this);
    this.send = ((text: string) => {
      send(text);
      onSend?.(text);
    }) as WebSocket['send'];
  }
}

const start = async () => {
  const started = await startServer({ host: '127.0.0.1', port: 0, logger: silentLogger });
  servers.push(started);
  return started;
};
const playersOn = (running: RunningServer, game = 'g') => running.connections(game).map((p) => p.user?.username);
const allClosed = () => sockets.every((socket) => socket.readyState === WebSocket.CLOSED);

beforeEach(async () => {
  servers = [];
  sockets = [];
  onSend = null;
  server = await start();
  // A first connect that fails fails at once here (first-connect.test.ts tries again).
  client = new CloudLinkClient({ WebSocket: TrackedWebSocket as unknown as WebSocketConstructor, keepaliveMs: 0, reconnect: { connectGiveUpMs: 0 } });
  errors = [];
  connectedEvents = 0;
  client.on('error', (error) => errors.push(error));
  client.on('connected', () => (connectedEvents += 1));
});
afterEach(async () => {
  client.disconnect();
  for (const running of servers) await running.close();
});

describe('CloudLinkClient.connect', () => {
  it('treats connecting again with the same settings as success, and says connected again', async () => {
    await client.connect({ url: server.wsUrl, username: 'ann', ugi: 'g' });
    const id = client.myId;
    await client.connect({ url: server.wsUrl, username: 'ann', ugi: 'g' });
    expect(connectedEvents).toBe(2);
    expect(client.myId).toBe(id);
    expect(client.lastError).toBeNull();
  });

  it('refuses a different connection while connected, with a clear error and its code', async () => {
    await client.connect({ url: server.wsUrl, username: 'ann', ugi: 'g' });
    await expect(client.connect({ url: server.wsUrl, username: 'bob', ugi: 'g' })).rejects.toMatchObject({
      code: 'already-connected',
      message: 'already connected: disconnect first',
    });
    expect(client.lastError?.code).toBe('already-connected');
    expect(errors.length).toBe(1);
    expect(client.myUsername).toBe('ann');
  });

  it('reports a server that cannot be reached as the last error', async () => {
    await expect(client.connect({ url: 'ws://127.0.0.1:1/', username: 'ann' })).rejects.toThrow('cannot connect');
    expect(client.lastError).toMatchObject({ code: 'unreachable', message: expect.stringContaining('cannot connect to') });
    expect(errors.length).toBe(1);
    expect(client.connected).toBe(false);
  });
});

describe('overlapping connects', () => {
  it('with the same settings share one attempt: one socket, one INIT, one "connected", no "username taken"', async () => {
    const first = client.connect({ url: server.wsUrl, username: 'ann', ugi: 'g' });
    const second = client.connect({ url: server.wsUrl, username: 'ann', ugi: 'g' });
    await Promise.all([first, second]);
    expect(sockets.length).toBe(1);
    expect(playersOn(server)).toEqual(['ann']);
    expect(connectedEvents).toBe(1);
    expect(client.lastError).toBeNull();
    expect(errors).toEqual([]);
  });

  it('to two servers: the later is refused, the earlier connects, and disconnect leaves no socket open on either', async () => {
    const other = await start();
    const first = client.connect({ url: server.wsUrl, username: 'ann', ugi: 'g' });
    const second = client.connect({ url: other.wsUrl, username: 'ann', ugi: 'g' });
    await expect(second).rejects.toMatchObject({ code: 'already-connected', message: 'already connecting: disconnect first' });
    await first;
    expect(client.connected).toBe(true);
    expect(playersOn(server)).toEqual(['ann']);
    expect(playersOn(other)).toEqual([]);
    expect(errors.map((e) => e.code)).toEqual(['already-connected']);

    client.disconnect();
    await until(allClosed, 'every client socket closed');
    await until(() => playersOn(server).length === 0, 'the server forgot ann');
    expect(sockets.length).toBe(1);
    expect(client.connected).toBe(false);
  });

  it('disconnect before the socket opens cancels the attempt: it rejects once with "cancelled" and no socket stays open', async () => {
    const attempt = client.connect({ url: server.wsUrl, username: 'ann', ugi: 'g' });
    client.disconnect();
    await expect(attempt).rejects.toMatchObject({ code: 'cancelled' });
    await until(allClosed, 'the socket closed');
    expect(errors.map((e) => e.code)).toEqual(['cancelled']);
    expect(client.connected).toBe(false);
    // Nothing is left over: connecting again works.
    await client.connect({ url: server.wsUrl, username: 'ann', ugi: 'g' });
    expect(playersOn(server)).toEqual(['ann']);
  });

  it('disconnect while INIT is on its way cancels too, and the server forgets the player', async () => {
    onSend = (text) => {
      if (text.includes('"INIT"')) client.disconnect();
    };
    await expect(client.connect({ url: server.wsUrl, username: 'ann', ugi: 'g' })).rejects.toMatchObject({ code: 'cancelled' });
    await until(allClosed, 'the socket closed');
    await until(() => playersOn(server).length === 0, 'no player left on the server');
    expect(client.connected).toBe(false);
    expect(connectedEvents).toBe(0);
    expect(errors.length).toBe(1);
  });
});

describe('errors are reported once, with a code', () => {
  it('a refused createLobby({maxPlayers: 0}) fires the error event once', async () => {
    await client.connect({ url: server.wsUrl, username: 'ann', ugi: 'g' });
    await expect(client.createLobby({ name: 'zero', maxPlayers: 0 })).rejects.toMatchObject({ code: 'invalid', opcode: 'CREATE_LOBBY' });
    // The server answers in order: once this reply is in, everything it sent about the refusal is too.
    expect(await client.listLobbies()).toEqual([]);
    expect(errors.length).toBe(1);
    expect(errors[0]).toBe(client.lastError);
    expect(client.lastError).toMatchObject({ code: 'invalid', message: expect.stringContaining('max_players') });
  });

  it('a server refusal carries the reply as its code; calls while disconnected say "not-connected"', async () => {
    await expect(client.joinLobby('room')).rejects.toMatchObject({ code: 'not-connected' });
    await client.connect({ url: server.wsUrl, username: 'ann', ugi: 'g' });
    await expect(client.joinLobby('nowhere')).rejects.toMatchObject({ code: 'not-found', opcode: 'JOIN_LOBBY' });
    expect(() => client.broadcast('x', 'nope')).toThrow(expect.objectContaining({ code: 'no-channel' }));
    expect(errors.map((e) => e.code)).toEqual(['not-connected', 'not-found', 'no-channel']);
  });

  it('reportError reports a failure from outside the core once, and one the core reported not again', async () => {
    const outside = new Error('no variable named "x"');
    client.reportError(outside);
    client.reportError(outside);
    const refused = await client.joinLobby('room').catch((error: unknown) => error);
    client.reportError(refused);
    expect(errors.map((e) => [e.code, e.message])).toEqual([
      ['unexpected', 'no variable named "x"'],
      ['not-connected', 'not connected'],
    ]);
  });
});
