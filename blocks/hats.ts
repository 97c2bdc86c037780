// Event hats that really filter by their arguments, and lose no event.
// A hat is a non-edge-activated predicate: `fire` starts every instance of it, and each instance's
// predicate compares ITS arguments with the event, so "when I get a broadcast on channel [chat]"
// runs only for chat. The event is kept on each started thread, so reporters inside the script see
// the event that started it. Scratch will not start a hat whose script is still running; such an
// instance gets the event later, once its script has finished (checked every frame), so two
// players joining in the same frame run "when a player joins" twice, in order.
// (TurboWarp evaluates the predicate inside startHats, vanilla Scratch a moment later: both read the
// delivery from the thread, or `current` while startHats runs.)
// The thread fields read here (`runtime.threads`, a thread's `topBlock`, `target`, `status`,
// `stackClick`, the threads startHats returns) are VM internals, not extension API: scratch-vm and
// @turbowarp/packager (TurboWarp's VM) are pinned exactly, and test/contracts/vm-threads.test.ts
// checks each field in both VMs. (turbowarp.org itself updates on its own schedule: upgrade the
// packager now and then so the test sees what players run.)
import type { HatName, HatPayloads } from './hat-events.js';
import type { BlockUtil, ScratchRuntime, ScratchTarget, ScratchThread } from './scratch.js';
import { onEveryFrame } from './sync/frame-hook.js';

export const EXTENSION_ID = 'cloudlink5';
const STATUS_DONE = 4;

interface Instance {
  target: ScratchTarget;
  block: string;
}

interface Delivery {
  /** The hat (short opcode, e.g. 'whenBroadcast') this event was fired for. */
  hat: HatName;
  event: unknown;
  /** Set when the event is for one hat instance that was busy when it arrived. */
  only?: Instance;
}

type Thread = ScratchThread & { topBlock?: string; status?: number; stackClick?: boolean; cl5Delivery?: Delivery };

const MAX_WAITING = 10_000;

export class HatEvents {
  private current: Delivery | null = null;
  private readonly waiting: (Instance & { opcode: string; hat: HatName; event: unknown })[] = [];

  constructor(private readonly runtime: ScratchRuntime) {
    onEveryFrame(runtime, () => this.pump());
  }

  /** Starts every instance of `hat` (short opcode) for this event; the payload's type is the hat's in HatPayloads. */
  fire<K extends HatName>(hat: K, event: HatPayloads[K]): void {
    const full = `${EXTENSION_ID}_${hat}`;
    const busy = this.busy(full);
    this.start(full, { hat, event });
    for (const instance of busy) {
      if (this.waiting.length >= MAX_WAITING) this.waiting.shift();
      this.waiting.push({ opcode: full, hat, ...instance, event });
    }
  }

  /**
   * For the predicate of hat `hat`: whether this instance should run for the event being
   * delivered to that hat; the event, if so.
   */
  accepts<K extends HatName>(util: BlockUtil, hat: K): HatPayloads[K] | null {
    const thread = util.thread as Thread | undefined;
    const delivery = thread?.cl5Delivery ?? this.current;
    if (!delivery || delivery.hat !== hat) return null;
    if (delivery.only && (delivery.only.block !== thread?.topBlock || delivery.only.target !== thread?.target)) return null;
    return delivery.event as HatPayloads[K];
  }

  /**
   * The event that started this thread (for reporters inside a hat's script), if one of `hats`
   * (short opcodes) started it; null outside such a script, so the reporter can show the latest.
   */
  eventOf<K extends HatName>(util: BlockUtil | undefined, ...hats: K[]): HatPayloads[K] | null {
    const thread = util?.thread as Thread | undefined;
    const delivery = thread?.cl5Delivery ?? this.current;
    if (!delivery || (hats.length > 0 && !(hats as HatName[]).includes(delivery.hat))) return null;
    return (delivery.event as HatPayloads[K] | undefined) ?? null;
  }

  private start(opcode: string, delivery: Delivery, target?: ScratchTarget): void {
    // Restore (not clear) on the way out: an event fired from inside startHats (a predicate or a
    // listener that emits synchronously) must not rob the outer delivery of its event.
    const outer = this.current;
    this.current = delivery;
    try {
      const threads = (this.runtime.startHats(opcode, undefined, target) ?? []) as Thread[];
      for (const thread of threads) thread.cl5Delivery = delivery;
    } finally {
      this.current = outer;
    }
  }

  /** Instances of this hat whose script is running now. */
  private busy(opcode: string): Instance[] {
    const threads = ((this.runtime as { threads?: Thread[] }).threads ?? []) as Thread[];
    const running: Instance[] = [];
    for (const thread of threads) {
      if (thread.status === STATUS_DONE || thread.stackClick || !thread.topBlock) continue;
      const blocks = (thread.target as ScratchTarget & { blocks?: { getBlock(id: string): { opcode: string } | undefined } }).blocks;
      if (blocks?.getBlock(thread.topBlock)?.opcode === opcode) running.push({ target: thread.target, block: thread.topBlock });
    }
    return running;
  }

  /** Each frame: give waiting events to the instances that have finished, oldest first. */
  private pump(): void {
    if (this.waiting.length === 0) return;
    const startedNow = new Set<string>();
    for (let i = 0; i < this.waiting.length; ) {
      const entry = this.waiting[i]!;
      const key = `${entry.target.id}/${entry.block}`;
      const stillBusy = startedNow.has(key) || this.busy(entry.opcode).some((b) => b.block === entry.block && b.target === entry.target);
      if (stillBusy) {
        startedNow.add(key); // keep this instance's events in order
        i += 1;
        continue;
      }
      this.waiting.splice(i, 1);
      startedNow.add(key);
      this.start(entry.opcode, { hat: entry.hat, event: entry.event, only: { target: entry.target, block: entry.block } }, entry.target);
    }
  }
}
