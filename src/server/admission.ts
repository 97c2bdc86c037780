// Who may hold a connection open: a cap on all connections and on those from one address (a flood of
// sockets cannot exhaust memory or file descriptors), a rate of new connections per address
// (connection-rate.ts), and a deadline for INIT (a socket that never says who it is does not stay open
// just by answering pings).
import { ConnectionRefusal } from '../protocol/index.js';
import { ConnectionRate, DEFAULT_CONNECTION_RATE } from './connection-rate.js';
import { KeyedCounts } from './keyed-counts.js';

export interface AdmissionOptions {
  /** Open WebSocket connections the server accepts in all. */
  maxConnections: number;
  /** ...and from one remote address (players behind one NAT share it: keep room for a classroom). */
  maxPerAddress: number;
  /** How long a connection may stay open without a successful INIT (or RESUME). 0 = no deadline. */
  initDeadlineMs: number;
  /** New connections per second from one address (0 = no limit)... */
  connectionsPerSecond: number;
  /** ...and at once. */
  connectionBurst: number;
  /** New connections a connection cut for a violation costs its address (connection-rate.ts). */
  violationCost: number;
}

export const DEFAULT_ADMISSION: AdmissionOptions = {
  maxConnections: 20_000,
  maxPerAddress: 256,
  initDeadlineMs: 10_000,
  connectionsPerSecond: DEFAULT_CONNECTION_RATE.perSecond,
  connectionBurst: DEFAULT_CONNECTION_RATE.burst,
  violationCost: DEFAULT_CONNECTION_RATE.violationCost,
};

/** Why a new connection may not open; `told`: the reason goes in a WebSocket close, else a bare HTTP 429 (a flood of refusals). */
export interface Refusal {
  reason: string;
  told: boolean;
  /** When the address may connect again (a refusal for its rate of new connections). */
  retryAfterSeconds?: number;
}

/** Close code for a connection that missed the INIT deadline: 1008 "policy violation". */
export const CLOSE_NO_INIT = 1008;

/** A connection waiting for its INIT. */
export interface Unidentified {
  readonly user: unknown;
  readonly open: boolean;
  violation(reason: string, code: number): void;
}

export class Admission<C extends Unidentified = Unidentified> {
  /** Open connections, by address. */
  private readonly open = new KeyedCounts();
  /** Connections not yet identified, with when they opened. */
  private readonly waiting = new Map<C, number>();
  private readonly sweeper: ReturnType<typeof setInterval> | undefined;
  private readonly rate: ConnectionRate;

  /** `cut` closes a connection that missed the deadline (the server paces many at once: paced-cuts.ts). */
  constructor(
    readonly options: AdmissionOptions,
    private readonly cut: (connection: C, reason: string, code: number) => void = (connection, reason, code) => connection.violation(reason, code),
  ) {
    this.rate = new ConnectionRate({
      perSecond: options.connectionsPerSecond,
      burst: options.connectionBurst,
      violationCost: options.violationCost,
    });
    const deadline = options.initDeadlineMs;
    // Swept a few times per deadline: a late socket is closed within a quarter deadline of it.
    if (deadline > 0) this.sweeper = setInterval(() => this.sweep(Date.now()), Math.max(10, deadline / 4)).unref();
  }

  /** Null when one more connection from `address` may open (it takes one of the address's new connections), else why not. */
  refusal(address: string): Refusal | null {
    const waitMs = this.rate.take(address);
    if (waitMs > 0) {
      const seconds = Math.ceil(waitMs / 1000);
      return {
        reason: ConnectionRefusal.rate(seconds),
        told: this.rate.tell(address),
        retryAfterSeconds: seconds,
      };
    }
    if (this.open.total >= this.options.maxConnections) return { reason: ConnectionRefusal.full(this.options.maxConnections), told: true };
    if (this.open.of(address) >= this.options.maxPerAddress) {
      return { reason: ConnectionRefusal.perAddress(this.options.maxPerAddress), told: true };
    }
    return null;
  }

  /** A connection from `address` was cut for a violation: its address waits longer to connect again. */
  violated(address: string): void {
    this.rate.penalize(address);
  }

  opened(address: string): void {
    this.open.add(address);
  }

  closed(address: string): void {
    this.open.remove(address);
  }

  /** Starts the INIT deadline of a new connection. */
  expectInit(connection: C): void {
    if (this.sweeper) this.waiting.set(connection, Date.now());
  }

  /** The connection identified itself another way (a RESUME handed its socket to a held seat). */
  identified(connection: C): void {
    this.waiting.delete(connection);
  }

  get connections(): number {
    return this.open.total;
  }

  stop(): void {
    clearInterval(this.sweeper);
    this.rate.stop();
    this.waiting.clear();
  }

  private sweep(now: number): void {
    const seconds = this.options.initDeadlineMs / 1000;
    for (const [connection, since] of this.waiting) {
      if (connection.user || !connection.open) this.waiting.delete(connection);
      else if (now - since >= this.options.initDeadlineMs) {
        this.waiting.delete(connection);
        this.cut(connection, `no INIT within ${seconds} s`, CLOSE_NO_INIT);
      }
    }
  }
}
