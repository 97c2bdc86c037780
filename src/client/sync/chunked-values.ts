// The values a merged list shows, in order, kept in chunks of at most MAX_CHUNK: the "before" that a
// compare with the Scratch list walks (to find an edit the binding cannot see, a "replace item"; and
// the audit). Walking it is as fast as walking an array (walking the sequence's tree is 20–40× slower
// per item), and an insert or delete moves the items of one chunk, not the whole list.
import type { ScratchValue } from './list-diff.js';
import type { Patch } from './sequence.js';

/** Most items in one chunk: a fuller chunk is split in two halves. */
export const MAX_CHUNK = 512;

/** Where the list and `after` differ: one run after their common prefix, `removed` items replaced by `added` ones. */
export interface ChangedRun {
  prefix: number;
  removed: number;
  added: number;
}

export class ChunkedValues {
  private chunks: ScratchValue[][] = [[]];
  length = 0;
  /** Set by locate(): the chunk holding an index, and the index inside it. */
  private chunk = 0;
  private offset = 0;

  constructor(values: readonly ScratchValue[] = []) {
    this.reset(values);
  }

  reset(values: readonly ScratchValue[]): void {
    this.chunks = [];
    for (let at = 0; at < values.length; at += MAX_CHUNK / 2) this.chunks.push(values.slice(at, at + MAX_CHUNK / 2));
    if (this.chunks.length === 0) this.chunks.push([]);
    this.length = values.length;
  }

  get(index: number): ScratchValue {
    this.locate(index, false);
    return this.chunks[this.chunk]![this.offset]!;
  }

  insert(index: number, value: ScratchValue): void {
    this.locate(index, true);
    const chunk = this.chunks[this.chunk]!;
    chunk.splice(this.offset, 0, value);
    this.length += 1;
    if (chunk.length > MAX_CHUNK) this.chunks.splice(this.chunk + 1, 0, chunk.splice(MAX_CHUNK / 2));
  }

  delete(index: number): void {
    this.locate(index, false);
    const chunk = this.chunks[this.chunk]!;
    chunk.splice(this.offset, 1);
    this.length -= 1;
    if (chunk.length === 0 && this.chunks.length > 1) this.chunks.splice(this.chunk, 1);
  }

  set(index: number, value: ScratchValue): void {
    this.locate(index, false);
    this.chunks[this.chunk]![this.offset] = value;
  }

  /** A remote edit, as the Scratch list gets it. */
  apply(patch: Patch): void {
    if (patch.kind === 'insert') this.insert(patch.index, patch.value);
    else if (patch.kind === 'delete') this.delete(patch.index);
    else if (patch.kind === 'replace') this.set(patch.index, patch.value);
    else this.reset(patch.values);
  }

  /** Makes these values equal `after`, which differs from them by `run` (the run's items only are touched). */
  sync(after: readonly ScratchValue[], { prefix, removed, added }: ChangedRun): void {
    const paired = Math.min(removed, added);
    for (let i = prefix; i < prefix + paired; i += 1) this.set(i, after[i]!);
    for (let i = paired; i < removed; i += 1) this.delete(prefix + paired);
    for (let i = paired; i < added; i += 1) this.insert(prefix + i, after[prefix + i]!);
  }

  /**
   * The run where these values and `after` differ: the common prefix, then the common suffix. O(n).
   *
   * `oneEdit`: the caller knows exactly one edit changed the list since these values matched it (one
   * insert, delete or replace). Then the first difference found walking in from either end, in turns,
   * is the edit: an edit at index k costs O(min(k, n − k)). Returns null if that cannot tell (the
   * length changed by more than one).
   */
  changedRun(after: readonly ScratchValue[], oneEdit = false): ChangedRun | null {
    const length = this.length;
    const grew = after.length - length;
    const shorter = Math.min(length, after.length);
    let prefix = 0;
    let suffix = 0;
    if (!oneEdit) {
      prefix = this.matchForward(after, 0, shorter);
      suffix = this.matchBackward(after, 0, shorter - prefix);
      return { prefix, removed: length - prefix - suffix, added: after.length - prefix - suffix };
    }
    if (Math.abs(grew) > 1) return null;
    /** The run of the one edit at `at`: its index in these values (a delete or replace) or in `after` (an insert). */
    const edit = (at: number): ChangedRun => ({ prefix: at, removed: grew === 1 ? 0 : 1, added: grew === -1 ? 0 : 1 });
    // In turns from each end, twice as far each turn: the nearer end's edit is found in O(min(k, n − k)).
    for (let step = 64; prefix + suffix < shorter; step *= 2) {
      let count = Math.min(step, shorter - prefix - suffix);
      let matched = this.matchForward(after, prefix, count);
      prefix += matched;
      if (matched < count) return edit(prefix);
      count = Math.min(step, shorter - prefix - suffix);
      matched = this.matchBackward(after, suffix, count);
      suffix += matched;
      if (matched < count) return edit((grew === 1 ? after.length : length) - 1 - suffix);
    }
    // Every compared item matched: a replace changed nothing, or the item added or removed is the one between.
    return grew === 0 ? { prefix: length, removed: 0, added: 0 } : edit(prefix);
  }

  /** How many items from `start` on equal `after`'s at the same index (at most `count`). */
  matchForward(after: readonly ScratchValue[], start: number, count: number): number {
    if (count <= 0) return 0;
    this.locate(start, false);
    let matched = 0;
    for (let c = this.chunk, o = this.offset; c < this.chunks.length; c += 1, o = 0) {
      const chunk = this.chunks[c]!;
      for (; o < chunk.length; o += 1) {
        if (matched === count || !Object.is(chunk[o], after[start + matched])) return matched;
        matched += 1;
      }
    }
    return matched;
  }

  /** How many items, `skip` from the end on and walking to the front, equal `after`'s as many from its end (at most `count`). */
  private matchBackward(after: readonly ScratchValue[], skip: number, count: number): number {
    if (count <= 0) return 0;
    this.locate(this.length - 1 - skip, false);
    const last = after.length - 1 - skip;
    let matched = 0;
    for (let c = this.chunk, o = this.offset; c >= 0; c -= 1, o = c >= 0 ? this.chunks[c]!.length - 1 : 0) {
      const chunk = this.chunks[c]!;
      for (; o >= 0; o -= 1) {
        if (matched === count || !Object.is(chunk[o], after[last - matched])) return matched;
        matched += 1;
      }
    }
    return matched;
  }

  /** Finds the chunk holding `index` (`end`: an insert may go right after its last item). */
  private locate(index: number, end: boolean): void {
    const chunks = this.chunks;
    let rest = index;
    let c = 0;
    while (c < chunks.length - 1 && (end ? rest > chunks[c]!.length : rest >= chunks[c]!.length)) rest -= chunks[c++]!.length;
    this.chunk = c;
    this.offset = rest;
  }
}
