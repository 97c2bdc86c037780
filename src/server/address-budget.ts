// A budget per remote address, shared by all its connections, beside each connection's own: packets
// (rate-limit.ts; reconnecting does not refill it, and forty connections from one address get the
// budget of one address, not forty connections), bytes read (turn-share.ts), or new connections
// (connection-rate.ts). Buckets of addresses that went quiet are forgotten.
import { KeyedBuckets } from './keyed-buckets.js';

export class AddressBudgets {
  private readonly buckets: KeyedBuckets;
  private readonly sweeper: ReturnType<typeof setInterval>;

  constructor(
    options: { perSecond: number; burst: number },
    private readonly now: () => number = Date.now,
  ) {
    this.buckets = new KeyedBuckets(options.burst, options.perSecond / 1000);
    this.sweeper = setInterval(() => this.buckets.sweep(this.now()), Math.max(1000, this.buckets.refillMs)).unref();
  }

  /** Takes one from the address's budget: false when it is spent. */
  take(address: string): boolean {
    return this.buckets.take(address, this.now());
  }

  /** Spends `amount` from the address's budget, into debt if need be (not below `floor`); returns what is left. */
  spend(address: string, amount: number, floor?: number): number {
    return this.buckets.spend(address, this.now(), amount, floor);
  }

  /** Milliseconds until the address's budget holds one again (0: now). */
  waitMs(address: string): number {
    return this.buckets.waitMs(address, this.now());
  }

  stop(): void {
    clearInterval(this.sweeper);
  }
}
