// A local change to a Scratch list as sequence operations, for the edits the binding is not told
// exactly (merged-list-entry.ts): a "replace item" (Scratch assigns one index, nothing to observe),
// an edit by other code, changes made before the player had an id. The Scratch list is compared with
// the sequence itself, walking its visible items in place from either end: no copy of the list is
// kept or made. The list before and after share a prefix and a suffix around one changed run: its
// items are replaced pairwise, then the rest deleted or inserted. One block's edit becomes one
// operation whatever the list's length ("delete all" is one clear op).
import type { Item, Sequence, SequenceOp } from './sequence.js';
import type { ScratchValue } from './stores.js';

/** Where the sequence and `after` differ: one run after their common prefix, `removed` items replaced by `added` ones. */
export interface ChangedRun {
  prefix: number;
  removed: number;
  added: number;
}

/**
 * The run where the sequence's visible values and `after` differ: the common prefix, then the common
 * suffix. O(n).
 *
 * `oneEdit`: the caller knows exactly one edit changed the list since the sequence matched it (one
 * insert, delete or replace). Then the first difference found walking in from either end, in turns,
 * is the edit: an edit at index k costs O(min(k, n − k)). Returns null if that cannot tell (the
 * length changed by more than one).
 */
export function changedRun(sequence: Sequence, after: readonly ScratchValue[], oneEdit = false): ChangedRun | null {
  const length = sequence.length;
  const grew = after.length - length;
  const shorter = Math.min(length, after.length);
  let prefix = 0;
  let suffix = 0;
  let front: Item | null = null;
  let back: Item | null = null;
  if (oneEdit) {
    if (Math.abs(grew) > 1) return null;
    /** The run of the one edit at `at`: its index in the sequence (a delete or replace) or in `after` (an insert). */
    const edit = (at: number): ChangedRun => ({ prefix: at, removed: grew === 1 ? 0 : 1, added: grew === -1 ? 0 : 1 });
    while (prefix + suffix < shorter) {
      front = sequence.nextVisible(front)!;
      if (!Object.is(front.value, after[prefix])) return edit(prefix);
      prefix += 1;
      if (prefix + suffix === shorter) break;
      back = sequence.prevVisible(back)!;
      if (!Object.is(back.value, after[after.length - 1 - suffix])) return edit((grew === 1 ? after.length : length) - 1 - suffix);
      suffix += 1;
    }
    // Every compared item matched: a replace changed nothing, or the item added or removed is the one between.
    return grew === 0 ? { prefix: length, removed: 0, added: 0 } : edit(prefix);
  }
  while (prefix < shorter) {
    front = sequence.nextVisible(front)!;
    if (!Object.is(front.value, after[prefix])) break;
    prefix += 1;
  }
  while (suffix < shorter - prefix) {
    back = sequence.prevVisible(back)!;
    if (!Object.is(back.value, after[after.length - 1 - suffix])) break;
    suffix += 1;
  }
  return { prefix, removed: length - prefix - suffix, added: after.length - prefix - suffix };
}

/** Applies the change from the sequence's visible values to `after` as local edits and returns them for sending. */
export function diffToOps(sequence: Sequence, after: readonly ScratchValue[], run = changedRun(sequence, after)!): SequenceOp[] {
  // "delete all of [list]": one clear op, not one delete per item.
  if (after.length === 0 && sequence.length > 1) return sequence.clear();
  const { prefix, removed, added } = run;
  const paired = Math.min(removed, added);
  const ops: SequenceOp[] = [];
  for (let i = 0; i < paired; i += 1) {
    if (!Object.is(sequence.valueAt(prefix + i), after[prefix + i])) ops.push(sequence.replace(prefix + i, after[prefix + i]!));
  }
  for (let i = paired; i < removed; i += 1) ops.push(sequence.delete(prefix + paired));
  for (let i = paired; i < added; i += 1) ops.push(sequence.insert(prefix + i, after[prefix + i]!));
  return ops;
}
