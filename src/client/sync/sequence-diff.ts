// A local change to a Scratch list as sequence operations (merged-list-entry.ts calls it after each
// list block). A Scratch list block changes one place (add, insert at, delete, replace, delete all),
// so the list before and after share a prefix and a suffix around one changed run: its items are
// replaced pairwise, then the rest deleted or inserted. One block's edit becomes one operation
// whatever the list's length ("delete all" is one clear op). Nothing is copied: the compare walks the
// arrays in place, and the entry's copy of the list is brought up to date by splicing the run.
import type { Sequence, SequenceOp } from './sequence.js';
import type { ScratchValue } from './stores.js';

/** Where before → after differ: one run after their common prefix, `removed` items replaced by `added` ones. */
export interface ChangedRun {
  prefix: number;
  removed: number;
  added: number;
}

/**
 * The run where `before` and `after` differ: the common prefix, then the common suffix. O(n).
 *
 * `oneEdit`: the caller knows exactly one block changed the list since `before` (one insert, delete
 * or replace). Then the first difference found walking in from either end, in turns, is the edit:
 * an add, a front insert or a front delete costs O(1), an edit at index k O(min(k, n − k)). Returns
 * null if that cannot tell (the length changed by more than one).
 */
export function changedRun(before: readonly ScratchValue[], after: readonly ScratchValue[], oneEdit = false): ChangedRun | null {
  const grew = after.length - before.length;
  const shorter = Math.min(before.length, after.length);
  let prefix = 0;
  let suffix = 0;
  if (oneEdit) {
    if (Math.abs(grew) > 1) return null;
    /** The run of the one edit at `at`: its index in `before` (a delete or replace) or in `after` (an insert). */
    const edit = (at: number): ChangedRun => ({ prefix: at, removed: grew === 1 ? 0 : 1, added: grew === -1 ? 0 : 1 });
    while (prefix + suffix < shorter) {
      if (!Object.is(before[prefix], after[prefix])) return edit(prefix);
      prefix += 1;
      if (prefix + suffix === shorter) break;
      if (!Object.is(before[before.length - 1 - suffix], after[after.length - 1 - suffix])) {
        return edit((grew === 1 ? after.length : before.length) - 1 - suffix);
      }
      suffix += 1;
    }
    // Every compared item matched: a replace changed nothing, or the item added or removed is the one between.
    return grew === 0 ? { prefix: before.length, removed: 0, added: 0 } : edit(prefix);
  }
  while (prefix < shorter && Object.is(before[prefix], after[prefix])) prefix += 1;
  while (suffix < shorter - prefix && Object.is(before[before.length - 1 - suffix], after[after.length - 1 - suffix])) suffix += 1;
  return { prefix, removed: before.length - prefix - suffix, added: after.length - prefix - suffix };
}

/**
 * Applies before → after to `sequence` as local edits and returns them for sending.
 * `sequence.toArray()` must equal `before`.
 */
export function diffToOps(sequence: Sequence, before: readonly ScratchValue[], after: readonly ScratchValue[], run = changedRun(before, after)!): SequenceOp[] {
  // "delete all of [list]": one clear op, not one delete per item.
  if (after.length === 0 && before.length > 1) return sequence.clear();
  const { prefix, removed, added } = run;
  const paired = Math.min(removed, added);
  const ops: SequenceOp[] = [];
  for (let i = 0; i < paired; i += 1) {
    if (!Object.is(before[prefix + i], after[prefix + i])) ops.push(sequence.replace(prefix + i, after[prefix + i]!));
  }
  for (let i = paired; i < removed; i += 1) ops.push(sequence.delete(prefix + paired));
  for (let i = paired; i < added; i += 1) ops.push(sequence.insert(prefix + i, after[prefix + i]!));
  return ops;
}

/** Slices of at most this many values go through one `splice(...)` call (arguments are on the stack). */
const SPLICE_ARGS_MAX = 10_000;

/** Makes `list` equal to `after` in place, touching only the changed run (the binding's copy kept in step without copying it). */
export function syncChangedRun(list: ScratchValue[], after: readonly ScratchValue[], run = changedRun(list, after)!): void {
  const { prefix, removed, added } = run;
  const paired = Math.min(removed, added);
  for (let i = prefix; i < prefix + paired; i += 1) list[i] = after[i]!;
  if (removed > paired) list.splice(prefix + paired, removed - paired);
  else if (added === paired + 1)
    list.splice(prefix + paired, 0, after[prefix + paired]!); // one block's insert: no slice
  else if (added > paired) {
    if (added - paired <= SPLICE_ARGS_MAX) list.splice(prefix + paired, 0, ...after.slice(prefix + paired, prefix + added));
    else {
      list.length = 0;
      for (const value of after) list.push(value);
    }
  }
}
