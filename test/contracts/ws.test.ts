// Contract: the private parts of `ws` that src/server/outbox.ts and frame-errors.ts rely on. The outbox writes whole
// text frames straight to a server-side WebSocket's `_socket` (the net.Socket under it), bypassing
// ws.send. ws is pinned to an exact version in package.json; if an upgrade fails here, outbox.ts
// must change with it.
import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { frameErrorsWithoutStack } from '../../src/server/frame-errors.js';
import { Outbox } from '../../src/server/outbox.js';
import { until } from '../helpers/until.js';

const version = (createRequire(import.meta.url)('ws/package.json') as { version: string }).version;
const contract = (what: string, dependent = 'src/server/outbox.ts') => `ws ${version}: ${what} (${dependent} depends on it)`;

/** One unmasked, unfragmented server text frame (RFC 6455 §5.2), short payloads only. */
function textFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  if (payload.length >= 126) throw new Error('short frames only');
  return Buffer.concat([Buffer.from([0x81, payload.length]), payload]);
}

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

/** A ws server set up like src/server/server.ts (noServer, handleUpgrade, no deflate) on 127.0.0.1, and one client. */
async function connectedPair(): Promise<{
  server: WebSocket;
  request: IncomingMessage;
  upgradeSocket: Duplex;
  client: WebSocket;
  received: { text: string; isBinary: boolean }[];
}> {
  const http = createServer();
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, clientTracking: false });
  const accepted = new Promise<{ server: WebSocket; request: IncomingMessage; upgradeSocket: Duplex }>((resolve) => {
    http.on('upgrade', (request, upgradeSocket, head) =>
      wss.handleUpgrade(request, upgradeSocket, head, (server) => resolve({ server, request, upgradeSocket })),
    );
  });
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  cleanup.push(() => new Promise<void>((resolve) => http.close(() => resolve())));
  const { port } = http.address() as { port: number };
  const client = new WebSocket(`ws://127.0.0.1:${port}/`);
  cleanup.push(() => client.terminate());
  const received: { text: string; isBinary: boolean }[] = [];
  client.on('message', (data, isBinary) => received.push({ text: String(data), isBinary }));
  await once(client, 'open');
  const side = await accepted;
  cleanup.push(() => side.server.terminate());
  return { ...side, client, received };
}

describe(`ws ${version} internals`, () => {
  it('a server-side WebSocket has `_socket`: the net.Socket the upgrade came on', async () => {
    const { server, upgradeSocket } = await connectedPair();
    const raw = (server as unknown as { _socket?: unknown })._socket;
    expect(raw, contract('WebSocket._socket exists on an accepted socket')).toBeDefined();
    expect(raw instanceof Socket, contract('WebSocket._socket is a net.Socket')).toBe(true);
    expect(raw, contract('WebSocket._socket is the socket handleUpgrade was given')).toBe(upgradeSocket);
    expect(server.readyState, contract('readyState is OPEN once connected')).toBe(server.OPEN);
  });

  it('a raw text frame written to `_socket` arrives at a ws client as a text message, in order with ws.send', async () => {
    const { server, client, received } = await connectedPair();
    const raw = (server as unknown as { _socket: Socket })._socket;
    server.send('first, by ws.send');
    raw.write(textFrame('second, raw'));
    raw.write(Buffer.concat([textFrame('third, raw'), textFrame('fourth, raw, same write')]));
    server.send('fifth, by ws.send');
    await until(() => received.length >= 5, 'five messages');
    expect(received, contract('raw frames written to WebSocket._socket reach the client as text messages, in write order')).toEqual([
      { text: 'first, by ws.send', isBinary: false },
      { text: 'second, raw', isBinary: false },
      { text: 'third, raw', isBinary: false },
      { text: 'fourth, raw, same write', isBinary: false },
      { text: 'fifth, by ws.send', isBinary: false },
    ]);
    // The connection is still healthy for ws itself: the client can still talk to the server.
    const echoed = once(server, 'message');
    client.send('ping from client');
    expect(String((await echoed)[0]), contract('ws keeps reading after raw writes')).toBe('ping from client');
  });

  it("the Outbox's frames (every length class) arrive through a real ws connection", async () => {
    const { server, received } = await connectedPair();
    const outbox = new Outbox(server);
    const texts = ['', 'a'.repeat(125), 'b'.repeat(126), 'c'.repeat(65_535), 'd'.repeat(65_536), '{"emoji":"🎮"}'];
    for (const text of texts) outbox.push(text);
    await until(() => received.length >= texts.length, `${texts.length} messages`);
    expect(
      received.map((m) => m.text),
      contract('frames the Outbox writes to WebSocket._socket arrive in order'),
    ).toEqual(texts);
  });

  const FRAME_ERRORS = 'src/server/frame-errors.ts';
  it("a refused frame's error is made by the Receiver's `createError` (`_receiver`): frame-errors.ts makes it without a stack", async () => {
    /** The error the server side emits for a frame with the reserved opcode 3 (masked, empty). */
    const refused = async (stackless: boolean): Promise<Error & { code?: string }> => {
      const { server, client } = await connectedPair();
      if (stackless) frameErrorsWithoutStack(server);
      const error = once(server, 'error');
      (client as unknown as { _socket: Socket })._socket.write(Buffer.from([0x83, 0x80, 0, 0, 0, 0]));
      return (await error)[0] as Error & { code?: string };
    };
    const plain = await refused(false);
    expect(plain.code, contract('a reserved opcode is refused with WS_ERR_INVALID_OPCODE', FRAME_ERRORS)).toBe('WS_ERR_INVALID_OPCODE');
    expect(plain.stack, contract('ws captures a stack for a refused frame', FRAME_ERRORS)).toMatch(/\n\s+at /);
    const stackless = await refused(true);
    expect(stackless.code, contract('the same error, code kept', FRAME_ERRORS)).toBe('WS_ERR_INVALID_OPCODE');
    expect(stackless.message, contract('the same error, message kept', FRAME_ERRORS)).toBe(plain.message);
    expect(stackless.stack, contract('the Receiver (`_receiver`) makes it with createError', FRAME_ERRORS)).not.toMatch(/\n\s+at /);
  });

  it('a server made like ours negotiates no per-message deflate even when the client offers it', async () => {
    const { client } = await connectedPair();
    expect(client.extensions, contract('perMessageDeflate: false means no permessage-deflate extension')).toBe('');
  });
});
