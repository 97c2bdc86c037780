// Edge cases of the merging list (sequence.ts and friends; not wired yet). The random schedules are in
// sequence-property.test.ts.
import { describe, expect, it } from 'vitest';
import type { ScratchValue } from '../../src/client/sync/list-diff.js';
import { applyPatch, type ClearOp, keyOf, type Patch, Sequence, type SequenceOp } from '../../src/client/sync/sequence.js';
import { ChunkedValues } from '../../src/client/sync/chunked-values.js';
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

describe('Sequence: clear ("delete all")', () => {
  /** Players that know each other (gc waits for each one's ack). */
  const room = (...names: string[]) => {
    const r = Object.fromEntries(names.map((n) => [n, new Sequence(n)]));
    for (const n of names) for (const m of names) if (n !== m) r[n]!.addPlayer(m);
    return r as Record<string, Sequence>;
  };
  const patchesOf = (to: Sequence, ops: SequenceOp[]): Patch[] => ops.flatMap((op) => to.apply(structuredClone(op)));

  it('is one small op whatever the length; the receiver gets one reset patch', () => {
    const a = new Sequence('a');
    const b = new Sequence('b');
    const list = deliver(
      b,
      Array.from({ length: 1000 }, (_, i) => a.push(i)),
    );
    const ops = a.clear();
    expect(ops).toEqual([{ t: 'clr', id: [1001, 'a'], seen: { a: 1000 } }]);
    expect(a.toArray()).toEqual([]);
    const patches = patchesOf(b, ops);
    expect(patches).toEqual([{ kind: 'reset', values: [] }]);
    for (const patch of patches) applyPatch(list, patch);
    expect(list).toEqual([]);
    expect(b.tombstoneCount).toBe(1000);
    expect(patchesOf(b, ops)).toEqual([]); // a repeat changes nothing
  });

  it('an insert concurrent with the clear survives, on every replica, in either order', () => {
    const { a, b } = room('a', 'b');
    const c = new Sequence('c');
    const base = [a!.push('x'), a!.push('y')];
    deliver(b!, base);
    deliver(c, base);
    const clear = a!.clear();
    const insert = [b!.insert(1, 'new')]; // after x, which a is clearing
    const listA = deliver(a!, insert);
    const listB = deliver(b!, clear);
    expect(listA).toEqual(['new']);
    expect(listB).toEqual(['new']);
    deliver(c, [...insert, ...clear]);
    expect(c.toArray()).toEqual(['new']);
  });

  it('an insert the clearer had, arriving after the clear, is hidden on arrival and converges (also as an origin)', () => {
    const a = new Sequence('a');
    const b = new Sequence('b');
    const c = new Sequence('c');
    const fromB = [b.push('b1'), b.push('b2')];
    deliver(a, fromB);
    const clear = a.clear(); // covers b1 and b2: a had them
    expect((clear[0] as ClearOp).seen).toEqual({ b: 2 });
    const after = [b.insert(2, 'b3')]; // b had not seen the clear: after b2
    const list = deliver(c, clear); // c gets the clear before b's items (b → c is slow)
    expect(list).toEqual([]);
    expect(patchesOf(c, [...fromB, ...after])).toEqual([{ kind: 'insert', index: 0, value: 'b3' }]);
    expect(c.arrivedCleared).toBe(2);
    expect(c.tombstoneCount).toBe(2);
    deliver(b, clear);
    deliver(a, after);
    for (const s of [a, b, c]) expect(s.toArray()).toEqual(['b3']);
    // A put on a hidden item stays hidden (delete wins).
    const put: SequenceOp = { t: 'rep', id: [9, 'b'], target: [1, 'b'], v: 'again' };
    expect(patchesOf(c, [put])).toEqual([]);
    expect(c.toArray()).toEqual(['b3']);
  });

  it('a clear made while ops are held also deletes, one by one, what its frozen ack does not cover', () => {
    const a = new Sequence('a');
    const b = new Sequence('b');
    const ops = [a.push('x'), a.push('y'), a.push('z')];
    deliver(b, [ops[0]!]);
    const late: SequenceOp = { t: 'rep', id: [9, 'c'], target: [5, 'c'], v: 'v' };
    deliver(b, [late]); // held: the ack freezes at { a: 1 }
    deliver(b, [ops[1]!, ops[2]!]);
    expect(b.ack()).toEqual({ a: 1 });
    const cleared = b.clear();
    expect(cleared.map((op) => op.t)).toEqual(['clr', 'del', 'del']);
    expect((cleared[0] as ClearOp).seen).toEqual({ a: 1 });
    expect(b.toArray()).toEqual([]);
    deliver(a, cleared);
    expect(a.toArray()).toEqual([]);
  });

  it('tombstones of a clear, and of items hidden on arrival, are collected once everyone applied it; a late repeat stays gone', () => {
    const { a, b, c } = room('a', 'b', 'c');
    const all = { a: a!, b: b!, c: c! };
    const ackTo = (to: Sequence, ...from: (keyof typeof all)[]) => {
      for (const name of from) to.receiveAck(name, all[name].ack());
    };
    const fromA = [a!.push('a1')];
    deliver(b!, fromA);
    deliver(c!, fromA);
    const fromB = [b!.push('b1'), b!.push('b2')];
    deliver(a!, fromB);
    const clear = a!.clear(); // covers a1, b1 and b2
    deliver(b!, clear);
    deliver(c!, clear); // c has a1 only: b's items are still on the b → c link
    ackTo(c!, 'a');
    expect(c!.gc()).toBe(0); // b's ack (behind b's items on that link) is not here yet
    deliver(c!, fromB); // hidden on arrival: deleted by the clear
    expect(c!.toArray()).toEqual([]);
    expect(c!.arrivedCleared).toBe(2);
    expect(c!.tombstoneCount).toBe(3);
    ackTo(a!, 'b', 'c');
    ackTo(b!, 'a', 'c');
    ackTo(c!, 'a', 'b');
    for (const s of [a!, b!, c!]) expect(s.gc()).toBe(3);
    // Every player applied the clear, so every item it covered had arrived everywhere: a repeat is ignored.
    expect(patchesOf(c!, [...fromB, ...fromA])).toEqual([]);
    expect(c!.tombstoneCount).toBe(0);
    const next = [b!.push('after')];
    for (const s of [a!, c!]) deliver(s, next);
    for (const s of [a!, b!, c!]) expect(s.toArray()).toEqual(['after']);
  });

  it('a snapshot carries the clears: a first load hides a covered item that arrives later, a later merge hides one its sender collected', () => {
    // w's items reach a and z; a clears; z gets the clear before w's last item.
    const { a, w } = room('a', 'w');
    const z = new Sequence('z');
    const early = [w!.push('w1')];
    const last = [w!.push('w2')];
    deliver(a!, [...early, ...last]);
    deliver(z, early);
    const oldW = decodeSnapshot(encodeSnapshot(w!)); // w before the clear: w1, w2 visible
    const clear = a!.clear();
    deliver(z, clear);
    const fromZ = encodeSnapshot(z);
    expect(fromZ[0]!.cleared).toEqual({ w: [2, 3, 'a'] }); // writer → [seq, clear's stamp seq, its writer]
    // First load: z's state (w2 not in it); w2 arrives later and stays hidden.
    const j = new Sequence('j');
    const list: ScratchValue[] = [];
    for (const patch of j.merge(decodeSnapshot(JSON.parse(JSON.stringify(fromZ))))) applyPatch(list, patch);
    for (const patch of patchesOf(j, last)) applyPatch(list, patch);
    expect(j.toArray()).toEqual([]);
    expect(list).toEqual([]);
    // Later merge: k first loads w's old state (w1, w2 shown), then a's state after a collected both.
    deliver(w!, clear);
    a!.receiveAck('w', w!.ack());
    expect(a!.gc()).toBe(2);
    const k = new Sequence('k');
    const shown: ScratchValue[] = [];
    for (const patch of k.merge(oldW)) applyPatch(shown, patch);
    expect(shown).toEqual(['w1', 'w2']);
    const patches = k.merge(decodeSnapshot(encodeSnapshot(a!)));
    expect(patches).toEqual([{ kind: 'reset', values: [] }]);
    for (const patch of patches) applyPatch(shown, patch);
    expect(shown).toEqual([]);
    expect(k.toArray()).toEqual([]);
  });

  it('a reset patch rewrites the array in place', () => {
    const list: ScratchValue[] = ['a', 'b', 'c'];
    const same = list;
    applyPatch(list, { kind: 'reset', values: ['x', 2] });
    expect(same).toEqual(['x', 2]);
    applyPatch(list, { kind: 'reset', values: [] });
    expect(same).toEqual([]);
    const big = Array.from({ length: 200_000 }, (_, i) => i);
    applyPatch(list, { kind: 'reset', values: big }); // no spread: no argument-count limit
    expect(same.length).toBe(200_000);
  });
});

describe('Sequence: a replica rebuilt from a state, its own earlier ops replayed', () => {
  it("J's edits made alone, replayed onto a fresh replica loaded from another's state, converge everywhere", () => {
    const a = new Sequence('a');
    const b = new Sequence('b');
    deliver(b, [a.push('a1'), a.push('a2'), a.insert(0, 'a0')]);
    deliver(a, [b.push('b1')]);
    // J, alone: inserts at the front and end, deletes, replaces, clears, and goes on.
    const j = new Sequence('j');
    const mine: SequenceOp[] = [j.push('j1'), j.push('j2'), j.insert(0, 'j0'), j.push('j3')];
    mine.push(j.delete(1), j.replace(0, 'J0'));
    mine.push(...j.clear());
    mine.push(j.push('k1'), j.insert(0, 'k0'), j.push('k2'), j.delete(2), j.replace(1, 'K1'));
    expect(j.toArray()).toEqual(['k0', 'K1']);
    // Rebuilt: a fresh replica (same writer) loads a's state, then replays J's own ops.
    const fresh = new Sequence('j');
    const list: ScratchValue[] = [];
    for (const patch of fresh.merge(decodeSnapshot(encodeSnapshot(a)))) applyPatch(list, patch);
    for (const op of mine) for (const patch of fresh.apply(structuredClone(op))) applyPatch(list, patch);
    expect(fresh.held).toBe(0);
    expect(list).toEqual(fresh.toArray());
    expect(fresh.toArray()).toEqual(['k0', 'K1', 'a0', 'a1', 'a2', 'b1']);
    // Its ack claims its own ops; its next local op gets a fresh id.
    expect(fresh.ack()).toEqual({ ...a.ack(), j: 12 });
    const next = fresh.insert(1, 'k9');
    expect(next.id).toEqual([13, 'j']);
    // J's ops reach the others; everyone ends equal.
    deliver(a, [...mine, next]);
    deliver(b, [...mine, next]);
    expect(a.toArray()).toEqual(fresh.toArray());
    expect(b.toArray()).toEqual(fresh.toArray());
  });
});

describe('diffToOps: a local Scratch edit as operations', () => {
  const long = Array.from({ length: 1000 }, (_, i) => `item ${i}`);
  const edit = (before: ScratchValue[], after: ScratchValue[]) => {
    const s = new Sequence('me');
    for (const value of before) s.push(value);
    const ops = diffToOps(s, new ChunkedValues(before), after);
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
    expect(edit(long, [])).toEqual(['clr']); // delete all
    expect(edit(['a'], [])).toEqual(['del']); // one item: a plain delete
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
