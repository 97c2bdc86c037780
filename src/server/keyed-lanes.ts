// Tasks run one at a time per key (a lobby, a remote address), in arrival order. A key that already
// has `maxQueued` tasks waiting refuses more, so a queue cannot grow without bound.
export class KeyedLanes {
  private readonly lanes = new Map<string, { queued: number; tail: Promise<unknown> }>();

  constructor(private readonly maxQueued: number) {}

  /** Runs `task` after the earlier tasks of `key`; null (not run) when the lane is full. */
  run<T>(key: string, task: () => Promise<T>): Promise<T> | null {
    let lane = this.lanes.get(key);
    if (!lane) {
      lane = { queued: 0, tail: Promise.resolve() };
      this.lanes.set(key, lane);
    }
    if (lane.queued > this.maxQueued) return null;
    lane.queued++;
    const result = lane.tail.then(task);
    const settled = result.then(
      () => undefined,
      () => undefined,
    );
    lane.tail = settled;
    const held = lane;
    void settled.then(() => {
      held.queued--;
      if (held.queued === 0) this.lanes.delete(key);
    });
    return result;
  }

  /** Keys with a task running or waiting. */
  get size(): number {
    return this.lanes.size;
  }
}
