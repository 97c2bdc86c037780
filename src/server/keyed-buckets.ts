// Token buckets by key (a remote address, a lobby), refilled continuously up to `size`. Only keys
// that spent something recently are held: sweep() forgets the buckets that are full again, which
// changes nothing, since a missing key reads as a full bucket.
interface Bucket {
  tokens: number;
  at: number;
}

export class KeyedBuckets {
  private readonly buckets = new Map<string, Bucket>();

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

  /** Takes `amount` tokens (one by default) if they are there. */
  take(key: string, now: number, amount = 1): boolean {
    // On every packet (the per-address budget): one lookup, and the bucket updated in place, not replaced.
    const bucket = this.buckets.get(key);
    const tokens = this.fill(bucket, now);
    if (tokens < amount) return false;
    this.put(key, bucket, tokens - amount, now);
    return true;
  }

  /** Spends `amount` tokens (one by default), into debt if need be, but not below `floor`; returns what is left. */
  spend(key: string, now: number, amount = 1, floor = Number.NEGATIVE_INFINITY): number {
    const bucket = this.buckets.get(key);
    const tokens = Math.max(floor, this.fill(bucket, now) - amount);
    this.put(key, bucket, tokens, now);
    return tokens;
  }

  /** Whether `key` has spent nothing lately (its bucket is full again). */
  isFull(key: string, now: number): boolean {
    return this.level(key, now) >= this.size;
  }

  sweep(now: number): void {
    for (const key of this.buckets.keys()) if (this.isFull(key, now)) this.buckets.delete(key);
  }

  private level(key: string, now: number): number {
    return this.fill(this.buckets.get(key), now);
  }

  private fill(bucket: Bucket | undefined, now: number): number {
    return bucket ? Math.min(this.size, bucket.tokens + (now - bucket.at) * this.perMs) : this.size;
  }

  private put(key: string, bucket: Bucket | undefined, tokens: number, now: number): void {
    if (!bucket) return void this.buckets.set(key, { tokens, at: now });
    bucket.tokens = tokens;
    bucket.at = now;
  }
}
