// The frames last sent to one player, so a resumed connection gets exactly those its client never
// received: the ones written to a connection already dead (before the server noticed) and the ones
// sent while the seat was held. The client says how many frames it received (RESUME `received`);
// frames are counted from the player's first one. Bounded in bytes: a gap means no faithful resume.

export class ReplayWindow {
  private frames: string[] = [];
  /** Index in `frames` of the oldest frame still kept (the ones before it are dropped). */
  private head = 0;
  private bytes = 0;
  /** Frames recorded so far: the number of the newest. */
  private count = 0;

  constructor(private limit: number) {}

  /** Frames recorded so far. */
  get recorded(): number {
    return this.count;
  }

  record(frame: string): void {
    this.frames.push(frame);
    this.bytes += frame.length;
    this.count += 1;
    this.trim();
  }

  /** A new bound (larger while the player is away); the oldest frames go first. */
  setLimit(limit: number): void {
    this.limit = limit;
    this.trim();
  }

  /** The frames after the first `received`, in order; null when some of them are no longer kept (or `received` is impossible). */
  after(received: number): string[] | null {
    const kept = this.frames.length - this.head;
    const oldestKept = this.count - kept + 1;
    if (!Number.isInteger(received) || received > this.count || received < oldestKept - 1) return null;
    return this.frames.slice(this.head + received - (oldestKept - 1));
  }

  private trim(): void {
    while (this.bytes > this.limit && this.head < this.frames.length) {
      this.bytes -= this.frames[this.head]!.length;
      this.frames[this.head] = '';
      this.head += 1;
    }
    // Compact now and then, so dropped slots do not pile up.
    if (this.head > 256 && this.head * 2 > this.frames.length) {
      this.frames = this.frames.slice(this.head);
      this.head = 0;
    }
  }
}
