// Per-key chains of asynchronous steps (encrypting, decrypting) that must finish in the order they
// were started. While a key's chain is empty, callers may take a synchronous fast path.
export class OrderedQueues {
  private readonly queues = new Map<string, Promise<void>>();

  busy(key: string): boolean {
    return this.queues.has(key);
  }

  run(key: string, step: () => Promise<void>, failed: (error: Error) => void): void {
    const next = (this.queues.get(key) ?? Promise.resolve()).then(step).catch(failed);
    this.queues.set(key, next);
    // Forget a drained chain, so the fast path applies again.
    void next.then(() => {
      if (this.queues.get(key) === next) this.queues.delete(key);
    });
  }

  forget(key: string): void {
    this.queues.delete(key);
  }
}
