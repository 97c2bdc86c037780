// One WebSocket connection: its identity once INIT succeeded, its game, its lobby, its limits.
import type WebSocket from 'ws';
import { encodePacket, type ServerOpcode, type ServerPayloads, type User } from '../protocol/index.js';
import type { Lobby } from './lobby.js';
import { Outbox } from './outbox.js';
import type { RateLimiter } from './rate-limit.js';

/** One request's handling; tasks catch their own errors. */
export type Task = () => void | Promise<void>;

/** Requests a player may have queued behind a slow one; the rate limit keeps honest clients far below. */
const MAX_BACKLOG = 256;

export class Player {
  user: User | null = null;
  lobby: Lobby | null = null;
  /** Set between INIT and INIT_OK while a token is being verified. */
  initializing = false;
  /** Cleared at each ping, set by the pong: a socket still false at the next ping is dead. */
  alive = true;
  /** Requests waiting while an asynchronous one (password hash, token check) is being handled. */
  private readonly backlog: Task[] = [];
  private busy = false;
  private readonly outbox: Outbox;

  constructor(
    readonly socket: WebSocket,
    readonly game: string,
    readonly limiter: RateLimiter,
    readonly address: string,
  ) {
    this.outbox = new Outbox(socket);
  }

  get id(): string {
    return this.user?.instance_id ?? '';
  }

  get open(): boolean {
    return this.socket.readyState === this.socket.OPEN;
  }

  send<K extends ServerOpcode>(opcode: K, payload: ServerPayloads[K], extra: { listener?: string; origin?: object } = {}): void {
    if (this.open) this.outbox.push(encodePacket({ opcode, payload, ...extra }));
  }

  /**
   * A signal from `from`, relayed: the hot path of the server. The sender's origin is serialised once
   * per player. A `frame` that held only opcode, recipient and payload (see decodeClientPacket) is
   * forwarded as it came with the origin added, instead of serialising the payload again: it passed
   * JSON.parse, so its last `}` closes it, and it has no origin field of its own to clash with ours.
   */
  relay(opcode: string, payload: unknown, from: Player, frame?: string): void {
    if (!this.open) return;
    from.originJson ??= JSON.stringify(from.user);
    const origin = `,"origin":${from.originJson}}`;
    this.outbox.push(
      frame === undefined ? `{"opcode":"${opcode}","payload":${JSON.stringify(payload)}${origin}` : frame.slice(0, frame.lastIndexOf('}')) + origin,
    );
  }

  private originJson: string | undefined;

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
  }

  /** Starts the closing handshake after what was sent so far (frames queued this turn go first). */
  close(code: number, reason: string): void {
    this.outbox.flush();
    this.socket.close(code, reason.slice(0, 120));
  }
}
