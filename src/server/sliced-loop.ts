// Work over many items (a NEW_LOBBY batch to thousands of idle sockets) that must not hold the event
// loop: at most `sliceMs` of it per turn, then the rest on a later turn (setImmediate: after the I/O
// that waits), so other players' requests are answered between slices. Each write to a socket costs
// ~10 µs (mostly the system call), so a batch to 10,000 idle players is ~100 ms: in 1 ms slices.

export class SlicedLoop<T> {
  private immediate: ReturnType<typeof setImmediate> | undefined;
  private running = false;
  /**
   * What the slices cost so far, in ms: per slice the lesser of its wall time (inflated when other
   * processes take the core) and the process's CPU time (inflated when its other threads work).
   */
  spentMs = 0;

  /**
   * `items` is read as it goes: an item added behind (a Map's new entry) is visited, one removed
   * before its turn is not. `done` is called once, after the last item (not if stopped).
   */
  constructor(
    private readonly items: Iterator<T>,
    private readonly each: (item: T) => void,
    private readonly sliceMs: number,
    private readonly done: (loop: SlicedLoop<T>) => void,
  ) {}

  /** Runs the first slice now. */
  start(): void {
    this.running = true;
    this.slice();
  }

  /** No further slice runs; `done` is not called. */
  stop(): void {
    this.running = false;
    if (this.immediate) clearImmediate(this.immediate);
    this.immediate = undefined;
  }

  private readonly slice = (): void => {
    this.immediate = undefined;
    const from = performance.now();
    const cpuFrom = process.cpuUsage();
    let next = this.running ? this.items.next() : undefined;
    while (next && !next.done && this.running) {
      this.each(next.value);
      if (performance.now() - from >= this.sliceMs) break;
      next = this.items.next();
    }
    const now = performance.now();
    const cpu = process.cpuUsage(cpuFrom);
    this.spentMs += Math.min(now - from, (cpu.user + cpu.system) / 1000);
    if (!this.running) return; // stopped, maybe by an item
    if (next && !next.done) {
      this.immediate = setImmediate(this.slice);
      return;
    }
    this.running = false;
    this.done(this);
  };
}
