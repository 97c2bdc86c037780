// The values a merged list shows, in chunks (src/client/sync/chunked-values.ts): kept equal to a plain
// array through every kind of edit, across chunk splits and emptied chunks; and the compare with the
// Scratch list (changedRun) finds one edit from either end, and any change in full.
import { describe, expect, it } from 'vitest';
import { ChunkedValues, MAX_CHUNK } from '../../src/client/sync/chunked-values.js';
import type { ScratchValue } from '../../src/client/sync/list-diff.js';
import { Sequence } from '../../src/client/sync/sequence.js';
import { diffToOps } from '../../src/client/sync/sequence-diff.js';
import { prng } from './memory.js';

const random = prng(99);
const int = (below: number) => Math.floor(random() * below);
/** Few distinct values, so an edited item often equals its neighbours. */
const list = (n: number) => Array.from({ length: n }, () => int(3));
/** Every value through get(), from the front. */
const all = (values: ChunkedValues) => Array.from({ length: values.length }, (_, i) => values.get(i));

describe('ChunkedValues', () => {
  it('stays equal to a plain array through inserts, deletes, sets and patches, across chunk splits and emptied chunks', () => {
    const model: ScratchValue[] = list(3 * MAX_CHUNK);
    const values = new ChunkedValues(model);
    for (let step = 0; step < 20_000; step += 1) {
      const roll = random();
      // Bursts at the front and back grow and empty whole chunks; the rest lands anywhere.
      const at = roll < 0.3 ? 0 : roll < 0.6 ? model.length : int(model.length + 1);
      if (random() < (model.length > 4 * MAX_CHUNK ? 0.3 : 0.6)) {
        values.insert(at, step);
        model.splice(at, 0, step);
      } else if (model.length > 0) {
        const index = Math.min(at, model.length - 1);
        if (random() < 0.7) {
          values.apply({ kind: 'delete', index });
          model.splice(index, 1);
        } else {
          values.apply({ kind: 'replace', index, value: `r${step}` });
          model[index] = `r${step}`;
        }
      }
      if (step % 997 === 0) expect(all(values)).toEqual(model);
    }
    expect(values.length).toBe(model.length);
    expect(all(values)).toEqual(model);
    values.apply({ kind: 'reset', values: ['a', 'b'] });
    expect(all(values)).toEqual(['a', 'b']);
  });

  it('finds one edit anywhere (duplicates included) walking in from both ends, and any change with the full compare', () => {
    for (let i = 0; i < 2000; i += 1) {
      // Short lists, and now and then ones over several chunks.
      const before = list(i % 10 === 0 ? int(4 * MAX_CHUNK) : int(10));
      const after = before.slice();
      const roll = random();
      if (roll < 0.4) after.splice(int(after.length + 1), 0, int(3));
      else if (roll < 0.7 && after.length > 0) after.splice(int(after.length), 1);
      else if (after.length > 0) after[int(after.length)] = int(3);
      for (const oneEdit of [true, false]) {
        const s = new Sequence('me');
        for (const value of before) s.push(value);
        const values = new ChunkedValues(before);
        const run = values.changedRun(after, oneEdit)!;
        diffToOps(s, values, after, run);
        expect(s.toArray(), `${before} → ${after}`).toEqual(after);
        values.sync(after, run);
        expect(all(values)).toEqual(after);
      }
      const any = list(int(10));
      const values = new ChunkedValues(before);
      values.sync(any, values.changedRun(any)!);
      expect(all(values)).toEqual(any);
    }
  });

  it('finds an add, a front insert or a front delete of a long list at the first compare', () => {
    const before = Array.from({ length: 10_000 }, (_, i) => i);
    const values = new ChunkedValues(before);
    expect(values.changedRun([...before, 'new'], true)).toEqual({ prefix: 10_000, removed: 0, added: 1 });
    expect(values.changedRun(['front', ...before], true)).toEqual({ prefix: 0, removed: 0, added: 1 });
    expect(values.changedRun(before.slice(1), true)).toEqual({ prefix: 0, removed: 1, added: 0 });
    expect(values.changedRun([...before, 1, 2], true)).toBeNull(); // two items more: not one edit
  });
});
