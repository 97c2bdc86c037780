// Per-connection token bucket. Excess packets are rejected (WARNING); a client that keeps
// flooding after many rejections within a window is cut off (VIOLATION).
export interface RateLimitOptions {
  perSecond: number;
  burst: number;
  strikesBeforeViolation: number;
}

export type RateVerdict = 'ok' | 'limited' | 'violation';

export class RateLimiter {
  private tokens: number;
  private last: number;
  private strikes = 0;
  private strikeWindowStart = 0;
  private lastWarning = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly options: RateLimitOptions,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = options.burst;
    this.last = now();
  }

  take(): RateVerdict {
    const now = this.now();
    this.tokens = Math.min(this.options.burst, this.tokens + ((now - this.last) / 1000) * this.options.perSecond);
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 'ok';
    }
    return this.strike(now);
  }

  /** A packet refused for another reason (its address's budget is spent) counts like one over this limit. */
  strike(now = this.now()): RateVerdict {
    // Strikes are counted per 10 s window so an occasional burst never adds up to a ban.
    if (now - this.strikeWindowStart > 10_000) {
      this.strikeWindowStart = now;
      this.strikes = 0;
    }
    this.strikes += 1;
    return this.strikes > this.options.strikesBeforeViolation ? 'violation' : 'limited';
  }

  /**
   * Whether a refused packet nobody waits for (no listener) is answered: the first in each second is,
   * the rest are only counted, so a flood cannot make the server write a WARNING per packet.
   */
  warnNow(now = this.now()): boolean {
    if (now - this.lastWarning < 1000) return false;
    this.lastWarning = now;
    return true;
  }
}
