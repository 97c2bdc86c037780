// A local change to a Scratch list as sequence operations, for the edits the binding is not told
// exactly (merged-list-entry.ts): a "replace item" (Scratch assigns one index, nothing to observe),
// an edit by other code, changes made before the player had an id. The Scratch list is compared with
// the values the sequence shows (chunked-values.ts, walked in place: the Scratch list is never
// copied). They share a prefix and a suffix around one changed run: its items are replaced pairwise,
// then the rest deleted or inserted. One block's edit becomes one operation whatever the list's
// length ("delete all" is one clear op).
import type { ChunkedValues } from './chunked-values.js';
import type { Sequence, SequenceOp } from './sequence.js';
import type { ScratchValue } from './stores.js';

/**
 * Applies before → after to `sequence` as local edits and returns them for sending. `before` holds
 * what the sequence shows (it is not changed here).
 */
export function diffToOps(sequence: Sequence, before: ChunkedValues, after: readonly ScratchValue[], run = before.changedRun(after)!): SequenceOp[] {
  // "delete all of [list]": one clear op, not one delete per item.
  if (after.length === 0 && before.length > 1) return sequence.clear();
  const { prefix, removed, added } = run;
  const paired = Math.min(removed, added);
  const ops: SequenceOp[] = [];
  for (let i = 0; i < paired; i += 1) {
    if (!Object.is(before.get(prefix + i), after[prefix + i])) ops.push(sequence.replace(prefix + i, after[prefix + i]!));
  }
  for (let i = paired; i < removed; i += 1) ops.push(sequence.delete(prefix + paired));
  for (let i = paired; i < added; i += 1) ops.push(sequence.insert(prefix + i, after[prefix + i]!));
  return ops;
}
