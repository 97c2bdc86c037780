// One WebSocket connection: its identity once INIT succeeded, its game, its lobby, its limits.
import type WebSocket from 'ws';
import { encodePacket, type ServerOpcode, type ServerPayloads, type User } from '../protocol/index.js';
import type { Lobby } from './lobby.js';
import { RateLimiter } from './rate-limit.js';

export class Player {
  user: User | null = null;
  lobby: Lobby | null = null;
  /** Set between INIT and INIT_OK while a token is being verified. */
  initializing = false;
  /** Cleared at each ping, set by the pong: a socket still false at the next ping is dead. */
  alive = true;

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
    if (this.open) this.socket.send(encodePacket({ opcode, payload, ...extra }));
  }

  /** Fatal: tell the client why, then close with the given code. */
  violation(reason: string, code: number): void {
    this.send('VIOLATION', reason);
    this.socket.close(code, reason.slice(0, 120));
  }
}
