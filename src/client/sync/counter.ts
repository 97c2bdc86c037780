// A networked counter that loses no change (design, not yet wired; see docs/sync.md "Counters").
// Each writer only ever grows its own entry: `n` (how many changes it made) and `total` (their sum).
// A change travels as the writer's new [n, total], not as the delta, so a repeated or reordered
// packet changes nothing (the entry with the higher n wins): a PN-counter that also takes negative
// and fractional deltas.
//
// A `set` (e.g. reset to 0 at game start) carries a version [seq, writer] (Lamport, like every sync
// version) and the entries its writer had seen. Rule: the value is the winning set's value (the
// highest version; none = 0) plus, per writer, every change the set's writer had NOT seen when it set
// (total now − total then). So changes causally before the set are discarded, changes concurrent
// with it or after it add up on top, and concurrent sets are decided by the version rule.
import { compare } from './version.js';

export type Entry = [n: number, total: number];
export type CounterVersion = [seq: number, writer: string];

/** A writer's running count and total after its n-th change. */
export type AddOp = { t: 'add'; writer: string; n: number; total: number };
/** A reset: `value` replaces everything in `seen` (per writer: the entry the setter had). */
export type SetOp = { t: 'set'; version: CounterVersion; value: number; seen: Record<string, Entry> };
export type CounterOp = AddOp | SetOp;
/** The whole state (a late joiner's catch-up): merging it is the same as applying every op in it. */
export type CounterState = { entries: Record<string, Entry>; set: SetOp | null };

export class Counter {
  private readonly entries = new Map<string, Entry>();
  private reset: SetOp | null = null;
  /** Lamport clock for set versions. */
  private clock = 0;

  constructor(readonly writer: string) {}

  get value(): number {
    let value = this.reset?.value ?? 0;
    for (const [writer, [n, total]] of this.entries) {
      const before = this.reset?.seen[writer];
      // A change the setter had not seen counts; until the ones it had seen arrive here, nothing does.
      if (!before) value += total;
      else if (n > before[0]) value += total - before[1];
    }
    return value;
  }

  /** A local `change by delta`. */
  add(delta: number): AddOp {
    const [n, total] = this.entries.get(this.writer) ?? [0, 0];
    const op: AddOp = { t: 'add', writer: this.writer, n: n + 1, total: total + delta };
    this.entries.set(this.writer, [op.n, op.total]);
    return op;
  }

  /** A local `set to value`. */
  set(value: number): SetOp {
    this.clock += 1;
    const op: SetOp = { t: 'set', version: [this.clock, this.writer], value, seen: Object.fromEntries(this.entries) };
    this.reset = op;
    return op;
  }

  /** A remote operation; idempotent and order-independent. Returns whether the value may have changed. */
  apply(op: CounterOp): boolean {
    if (op.t === 'add') {
      const known = this.entries.get(op.writer);
      if (known && known[0] >= op.n) return false;
      this.entries.set(op.writer, [op.n, op.total]);
      return true;
    }
    if (op.version[0] > this.clock) this.clock = op.version[0];
    if (this.reset && compare(op.version, this.reset.version) <= 0) return false;
    this.reset = op;
    // The setter's entries may be ahead of mine (other links are slower): they are changes too.
    for (const [writer, [n, total]] of Object.entries(op.seen)) this.apply({ t: 'add', writer, n, total });
    return true;
  }

  state(): CounterState {
    return { entries: Object.fromEntries(this.entries), set: this.reset };
  }

  merge(state: CounterState): boolean {
    let changed = false;
    for (const [writer, [n, total]] of Object.entries(state.entries)) changed = this.apply({ t: 'add', writer, n, total }) || changed;
    if (state.set) changed = this.apply(state.set) || changed;
    return changed;
  }
}
