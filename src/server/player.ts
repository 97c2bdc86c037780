// One WebSocket connection: its identity once INIT succeeded, its game, its lobby, its limits.
import type WebSocket from 'ws';
import { encodePacket, type ServerOpcode, type ServerPayloads, type User } from '../protocol/index.js';
import type { Lobby } from './lobby.js';
import { RateLimiter } from './rate-limit.js';

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
  private corked = false;

  constructor(
    readonly socket: WebSocket,
    readonly game: string,
    readonly limiter: RateLimiter,
    readonly address: string,
  ) {}

  get id(): string {
    return this.user?.instance_id ?? '';
  }

  get open(): boolean {
    return this.socket.readyState === this.socket.OPEN;
  }

  send<K extends ServerOpcode>(opcode: K, payload: ServerPayloads[K], extra: { listener?: string; origin?: object } = {}): void {
    if (this.open) this.sendText(encodePacket({ opcode, payload, ...extra }));
  }

  /** A signal from `from`, relayed: the hot path of the server, so its origin is serialised once per player. */
  relay(opcode: string, payload: unknown, from: Player): void {
    if (!this.open) return;
    from.originJson ??= JSON.stringify(from.user);
    this.sendText(`{"opcode":"${opcode}","payload":${JSON.stringify(payload)},"origin":${from.originJson}}`);
  }

  private originJson: string | undefined;

  private sendText(text: string): void {
    this.cork();
    this.socket.send(text);
  }

  /**
   * Frames sent to this player during one turn of the event loop leave in one write: under load a
   * single read brings many frames, and a write (a syscall) per frame was most of the server's time.
   */
  private cork(): void {
    if (this.corked) return;
    const raw = (this.socket as unknown as { _socket?: { cork(): void; uncork(): void } })._socket;
    if (!raw) return;
    this.corked = true;
    raw.cork();
    process.nextTick(() => {
      this.corked = false;
      raw.uncork();
    });
  }

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
    this.socket.close(code, reason.slice(0, 120));
  }
}
