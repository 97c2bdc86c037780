// A deliberately cheap WebSocket client for load generation: plain TCP, frames built by hand.
// The `ws` client costs about as much per message as a server does, so a load generator built on
// it saturates before the server under test does; this one spends a fraction of that, so on two
// cores the server (not the generator) is what runs out of CPU.
// Client frames must be masked (RFC 6455 §5.3); a zero masking key leaves the bytes as they are.
import { randomBytes } from 'node:crypto';
import { connect as tcpConnect } from 'node:net';

const TEXT = 0x1;
const CONTINUATION = 0x0;
const CLOSE = 0x8;
const PING = 0x9;
const PONG = 0xa;
const FIN = 0x80;

/** One masked frame (zero key): `first` is FIN and the opcode. */
function maskedFrame(first, body) {
  const n = body.length;
  const head = n < 126 ? Buffer.from([first, 0x80 | n]) : n < 65536 ? Buffer.from([first, 0x80 | 126, n >> 8, n & 255]) : null;
  if (!head) throw new Error('frame too large for the load generator');
  return Buffer.concat([head, Buffer.alloc(4), body]);
}

// Close 1000, masked like every client frame.
const CLOSE_FRAME = maskedFrame(FIN | CLOSE, Buffer.from([0x03, 0xe8]));

/** One masked text frame (zero key) holding `text`. */
export const clientFrame = (text) => maskedFrame(FIN | TEXT, Buffer.from(text));

/** A fragment of a text message that is never finished: the first one opens it, the others continue it. */
export const unfinishedFragment = (bytes, first) => maskedFrame(first ? TEXT : CONTINUATION, bytes);

/**
 * Opens a WebSocket to ws://127.0.0.1:port + path, from the loopback address `localAddress` if given
 * (127.0.0.0/8: each address is another client to the server's per-address limits). Resolves once the
 * upgrade is accepted, with { send(text), write(buffer), close() (a reset), goodbye() (close 1000), onText,
 * closeFrame }: set
 * `onText(text)` to get every text frame; until then frames wait in `inbox` (the server may speak
 * first, in the same packet as its 101). Pings are answered; a close frame is kept in `closeFrame`
 * ({ code, reason }) and passed to `onClose` (it is not answered: the caller decides). Replies written while handling one read leave in one write.
 */
export function open(port, path, { localAddress } = {}) {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect({ host: '127.0.0.1', port, noDelay: true, localAddress });
    let buffer = Buffer.alloc(0);
    let upgraded = false;
    const client = {
      socket,
      inbox: [],
      onText: null,
      closeFrame: null,
      onClose: null,
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
        if (opcode === TEXT) {
          const text = buffer.toString('utf8', start, start + length);
          if (client.onText) client.onText(text);
          else client.inbox.push(text);
        } else if (opcode === PING) socket.write(maskedFrame(FIN | PONG, buffer.subarray(start, start + length)));
        else if (opcode === CLOSE) {
          client.closeFrame =
            length >= 2 ? { code: buffer.readUInt16BE(start), reason: buffer.toString('utf8', start + 2, start + length) } : { code: 1005, reason: '' };
          client.onClose?.(client.closeFrame);
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
