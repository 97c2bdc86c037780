// One WebSocket connection: its identity once INIT succeeded, its game, its lobby, its limits.
import { dropAfterClose } from './drop.js';
import type WebSocket from 'ws';
import { encodePacket, type ServerOpcode, type ServerPayloads, type User } from '../protocol/index.js';
import { Outbox } from './outbox.js';
import { ReplayWindow } from './replay-window.js';
import type { RateLimiter } from './rate-limit.js';
import { DEFAULT_SIGNAL_CREDIT, SignalCredit, type SignalCreditOptions } from './signal-credit.js';
import type { SequencedPlayer } from './cluster/cluster.js';

/** One request's handling; tasks catch their own errors. */
export type Task = () => void | Promise<void>;

/** Requests a player may have queued behind a slow one; the rate limit keeps honest clients far below. */
const MAX_BACKLOG = 256;
/** Frames kept for a resume while connected (what a dying connection may have swallowed), in bytes. */
export const MAX_REPLAY_BYTES = 64 * 1024;
/** ...and while the seat is held (lobby events, signals sent meanwhile). Past it the seat cannot be resumed. */
export const MAX_MISSED_BYTES = 1024 * 1024;
/** Bytes the server holds for a client that does not read them before it closes that client (default). */
export const DEFAULT_MAX_OUTBOX_BYTES = 1024 * 1024;

const NEW_PEER = '{"opcode":"NEW_PEER"';
const PEER_JOIN = '{"opcode":"PEER_JOIN"';
const CLOSING_BRACE = 0x7d;

export class Player implements SequencedPlayer {
  user: User | null = null;
  /** The name of the lobby it is in: this node's copy of what the store's commands returned (signals check it). */
  lobby: string | null = null;
  /** Set between INIT and INIT_OK while a token is being verified. */
  initializing = false;
  /** Cleared at each ping, set by the pong: a socket still false at the next ping is dead. */
  alive = true;
  /** Requests waiting while an asynchronous one (password hash, token check) is being handled. */
  private readonly backlog: Task[] = [];
  private busy = false;
  private outbox: Outbox;
  /** The last frames sent, for a resume (replay-window.ts). */
  private readonly replay = new ReplayWindow(MAX_REPLAY_BYTES);
  /** The connection dropped and the seat is held: frames wait in `replay` for a resume. */
  private away = false;
  /** The server closed this connection on purpose (violation, shutdown): no seat is held. */
  closedByServer = false;
  /**
   * With several nodes (cluster/cluster.ts): where frames go instead of the socket. Redis numbers and
   * logs them, then they come back through writeSequenced in order, and the log is the replay window.
   */
  outlet: { submit(frame: string): void } | null = null;
  /** Resumed on another node (cluster mode): this copy is dropped without releasing the seat. */
  evicted = false;
  /** Why the server cut this connection without a close handshake (a reader too slow), for the log. */
  cutBecause: string | null = null;
  /** When it last joined a lobby (join-cooldown.ts). */
  lastJoinAt = Number.NEGATIVE_INFINITY;
  /** Signals it may send newcomers to its lobby outside its limits (signal-credit.ts). */
  readonly credit: SignalCredit;

  constructor(
    public socket: WebSocket,
    readonly game: string,
    readonly limiter: RateLimiter,
    public address: string,
    /** Unsent bytes held for this client before it is cut (outbox.ts). */
    private readonly maxOutboxBytes = DEFAULT_MAX_OUTBOX_BYTES,
    signalCredit: SignalCreditOptions = DEFAULT_SIGNAL_CREDIT,
  ) {
    this.outbox = this.outboxFor(socket);
    this.credit = new SignalCredit(signalCredit);
  }

  /**
   * A client that does not read what it is sent is cut once `maxOutboxBytes` wait: its memory is
   * bounded. No close handshake (a close frame would wait behind what it does not read), and no seat
   * held: what was lost cannot be replayed faithfully.
   */
  private outboxFor(socket: WebSocket): Outbox {
    return new Outbox(socket, this.maxOutboxBytes, (bytes) => {
      if (this.socket !== socket || this.closedByServer) return;
      this.closedByServer = true;
      this.cutBecause = `too slow: ${bytes} bytes unread (limit ${this.maxOutboxBytes})`;
      socket.terminate();
    });
  }

  /** The connection dropped and the seat is held: what is sent from now on waits for a resume. */
  detach(): void {
    this.away = true;
    this.replay.setLimit(MAX_MISSED_BYTES);
  }

  /** The frames a client that received `received` of them has not seen; null if some are no longer kept. */
  missedAfter(received: number): string[] | null {
    return this.replay.after(received);
  }

  /**
   * A resumed seat: `socket` replaces the old connection. `opening` (RESUME_OK, not counted: the client
   * counts from the frames it resumes at) leaves first, then `missed` as they were.
   */
  attach(socket: WebSocket, address: string, opening: string, missed: string[]): void {
    this.socket = socket;
    this.address = address;
    this.outbox = this.outboxFor(socket);
    this.alive = true;
    this.closedByServer = false;
    this.away = false;
    this.replay.setLimit(MAX_REPLAY_BYTES);
    this.outbox.push(opening);
    for (const frame of missed) this.outbox.push(frame);
  }

  get id(): string {
    return this.user?.instance_id ?? '';
  }

  /** Frames sent before the cluster took over numbering them (INIT's warnings; the client counts them). */
  get framesSent(): number {
    return this.replay.recorded;
  }

  /** A frame in its place in this player's sequence (cluster mode): written unless the connection is away. */
  writeSequenced(frame: string): void {
    // Sent by another node, maybe: the only sign here that someone joined my lobby.
    if (frame.startsWith(NEW_PEER) || frame.startsWith(PEER_JOIN)) this.joined(frame);
    if (this.open && !this.away) this.outbox.push(frame);
  }

  /** I am told someone joined my lobby: I may signal it outside my limits for a while (signal-credit.ts). */
  private joined(frame: string): void {
    try {
      const joiner = (JSON.parse(frame) as { payload?: { instance_id?: unknown } }).payload?.instance_id;
      if (typeof joiner === 'string') this.credit.grant(joiner);
    } catch {
      // Not ours to judge: the frame goes on as it is.
    }
  }

  /**
   * Its frames can no longer be delivered in order (the shared log lost some, its record is gone, or Redis
   * is unreachable): the connection is closed as a drop (1011, with the reason), so the client resumes
   * (replayed exactly, or refused: then it starts again).
   */
  sequenceBroken(why: string): void {
    if (this.open) this.handOff(1011, `server cannot deliver in order: ${why}`);
  }

  get open(): boolean {
    return this.socket.readyState === this.socket.OPEN;
  }

  send<K extends ServerOpcode>(opcode: K, payload: ServerPayloads[K], extra: { listener?: string; origin?: object } = {}): void {
    if (opcode === 'NEW_PEER' || opcode === 'PEER_JOIN') this.credit.grant((payload as User).instance_id);
    this.write(encodePacket({ opcode, payload, ...extra }));
  }

  /**
   * NEW_LOBBY frames for an idle player (lobby-announcer.ts): to the socket, not numbered, not kept for
   * a resume (the client does not count them: docs/protocol-notes.md), so that one announcement to
   * thousands of players costs no shared-store round trip each (several nodes) and a burst of them
   * cannot push a player's own replies out of its replay window. A player away misses them.
   */
  announce(frames: Buffer): void {
    if (this.user && !this.away && this.open) this.outbox.pushEncoded(frames);
  }

  /** Every frame is kept for a resume, even one for a connection that is closing (its drop may not be noticed yet). */
  private write(frame: string): void {
    if (this.outlet) return void this.outlet.submit(frame);
    this.replay.record(frame);
    // Encoded once: the outbox copies the bytes the window has just kept.
    if (this.open && !this.away) this.outbox.pushHeld(frame, this.replay);
  }

  /**
   * A signal from `from`, relayed: the hot path of the server. The sender's origin is serialised once
   * per player. A signal whose `bytes` held only opcode, recipient and payload (see decodeClientPacket,
   * readSignalFrame) is forwarded as it came with the origin added, instead of serialising the payload
   * again: it is JSON, so its last `}` closes it, and it has no origin field of its own to clash with ours.
   * Without a cluster outlet (which takes text) the bytes are copied as they are. `signal.payload` is
   * read only when there are no such bytes (a SignalRequest decodes it when read).
   */
  relay(from: Player, opcode: string, signal: { readonly bytes?: Buffer; readonly payload: unknown }): void {
    const { bytes } = signal;
    if (bytes === undefined || this.outlet) {
      this.write(bytes === undefined ? from.signalFrame(opcode, signal.payload) : from.signalFrameOf(bytes));
      return;
    }
    // The same frame as signalFrameOf() builds, from the bytes that arrived: copied, never made a string and encoded.
    const head = bytes.lastIndexOf(CLOSING_BRACE);
    const tail = from.originTailBytes();
    this.replay.recordJoined(bytes, head, tail);
    if (this.open && !this.away) this.outbox.pushJoined(bytes, head, tail);
  }

  /** A signal of mine as its recipient gets it: with my user as `origin` (see relay()). */
  signalFrame(opcode: string, payload: unknown): string {
    return `{"opcode":"${opcode}","payload":${JSON.stringify(payload)}${this.originTailText()}`;
  }

  /** The same from the bytes of a signal of mine that held only opcode, recipient and payload (see relay()). */
  signalFrameOf(bytes: Buffer): string {
    const frame = bytes.toString('utf8');
    return frame.slice(0, frame.lastIndexOf('}')) + this.originTailText();
  }

  /** What follows a signal of mine: `,"origin":<my user>}`. Built once per player: on the hot path each signal then costs no serialising. */
  private originTailText(): string {
    this.originTail ??= `,"origin":${JSON.stringify(this.user)}}`;
    return this.originTail;
  }

  private originTail: string | undefined;

  /** The same as UTF-8, for relay() from bytes. */
  originTailBytes(): Buffer {
    this.originTailEncoded ??= Buffer.from(this.originTailText());
    return this.originTailEncoded;
  }

  private originTailEncoded: Buffer | undefined;

  /**
   * Runs this player's requests one at a time, in arrival order, so replies keep request order even
   * when a handler has to wait (e.g. CREATE_LOBBY with a password, then MANAGE_LOBBY). Synchronous
   * tasks run at once. Returns false (task dropped) when too many requests are already waiting.
   */
  serial(task: Task): boolean {
    if (!this.busy) {
      this.run(task);
      return true;
    }
    if (this.backlog.length >= MAX_BACKLOG) return false;
    this.backlog.push(task);
    return true;
  }

  private run(task: Task): void {
    let pending: void | Promise<void>;
    try {
      pending = task();
    } catch {
      // Tasks report their own errors; this only keeps the queue alive if one slips through.
      return;
    }
    if (!pending) return;
    this.busy = true;
    const drain = () => {
      this.busy = false;
      while (!this.busy && this.backlog.length > 0) this.run(this.backlog.shift()!);
    };
    pending.then(drain, drain);
  }

  /** Fatal: tell the client why, then close with the given code. */
  violation(reason: string, code: number): void {
    this.send('VIOLATION', reason);
    this.close(code, reason);
    // Nothing it sends now is acted upon, and its close reply is not awaited.
    dropAfterClose(this.socket);
  }

  /**
   * ws is closing this connection (1009) for a frame above the limit, while it still arrives: the
   * VIOLATION goes straight to the socket ahead of ws's close frame, and no seat is held.
   */
  tooBig(reason: string): void {
    this.closedByServer = true;
    this.outbox.push(encodePacket({ opcode: 'VIOLATION', payload: reason }));
    this.outbox.flush();
  }

  /**
   * Starts the closing handshake after what was sent so far (frames queued this turn go first), as a
   * drop: the seat is held for the client to resume (a drain).
   */
  handOff(code: number, reason: string): void {
    this.outbox.flush();
    // A close frame's reason has room for 123 bytes.
    this.socket.close(code, reason.slice(0, 120));
  }

  /** Closes as handOff() does, on purpose: no seat is held. */
  close(code: number, reason: string): void {
    this.closedByServer = true;
    this.handOff(code, reason);
  }
}
