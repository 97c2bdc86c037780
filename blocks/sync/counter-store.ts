// A Scratch variable bound as a counter (src/client/sync/counter.ts): the store tells
// `change [score] by 1` apart from `set [score] to 0` by who touches the variable. An accessor on the
// variable object's own `value` property sees every read and write, and `runtime.sequencer.activeThread`
// says which thread makes it (verified in both VMs: test/contracts/vm-counter-internals.test.ts):
// - a write by a thread that READ the variable since its last write (this frame) is a change: it
//   adds Number(new) − Number(old). That is `change [score] by 1` (scratch-vm's changeVariableBy reads
//   `variable.value` then assigns it; TurboWarp's compiler emits `b0.value = (toNotNaN(+b0.value) + 1);`
//   with `const b0 = stage.variables["<id>"]` taken once per script) and `set [score] to ((score) + 1)`;
// - any other write (`set [score] to 0`) is a reset to Number(new).
// Reads are recorded per thread, so a monitor or another sprite reading the variable in between does
// not turn a reset into a change, nor a change into a reset. Reads and writes outside a thread step
// (activeThread null: the editor, another extension's timer) record no reader, so such a write is a
// reset. `take()` ends the frame: a read in one frame and a write in a later one is a reset.
// A side effect of the rule: a script that reads the variable and then sets it (`if score > 10 then
// set score to 0`) makes a change (−score), not a reset.
import type { CounterChanges, CounterStore } from '../../src/client/sync/stores.js';
import type { ScratchRuntime, ScratchVariable } from '../scratch.js';

export interface ScratchCounterStore extends CounterStore {
  /** Puts the variable object back the way it was: a plain own `value` property holding the current value. */
  detach(): void;
}

/** What this reads of the runtime: the thread being stepped (null between steps). */
interface SequencedRuntime {
  sequencer?: { activeThread?: unknown };
}

/** Scratch's number cast (Cast.toNumber): non-numbers through Number(), NaN is 0. */
export function toScratchNumber(value: unknown): number {
  if (typeof value === 'number') return Number.isNaN(value) ? 0 : value;
  if (typeof value === 'symbol') return 0;
  const n = Number(value);
  return Number.isNaN(n) ? 0 : n;
}

/** One store's changes since its last take(). */
interface Changes {
  reset: number | null;
  delta: number;
}

/** The accessor on one variable's `value`, shared by every counter store bound to that variable. */
interface Watch {
  value: unknown;
  /** The first thread that read the value since the last write (null: none). */
  reader: unknown;
  /** Any other threads that read it since the last write (rare: a monitor, another sprite). */
  otherReaders: Set<unknown> | null;
  stores: Set<Changes>;
  /** The `value` property as it was before the accessor. */
  original: PropertyDescriptor | undefined;
}
const watches = new WeakMap<ScratchVariable, Watch>();

function watch(variable: ScratchVariable, runtime: SequencedRuntime): Watch {
  const known = watches.get(variable);
  if (known) return known;
  const w: Watch = {
    value: variable.value,
    reader: null,
    otherReaders: null,
    stores: new Set(),
    original: Object.getOwnPropertyDescriptor(variable, 'value'),
  };
  Object.defineProperty(variable, 'value', {
    configurable: true,
    enumerable: true,
    get: () => {
      const thread = runtime.sequencer?.activeThread;
      if (thread != null && thread !== w.reader) {
        if (w.reader === null) w.reader = thread;
        else if (w.otherReaders) w.otherReaders.add(thread);
        else w.otherReaders = new Set([thread]);
      }
      return w.value;
    },
    set: (next: unknown) => {
      const thread = runtime.sequencer?.activeThread;
      const read = thread != null && (thread === w.reader || w.otherReaders?.has(thread) === true);
      const after = toScratchNumber(next);
      const delta = read ? after - toScratchNumber(w.value) : Number.NaN;
      for (const changes of w.stores) {
        // A change that is no number (Infinity − Infinity) is taken as a reset to the new value.
        if (Number.isFinite(delta)) changes.delta += delta;
        else {
          changes.reset = after;
          changes.delta = 0;
        }
      }
      w.value = next;
      w.reader = null;
      w.otherReaders = null;
    },
  });
  watches.set(variable, w);
  return w;
}

export function counterStore(variable: ScratchVariable, runtime: ScratchRuntime): ScratchCounterStore {
  const w = watch(variable, runtime as ScratchRuntime & SequencedRuntime);
  const changes: Changes = { reset: null, delta: 0 };
  w.stores.add(changes);

  return {
    kind: 'counter',
    take(): CounterChanges {
      const taken = { reset: changes.reset, delta: changes.delta };
      changes.reset = null;
      changes.delta = 0;
      // The frame is over: a read in it does not make a write in a later frame a change.
      w.reader = null;
      w.otherReaders = null;
      return taken;
    },
    write(value) {
      // Not through the accessor: no store counts it, and no reader carries over it.
      w.value = value;
      w.reader = null;
      w.otherReaders = null;
    },
    detach() {
      if (!w.stores.delete(changes) || w.stores.size > 0) return;
      watches.delete(variable);
      const { original } = w;
      if (original && 'value' in original) Object.defineProperty(variable, 'value', { ...original, value: w.value });
      else if (original?.set) {
        // Someone else's accessor was there first: put it back and write the value through it.
        Object.defineProperty(variable, 'value', original);
        variable.value = w.value;
      } else Object.defineProperty(variable, 'value', { configurable: true, enumerable: true, writable: true, value: w.value });
    },
  };
}
