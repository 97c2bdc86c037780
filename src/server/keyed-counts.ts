// Counts by key and their total (connections per address, relay negotiation slots per address): a key
// whose count is back to 0 is forgotten, so the map holds only the keys that count something.
export class KeyedCounts {
  private readonly counts = new Map<string, number>();
  private sum = 0;

  /** All keys' counts together. */
  get total(): number {
    return this.sum;
  }

  of(key: string): number {
    return this.counts.get(key) ?? 0;
  }

  add(key: string): void {
    this.counts.set(key, this.of(key) + 1);
    this.sum += 1;
  }

  remove(key: string): void {
    const left = this.of(key) - 1;
    if (left > 0) this.counts.set(key, left);
    else this.counts.delete(key);
    this.sum -= 1;
  }

  clear(): void {
    this.counts.clear();
    this.sum = 0;
  }
}
