// What the sync engine reads and writes: one store per bound network id, implemented over Scratch
// variables and lists in blocks/sync/ (and in memory by the tests). The store's `kind` picks how the
// id merges concurrent changes (docs/sync.md):
// - 'var': last writer wins (G_VAR/P_VAR without `method`);
// - 'counter': every player's changes add up (G_VAR/P_VAR with method add/set/state);
// - 'list': the whole list, last writer wins (G_LIST/P_LIST set/replace/length/reset);
// - 'merged-list': every player's inserts, deletes and replaces take effect (G_LIST/P_LIST insert/delete/put/clear/ack/state).
import type { ScratchValue } from './list-diff.js';
import type { Patch } from './sequence.js';

export type { ScratchValue } from './list-diff.js';

export interface VariableStore {
  kind: 'var';
  read(): ScratchValue;
  /** A value from the network; `writer` = instance id of the player who wrote it (absent when binding picks up the agreed value). */
  write(value: ScratchValue, writer?: string): void;
}

/** A counter's local changes since the last `take()`: the last reset made (null: none), then what was added after it. */
export interface CounterChanges {
  reset: number | null;
  delta: number;
}

export interface CounterStore {
  kind: 'counter';
  /** The local changes since the last call (and clears them). Called once per frame, after the scripts ran. */
  take(): CounterChanges;
  /** The counter's value from the network: shown, not counted as a local change. `writer` as for variables. */
  write(value: number, writer?: string): void;
}

export interface ListStore {
  kind: 'list';
  /** The live list; only read when `changed()` says so. */
  read(): readonly ScratchValue[];
  /** The whole list from the network (a fresh array the store may keep); `writer` as for variables. */
  write(items: ScratchValue[], writer?: string): void;
  /**
   * Cheap check: may the list have changed since the last call? Clears the mark. `endOfFrame`: the
   * once-per-frame look, which now and then also answers yes for a list edited without telling (the
   * store's safety net compares it in full every so many frames, not every so many calls).
   */
  changed(endOfFrame?: boolean): boolean;
}

/**
 * Told of each in-place edit a script makes to a merged list, right after it. Inserts and deletes are
 * reported exactly (no compare); what the store cannot see (a "replace item" assigns one index) is
 * reported as changed(): since the previous call, one run of items changed.
 */
export interface ListListener {
  /** `value` went in at `index` (an add is an insert at the end). */
  inserted(index: number, value: ScratchValue): void;
  /** The item at `index` went. */
  deleted(index: number): void;
  changed(): void;
}

export interface MergedListStore extends Omit<ListStore, 'kind'> {
  kind: 'merged-list';
  /** Remote edits, applied to the live list in place (no copy), in order; not a local change. `writer` as for variables. */
  patch(patches: readonly Patch[], writer?: string): void;
  /** Reports each in-place edit a script makes (see ListListener); null stops it. */
  listen(listener: ListListener | null): void;
  /** Is the live list another array than at the last call ("delete all", an edit typed in the list monitor)? */
  replaced(): boolean;
}

export type SyncStore = VariableStore | CounterStore | ListStore | MergedListStore;
export type StoreKind = SyncStore['kind'];
