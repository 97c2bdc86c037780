// Edge cases of the merging list (sequence.ts and friends; not wired yet). The random schedules are in
// sequence-property.test.ts.
import { describe, expect, it } from 'vitest';
import type { ScratchValue } from '../../src/client/sync/list-diff.js';
import { applyPatch, keyOf, Sequence, type SequenceOp } from '../../src/client/sync/sequence.js';
import { diffToOps } from '../../src/client/sync/sequence-diff.js';
import { DEFAULT_CHUNK_BYTES, decodeSnapshot, encodeSnapshot, SnapshotAssembler } from '../../src/client/sync/sequence-snapshot.js';
import { MAX_IN_BAND_BYTES } from '../../src/protocol/limits.js';

/** Applies ops to a replica and to its Scratch array (through the patches), returning the array. */
function deliver(to: Sequence, ops: SequenceOp[], list?: ScratchValue[]): ScratchValue[] {
  const out = list ?? to.toArray();
  for (const op of ops) for (const patch of to.apply(structuredClone(op))) applyPatch(out, patch);
  return out;
}

describe('Sequence: local edits', () => {
  it('insert, push, delete and replace edit the visible list', () => {
    const s = new Sequence('a');
    s.push('x');
    s.push('z');
    s.insert(1, 'y');
    s.insert(0, 'w');
    expect(s.toArray()).toEqual(['w', 'x', 'y', 'z']);
    s.delete(0);
    s.replace(2, 'Z');
    expect(s.toArray()).toEqual(['x', 'y', 'Z']);
    expect(s.length).toBe(3);
    expect(() => s.delete(3)).toThrow(RangeError);
  });

  it('ops are plain JSON: identities are [seq, writer] (Lamport)', () => {
    const s = new Sequence('a');
    const first = s.push('x');
    const second = s.push('y');
    expect(JSON.parse(JSON.stringify(first))).toEqual({ t: 'ins', id: [1, 'a'], after: null, v: 'x' });
    expect(second).toEqual({ t: 'ins', id: [2, 'a'], after: [1, 'a'], v: 'y' });
    expect(s.delete(0)).toEqual({ t: 'del', id: [3, 'a'], target: [1, 'a'] });
  });
});

describe('Sequence: concurrent edits', () => {
  it('concurrent inserts at one place take one order on every replica, whatever the arrival order', () => {
    const a = new Sequence('a');
    const b = new Sequence('b');
    const c = new Sequence('c');
    const base = [a.push('start')];
    deliver(b, base);
    deliver(c, base);
    const fromA = [a.insert(1, 'a1'), a.insert(2, 'a2')];
    const fromB = [b.insert(1, 'b1'), b.insert(2, 'b2')];
    const fromC = [c.insert(1, 'c1')];
    deliver(a, [...fromB, ...fromC]);
    deliver(b, [...fromC, ...fromA]);
    deliver(c, [...fromA, ...fromB]);
    expect(a.toArray()).toEqual(b.toArray());
    expect(b.toArray()).toEqual(c.toArray());
    // Same seq: the higher writer id goes first; each writer's run stays together and in its order.
    expect(a.toArray()).toEqual(['start', 'c1', 'b1', 'b2', 'a1', 'a2']);
  });

  it("a player's appends stay in their order and are not interleaved with another's", () => {
    const a = new Sequence('a');
    const b = new Sequence('b');
    const fromA = ['a0', 'a1', 'a2'].map((v) => a.push(v));
    const fromB = ['b0', 'b1', 'b2'].map((v) => b.push(v));
    deliver(a, fromB);
    deliver(b, fromA);
    expect(a.toArray()).toEqual(b.toArray());
    expect(a.toArray()).toEqual(['b0', 'b1', 'b2', 'a0', 'a1', 'a2']);
  });

  it('delete wins over a concurrent replace of the same item, in either order', () => {
    for (const order of ['delete first', 'replace first']) {
      const a = new Sequence('a');
      const b = new Sequence('b');
      deliver(b, [a.push('x'), a.push('y')]);
      const del = a.delete(0);
      const rep = b.replace(0, 'X');
      const listA = deliver(a, [rep]);
      const listB = deliver(b, [del]);
      const c = new Sequence('c');
      deliver(c, [
        { t: 'ins', id: [1, 'a'], after: null, v: 'x' },
        { t: 'ins', id: [2, 'a'], after: [1, 'a'], v: 'y' },
      ]);
      deliver(c, order === 'delete first' ? [del, rep] : [rep, del]);
      for (const list of [listA, listB, a.toArray(), b.toArray(), c.toArray()]) expect(list, order).toEqual(['y']);
    }
  });

  it('concurrent replaces of one item: the highest op id wins', () => {
    const a = new Sequence('a');
    const b = new Sequence('b');
    deliver(b, [a.push('x')]);
    const fromA = a.replace(0, 'A');
    const fromB = b.replace(0, 'B');
    deliver(a, [fromB]);
    deliver(b, [fromA]);
    expect(a.toArray()).toEqual(['B']); // [2, 'b'] > [2, 'a']
    expect(b.toArray()).toEqual(['B']);
  });

  it('re-delivery changes nothing (idempotent)', () => {
    const a = new Sequence('a');
    const ops = [a.push('x'), a.push('y'), a.insert(0, 'w'), a.replace(1, 'X'), a.delete(2)];
    const b = new Sequence('b');
    const list = deliver(b, ops);
    expect(deliver(b, ops, list)).toEqual(['w', 'X']);
    expect(deliver(b, [...ops].reverse(), list)).toEqual(['w', 'X']);
    expect(b.toArray()).toEqual(a.toArray());
  });

  it('an op that arrives before the item it names waits for it, then applies', () => {
    const a = new Sequence('a');
    const ops = [a.push('x'), a.push('y'), a.replace(1, 'Y'), a.delete(0)];
    const b = new Sequence('b');
    const list = deliver(b, [ops[3]!, ops[2]!, ops[1]!]);
    expect(b.held).toBe(3);
    expect(list).toEqual([]);
    expect(b.ack()).toEqual({}); // nothing is claimed while something waits
    deliver(b, [ops[0]!], list);
    expect(b.held).toBe(0);
    expect(list).toEqual(['Y']);
    expect(b.ack()).toEqual({ a: 4 });
  });
});

describe('Sequence: garbage collection', () => {
  it('collects a tombstone once every known player acked its delete, not before', () => {
    const a = new Sequence('a');
    const b = new Sequence('b');
    a.addPlayer('b');
    b.addPlayer('a');
    deliver(b, [a.push('x'), a.push('y')]);
    const del = a.delete(0);
    expect(a.gc()).toBe(0); // b has not acked at all
    a.receiveAck('b', b.ack());
    expect(a.gc()).toBe(0); // b's ack is before the delete
    deliver(b, [del]);
    a.receiveAck('b', b.ack());
    expect(a.gc()).toBe(1);
    expect(a.tombstoneCount).toBe(0);
    // A repeated delivery of the collected item does not bring it back.
    deliver(a, [{ t: 'ins', id: [1, 'a'], after: null, v: 'x' }, del]);
    expect(a.toArray()).toEqual(['y']);
    // A player who joins is waited for.
    b.receiveAck('a', a.ack());
    b.addPlayer('c');
    expect(b.gc()).toBe(0);
    b.removePlayer('c');
    expect(b.gc()).toBe(1);
  });

  it('a replica that collected a tombstone places a later concurrent insert where one that did not does (barrier)', () => {
    const names = ['a', 'b', 'c', 'e'];
    const r = Object.fromEntries(names.map((n) => [n, new Sequence(n)]));
    for (const n of names) for (const m of names) if (n !== m) r[n]!.addPlayer(m);
    const everyone = (from: string, ops: SequenceOp[]) => {
      for (const n of names) if (n !== from) deliver(r[n]!, ops);
    };
    const ackTo = (to: string, from: string) => r[to]!.receiveAck(from, r[from]!.ack());
    everyone('a', [r.a!.push('y'), r.a!.push('t')]); // Y = [1,a], T = [2,a]
    // b raises its clock, then inserts D after T: D's id is high.
    const filler: SequenceOp[] = [];
    for (let i = 0; i < 5; i += 1) filler.push(r.b!.push('f'), r.b!.delete(2));
    everyone('b', filler);
    const d = r.b!.insert(2, 'd'); // after T: [13, b]
    // c deletes T, acks, then inserts N after Y: [4, c] < D's id, > T's id.
    const delT = r.c!.delete(1);
    const n = r.c!.insert(1, 'n');
    // a gets D, c's delete and everyone's acks (c acked before making N), collects T, and only then N.
    deliver(r.a!, [d, delT]);
    deliver(r.b!, [delT]);
    deliver(r.e!, [d, delT]);
    for (const from of ['b', 'e']) ackTo('a', from);
    r.a!.receiveAck('c', { ...r.c!.ack(), c: 3 }); // c's ack as it was before it made N
    expect(r.a!.gc()).toBeGreaterThan(0);
    expect(r.a!.toArray()).toEqual(['y', 'd']);
    deliver(r.a!, [n]);
    deliver(r.b!, [n]);
    deliver(r.e!, [n]); // e collected nothing
    deliver(r.c!, [d, ...filler]);
    deliver(r.b!, []);
    for (const name of names) expect(r[name]!.toArray(), name).toEqual(['y', 'n', 'd']);
  });
});

describe('Sequence: snapshots', () => {
  it('a 100,000-item state travels in chunks under the message limit and reassembles in any order', () => {
    const a = new Sequence('instance-0123456789abcdef');
    for (let i = 0; i < 100_000; i += 1) a.push(`item ${i}`);
    for (let i = 0; i < 1000; i += 1) a.delete(i * 50);
    a.insert(0, 'front');
    a.replace(5, 'replaced');
    const chunks = encodeSnapshot(a);
    expect(chunks.length).toBeGreaterThan(1);
    for (const chunk of chunks) expect(Buffer.byteLength(JSON.stringify(chunk))).toBeLessThanOrEqual(DEFAULT_CHUNK_BYTES);
    expect(DEFAULT_CHUNK_BYTES).toBeLessThan(MAX_IN_BAND_BYTES);
    const assembler = new SnapshotAssembler();
    const shuffled = chunks.map((chunk) => JSON.parse(JSON.stringify(chunk))).reverse();
    let state = null;
    for (const chunk of [...shuffled, shuffled[0]]) state = assembler.add(chunk) ?? state;
    expect(assembler.add(shuffled[1])).toBeNull(); // a late repeat does not start another snapshot
    const b = new Sequence('b');
    const list: ScratchValue[] = [];
    for (const patch of b.merge(state!)) applyPatch(list, patch);
    expect(b.toArray()).toEqual(a.toArray());
    expect(list).toEqual(a.toArray());
    expect(b.tombstoneCount).toBe(1000);
    // Both go on editing and agree.
    const fromB = [b.insert(1, 'b'), b.delete(99_000)];
    const fromA = [a.insert(1, 'a'), a.push('end')];
    deliver(a, fromB);
    deliver(b, fromA);
    expect(b.toArray()).toEqual(a.toArray());
  });

  it('plain appended items cost a few bytes each; unicode is measured in UTF-8 bytes', () => {
    const a = new Sequence('w');
    a.push('x');
    a.push('y');
    expect(encodeSnapshot(a)[0]!.items).toEqual([
      [1, 0, 'x', null],
      [2, 0, 'y'],
    ]);
    const u = new Sequence('w');
    for (let i = 0; i < 200; i += 1) u.push('ééééééééé🎉');
    const chunks = encodeSnapshot(u, 1000);
    for (const chunk of chunks) expect(Buffer.byteLength(JSON.stringify(chunk))).toBeLessThanOrEqual(1000);
    expect(decodeSnapshot(chunks).items.map((item) => item.value)).toEqual(u.toArray());
    expect(() => encodeSnapshot(u, 60)).toThrow(/does not fit/);
  });

  it('a newer snapshot from the same sender replaces an unfinished one', () => {
    const a = new Sequence('a');
    for (let i = 0; i < 50; i += 1) a.push(`item ${i}`);
    const old = encodeSnapshot(a, 300);
    a.push('newer');
    const fresh = encodeSnapshot(a, 300);
    expect(old.length).toBeGreaterThan(2);
    const assembler = new SnapshotAssembler();
    expect(assembler.add(old[0]!)).toBeNull();
    let state = null;
    for (const chunk of fresh) state = assembler.add(chunk) ?? state;
    const b = new Sequence('b');
    b.merge(state!);
    expect(b.toArray()).toEqual(a.toArray());
  });

  it('a later snapshot whose sender collected a tombstone the joiner still has is merged as ops (its barriers stay there)', () => {
    const a = new Sequence('a');
    const b = new Sequence('b');
    const c = new Sequence('c');
    a.addPlayer('b');
    b.addPlayer('a');
    const base = [a.push('o'), a.push('c3')]; // o = [1,a]; c3 = [2,a] after o
    deliver(b, base);
    deliver(c, base);
    const fromA = [a.insert(1, 'x6'), a.insert(1, 'x9')]; // both after o: o, x9, x6, c3
    const fromB = [b.delete(0), b.delete(0)]; // o and c3, concurrently
    deliver(a, fromB);
    deliver(b, fromA);
    deliver(c, fromB); // c has o and c3 as tombstones, not x6 and x9 yet
    a.receiveAck('b', b.ack());
    expect(a.gc()).toBe(2); // a collected o and c3: x9 carries o's barrier
    const joiner = new Sequence('j');
    joiner.merge(decodeSnapshot(encodeSnapshot(c)));
    expect(joiner.tombstoneCount).toBe(2);
    const list = joiner.toArray();
    for (const patch of joiner.merge(decodeSnapshot(encodeSnapshot(a)))) applyPatch(list, patch);
    expect(joiner.toArray()).toEqual(['x9', 'x6']);
    expect(list).toEqual(['x9', 'x6']);
    expect(a.toArray()).toEqual(['x9', 'x6']);
  });

  it('merging a snapshot into a replica that has diverged gives the union', () => {
    const a = new Sequence('a');
    const b = new Sequence('b');
    deliver(b, [a.push('1'), a.push('2')]);
    a.insert(1, 'a-only');
    b.delete(0);
    b.push('b-only');
    a.merge(decodeSnapshot(encodeSnapshot(b)));
    b.merge(decodeSnapshot(encodeSnapshot(a)));
    expect(a.toArray()).toEqual(b.toArray());
    expect(new Set(a.toArray())).toEqual(new Set(['a-only', '2', 'b-only']));
  });
});

describe('diffToOps: a local Scratch edit as operations', () => {
  const long = Array.from({ length: 1000 }, (_, i) => `item ${i}`);
  const edit = (before: ScratchValue[], after: ScratchValue[]) => {
    const s = new Sequence('me');
    for (const value of before) s.push(value);
    const ops = diffToOps(s, before, after);
    expect(s.toArray()).toEqual(after);
    const other = new Sequence('other');
    deliver(other, [
      ...Array.from({ length: before.length }, (_, i) => ({ t: 'ins', id: [i + 1, 'me'], after: i ? [i, 'me'] : null, v: before[i]! }) as SequenceOp),
      ...ops,
    ]);
    expect(other.toArray()).toEqual(after);
    return ops.map((op) => op.t);
  };

  it('each Scratch list block is one operation, whatever the length', () => {
    expect(edit(long, [...long, 'new'])).toEqual(['ins']); // add
    expect(edit(long, ['new', ...long])).toEqual(['ins']); // insert at 1
    expect(edit(long, long.slice(1))).toEqual(['del']); // delete 1
    expect(edit(long, long.slice(0, -1))).toEqual(['del']); // delete last
    expect(
      edit(
        long,
        long.map((v, i) => (i === 500 ? 'x' : v)),
      ),
    ).toEqual(['rep']); // replace
    expect(edit(long, long)).toEqual([]);
    expect(edit(['a', 'b'], [])).toEqual(['del', 'del']); // delete all
    expect(edit([1, 2, 3], [1, '2', 3])).toEqual(['rep']); // 2 and "2" differ, as in Scratch
  });

  it('random before → after pairs round-trip', () => {
    let state = 12345;
    const random = () => {
      state = (state * 1664525 + 1013904223) >>> 0;
      return state / 2 ** 32;
    };
    const list = (n: number) => Array.from({ length: n }, () => Math.floor(random() * 4));
    for (let i = 0; i < 500; i += 1) edit(list(Math.floor(random() * 8)), list(Math.floor(random() * 8)));
  });
});

describe('keyOf', () => {
  it('names an item uniquely', () => {
    expect(keyOf([12, 'a:b'])).not.toBe(keyOf([1, '2:a:b']));
  });
});
