// A sequence CRDT for Scratch lists (RGA: replicated growable array). Design, not yet wired into the
// engine; see docs/sync.md "Lists that merge and counters". Every item has an identity [seq, writer] (seq: the
// writer's Lamport clock). An insert names the item it goes after (its origin); concurrent inserts
// after one origin are ordered by descending id, so every replica builds the same order whatever the
// arrival order. Deletes leave tombstones until every known player has seen them (see gc()).
import type { ScratchValue } from './list-diff.js';
import { OrderTree, type TreeNode } from './sequence-tree.js';
import { compare } from './version.js';

export type ItemId = [seq: number, writer: string];
/** Insert `v` after item `after` (null: at the front); `id` is the new item's identity. */
export type InsertOp = { t: 'ins'; id: ItemId; after: ItemId | null; v: ScratchValue };
/** Delete item `target`; `id` stamps the operation. */
export type DeleteOp = { t: 'del'; id: ItemId; target: ItemId };
/** Give item `target` the value `v`; the highest `id` wins (last writer wins per item). */
export type ReplaceOp = { t: 'rep'; id: ItemId; target: ItemId; v: ScratchValue };
/**
 * Delete every item whose id [s, w] has s ≤ seen[w]: exactly the items its writer had applied ("delete
 * all of [list]" as one op). Items inserted concurrently (not in `seen`) survive; covered items that
 * arrive after it are hidden on arrival (the replica remembers the union of the clears it applied).
 */
export type ClearOp = { t: 'clr'; id: ItemId; seen: AckVector };
export type SequenceOp = InsertOp | DeleteOp | ReplaceOp | ClearOp;

/**
 * What an operation did to the visible list: enough to edit a Scratch array in place. `reset` is the
 * whole visible list after the op (a clear that hid items: one O(n) rewrite instead of n splices).
 */
export type Patch =
  | { kind: 'insert'; index: number; value: ScratchValue }
  | { kind: 'delete'; index: number }
  | { kind: 'replace'; index: number; value: ScratchValue }
  | { kind: 'reset'; values: ScratchValue[] };

/** Per writer, the highest seq applied (with nothing held back; see ack()). */
export type AckVector = Record<string, number>;

/**
 * Per writer w: [seq, stampSeq, stampWriter] = ids [s, w] with s ≤ seq were deleted by clears, and
 * [stampSeq, stampWriter] is the id of a clear that covered all of them (the delete stamp an item
 * arriving later gets). The union of every clear applied: per writer, the highest `seen`.
 */
export type ClearedVector = Record<string, [seq: number, stampSeq: number, stampWriter: string]>;

/** Operations held for a missing item, at most (never reached when the assumptions in docs/sync.md hold). */
export const MAX_PENDING = 100_000;

export interface Item extends TreeNode {
  id: ItemId;
  /** The item it was inserted after (null: the front); kept so a later snapshot's items can be re-inserted after it. */
  origin: ItemId | null;
  value: ScratchValue;
  /** The id of the operation that wrote `value` (the item's own id until replaced). */
  stamp: ItemId;
  /** The stamp of the delete that made it a tombstone. */
  deleted: ItemId | null;
  /** The smallest id among garbage-collected tombstones right before this item (see gc()). */
  barrier: ItemId | null;
}

export const keyOf = (id: ItemId): string => `${id[0]}:${id[1]}`;
const minId = (a: ItemId | null, b: ItemId | null): ItemId | null => (!a ? b : !b ? a : compare(a, b) <= 0 ? a : b);

export class Sequence {
  private clock = 0;
  private readonly tree = new OrderTree<Item>();
  private readonly items = new Map<string, Item>();
  private readonly tombstones = new Set<Item>();
  /** Operations waiting for the item they name (it has not arrived yet: another link was faster). */
  private readonly pending = new Map<string, Held[]>();
  private pendingCount = 0;
  /** Operations dropped because MAX_PENDING was reached. */
  dropped = 0;
  /** Inserts that arrived after a clear that covered them, so arrived deleted (a statistic, for tests). */
  arrivedCleared = 0;
  private readonly applied = new Map<string, number>();
  /** The ack while operations are held: frozen when the first one was held. */
  private cleanAck: AckVector | null = null;
  /** Each known player's last ack (null until its first). */
  private readonly players = new Map<string, AckVector | null>();
  /** Per writer: every known player has applied all of its operations up to this seq. */
  private readonly floor = new Map<string, number>();
  /**
   * Per writer: an unknown id at or below it was collected (here, past a clear every player applied;
   * or where the snapshot this replica was loaded from came from), so a late repeat of it is ignored.
   */
  private readonly gone = new Map<string, number>();
  /**
   * The union of the clears applied: per writer, the highest seq covered and the stamp of a clear that
   * covered it. An insert it covers arrives deleted, with that stamp (see applyOne and gc()).
   */
  private readonly cleared = new Map<string, Reach>();
  /** Per-writer reaches of clears ([writer, seq, stamp]) not yet applied by every player (see gc()). */
  private sweeps: [writer: string, seq: number, stamp: ItemId][] = [];
  /** Held operations of my own writer (a replayed log can hold them): the ack then claims no more of mine. */
  private ownHeld = 0;

  constructor(readonly writer: string) {}

  get length(): number {
    return this.tree.size;
  }

  /** Items currently held back waiting for another. */
  get held(): number {
    return this.pendingCount;
  }

  /** Tombstones not yet collected. */
  get tombstoneCount(): number {
    return this.tombstones.size;
  }

  toArray(): ScratchValue[] {
    const out: ScratchValue[] = [];
    this.tree.forEach((item) => {
      if (item.visible) out.push(item.value);
    });
    return out;
  }

  /** The visible items' ids, in order. */
  ids(): ItemId[] {
    const out: ItemId[] = [];
    this.tree.forEach((item) => {
      if (item.visible) out.push(item.id);
    });
    return out;
  }

  // ---- local edits: applied here, returned for sending -------------------------------------------

  /** Inserts at a visible index (0 … length); the item goes right after the visible one before it. */
  insert(index: number, value: ScratchValue): InsertOp {
    const at = Math.max(0, Math.min(index, this.length));
    const origin = at === 0 ? null : this.tree.at(at - 1)!;
    const op: InsertOp = { t: 'ins', id: this.tick(), after: origin ? origin.id : null, v: value };
    this.integrate(this.newItem(op.id, op.after, value), origin);
    return op;
  }

  push(value: ScratchValue): InsertOp {
    return this.insert(this.length, value);
  }

  delete(index: number): DeleteOp {
    const item = this.visibleAt(index);
    const op: DeleteOp = { t: 'del', id: this.tick(), target: item.id };
    this.tombstone(item, op.id);
    return op;
  }

  replace(index: number, value: ScratchValue): ReplaceOp {
    const item = this.visibleAt(index);
    const op: ReplaceOp = { t: 'rep', id: this.tick(), target: item.id, v: value };
    item.value = value;
    item.stamp = op.id;
    return op;
  }

  /**
   * "Delete all": deletes every visible item. The clear op covers what this replica has applied
   * (`seen` = ack(), which never claims an op that is only received or held); a visible item it does
   * not cover (possible only while ops are held and the ack is frozen) gets its own delete op too, so
   * every replica ends with "everything I saw is gone". Returns the ops to send, the clear first.
   */
  clear(): SequenceOp[] {
    const seen = this.ack();
    const op: ClearOp = { t: 'clr', id: this.tick(), seen };
    const ops: SequenceOp[] = [op];
    const uncovered: Item[] = [];
    this.sweep(this.reachOf(seen, op.id), null, uncovered);
    for (const item of uncovered) {
      const del: DeleteOp = { t: 'del', id: this.tick(), target: item.id };
      this.tombstone(item, del.id);
      ops.push(del);
    }
    return ops;
  }

  // ---- remote operations ------------------------------------------------------------------------

  /**
   * Applies a remote operation (idempotent: a repeated one changes nothing). One naming an item that
   * has not arrived is held and applied when it does. Returns the visible changes, in order.
   */
  apply(op: SequenceOp): Patch[] {
    const patches: Patch[] = [];
    const work: Held[] = [op];
    for (let next = work.pop(); next; next = work.pop()) this.applyOne(next, patches, work);
    if (this.pendingCount === 0) this.cleanAck = null;
    return patches;
  }

  private applyOne(op: Held, patches: Patch[], work: Held[]): void {
    if (op.id[0] > this.clock) this.clock = op.id[0];
    if (op.t === 'ins') {
      const key = keyOf(op.id);
      // Known, or collected here (every player had it): a repeat.
      if (this.items.has(key) || this.collected(op.id)) return;
      const origin = op.after ? this.items.get(keyOf(op.after)) : null;
      if (origin === undefined) {
        this.hold(op.after!, op);
        return;
      }
      const item = this.newItem(op.id, op.after, op.v);
      // Covered by a clear applied here: its writer had it, so it arrives deleted (still an origin).
      const cleared = this.cleared.get(op.id[1]);
      if (cleared && op.id[0] <= cleared.seq) {
        item.deleted = cleared.stamp;
        item.visible = false;
        this.tombstones.add(item);
        this.arrivedCleared += 1;
      }
      this.integrate(item, origin);
      if (item.visible) patches.push({ kind: 'insert', index: this.tree.indexOf(item), value: item.value });
      if (!op.derived) this.noteApplied(op.id);
      this.release(key, work);
      return;
    }
    if (op.t === 'clr') {
      this.sweep(this.reachOf(op.seen, op.id), patches);
      this.noteApplied(op.id);
      return;
    }
    const item = this.items.get(keyOf(op.target));
    if (!item) {
      if (!this.collected(op.target)) this.hold(op.target, op);
      return;
    }
    if (op.t === 'del') {
      if (!item.deleted) {
        patches.push({ kind: 'delete', index: this.tree.indexOf(item) });
        this.tombstone(item, op.id);
      }
    } else if (compare(op.id, item.stamp) > 0) {
      // Delete wins: a tombstone keeps the newer value hidden, it is never shown again.
      item.value = op.v;
      item.stamp = op.id;
      if (!item.deleted) patches.push({ kind: 'replace', index: this.tree.indexOf(item), value: op.v });
    }
    // An op rebuilt from a snapshot says nothing about its writer's other ops: the snapshot's ack does.
    if (!op.derived) this.noteApplied(op.id);
  }

  // ---- acknowledgements and garbage collection -----------------------------------------------------

  /**
   * What this replica has applied, per writer. While operations are held it stays at the value it had
   * when the first was held (plus my own), so an ack never claims an operation that is only received.
   */
  ack(): AckVector {
    if (!this.cleanAck) return Object.fromEntries(this.applied);
    // My own local operations are applied here at once, whatever is held; not so when one of mine is
    // held itself (replaying my earlier ops onto a fresh replica), then the frozen ack stands.
    const own = this.applied.get(this.writer);
    return own === undefined || this.ownHeld > 0 ? { ...this.cleanAck } : { ...this.cleanAck, [this.writer]: own };
  }

  /** A player to wait for before collecting tombstones (a link opened). */
  addPlayer(player: string): void {
    if (!this.players.has(player)) this.players.set(player, null);
  }

  /** A player that left: no longer waited for. */
  removePlayer(player: string): void {
    this.players.delete(player);
  }

  receiveAck(player: string, ack: AckVector): void {
    const known = this.players.get(player) ?? {};
    const merged: AckVector = { ...known };
    for (const [writer, seq] of Object.entries(ack)) merged[writer] = Math.max(merged[writer] ?? 0, seq);
    this.players.set(player, merged);
  }

  /**
   * Removes the tombstones whose delete every known player (and this one) has applied, at most `limit`
   * of them (a caller can spread a large collection over frames). Returns how many.
   * No operation can name them any more (nobody shows them), and every operation that named them has
   * arrived here (it left its writer before that writer's ack, on the same in-order link). A removed
   * tombstone leaves its id as a `barrier` on the next item, so a later insert stops where it would
   * have stopped at the tombstone: replicas that collected and replicas that did not still agree.
   *
   * A clear's tombstones (its stamp in `deleted`) follow the same rule, including items that arrived
   * after the clear and were hidden on arrival. Every item a clear C covers was applied by C's writer
   * before C, hence made by its writer w before w applied C, hence sent on w → here before w's ack of
   * C; likewise an op naming a covered item was made while it showed, so before its writer applied C
   * (after that, C hides the item, present or not yet), and was sent before that writer's ack. So once
   * every player acked C, every covered item and every op naming one has arrived here (and, their
   * origins being covered too, been applied): collecting them is safe, and a covered id unknown here
   * was collected, so the clear's reach joins `gone` (a late repeat of one is ignored, not re-inserted
   * after an origin that is gone too).
   */
  gc(limit = Number.POSITIVE_INFINITY): number {
    const own = this.ack();
    const acks: AckVector[] = [own];
    for (const ack of this.players.values()) {
      if (!ack) return 0;
      acks.push(ack);
    }
    for (const writer of Object.keys(own)) {
      const stable = Math.min(...acks.map((ack) => ack[writer] ?? 0));
      if (stable > (this.floor.get(writer) ?? 0)) this.floor.set(writer, stable);
    }
    // A clear every player applied: every item it covered has arrived here (see docs/sync.md), so an
    // unknown id it covers was collected and a late repeat of it is ignored.
    this.sweeps = this.sweeps.filter(([writer, seq, [stampSeq, stampWriter]]) => {
      if (stampSeq > (this.floor.get(stampWriter) ?? 0)) return true;
      if (seq > (this.gone.get(writer) ?? 0)) this.gone.set(writer, seq);
      return false;
    });
    let removed = 0;
    for (const item of this.tombstones) {
      if (removed >= limit) break;
      const [seq, writer] = item.deleted!;
      if (seq > (this.floor.get(writer) ?? 0)) continue;
      const next = this.tree.next(item);
      if (next) next.barrier = minId(next.barrier, minId(item.barrier, item.id));
      this.tree.remove(item);
      this.items.delete(keyOf(item.id));
      this.tombstones.delete(item);
      removed += 1;
    }
    return removed;
  }

  // ---- snapshots (a late joiner's catch-up) ----------------------------------------------------------

  /** Every item, tombstones included, in order (see sequence-snapshot.ts for the wire form). */
  state(): SequenceState<Item> {
    const items: Item[] = [];
    this.tree.forEach((item) => {
      items.push(item);
    });
    const floor: Record<string, number> = Object.fromEntries(this.gone);
    for (const [writer, seq] of this.floor) floor[writer] = Math.max(floor[writer] ?? 0, seq);
    const cleared: ClearedVector = {};
    for (const [writer, { seq, stamp }] of this.cleared) cleared[writer] = [seq, stamp[0], stamp[1]];
    return { clock: this.clock, ack: this.ack(), floor, cleared, items };
  }

  /**
   * Merges another replica's state. Into an empty replica (a late joiner's first snapshot) it is an
   * exact copy, barriers and what the sender collected included: O(n log n). Into a non-empty one,
   * what the snapshot has and this replica lacks becomes operations (insert after the item's origin,
   * replace, delete), applied like late ones: a barrier or a collection only ever describes the
   * tombstones of the replica it comes from, so another replica's are never copied onto these items.
   * Only the first snapshot's origins can be missing for good (collected there), which is why it is
   * copied as it is; every later item's origin is here or on its way. The clears the state has applied
   * (`cleared`) are applied here either way, first, so its covered items hide here too (even those
   * its sender has already collected) and a covered item arriving later is hidden on arrival.
   */
  merge(state: SequenceState<SnapshotItem>): Patch[] {
    const patches: Patch[] = [];
    const work: Held[] = [];
    if (this.items.size === 0 && this.pendingCount === 0) {
      this.load(state, patches);
      this.mergeCleared(state.cleared, patches); // its covered items are tombstones already: nothing to hide
    } else {
      this.mergeCleared(state.cleared, patches);
      for (const entry of state.items) this.derive(entry, work);
      work.reverse(); // a stack: the snapshot's order, so an origin comes before its items
    }
    if (state.clock > this.clock) this.clock = state.clock;
    for (let next = work.pop(); next; next = work.pop()) this.applyOne(next, patches, work);
    // After the ops: if one is held, the ack frozen then does not claim the snapshot yet.
    for (const [writer, seq] of Object.entries(state.ack)) this.noteApplied([seq, writer]);
    if (this.pendingCount === 0) this.cleanAck = null;
    return patches;
  }

  private load(state: SequenceState<SnapshotItem>, patches: Patch[]): void {
    let index = 0;
    for (const entry of state.items) {
      const item = this.newItem(entry.id, entry.origin, entry.value);
      item.stamp = entry.stamp;
      item.barrier = entry.barrier;
      if (entry.deleted) {
        item.deleted = entry.deleted;
        item.visible = false;
        this.tombstones.add(item);
      } else patches.push({ kind: 'insert', index: index++, value: item.value });
      this.tree.insertBefore(item, null);
    }
    // What the sender collected: an unknown id at or below it is gone, a late op naming it a repeat.
    for (const [writer, seq] of Object.entries(state.floor)) if (seq > (this.gone.get(writer) ?? 0)) this.gone.set(writer, seq);
  }

  /** The operations that bring what a snapshot has about one item here (none if nothing is new). */
  private derive(entry: SnapshotItem, work: Held[]): void {
    const item = this.items.get(keyOf(entry.id));
    if (!item && this.collected(entry.id)) return;
    if (!item) work.push({ t: 'ins', id: entry.id, after: entry.origin, v: entry.value, derived: true });
    if (item ? compare(entry.stamp, item.stamp) > 0 : compare(entry.stamp, entry.id) > 0) {
      work.push({ t: 'rep', id: entry.stamp, target: entry.id, v: entry.value, derived: true });
    }
    if (entry.deleted && !item?.deleted) work.push({ t: 'del', id: entry.deleted, target: entry.id, derived: true });
  }

  /** Applies a state's cleared vector: each writer's reach, with the stamp of the clear it came from. */
  private mergeCleared(cleared: ClearedVector | undefined, patches: Patch[]): void {
    const reach = new Map<string, Reach>();
    for (const [writer, [seq, stampSeq, stampWriter]] of Object.entries(cleared ?? {})) reach.set(writer, { seq, stamp: [stampSeq, stampWriter] });
    this.sweep(reach, patches);
  }

  /**
   * What clears do (one clear op, or a state's cleared vector): remembers their reach (the cleared
   * vector, and sweeps for gc()), then deletes every item they cover that is not deleted yet, in one
   * O(n) walk. A `reset` patch (the visible list after it) goes to `patches` if visible items went,
   * instead of one O(n) array splice each. Visible items they do not cover go to `uncovered`, if given.
   */
  private sweep(reach: ReadonlyMap<string, Reach>, patches: Patch[] | null, uncovered?: Item[]): void {
    // Items a known clear covers are tombstones already (on arrival, too): only a wider reach needs the walk.
    let wider = false;
    for (const [writer, { seq, stamp }] of reach) {
      const known = this.cleared.get(writer);
      if (!known || seq > known.seq) {
        this.cleared.set(writer, { seq, stamp });
        wider = true;
      }
      const repeat = this.sweeps.some(([w, q, id]) => w === writer && q === seq && id[0] === stamp[0] && id[1] === stamp[1]);
      if (seq > (this.gone.get(writer) ?? 0) && !repeat) this.sweeps.push([writer, seq, stamp]);
    }
    if (!wider && !uncovered) return;
    const hidden = this.tree.hideWhere((item) => {
      if (item.deleted) return false;
      const covered = reach.get(item.id[1]);
      if (!covered || item.id[0] > covered.seq) {
        uncovered?.push(item);
        return false;
      }
      item.deleted = covered.stamp;
      this.tombstones.add(item);
      return true;
    });
    if (hidden > 0 && patches) patches.push({ kind: 'reset', values: this.toArray() });
  }

  /** A clear op's reach: every writer in `seen`, stamped with the op's id. */
  private reachOf(seen: AckVector, stamp: ItemId): Map<string, Reach> {
    const reach = new Map<string, Reach>();
    for (const [writer, seq] of Object.entries(seen)) if (seq > 0) reach.set(writer, { seq, stamp });
    return reach;
  }

  // ---- internals ---------------------------------------------------------------------------------

  private tick(): ItemId {
    this.clock += 1;
    const id: ItemId = [this.clock, this.writer];
    this.noteApplied(id);
    return id;
  }

  private noteApplied([seq, writer]: ItemId): void {
    if (seq > (this.applied.get(writer) ?? 0)) this.applied.set(writer, seq);
  }

  /** Applied by every known player (here, or where a merged snapshot came from), yet not here: it was garbage-collected. */
  private collected([seq, writer]: ItemId): boolean {
    return seq <= (this.floor.get(writer) ?? 0) || seq <= (this.gone.get(writer) ?? 0);
  }

  private visibleAt(index: number): Item {
    const item = this.tree.at(index);
    if (!item) throw new RangeError(`no item ${index} in a list of ${this.length}`);
    return item;
  }

  private newItem(id: ItemId, origin: ItemId | null, value: ScratchValue): Item {
    const item: Item = {
      id,
      origin,
      value,
      stamp: id,
      deleted: null,
      barrier: null,
      left: null,
      right: null,
      parent: null,
      prio: Math.random(),
      size: 1,
      visible: true,
    };
    this.items.set(keyOf(id), item);
    return item;
  }

  /**
   * The insert rule. Walk right from the origin, past every item with a greater id (inserted later
   * after the same origin, or inside such an item's run); stop at the first smaller id, or at a barrier
   * left by a collected tombstone that would have stopped the walk. A local insert stops at once: its
   * id is the greatest this replica knows.
   */
  private integrate(item: Item, origin: Item | null): void {
    let at = origin ? this.tree.next(origin) : this.tree.first();
    while (at && !(at.barrier && compare(at.barrier, item.id) <= 0) && compare(at.id, item.id) > 0) at = this.tree.next(at);
    this.tree.insertBefore(item, at);
  }

  private tombstone(item: Item, stamp: ItemId): void {
    item.deleted = stamp;
    this.tree.setVisible(item, false);
    this.tombstones.add(item);
  }

  private hold(missing: ItemId, op: Held): void {
    if (this.pendingCount >= MAX_PENDING) {
      this.dropped += 1;
      return;
    }
    if (this.pendingCount === 0) this.cleanAck = Object.fromEntries(this.applied);
    if (op.id[1] === this.writer) this.ownHeld += 1;
    const key = keyOf(missing);
    const list = this.pending.get(key);
    if (list) list.push(op);
    else this.pending.set(key, [op]);
    this.pendingCount += 1;
  }

  private release(key: string, work: Held[]): void {
    const waiting = this.pending.get(key);
    if (!waiting) return;
    this.pending.delete(key);
    this.pendingCount -= waiting.length;
    for (const op of waiting) if (op.id[1] === this.writer) this.ownHeld -= 1;
    // `work` is a stack: push in reverse so they run in arrival order.
    for (let i = waiting.length - 1; i >= 0; i -= 1) work.push(waiting[i]!);
  }
}

/**
 * A replica's whole state: `floor` per writer = ids at or below it that are not in `items` were
 * collected; `cleared` = the union of the clears it applied (absent in a state from before clears).
 */
export interface SequenceState<I> {
  clock: number;
  ack: AckVector;
  floor: Record<string, number>;
  cleared?: ClearedVector;
  items: readonly I[];
}

/** How far clears reach for one writer: ids [s, writer] with s ≤ seq, deleted by the clear stamped `stamp`. */
type Reach = { seq: number; stamp: ItemId };

/** An op waiting its turn; `derived` when rebuilt from a snapshot (see merge()). */
type Held = SequenceOp & { derived?: boolean };

/** One item of a state, as merge() takes it. */
export type SnapshotItem = Pick<Item, 'id' | 'origin' | 'value' | 'stamp' | 'deleted' | 'barrier'>;

/** Edits a Scratch array in place by one patch (the binding's receiving side). */
export function applyPatch(list: ScratchValue[], patch: Patch): void {
  if (patch.kind === 'insert') list.splice(patch.index, 0, patch.value);
  else if (patch.kind === 'delete') list.splice(patch.index, 1);
  else if (patch.kind === 'replace') list[patch.index] = patch.value;
  else {
    list.length = 0;
    for (const value of patch.values) list.push(value);
  }
}
