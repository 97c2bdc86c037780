// A local change to a Scratch list as sequence operations (merged-list-entry.ts calls it after each
// list block). A Scratch list block changes one place (add, insert at, delete, replace, delete all), so the
// common prefix and suffix of before/after leave one changed run: its items are replaced pairwise,
// then the rest deleted or inserted. One block's edit becomes one operation whatever the list's length
// ("delete all" is one clear op), and nothing is copied (the scan compares in place).
import type { ScratchValue } from './list-diff.js';
import type { Sequence, SequenceOp } from './sequence.js';

/**
 * Applies before → after to `sequence` as local edits and returns them for sending.
 * `sequence.toArray()` must equal `before`.
 */
export function diffToOps(sequence: Sequence, before: readonly ScratchValue[], after: readonly ScratchValue[], run = changedRun(before, after)): SequenceOp[] {
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

/** Where before → after differ: one run after their common prefix, `removed` items replaced by `added` ones. */
export interface ChangedRun {
  prefix: number;
  removed: number;
  added: number;
}

/** The common prefix and suffix, compared in place (O(n), no copy). */
export function changedRun(before: readonly ScratchValue[], after: readonly ScratchValue[]): ChangedRun {
  const shorter = Math.min(before.length, after.length);
  let prefix = 0;
  while (prefix < shorter && Object.is(before[prefix], after[prefix])) prefix += 1;
  let suffix = 0;
  while (suffix < shorter - prefix && Object.is(before[before.length - 1 - suffix], after[after.length - 1 - suffix])) suffix += 1;
  return { prefix, removed: before.length - prefix - suffix, added: after.length - prefix - suffix };
}

/** Slices of at most this many values go through one `splice(...)` call (arguments are on the stack). */
const SPLICE_ARGS_MAX = 10_000;

/**
 * Makes `list` equal to `after` in place, touching only the changed run between their common prefix
 * and suffix (the same run diffToOps turns into ops): the binding's copy of the list kept in step
 * without copying it.
 */
export function syncChangedRun(list: ScratchValue[], after: readonly ScratchValue[], run = changedRun(list, after)): void {
  const { prefix, removed, added } = run;
  const paired = Math.min(removed, added);
  for (let i = prefix; i < prefix + paired; i += 1) list[i] = after[i]!;
  if (removed > paired) list.splice(prefix + paired, removed - paired);
  else if (added > paired) {
    if (added - paired <= SPLICE_ARGS_MAX) list.splice(prefix + paired, 0, ...after.slice(prefix + paired, prefix + added));
    else {
      list.length = 0;
      for (const value of after) list.push(value);
    }
  }
}
