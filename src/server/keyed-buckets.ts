// Token buckets by key (a remote address, a lobby), refilled continuously up to `size`. Only keys
// that spent something recently are held: sweep() forgets the buckets that are full again, which
// changes nothing, since a missing key reads as a full bucket.
export class KeyedBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly size: number,
    /** Tokens added per millisecond. */
    private readonly perMs: number,
  ) {}

  /** How long an empty bucket takes to fill: sweeping that often keeps the map small. */
  get refillMs(): number {
    return this.size / this.perMs;
  }

  /** Milliseconds until one token is there (0: now). */
  waitMs(key: string, now: number): number {
    const tokens = this.level(key, now);
    return tokens >= 1 ? 0 : Math.ceil((1 - tokens) / this.perMs);
  }

  /** Takes one token if there is one. */
  take(key: string, now: number): boolean {
    if (this.level(key, now) < 1) return false;
    this.spend(key, now);
    return true;
  }

  /** Spends `amount` tokens (one by default), into debt if need be; returns what is left. */
  spend(key: string, now: number, amount = 1): number {
    const tokens = this.level(key, now) - amount;
    this.buckets.set(key, { tokens, at: now });
    return tokens;
  }

  sweep(now: number): void {
    for (const key of this.buckets.keys()) if (this.level(key, now) >= this.size) this.buckets.delete(key);
  }

  private level(key: string, now: number): number {
    const bucket = this.buckets.get(key);
    return bucket ? Math.min(this.size, bucket.tokens + (now - bucket.at) * this.perMs) : this.size;
  }
}
