// Memory held for messages still arriving. ws's maxPayload bounds one connection (64 KiB), but not all
// of them: 20,000 connections each holding an unfinished message just under the limit would hold
// 1.2 GiB. So the server counts what each connection holds unfinished, caps the total, and gives every
// message a deadline to finish. Honest frames are small and finish within a round trip, so whom to cut
// is decided by age: past the budget, the connections whose unfinished message started earliest go first.
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';

export interface IncomingOptions {
  /** Bytes of unfinished messages all connections together may hold. */
  maxBytes: number;
  /** How long a message may take to arrive, from its first byte. 0 = no deadline. */
  deadlineMs: number;
}

export const DEFAULT_INCOMING: IncomingOptions = { maxBytes: 32 * 1024 * 1024, deadlineMs: 10_000 };

/** Close code for a connection cut to bring the budget back: 1013 "try again later" (it may have been honest). */
export const CLOSE_BUSY = 1013;
/** Close code for a message that missed its deadline: 1008 "policy violation". */
export const CLOSE_SLOW_MESSAGE = 1008;

/**
 * What one connection holds of messages not yet complete, read from ws's Receiver (ws 8.23,
 * node_modules/ws/lib/receiver.js): `_bufferedBytes` is the raw data received but not parsed yet (an
 * unfinished frame waits there whole), `_messageLength` the payload of the finished fragments of a
 * fragmented message (reset when the message completes). Together they are exactly the bytes ws holds
 * for this connection. Counting the raw socket's bytes instead cannot tell where a message ends within
 * a chunk; `_totalPayloadLength` counts a frame's declared length before it arrives. A ws upgrade that
 * renames these fields makes `held` 0, which test/server/incoming.test.ts catches.
 */
interface ReceiverState {
  _bufferedBytes?: number;
  _messageLength?: number;
  _buffers?: Buffer[];
  _fragments?: Buffer[];
}
const receiverOf = (ws: WebSocket): ReceiverState | undefined => (ws as unknown as { _receiver?: ReceiverState })._receiver;
export function heldBytes(ws: WebSocket): number {
  const receiver = receiverOf(ws);
  return (receiver?._bufferedBytes ?? 0) + (receiver?._messageLength ?? 0);
}

/**
 * Lets go of what `ws` holds unfinished, for a connection that will be cut and never parsed again.
 * Its chunks (64 KiB reads, of which the unfinished message keeps slices) then die young, in the next
 * scavenge; kept until the cut they would be promoted and stay in RSS until a full collection.
 */
export function dropHeld(ws: WebSocket): void {
  const receiver = receiverOf(ws);
  if (!receiver) return;
  receiver._buffers = [];
  receiver._bufferedBytes = 0;
  receiver._fragments = [];
  receiver._messageLength = 0;
}

/** A connection whose unfinished message takes memory. */
interface Arriving {
  bytes: number;
  /** When its oldest unfinished message started (reset each time one completes). */
  since: number;
}

const WS = Symbol('incoming-ws');
type Watched = Duplex & { [WS]?: WebSocket };

export class IncomingBudget {
  private readonly arriving = new Map<WebSocket, Arriving>();
  private total = 0;
  private readonly sweeper: ReturnType<typeof setInterval> | undefined;
  /** One listener for every socket (`this` is the socket): no closure per connection. */
  private readonly onData: (this: Watched) => void;

  /** `cut` closes a connection with the reason (it must stop reading it: server.ts does). */
  constructor(
    readonly options: IncomingOptions,
    private readonly cut: (ws: WebSocket, reason: string, code: number) => void,
  ) {
    const budget = this;
    this.onData = function (this: Watched) {
      // ws's own 'data' listener ran first (it was added first) and parsed the chunk synchronously.
      const ws = this[WS];
      if (ws) budget.update(ws, Date.now());
    };
    const deadline = options.deadlineMs;
    if (deadline > 0) this.sweeper = setInterval(() => this.sweep(Date.now()), Math.max(10, deadline / 4)).unref();
  }

  /** Counts what `ws` holds after each chunk its raw socket receives. */
  watch(ws: WebSocket, socket: Duplex): void {
    (socket as Watched)[WS] = ws;
    socket.on('data', this.onData);
  }

  /** A message of `ws` completed: what it still holds belongs to a message that starts now. */
  completed(ws: WebSocket): void {
    const entry = this.arriving.get(ws);
    // The common case, on every message: nothing was held and nothing is.
    if (!entry && heldBytes(ws) === 0) return;
    const now = Date.now();
    if (entry) entry.since = now;
    this.update(ws, now);
  }

  forget(ws: WebSocket): void {
    const entry = this.arriving.get(ws);
    if (!entry) return;
    this.total -= entry.bytes;
    this.arriving.delete(ws);
  }

  /** Bytes of unfinished messages held now, in all. */
  get bytes(): number {
    return this.total;
  }

  stop(): void {
    clearInterval(this.sweeper);
    this.arriving.clear();
    this.total = 0;
  }

  private update(ws: WebSocket, now: number): void {
    const bytes = heldBytes(ws);
    const entry = this.arriving.get(ws);
    if (bytes === 0) this.forget(ws);
    else if (entry) {
      this.total += bytes - entry.bytes;
      entry.bytes = bytes;
    } else {
      this.total += bytes;
      this.arriving.set(ws, { bytes, since: now });
    }
    if (this.total > this.options.maxBytes) this.shed();
  }

  /**
   * Over the budget: the oldest unfinished messages are dropped (their connections cut) until a quarter
   * of the budget is free again, so a steady attack is not re-examined on every chunk. A message that
   * is still arriving after the others is the newest, so an honest one is cut last.
   */
  private shed(): void {
    const target = (this.options.maxBytes * 3) / 4;
    const oldestFirst = [...this.arriving].sort((a, b) => a[1].since - b[1].since);
    const limit =
      this.options.maxBytes >= 1024 * 1024 ? `${Math.round(this.options.maxBytes / (1024 * 1024))} MiB` : `${Math.round(this.options.maxBytes / 1024)} KiB`;
    for (const [ws] of oldestFirst) {
      if (this.total <= target) break;
      this.forget(ws);
      this.cut(ws, `server busy: your unfinished message was dropped (messages still arriving hold over ${limit})`, CLOSE_BUSY);
    }
  }

  private sweep(now: number): void {
    const seconds = this.options.deadlineMs / 1000;
    for (const [ws, entry] of this.arriving) {
      if (now - entry.since < this.options.deadlineMs) continue;
      this.forget(ws);
      this.cut(ws, `message not finished within ${seconds} s`, CLOSE_SLOW_MESSAGE);
    }
  }
}
