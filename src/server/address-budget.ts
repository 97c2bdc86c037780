// One packet budget per remote address, shared by all its connections, beside each connection's own
// (rate-limit.ts): reconnecting does not refill it, and forty connections from one address get the
// budget of one address, not forty connections. Buckets of addresses that went quiet are forgotten.
import { RateLimiter, type RateLimitOptions } from './rate-limit.js';

export class AddressBudgets {
  private readonly buckets = new Map<string, { limiter: RateLimiter; lastUsed: number }>();
  private readonly sweeper: ReturnType<typeof setInterval>;

  constructor(
    private readonly options: RateLimitOptions,
    private readonly now: () => number = Date.now,
  ) {
    // A bucket unused for as long as it takes to refill is full again: forgetting it changes nothing.
    const refillMs = Math.max(1000, (options.burst / options.perSecond) * 1000);
    this.sweeper = setInterval(() => this.forgetQuiet(refillMs), refillMs).unref();
  }

  /** Takes one packet from the address's budget: false when it is spent. */
  take(address: string): boolean {
    const now = this.now();
    let bucket = this.buckets.get(address);
    if (!bucket) {
      bucket = { limiter: new RateLimiter({ ...this.options, strikesBeforeViolation: Infinity }, this.now), lastUsed: now };
      this.buckets.set(address, bucket);
    }
    bucket.lastUsed = now;
    return bucket.limiter.take() === 'ok';
  }

  stop(): void {
    clearInterval(this.sweeper);
  }

  private forgetQuiet(refillMs: number): void {
    const now = this.now();
    for (const [address, bucket] of this.buckets) if (now - bucket.lastUsed >= refillMs) this.buckets.delete(address);
  }
}
