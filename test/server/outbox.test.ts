// The server writes its frames itself (src/server/outbox.ts); ws's own Receiver reads them back.
import type { EventEmitter } from 'node:events';
import * as ws from 'ws';
import type { WebSocket } from 'ws';
import { describe, expect, it } from 'vitest';
import { encodeFrames, Outbox } from '../../src/server/outbox.js';
import { ReplayWindow } from '../../src/server/replay-window.js';
import { startServer } from '../../src/server/server.js';
import { silentLogger } from '../helpers/logger.js';
import { RawClient } from './helpers.js';

// ws exports its frame parser (not in @types/ws).
type FrameReader = EventEmitter & { write(chunk: Buffer, done: () => void): void };
const { Receiver } = ws as unknown as { Receiver: new (options: { isServer: boolean; maxPayload: number }) => FrameReader };

const OPEN = 1;

/** A stand-in for a ws socket that records what reaches the TCP socket under it. */
function fakeSocket() {
  const writes: Buffer[] = [];
  const socket = { readyState: OPEN, OPEN, _socket: { write: (data: Buffer) => writes.push(Buffer.from(data)) } };
  return { socket: socket as unknown as WebSocket & { readyState: number }, writes };
}

/** Frames as a WebSocket client reads them (ws's parser, client side: frames must be unmasked). */
function parse(bytes: Buffer): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const texts: string[] = [];
    const receiver = new Receiver({ isServer: false, maxPayload: 0 });
    receiver.on('message', (data: Buffer, isBinary: boolean) => texts.push(isBinary ? '<binary>' : data.toString()));
    receiver.on('error', reject);
    receiver.write(bytes, () => resolve(texts));
  });
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('outbox', () => {
  it('writes one turn of frames of every length class as one buffer a WebSocket client reads back in order', async () => {
    const { socket, writes } = fakeSocket();
    const outbox = new Outbox(socket);
    const texts = ['', 'a'.repeat(125), 'b'.repeat(126), 'é'.repeat(40_000), 'c'.repeat(65_535), 'd'.repeat(65_536), '{"emoji":"🎮"}', 'x'.repeat(200_000)];
    for (const text of texts) outbox.push(text);
    expect(writes).toEqual([]);
    await turn();
    expect(writes).toHaveLength(1);
    expect(await parse(writes[0]!)).toEqual(texts);
  });

  it('writes each socket once per turn, and nothing once the socket is no longer open', async () => {
    const a = fakeSocket();
    const b = fakeSocket();
    const first = new Outbox(a.socket);
    const second = new Outbox(b.socket);
    first.push('1');
    second.push('2');
    first.push('3');
    await turn();
    expect(await parse(Buffer.concat(a.writes))).toEqual(['1', '3']);
    expect(a.writes).toHaveLength(1);
    expect(await parse(Buffer.concat(b.writes))).toEqual(['2']);

    first.push('late');
    a.socket.readyState = 2; // CLOSING
    await turn();
    expect(a.writes).toHaveLength(1);
  });

  it('copies a frame the resume window holds (wrapped round its ring or not), encodes one it does not, in push order', async () => {
    const { socket, writes } = fakeSocket();
    const outbox = new Outbox(socket);
    const window = new ReplayWindow(300);
    const texts: string[] = [];
    for (let i = 0; i < 40; i += 1) {
      // Sizes that wrap the ring at different places; one larger than the window (not held, encoded).
      const text = i === 17 ? 'é'.repeat(400) : `${i}:${'🎮x'.repeat(i % 9)}`;
      window.record(text);
      outbox.pushHeld(text, window);
      texts.push(text);
      if (i % 5 === 4) await turn();
    }
    await turn();
    expect(await parse(Buffer.concat(writes))).toEqual(texts);
  });

  it('frames a head and a tail of bytes as one frame (a relayed signal with its origin)', async () => {
    const { socket, writes } = fakeSocket();
    const outbox = new Outbox(socket);
    const received = Buffer.from('{"opcode":"ICE","payload":"é"}  ');
    const origin = Buffer.from(',"origin":{"username":"🎮"}}');
    outbox.pushJoined(received, received.lastIndexOf(0x7d), origin);
    // More after the last '}' than the tail covers: the head alone is copied.
    const padded = Buffer.from(`{"opcode":"ICE"}${' '.repeat(100)}`);
    outbox.pushJoined(padded, padded.lastIndexOf(0x7d), origin);
    outbox.push('next');
    await turn();
    expect(await parse(Buffer.concat(writes))).toEqual([
      '{"opcode":"ICE","payload":"é","origin":{"username":"🎮"}}',
      '{"opcode":"ICE","origin":{"username":"🎮"}}',
      'next',
    ]);
  });

  it('writes a batch encoded for many sockets as it is, or behind the frames queued before it', async () => {
    const { socket, writes } = fakeSocket();
    const outbox = new Outbox(socket);
    const batch = encodeFrames(['NEW_LOBBY 1', 'NEW_LOBBY 2']);
    outbox.pushEncoded(batch);
    expect(writes).toEqual([batch]);
    outbox.push('reply');
    outbox.pushEncoded(batch);
    outbox.push('after');
    await turn();
    expect(await parse(Buffer.concat(writes))).toEqual(['NEW_LOBBY 1', 'NEW_LOBBY 2', 'reply', 'NEW_LOBBY 1', 'NEW_LOBBY 2', 'after']);
    expect(writes).toHaveLength(2);
  });

  it('flush() writes at once (before a close frame)', async () => {
    const { socket, writes } = fakeSocket();
    const outbox = new Outbox(socket);
    outbox.push('VIOLATION');
    outbox.flush();
    expect(await parse(Buffer.concat(writes))).toEqual(['VIOLATION']);
    await turn();
    expect(writes).toHaveLength(1);
  });
});

describe('server and outbox together', () => {
  it('negotiates no per-message deflate even when the client offers it (outbox.ts writes raw frames beside ws)', async () => {
    const server = await startServer({ port: 0, logger: silentLogger });
    try {
      const client = await RawClient.open(server.wsUrl, { perMessageDeflate: true });
      try {
        expect(client.ws.extensions).toBe('');
        const ok = await client.request('INIT', { username: 'ann' }, 'INIT_OK');
        expect(ok.payload).toMatchObject({ username: 'ann' });
      } finally {
        client.close();
      }
    } finally {
      await server.close();
    }
  });
});
