// Event hats that really filter by their arguments. A hat is a non-edge-activated predicate:
// `fire` starts every instance of it, and each instance's predicate compares ITS arguments with
// the event, so "when I get a broadcast on channel [chat]" runs only for chat. The event is kept
// on each started thread, so reporters inside the script see the event that started it.
// (TurboWarp evaluates the predicate inside startHats; vanilla Scratch a moment later — both read
// `current` or the thread's event.)
import type { BlockUtil, ScratchRuntime } from './scratch.js';

export const EXTENSION_ID = 'cloudlink5';

export class HatEvents {
  private current: unknown = null;

  constructor(private readonly runtime: ScratchRuntime) {}

  fire(opcode: string, event: object): void {
    this.current = event;
    try {
      const threads = this.runtime.startHats(`${EXTENSION_ID}_${opcode}`) ?? [];
      for (const thread of threads) thread.cl5Event = event;
    } finally {
      this.current = null;
    }
  }

  /** The event that started this thread (or is being matched right now). */
  eventOf<T>(util: BlockUtil): T | null {
    return ((util.thread?.cl5Event ?? this.current) as T | null) ?? null;
  }
}
