// A deliberately cheap WebSocket client for load generation: plain TCP, frames built by hand.
// The `ws` client costs about as much per message as a server does, so a load generator built on
// it saturates before the server under test does; this one spends a fraction of that, so on two
// cores the server (not the generator) is what runs out of CPU.
// Client frames must be masked (RFC 6455 §5.3); a zero masking key leaves the bytes as they are.
import { randomBytes } from 'node:crypto';
import { connect as tcpConnect } from 'node:net';

/** One masked text frame (zero key) holding `text`. */
export function clientFrame(text) {
  const body = Buffer.from(text);
  const n = body.length;
  const head = n < 126 ? Buffer.from([0x81, 0x80 | n]) : n < 65536 ? Buffer.from([0x81, 0x80 | 126, n >> 8, n & 255]) : null;
  if (!head) throw new Error('frame too large for the load generator');
  return Buffer.concat([head, Buffer.alloc(4), body]);
}

const CLOSE_FRAME = Buffer.from([0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe8]);

/**
 * Opens a WebSocket to ws://127.0.0.1:port + path. Resolves once the upgrade is accepted, with
 * { send(text), write(buffer), close() (a reset), goodbye() (close 1000), onText }: set `onText(text)` to get every text frame; until
 * then frames wait in `inbox` (the server may speak first, in the same packet as its 101).
 * Replies written while handling one read leave in one write.
 */
export function open(port, path) {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect({ host: '127.0.0.1', port, noDelay: true });
    let buffer = Buffer.alloc(0);
    let upgraded = false;
    const client = {
      socket,
      inbox: [],
      onText: null,
      send: (text) => socket.write(clientFrame(text)),
      write: (bytes) => socket.write(bytes),
      close: () => socket.destroy(),
      /** Leaves as a browser does: a close frame (1000, masked with a zero key), then the end of the stream. */
      goodbye: () => socket.end(CLOSE_FRAME),
    };
    socket.once('error', reject);
    socket.on('data', (chunk) => {
      buffer = buffer.length ? Buffer.concat([buffer, chunk]) : chunk;
      if (!upgraded) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buffer.subarray(0, end).toString();
        if (!head.startsWith('HTTP/1.1 101')) return reject(new Error(`upgrade refused: ${head.split('\r\n')[0]}`));
        upgraded = true;
        buffer = buffer.subarray(end + 4);
        resolve(client);
      }
      let at = 0;
      socket.cork();
      while (buffer.length - at >= 2) {
        const opcode = buffer[at] & 0x0f;
        let length = buffer[at + 1] & 0x7f;
        let start = at + 2;
        if (length === 126) {
          if (buffer.length - at < 4) break;
          length = buffer.readUInt16BE(at + 2);
          start = at + 4;
        } else if (length === 127) {
          if (buffer.length - at < 10) break;
          length = Number(buffer.readBigUInt64BE(at + 2));
          start = at + 10;
        }
        if (buffer.length < start + length) break;
        if (opcode === 1) {
          const text = buffer.toString('utf8', start, start + length);
          if (client.onText) client.onText(text);
          else client.inbox.push(text);
        } else if (opcode === 9) {
          // A ping is answered, as a browser does (a server drops a socket that stops answering).
          socket.write(Buffer.concat([Buffer.from([0x8a, 0x80 | length, 0, 0, 0, 0]), buffer.subarray(start, start + length)]));
        }
        at = start + length;
      }
      socket.uncork();
      buffer = at === buffer.length ? Buffer.alloc(0) : buffer.subarray(at);
    });
    socket.write(
      `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
  });
}

/** Resolves with the first text frame `accept` returns true for (JSON-parsed), then stops listening. */
export function next(client, accept) {
  return new Promise((resolve) => {
    while (client.inbox.length) {
      const packet = JSON.parse(client.inbox.shift());
      if (accept(packet)) return resolve(packet);
    }
    client.onText = (text) => {
      const packet = JSON.parse(text);
      if (!accept(packet)) return;
      client.onText = null;
      resolve(packet);
    };
  });
}

/** Sends one JSON request and resolves with the first reply `accept` returns true for. */
export function request(client, packet, accept) {
  const reply = next(client, accept);
  client.send(JSON.stringify(packet));
  return reply;
}
