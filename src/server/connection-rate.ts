// New connections per remote address. Each one takes a token from its address's bucket (a full bucket:
// a classroom behind one router opening the project at once; refilled at `perSecond`). A connection the
// server cuts for a violation costs its address `violationCost` tokens more, down to a debt of one bucket:
// without that, reconnecting is how a flooder gets a fresh connection limit, and each new connection
// costs the server an upgrade, an INIT and whatever it floods before it is cut again. An address that
// only connects pays one token a connection, and none of this touches connections already open.
import { AddressBudgets } from './address-budget.js';

export interface ConnectionRateOptions {
  /** New connections per second from one address, refilled continuously (0 = no limit). */
  perSecond: number;
  /** ...and at once, from a full bucket. */
  burst: number;
  /** Tokens a connection cut for a violation costs its address, on top of its own. */
  violationCost: number;
}

export const DEFAULT_CONNECTION_RATE: ConnectionRateOptions = { perSecond: 16, burst: 128, violationCost: 16 };

/**
 * Refusals of one address told why (an upgrade, then a WebSocket close with the reason), a second and at once;
 * the rest get a bare HTTP 429, which costs the server no upgrade.
 */
export const TOLD_REFUSALS = { perSecond: 1, burst: 5 };

export class ConnectionRate {
  /** New connections per address; null when unlimited. */
  private readonly connections: AddressBudgets | null;
  /** Whether a refusal is told (TOLD_REFUSALS). */
  private readonly told: AddressBudgets;

  constructor(
    readonly options: ConnectionRateOptions,
    now: () => number = Date.now,
  ) {
    this.connections = options.perSecond > 0 ? new AddressBudgets({ perSecond: options.perSecond, burst: Math.max(1, options.burst) }, now) : null;
    this.told = new AddressBudgets(TOLD_REFUSALS, now);
  }

  /** Takes a token for one more connection from `address`: 0 when it may connect, else the milliseconds until it may. */
  take(address: string): number {
    if (!this.connections || this.connections.take(address)) return 0;
    return this.connections.waitMs(address);
  }

  /** A connection from `address` was cut for a violation. */
  penalize(address: string): void {
    if (this.options.violationCost <= 0) return;
    this.connections?.spend(address, this.options.violationCost, -this.options.burst);
  }

  /** Whether this refusal of `address` is told with its reason (TOLD_REFUSALS). */
  tell(address: string): boolean {
    return this.told.take(address);
  }

  stop(): void {
    this.connections?.stop();
    this.told.stop();
  }
}
