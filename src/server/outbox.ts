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

/** Where a frame's bytes already are (the resume window: replay-window.ts), so they are copied, not encoded again. */
export interface EncodedFrame {
  /** The newest frame's size in bytes, or -1 if it is not held. */
  readonly newestSize: number;
  /** Copies the newest frame's bytes into `target` from `at`. */
  copyNewest(target: Buffer, at: number): void;
}

const EMPTY = Buffer.alloc(0);

export class Outbox {
  /**
   * This turn's frames, framed (header and bytes) as they are pushed: `bytes[0..used)`. A new buffer each
   * turn (the socket holds the one written until the kernel takes it); sized to the first frame and
   * doubled as needed, so with one frame a turn it is exactly that frame.
   */
  private bytes: Buffer = EMPTY;
  private used = 0;

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
    const size = Buffer.byteLength(text);
    const at = this.reserve(size);
    this.bytes.write(text, at, size, 'utf8');
  }

  /** Queues `text`, which `held` has just kept as its newest frame: its bytes are copied from there, not encoded again. */
  pushHeld(text: string, held: EncodedFrame): void {
    const size = held.newestSize;
    if (size < 0) {
      this.push(text);
      return;
    }
    const at = this.reserve(size); // first: it may replace this.bytes
    held.copyNewest(this.bytes, at);
  }

  /** Queues the frame `head[0..headLength)` followed by `tail`, bytes as they are (a relayed signal: Player.relay). */
  pushJoined(head: Buffer, headLength: number, tail: Buffer): void {
    const at = this.reserve(headLength + tail.length);
    writeJoined(this.bytes, at, head, headLength, tail);
  }

  /**
   * Frames already encoded for many sockets (encodeFrames(), e.g. one NEW_LOBBY batch for every idle
   * player): written as they are when nothing waits before them, else copied behind what does.
   */
  pushEncoded(encoded: Buffer): void {
    if (this.used === 0) {
      this.write(encoded);
      return;
    }
    this.grow(this.used + encoded.length);
    this.used += encoded.copy(this.bytes, this.used);
  }

  /** Writes what is queued, now (before a close frame, for instance). Dropped if the socket is no longer open. */
  flush(): void {
    if (this.used === 0) return;
    const bytes = this.used === this.bytes.length ? this.bytes : this.bytes.subarray(0, this.used);
    this.bytes = EMPTY;
    this.used = 0;
    this.write(bytes);
  }

  /** Room for a frame of `size` bytes: writes its header and returns where its bytes go. */
  private reserve(size: number): number {
    const header = headerLength(size);
    if (this.used === 0) schedule(this);
    this.grow(this.used + header + size);
    const at = writeHeader(this.bytes, this.used, size);
    this.used = at + size;
    return at;
  }

  private grow(need: number): void {
    if (need <= this.bytes.length) return;
    // Small buffers come from Node's shared pool; the first is exact (one frame a turn is the common case).
    const next = Buffer.allocUnsafe(this.used === 0 ? need : Math.max(need, 2 * this.bytes.length));
    if (this.used > 0) next.set(this.used === this.bytes.length ? this.bytes : this.bytes.subarray(0, this.used));
    this.bytes = next;
  }

  private write(bytes: Buffer): void {
    const raw = (this.socket as unknown as { _socket?: RawSocket })._socket;
    if (this.socket.readyState !== this.socket.OPEN || !raw) return;
    raw.write(bytes);
    if (raw.writableLength > this.limit) this.overflow(raw.writableLength);
  }
}

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

/** The texts as consecutive unfragmented, unmasked text frames in one buffer (one batch for many sockets: pushEncoded). */
export function encodeFrames(texts: readonly string[]): Buffer {
  const count = texts.length;
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
    at = writeHeader(out, at, size);
    at += out.write(text, at, 'utf8');
  }
  return out;
}

/**
 * Writes `head[0..headLength)` then `tail` at `at` in `target`, which has room for exactly those. Whole
 * buffers are copied with TypedArray#set (a memcpy); Buffer#copy of a part builds a view first and cost
 * three times as much here: so when what follows the head in `head` is no longer than `tail` (a `}` and
 * maybe some spaces), all of `head` is copied and `tail` then written over that rest.
 */
export function writeJoined(target: Buffer, at: number, head: Buffer, headLength: number, tail: Buffer): void {
  if (head.length - headLength <= tail.length) target.set(head, at);
  else head.copy(target, at, 0, headLength);
  target.set(tail, at + headLength);
}

const headerLength = (size: number): number => (size < 126 ? 2 : size < 65536 ? 4 : 10);

/** An unfragmented, unmasked text frame's header (RFC 6455) for `size` bytes at `at`; returns where the bytes go. */
function writeHeader(out: Buffer, at: number, size: number): number {
  out[at] = 0x81; // FIN, opcode 1 (text)
  if (size < 126) {
    out[at + 1] = size;
    return at + 2;
  }
  if (size < 65536) {
    out[at + 1] = 126;
    out.writeUInt16BE(size, at + 2);
    return at + 4;
  }
  out[at + 1] = 127;
  out.writeBigUInt64BE(BigInt(size), at + 2);
  return at + 10;
}
