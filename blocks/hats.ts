// Event hats that really filter by their arguments, and keep up with any number of events.
// A hat is a non-edge-activated predicate: `fire` starts every instance of it, and each instance's
// predicate compares ITS arguments with the event, so "when I get a broadcast on channel [chat]"
// runs only for chat. The event is kept on each started thread, so reporters inside the script see
// the event that started it.
//
// Scratch will not start a hat whose script is still running (one thread per hat block). Such an
// instance keeps the event, and the moment its script finishes — in the middle of a frame, seen
// through the sequencer's stepThread (./thread-hook.ts) — it is started again for the next kept
// event, and again after that one: the new thread is stepped in the same tick. So ten messages that
// arrived between two frames run the hat ten times, in order, in the next frame, as long as its
// script does not wait. An event fired with `newestBy` replaces a kept (or started but not yet run)
// event with the same key instead of queueing behind it: on fast channels only the newest message
// per sender runs, for data changes only the latest per id. A frame pump starts what is left (an
// instance freed by "stop", or past the per-frame cap).
// (TurboWarp evaluates the predicate inside startHats, vanilla Scratch a moment later: both read the
// delivery from the thread, or `current` while startHats runs.)
// Hats are never started while a block runs: TurboWarp's docs warn that `runtime.startHats` inside a
// block can break the running script. An event that happens during a block (its failure becomes the
// error event; a connect that emits at once) waits until that thread's step ends (or the frame ends,
// where no step hook exists), then starts its hats; later events queue behind it, so order holds.
// The thread fields read here (`runtime.threads`, a thread's `topBlock`, `target`, `status`,
// `stack`, `stackClick`, the threads startHats returns, `runtime.sequencer.stepThread`) are VM
// internals, not extension API: scratch-vm and @turbowarp/packager (TurboWarp's VM) are pinned
// exactly, and test/contracts/vm-threads.test.ts checks each field in both VMs. (turbowarp.org itself
// updates on its own schedule: upgrade the packager now and then so the test sees what players run.)
import type { HatName, HatPayloads } from './hat-events.js';
import type { BlockUtil, ScratchRuntime, ScratchTarget, ScratchThread } from './scratch.js';
import { onEveryFrame } from './sync/frame-hook.js';
import { onEveryStep } from './thread-hook.js';

import { id } from './metadata.json';

export const EXTENSION_ID = id;
const STATUS_DONE = 4;
/** Kept events one instance runs back to back in one frame; more wait for the next frame (a flood cannot freeze a frame). */
const MAX_RUNS_PER_FRAME = 1000;
/** Events kept for one busy instance; past this the oldest are dropped. */
const MAX_WAITING = 10_000;

export interface FireOptions {
  /** Kept events with the same key replace each other: only the newest runs (e.g. kind, sender and channel of a fast message). */
  newestBy?: string;
}

interface Instance {
  target: ScratchTarget;
  block: string;
}

interface Delivery {
  /** The hat (short opcode, e.g. 'whenBroadcast') this event was fired for. */
  hat: HatName;
  event: unknown;
  newestBy?: string;
  /** Set when the event is for one hat instance that was busy when it arrived. */
  only?: Instance;
}

/** The events kept for one busy hat instance, oldest first. */
interface Kept extends Instance {
  opcode: string;
  events: Delivery[];
  runsThisFrame: number;
}

type Thread = ScratchThread & {
  topBlock?: string;
  status?: number;
  stack?: unknown[];
  stackClick?: boolean;
  cl5Delivery?: Delivery;
  /** Started for its delivery and not stepped yet: a newer event with the same key may take its place. */
  cl5Fresh?: boolean;
};

const keyOf = (target: ScratchTarget, block: string) => `${target.id}\n${block}`;

export class HatEvents {
  private current: Delivery | null = null;
  private readonly kept = new Map<string, Kept>();
  /** Blocks running now (a block can call another extension's block through the VM, hence a count). */
  private blocksRunning = 0;
  /** Events fired while a block ran, started once it is over. */
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly runtime: ScratchRuntime) {
    onEveryFrame(runtime, () => {
      this.startWaiting();
      this.pump();
    });
    onEveryStep(runtime, {
      before: (thread: Thread) => {
        thread.cl5Fresh = false;
      },
      after: (thread: Thread) => {
        this.startWaiting();
        if (!thread.cl5Delivery || !finished(thread) || !thread.topBlock) return;
        const kept = this.kept.get(keyOf(thread.target, thread.topBlock));
        if (kept) this.drain(kept);
      },
    });
  }

  /** Runs a block's code; events it fires wait until the block is over (see the top of this file). */
  duringBlock<T>(run: () => T): T {
    this.blocksRunning += 1;
    try {
      return run();
    } finally {
      this.blocksRunning -= 1;
    }
  }

  /** Starts every instance of `hat` (short opcode) for this event; the payload's type is the hat's in HatPayloads. */
  fire<K extends HatName>(hat: K, event: HatPayloads[K], options: FireOptions = {}): void {
    if (this.blocksRunning > 0 || this.waiting.length > 0) {
      this.waiting.push(() => this.fireNow(hat, event, options));
      if (this.blocksRunning === 0) this.startWaiting();
      return;
    }
    this.fireNow(hat, event, options);
  }

  private startWaiting(): void {
    if (this.blocksRunning > 0) return;
    // One at a time from the front: an event fired by a hat's predicate queues behind the rest.
    while (this.waiting.length > 0) this.waiting.shift()!();
  }

  private fireNow<K extends HatName>(hat: K, event: HatPayloads[K], options: FireOptions): void {
    const opcode = `${EXTENSION_ID}_${hat}`;
    const delivery: Delivery = { hat, event, newestBy: options.newestBy };
    // An instance freed since (its script was stopped) first runs the events it kept: order holds.
    for (const kept of this.kept.values()) if (kept.opcode === opcode) this.drain(kept);
    const busy = this.running(opcode);
    this.start(opcode, delivery);
    for (const thread of busy) this.keep(opcode, thread, delivery);
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
      for (const thread of threads) {
        thread.cl5Delivery = delivery;
        thread.cl5Fresh = true;
      }
    } finally {
      this.current = outer;
    }
  }

  /** A busy instance keeps the event (or, with `newestBy`, lets it replace an older one of the same key). */
  private keep(opcode: string, thread: Thread, delivery: Delivery): void {
    const block = thread.topBlock!;
    const key = keyOf(thread.target, block);
    let kept = this.kept.get(key);
    const { newestBy } = delivery;
    if (newestBy !== undefined) {
      // Its thread has not run yet: let it run with this newer event instead (the predicate's
      // answer is the same, it depends only on what the key names).
      const started = thread.cl5Delivery;
      if (thread.cl5Fresh && started?.newestBy === newestBy) {
        thread.cl5Delivery = { ...delivery, only: started.only };
        return;
      }
      const older = kept?.events.findIndex((e) => e.newestBy === newestBy) ?? -1;
      if (older >= 0) kept!.events.splice(older, 1);
    }
    if (!kept) {
      kept = { opcode, target: thread.target, block, events: [], runsThisFrame: 0 };
      this.kept.set(key, kept);
    }
    if (kept.events.length >= MAX_WAITING) kept.events.shift();
    kept.events.push(delivery);
  }

  /** Starts the instance for its kept events, one after another while each run ends at once (a rejected event ends at once too). */
  private drain(kept: Kept): void {
    while (kept.events.length > 0 && kept.runsThisFrame < MAX_RUNS_PER_FRAME && !this.isRunning(kept)) {
      const next = kept.events.shift()!;
      kept.runsThisFrame += 1;
      this.start(kept.opcode, { ...next, only: { target: kept.target, block: kept.block } }, kept.target);
    }
    if (kept.events.length === 0) this.kept.delete(keyOf(kept.target, kept.block));
  }

  /** Threads of this hat's instances that are running now (at most one per instance). */
  private running(opcode: string): Thread[] {
    const threads = ((this.runtime as { threads?: Thread[] }).threads ?? []) as Thread[];
    return threads.filter((thread) => {
      if (finished(thread) || thread.stackClick || !thread.topBlock) return false;
      const blocks = (thread.target as ScratchTarget & { blocks?: { getBlock(id: string): { opcode: string } | undefined } }).blocks;
      return blocks?.getBlock(thread.topBlock)?.opcode === opcode;
    });
  }

  private isRunning(instance: Kept): boolean {
    return this.running(instance.opcode).some((t) => t.topBlock === instance.block && t.target === instance.target);
  }

  /** After each frame: a new per-frame budget, and instances freed outside a step (stopped) get their events. */
  private pump(): void {
    for (const kept of this.kept.values()) {
      kept.runsThisFrame = 0;
      this.drain(kept);
    }
  }
}

function finished(thread: Thread): boolean {
  return thread.status === STATUS_DONE || thread.stack?.length === 0;
}
