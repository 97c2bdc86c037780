// A frame's local change to a Scratch list as sequence operations (design, not yet wired). Scratch's
// list blocks change one place per block (add, insert at, delete, replace, delete all), so the
// common prefix and suffix of before/after leave one changed run: its items are replaced pairwise,
// then the rest deleted or inserted. One block's edit becomes one operation whatever the list's length,
// and nothing is copied (the scan compares in place).
import type { ScratchValue } from './list-diff.js';
import type { Sequence, SequenceOp } from './sequence.js';

/**
 * Applies before → after to `sequence` as local edits and returns them for sending.
 * `sequence.toArray()` must equal `before`.
 */
export function diffToOps(sequence: Sequence, before: readonly ScratchValue[], after: readonly ScratchValue[]): SequenceOp[] {
  const shorter = Math.min(before.length, after.length);
  let prefix = 0;
  while (prefix < shorter && Object.is(before[prefix], after[prefix])) prefix += 1;
  let suffix = 0;
  while (suffix < shorter - prefix && Object.is(before[before.length - 1 - suffix], after[after.length - 1 - suffix])) suffix += 1;
  const removed = before.length - prefix - suffix;
  const added = after.length - prefix - suffix;
  const paired = Math.min(removed, added);
  const ops: SequenceOp[] = [];
  for (let i = 0; i < paired; i += 1) {
    if (!Object.is(before[prefix + i], after[prefix + i])) ops.push(sequence.replace(prefix + i, after[prefix + i]!));
  }
  for (let i = paired; i < removed; i += 1) ops.push(sequence.delete(prefix + paired));
  for (let i = paired; i < added; i += 1) ops.push(sequence.insert(prefix + i, after[prefix + i]!));
  return ops;
}
