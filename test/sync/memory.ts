// In-memory stores and a network whose delivery order the test controls.
import { decodePeerMessage, encodePeerMessage } from '../../src/protocol/index.js';
import { SyncEngine, type ListStore, type VariableStore } from '../../src/client/sync/engine.js';
import type { ScratchValue } from '../../src/client/sync/list-diff.js';

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

export class MemoryList implements ListStore {
  readonly kind = 'list';
  private dirty = false;
  constructor(private items: ScratchValue[] = []) {}
  get value(): ScratchValue[] {
    return this.items;
  }
  /** A local edit, the way a Scratch script would make one. */
  edit(change: (items: ScratchValue[]) => void) {
    change(this.items);
    this.dirty = true;
  }
  read() {
    return this.items;
  }
  write(items: ScratchValue[]) {
    this.items = items;
  }
  changed() {
    const was = this.dirty;
    this.dirty = false;
    return was;
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

  add(id: string): SyncEngine {
    const engine = new SyncEngine(
      {
        myId: () => id,
        peers: () => [...this.engines.keys()].filter((other) => other !== id),
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
