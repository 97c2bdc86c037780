// The merging counter (counter.ts; not wired yet). Random schedules are in sequence-property.test.ts.
import { describe, expect, it } from 'vitest';
import { Counter, type CounterOp } from '../../src/client/sync/counter.js';

const deliver = (to: Counter, ops: CounterOp[]) => {
  for (const op of ops) to.apply(structuredClone(op));
};

describe('Counter', () => {
  it('3 players × 30 changes by 1 at the same time give +90 everywhere', () => {
    const players = ['a', 'b', 'c'].map((id) => new Counter(id));
    const sent = players.map((p) => Array.from({ length: 30 }, () => p.add(1)));
    players.forEach((p, i) => {
      sent.forEach((ops, j) => {
        if (i !== j) deliver(p, ops);
      });
    });
    for (const p of players) expect(p.value).toBe(90);
  });

  it('re-delivered, reordered or skipped-then-caught-up changes count once', () => {
    const a = new Counter('a');
    const ops = [a.add(5), a.add(-2), a.add(10)];
    const b = new Counter('b');
    deliver(b, [ops[2]!, ops[0]!, ops[1]!, ops[2]!, ops[0]!]);
    expect(b.value).toBe(13);
    // The running total carries the ones that were lost on the way.
    const c = new Counter('c');
    deliver(c, [ops[2]!]);
    expect(c.value).toBe(13);
  });

  it('a set discards the changes its writer had seen; concurrent and later ones add on top', () => {
    const a = new Counter('a');
    const b = new Counter('b');
    deliver(b, [a.add(3)]); // b has seen a's +3
    const concurrent = a.add(4); // b has not seen this one
    const reset = b.set(0);
    const after = b.add(1);
    deliver(a, [reset, after]);
    deliver(b, [concurrent]);
    expect(a.value).toBe(5); // 0 + 4 (concurrent) + 1 (after)
    expect(b.value).toBe(5);
  });

  it('a set that arrives before changes its writer had seen does not count them twice', () => {
    const a = new Counter('a');
    const b = new Counter('b');
    const c = new Counter('c');
    const plus = a.add(7);
    deliver(b, [plus]);
    const reset = b.set(100);
    deliver(c, [reset]); // c gets the set first (b's link is faster)...
    expect(c.value).toBe(100);
    deliver(c, [plus]); // ...and a's change, which the set already covered, later
    expect(c.value).toBe(100);
  });

  it('concurrent sets: the higher version [seq, writer] wins on every player', () => {
    const a = new Counter('a');
    const b = new Counter('b');
    const fromA = a.set(10);
    const fromB = b.set(20);
    deliver(a, [fromB]);
    deliver(b, [fromA]);
    expect(a.value).toBe(20);
    expect(b.value).toBe(20);
    // A set made after seeing another has a higher seq, so it wins whatever its writer id.
    const later = a.set(1);
    deliver(b, [later]);
    expect(later.version).toEqual([2, 'a']);
    expect(b.value).toBe(1);
  });

  it('a late joiner merges the whole state (one packet)', () => {
    const a = new Counter('a');
    const b = new Counter('b');
    deliver(b, [a.add(2), a.set(50), a.add(1)]);
    b.add(-3);
    const late = new Counter('late');
    late.merge(JSON.parse(JSON.stringify(b.state())));
    late.merge(JSON.parse(JSON.stringify(a.state())));
    expect(late.value).toBe(48);
    expect(late.merge(b.state())).toBe(false);
  });
});
