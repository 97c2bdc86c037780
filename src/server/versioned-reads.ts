// Reads of a store that other processes change, kept per key for as long as the key's version (itself
// cheap to read) stays what it was: a read that costs a whole game is paid once per change, not per
// request. Reads of the same version share one answer, even while it is on its way. A kept read is
// also read again once it is `maxAgeMs` old: a writer that does not move the version (a node of an
// older version, during a rolling update) leaves it stale for no longer than that.

export class VersionedReads<T> {
  readonly #kept = new Map<string, { version: string; value: Promise<T>; readAt: number }>();

  /** @param capacity keys kept at most; the one asked for longest ago goes first. */
  constructor(
    private readonly capacity: number,
    private readonly maxAgeMs: number,
  ) {}

  /** What `read` answers for `key` at `version`; null: nothing to go by, so read every time and keep nothing. */
  get(key: string, version: string | null, read: () => Promise<T>): Promise<T> {
    let entry = this.#kept.get(key);
    this.#kept.delete(key);
    if (version === null) return read();
    const now = performance.now();
    if (entry?.version !== version || now - entry.readAt >= this.maxAgeMs) {
      const fresh = { version, value: read(), readAt: now };
      // A failed read is not kept: the next one tries again.
      fresh.value.catch(() => {
        if (this.#kept.get(key) === fresh) this.#kept.delete(key);
      });
      entry = fresh;
    }
    this.#kept.set(key, entry);
    if (this.#kept.size > this.capacity) this.#kept.delete(this.#kept.keys().next().value!);
    return entry.value;
  }
}
