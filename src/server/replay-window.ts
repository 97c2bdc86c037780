// The frames last sent to one player, so a resumed connection gets exactly those its client never
// received: the ones written to a connection already dead (before the server noticed) and the ones
// sent while the seat was held. The client says how many frames it received (RESUME `received`);
// frames are counted from the player's first one. Bounded in bytes: a gap means no faithful resume.
//
// Kept as UTF-8 bytes in one ring buffer per player (each frame behind a 4-byte length), not as
// strings: at thousands of signals a second, strings kept for a second or two outlive young-generation
// collections, get promoted, and the old-generation collections they then cause were the server's
// latency p99 (bench/signaling.mjs `latency`: p99 about halved without them). Bytes outside the JS heap
// cost the collector nothing. The ring starts small (an idle player's few frames) and doubles; a player
// that fills 8 KiB within seconds of the last growth is busy, and its ring goes straight to the usual
// bound, which it would reach anyway. Doubling on through 16 and 32 KiB made every streaming player
// allocate and discard three more buffers in its first seconds, and with many players starting at once
// those were the server's latency tail (bench/signaling.mjs `latency` from cold: p99 down by a fifth,
// signals over 5 ms by more than half). A player that took longer (an idle one's keepalives take an hour)
// keeps doubling, so it holds no more than its frames need.

import { writeJoined, type EncodedFrame } from './outbox.js';

const PREFIX = 4;
const SMALLEST_RING = 256;
/** Past this size a busy player's ring grows straight to the window's usual bound (ringSize). */
const LAST_SMALL_RING = 8 * 1024;
/** A ring that filled within this long of its last growth belongs to a busy player. */
const BUSY_FILL_MS = 10_000;
const EMPTY = Buffer.alloc(0);

export class ReplayWindow implements EncodedFrame {
  private ring: Buffer = EMPTY;
  /** Offset in `ring` of the oldest kept frame's length. */
  private start = 0;
  /** Bytes in use from `start` on, wrapping: lengths and frames. */
  private used = 0;
  /** Frames kept. */
  private kept = 0;
  /** Frames recorded so far: the number of the newest. */
  private count = 0;
  /** The newest frame's size in bytes, if it is kept (-1 if not): the outbox copies it from here (pushHeld). */
  newestSize = -1;

  /** The bound a connected player's window has (the constructor's limit): a busy player's ring reaches it. */
  private readonly usualLimit: number;
  /** When the ring last grew (`now()`). */
  private grewAt = 0;

  constructor(
    private limit: number,
    private readonly now: () => number = Date.now,
  ) {
    this.usualLimit = limit;
  }

  /** Frames recorded so far. */
  get recorded(): number {
    return this.count;
  }

  record(frame: string): void {
    const size = Buffer.byteLength(frame);
    const body = this.open(size);
    if (body < 0) return;
    if (body + size <= this.ring.length) this.ring.write(frame, body, size, 'utf8');
    else this.copyIn(Buffer.from(frame, 'utf8'), body);
  }

  /** Records the frame `head[0..headLength)` followed by `tail` (UTF-8 both): a relayed signal, copied as it came (Player.relay). */
  recordJoined(head: Buffer, headLength: number, tail: Buffer): void {
    const size = headLength + tail.length;
    const body = this.open(size);
    if (body < 0) return;
    if (body + size <= this.ring.length) writeJoined(this.ring, body, head, headLength, tail);
    else {
      this.copyIn(head, body, headLength);
      this.copyIn(tail, (body + headLength) % this.ring.length);
    }
  }

  /** Counts a frame of `size` bytes and makes room for it: where its bytes go, or -1 when it is larger than the whole window. */
  private open(size: number): number {
    this.count += 1;
    const need = PREFIX + size;
    if (need > this.limit) {
      this.clear();
      return -1;
    }
    while (this.used + need > this.limit) this.dropOldest();
    this.reserve(this.used + need);
    const at = (this.start + this.used) % this.ring.length;
    this.writeLength(at, size);
    this.used += need;
    this.kept += 1;
    this.newestSize = size;
    return (at + PREFIX) % this.ring.length;
  }

  /** Copies the newest kept frame's bytes (newestSize of them) to `target` from `at`. */
  copyNewest(target: Buffer, at: number): void {
    const size = this.newestSize;
    this.copyOut(target, (this.start + this.used - size) % this.ring.length, size, at);
  }

  /** A new bound (larger while the player is away); the oldest frames go first. */
  setLimit(limit: number): void {
    this.limit = limit;
    while (this.used > limit) this.dropOldest();
    // Back from a long absence: give the memory of a large window back.
    if (this.ring.length > 2 * Math.max(limit, SMALLEST_RING)) this.resize(ringSize(Math.max(this.used, SMALLEST_RING), limit));
  }

  /** The frames after the first `received`, in order; null when some of them are no longer kept (or `received` is impossible). */
  after(received: number): string[] | null {
    const oldestKept = this.count - this.kept + 1;
    if (!Number.isInteger(received) || received > this.count || received < oldestKept - 1) return null;
    const frames: string[] = [];
    let at = this.start;
    for (let i = 0; i < this.kept; i += 1) {
      const size = this.readLength(at);
      const body = (at + PREFIX) % this.ring.length;
      if (oldestKept + i > received) frames.push(this.readText(body, size));
      at = (body + size) % this.ring.length;
    }
    return frames;
  }

  private clear(): void {
    this.newestSize = -1;
    this.start = 0;
    this.used = 0;
    this.kept = 0;
  }

  private dropOldest(): void {
    const size = this.readLength(this.start);
    this.start = (this.start + PREFIX + size) % this.ring.length;
    this.used -= PREFIX + size;
    this.kept -= 1;
    if (this.kept === 0) this.clear();
  }

  /** Room for `bytes` in all (never more than the limit asks). */
  private reserve(bytes: number): void {
    if (bytes <= this.ring.length) return;
    const now = this.now();
    const busy = now - this.grewAt < BUSY_FILL_MS;
    this.grewAt = now;
    this.resize(ringSize(Math.max(bytes, 2 * this.ring.length, SMALLEST_RING), this.limit, busy ? this.usualLimit : 0));
  }

  /** A ring of `size` bytes holding the kept frames from its start. */
  private resize(size: number): void {
    // Small rings come from Node's shared 8 KiB pool (one allocation for many idle players), large ones alone.
    const next = Buffer.allocUnsafe(size);
    this.copyOut(next, this.start, this.used);
    this.ring = next;
    this.start = 0;
  }

  private writeLength(at: number, size: number): void {
    if (at + PREFIX <= this.ring.length) this.ring.writeUInt32LE(size, at);
    else {
      const bytes = Buffer.allocUnsafe(PREFIX);
      bytes.writeUInt32LE(size, 0);
      this.copyIn(bytes, at);
    }
  }

  private readLength(at: number): number {
    if (at + PREFIX <= this.ring.length) return this.ring.readUInt32LE(at);
    const bytes = Buffer.allocUnsafe(PREFIX);
    this.copyOut(bytes, at, PREFIX);
    return bytes.readUInt32LE(0);
  }

  private readText(at: number, size: number): string {
    if (at + size <= this.ring.length) return this.ring.toString('utf8', at, at + size);
    const bytes = Buffer.allocUnsafe(size);
    this.copyOut(bytes, at, size);
    return bytes.toString('utf8');
  }

  /** Writes the first `length` of `bytes` into the ring from `at`, wrapping. */
  private copyIn(bytes: Buffer, at: number, length = bytes.length): void {
    const first = Math.min(length, this.ring.length - at);
    bytes.copy(this.ring, at, 0, first);
    if (first < length) bytes.copy(this.ring, 0, first, length);
  }

  /** Copies `length` bytes of the ring from `at` (wrapping) to `target` from `to`. */
  private copyOut(target: Buffer, at: number, length: number, to = 0): void {
    const first = Math.min(length, this.ring.length - at);
    this.ring.copy(target, to, at, at + first);
    if (first < length) this.ring.copy(target, to + first, 0, length - first);
  }
}

/**
 * A ring size of at least `bytes`: a power of two, capped at a limit (itself at least `bytes`). With a
 * `jumpTo` (a busy player's usual bound), sizes past LAST_SMALL_RING and below it are skipped.
 */
function ringSize(bytes: number, limit: number, jumpTo = 0): number {
  let size = SMALLEST_RING;
  while (size < bytes) size = size >= LAST_SMALL_RING && size < jumpTo ? jumpTo : size * 2;
  return Math.max(bytes, Math.min(size, limit));
}
