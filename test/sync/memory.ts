// In-memory stores and a network whose delivery order the test controls.
import { decodePeerMessage, encodePeerMessage } from '../../src/protocol/index.js';
import { SyncEngine, type CounterStore, type ListListener, type ListStore, type MergedListStore, type VariableStore } from '../../src/client/sync/engine.js';
import { applyPatch, type Patch } from '../../src/client/sync/sequence.js';
import type { CounterChanges, ScratchValue } from '../../src/client/sync/stores.js';

export class MemoryVariable implements VariableStore {
  readonly kind = 'var';
  constructor(public value: ScratchValue = 0) {}
  read() {
    return this.value;
  }
  write(value: ScratchValue) {
    this.value = value;
  }
}

/** A list synced as a whole (kind 'list') or merged (kind 'merged-list', the default of the blocks). */
export class MemoryList implements Omit<ListStore, 'kind'>, Omit<MergedListStore, 'kind'> {
  private dirty = false;
  /** Remote writes and patches seen, with their writer. */
  readonly remote: (string | undefined)[] = [];
  constructor(
    private items: ScratchValue[] = [],
    readonly kind: 'list' | 'merged-list' = 'list',
  ) {
    this.array = items;
  }
  get value(): ScratchValue[] {
    return this.items;
  }
  private listener: ListListener | null = null;
  /** The array `replaced()` last saw (set in the constructor: `items` is a parameter property). */
  private array: ScratchValue[];
  /** A local edit the store cannot see, like Scratch's "replace item" (in place, then the store is told something changed). */
  edit(change: (items: ScratchValue[]) => void) {
    change(this.items);
    this.dirty = true;
    this.listener?.changed();
  }
  /** An insert the store sees, like Scratch's "add" or "insert at" (the Scratch store reports where). */
  insertAt(index: number, value: ScratchValue) {
    this.items.splice(index, 0, value);
    if (this.listener) this.listener.inserted(index, value);
    else this.dirty = true;
  }
  /** A delete the store sees, like Scratch's "delete (index) of". */
  deleteAt(index: number) {
    this.items.splice(index, 1);
    if (this.listener) this.listener.deleted(index);
    else this.dirty = true;
  }
  /** "delete all": Scratch gives the list a new empty array and sets no flag. */
  deleteAll() {
    this.items = [];
  }
  listen(listener: ListListener | null) {
    this.listener = listener;
  }
  replaced() {
    const was = this.array;
    this.array = this.items;
    return was !== this.items;
  }
  read() {
    return this.items;
  }
  write(items: ScratchValue[], writer?: string) {
    this.items = items;
    this.array = items;
    this.remote.push(writer);
  }
  patch(patches: readonly Patch[], writer?: string) {
    for (const patch of patches) applyPatch(this.items, patch);
    this.remote.push(writer);
  }
  changed() {
    const was = this.dirty;
    this.dirty = false;
    return was;
  }
}

/** A counter variable: `change(by)` and `reset(to)` are what Scratch's change/set blocks become. */
export class MemoryCounter implements CounterStore {
  readonly kind = 'counter';
  private changes: CounterChanges = { reset: null, delta: 0 };
  constructor(public value = 0) {}
  change(by: number) {
    this.value += by;
    this.changes.delta += by;
  }
  reset(to: number) {
    this.value = to;
    this.changes = { reset: to, delta: 0 };
  }
  take() {
    const changes = this.changes;
    this.changes = { reset: null, delta: 0 };
    return changes;
  }
  write(value: number) {
    this.value = value;
  }
}

interface InFlight {
  from: string;
  to: string;
  text: string;
}

/** Engines connected by per-link FIFO queues; `deliver` picks which link moves next. */
export class MemoryNetwork {
  readonly engines = new Map<string, SyncEngine>();
  readonly inFlight: InFlight[] = [];
  messagesSent = 0;
  errors: string[] = [];

  /** An engine `id`; until `connected()` it has no instance id and no peers (a player not connected yet). */
  add(id: string, connected: () => boolean = () => true): SyncEngine {
    const engine = new SyncEngine(
      {
        myId: () => (connected() ? id : ''),
        peers: () => (connected() ? [...this.engines.keys()].filter((other) => other !== id) : []),
        // The first engine added hosts the lobby (the root of merged lists).
        host: () => this.engines.keys().next().value ?? null,
        send: (peer, packets) => {
          this.messagesSent += 1;
          this.inFlight.push({ from: id, to: peer, text: encodePeerMessage(packets) });
        },
      },
      (error) => this.errors.push(`${id}: ${error.message}`),
    );
    this.engines.set(id, engine);
    return engine;
  }

  /** Adds an engine whose links to every engine already here open now (peerJoined on both sides). */
  join(id: string): SyncEngine {
    const others = [...this.engines.entries()];
    const engine = this.add(id);
    for (const [otherId, other] of others) {
      other.peerJoined(id);
      engine.peerJoined(otherId);
    }
    return engine;
  }

  /** Bytes of every message still in flight to `to`. */
  bytesTo(to: string): number {
    return this.inFlight.filter((m) => m.to === to).reduce((sum, m) => sum + m.text.length, 0);
  }

  /** Delivers one message: the oldest on the link chosen by `pick` (links stay FIFO, like data channels). */
  deliverOne(pick: (links: string[]) => number = () => 0): boolean {
    if (this.inFlight.length === 0) return false;
    const links = [...new Set(this.inFlight.map((m) => `${m.from}>${m.to}`))];
    const link = links[pick(links)]!;
    const index = this.inFlight.findIndex((m) => `${m.from}>${m.to}` === link);
    const [message] = this.inFlight.splice(index, 1);
    for (const packet of decodePeerMessage(message!.text)) this.engines.get(message!.to)!.receive(message!.from, packet);
    return true;
  }

  /** Flush and deliver until quiet (bounded). */
  settle(pick?: (links: string[]) => number, maxSteps = 10_000): void {
    for (let step = 0; step < maxSteps; step += 1) {
      for (const engine of this.engines.values()) engine.flush();
      if (!this.deliverOne(pick) && this.inFlight.length === 0) {
        for (const engine of this.engines.values()) engine.flush();
        if (this.inFlight.length === 0) return;
      }
    }
    throw new Error('network did not settle');
  }
}

/** Deterministic PRNG so "random" orders are reproducible. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}
