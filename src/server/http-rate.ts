// HTTP requests per remote address (the status page, health, metrics, the extension file). Each takes a
// token from its address's budget; past it a request gets 429 with the wait, and its connection is not
// read again until then (http.ts; closed instead behind a proxy), and each refusal puts the address a token
// into debt (at most a burst's worth). While an address is in debt its new TCP connections are closed
// before a byte of them is parsed: a flood of requests then costs the server an accept each, not a
// request (parsing, routing and a 429).
import { AddressBudgets } from './address-budget.js';

export interface HttpRateOptions {
  /** Requests per second from one address, refilled continuously (0 = no limit). */
  perSecond: number;
  /** ...and at once, from a full budget (a class behind one router loading the extension). */
  burst: number;
}

export const DEFAULT_HTTP_RATE: HttpRateOptions = { perSecond: 32, burst: 256 };

export class HttpRate {
  private readonly budgets: AddressBudgets | null;

  constructor(readonly options: HttpRateOptions) {
    this.budgets = options.perSecond > 0 ? new AddressBudgets({ perSecond: options.perSecond, burst: Math.max(1, options.burst) }) : null;
  }

  /** Takes a token for one request from `address`: 0 when it may be answered, else the milliseconds until one would be. */
  take(address: string): number {
    if (!this.budgets || this.budgets.take(address)) return 0;
    this.budgets.spend(address, 1, -this.options.burst);
    return this.budgets.waitMs(address);
  }

  /** Whether a new connection from `address` is closed at once: its requests were refused and it is still in debt. */
  shuts(address: string): boolean {
    return this.budgets !== null && this.budgets.waitMs(address) > 1000 / this.options.perSecond;
  }

  stop(): void {
    this.budgets?.stop();
  }
}
