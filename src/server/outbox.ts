// Outgoing text frames, written once per turn of the event loop per socket.
//
// Why not `ws.send` per frame: under load one read brings many requests, and each `ws.send` costs
// a header allocation, two stream writes and, uncorked, one system call. Frames queued here leave
// as ONE buffer (RFC 6455 server frames: unmasked, FIN + text) in ONE write per socket per turn,
// after everything that turn produced. Measured with bench/signaling.mjs (docs/performance.md).
// `ws` still owns the socket: the handshake, reading, ping/pong and the closing handshake.
//
// This writes to ws's PRIVATE `_socket` (the net.Socket under a WebSocket; ws pinned to an exact
// version in package.json, checked by test/contracts/ws.test.ts). That is only safe while
// per-message deflate is OFF (server.ts creates its WebSocketServer with `perMessageDeflate: false`):
// with deflate negotiated, ws compresses asynchronously and holds its own frames (pong, close) in a
// queue meanwhile, and raw frames written beside that queue would overtake them out of order.
import type WebSocket from 'ws';

interface RawSocket {
  write(data: Uint8Array): boolean;
  /** Bytes written but not yet taken by the kernel: what a client that does not read makes us hold. */
  readonly writableLength: number;
}

export class Outbox {
  /**
   * The frames queued this turn are `texts[0..queued)`. One array per socket, reused from turn to turn:
   * at one signal in flight a fresh array per flush would be an allocation per signal.
   */
  private texts: string[] = [];
  private queued = 0;

  /**
   * `overflow` is called once the socket holds more than `limit` unsent bytes: the reader is too slow
   * (or does not read at all), and the caller closes it rather than buffer without bound.
   */
  constructor(
    private readonly socket: WebSocket,
    private readonly limit = Infinity,
    private readonly overflow: (bytes: number) => void = () => {},
  ) {}

  /** Queues one text frame; it leaves with the others at the end of this turn. */
  push(text: string): void {
    this.texts[this.queued] = text;
    this.queued += 1;
    if (this.queued === 1) schedule(this);
  }

  /**
   * Frames `encoded` once for many sockets (encodeFrames(texts), e.g. one NEW_LOBBY batch for every idle
   * player): written as they are when nothing waits before them, else queued behind what does.
   */
  pushEncoded(texts: readonly string[], encoded: Buffer): void {
    if (this.queued > 0) for (const text of texts) this.push(text);
    else this.write(encoded);
  }

  /** Writes what is queued, now (before a close frame, for instance). Dropped if the socket is no longer open. */
  flush(): void {
    const count = this.queued;
    if (count === 0) return;
    this.queued = 0;
    const open = this.socket.readyState === this.socket.OPEN;
    const bytes = open ? encodeFrames(this.texts, count) : null;
    // The array does not keep sent frames alive (the resume window keeps what it must), nor a burst's length.
    if (count > MAX_KEPT_SLOTS) this.texts = [];
    else this.texts.fill('', 0, count);
    if (bytes) this.write(bytes);
  }

  private write(bytes: Buffer): void {
    const raw = (this.socket as unknown as { _socket?: RawSocket })._socket;
    if (this.socket.readyState !== this.socket.OPEN || !raw) return;
    raw.write(bytes);
    if (raw.writableLength > this.limit) this.overflow(raw.writableLength);
  }
}

/** Past this many frames in one turn, the queue's array is dropped rather than kept for the next turn. */
const MAX_KEPT_SLOTS = 64;

/**
 * The outboxes with frames queued this turn: `due[0..dueCount)`. One array for the process, reused
 * (with one signal in flight a fresh array each turn would be an allocation per signal).
 */
const due: (Outbox | null)[] = [];
let dueCount = 0;

function schedule(outbox: Outbox): void {
  due[dueCount] = outbox;
  dueCount += 1;
  if (dueCount === 1) process.nextTick(flushDue);
}

function flushDue(): void {
  try {
    // dueCount is read on each pass: an outbox scheduled meanwhile is flushed in this same loop.
    for (let i = 0; i < dueCount; i += 1) {
      const outbox = due[i]!;
      due[i] = null;
      outbox.flush();
    }
  } finally {
    // Even if a flush threw: the next schedule() must start a new turn.
    due.fill(null, 0, dueCount);
    dueCount = 0;
  }
}

/** Each text's size in bytes, for encodeFrames(): one array reused by every call (it never nests). */
const sizes: number[] = [];

/** The first `count` texts as consecutive unfragmented, unmasked text frames in one buffer. */
export function encodeFrames(texts: readonly string[], count = texts.length): Buffer {
  // Plain loops and a reused array: this runs on every flush (at one signal in flight, once per
  // signal), and callbacks capturing `at` and `out` would allocate on each.
  let total = 0;
  for (let i = 0; i < count; i += 1) {
    const size = Buffer.byteLength(texts[i]!);
    sizes[i] = size;
    total += size + headerLength(size);
  }
  const out = Buffer.allocUnsafe(total);
  let at = 0;
  for (let i = 0; i < count; i += 1) {
    const text = texts[i]!;
    const size = sizes[i]!;
    out[at] = 0x81; // FIN, opcode 1 (text)
    if (size < 126) {
      out[at + 1] = size;
      at += 2;
    } else if (size < 65536) {
      out[at + 1] = 126;
      out.writeUInt16BE(size, at + 2);
      at += 4;
    } else {
      out[at + 1] = 127;
      out.writeBigUInt64BE(BigInt(size), at + 2);
      at += 10;
    }
    at += out.write(text, at, 'utf8');
  }
  return out;
}

const headerLength = (size: number): number => (size < 126 ? 2 : size < 65536 ? 4 : 10);
