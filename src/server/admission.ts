// Who may hold a connection open: a cap on all connections and on those from one address (a flood of
// sockets cannot exhaust memory or file descriptors), and a deadline for INIT (a socket that never
// says who it is does not stay open just by answering pings).
import { KeyedCounts } from './keyed-counts.js';

export interface AdmissionOptions {
  /** Open WebSocket connections the server accepts in all. */
  maxConnections: number;
  /** ...and from one remote address (players behind one NAT share it: keep room for a classroom). */
  maxPerAddress: number;
  /** How long a connection may stay open without a successful INIT (or RESUME). 0 = no deadline. */
  initDeadlineMs: number;
}

export const DEFAULT_ADMISSION: AdmissionOptions = { maxConnections: 20_000, maxPerAddress: 256, initDeadlineMs: 10_000 };

/** Close code for a refused connection: 1013 "try again later". */
export const CLOSE_TRY_LATER = 1013;
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

  /** `cut` closes a connection that missed the deadline (the server paces many at once: paced-cuts.ts). */
  constructor(
    readonly options: AdmissionOptions,
    private readonly cut: (connection: C, reason: string, code: number) => void = (connection, reason, code) => connection.violation(reason, code),
  ) {
    const deadline = options.initDeadlineMs;
    // Swept a few times per deadline: a late socket is closed within a quarter deadline of it.
    if (deadline > 0) this.sweeper = setInterval(() => this.sweep(Date.now()), Math.max(10, deadline / 4)).unref();
  }

  /** Null when one more connection from `address` may open, else the reason it may not. */
  refusal(address: string): string | null {
    if (this.open.total >= this.options.maxConnections) return `server full (limit ${this.options.maxConnections} connections)`;
    if (this.open.of(address) >= this.options.maxPerAddress) {
      return `too many connections from your address (limit ${this.options.maxPerAddress})`;
    }
    return null;
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
