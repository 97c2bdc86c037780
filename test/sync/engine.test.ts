import { describe, expect, it } from 'vitest';
import { applyEdit, diffList, type ScratchValue } from '../../src/client/sync/list-diff.js';
import { compare } from '../../src/client/sync/version.js';
import { MemoryList, MemoryNetwork, MemoryVariable, prng } from './memory.js';

describe('versions', () => {
  it('order by seq, then writer id', () => {
    expect(compare([2, 'a'], [1, 'z'])).toBeGreaterThan(0);
    expect(compare([1, 'b'], [1, 'a'])).toBeGreaterThan(0);
    expect(compare([1, 'a'], [1, 'a'])).toBe(0);
    expect(compare([0, ''], [1, ''])).toBeLessThan(0);
  });
});

describe('diffList', () => {
  const roundTrip = (before: ScratchValue[], after: ScratchValue[]) => {
    const edits = diffList(before, after);
    const list = before.slice();
    for (const edit of edits) applyEdit(list, edit);
    expect(list).toEqual(after);
    return edits;
  };
  const long = Array.from({ length: 1000 }, (_, i) => `item ${i}`);

  it('produces the smallest edits for Scratch list blocks', () => {
    expect(roundTrip(['a', 'b'], ['a', 'b'])).toEqual([]);
    expect(roundTrip(long, [...long, 'new'])).toEqual([{ method: 'replace', payload: { index: 1000, value: 'new' } }]); // add
    expect(roundTrip(long, [])).toEqual([{ method: 'length', payload: 0 }]); // delete all
    expect(roundTrip(long, long.map((v, i) => (i === 500 ? 'x' : v)))).toEqual([{ method: 'replace', payload: { index: 500, value: 'x' } }]); // replace item
    expect(roundTrip(long, long.slice(0, -1))).toEqual([{ method: 'length', payload: 999 }]); // delete last
    expect(roundTrip([...long, 'b', 'c'], [...long, 'c'])).toEqual([
      { method: 'length', payload: 1001 },
      { method: 'replace', payload: { index: 1000, value: 'c' } },
    ]);
    // On a tiny list the whole list is smaller than any edit.
    expect(roundTrip(['a', 'b', 'c'], ['a', 'c'])).toEqual([{ method: 'set', payload: ['a', 'c'] }]);
  });

  it('sends the whole list when that is smaller (delete or insert near the start of a long list)', () => {
    expect(roundTrip(long, long.slice(1))).toEqual([{ method: 'set', payload: long.slice(1) }]);
    expect(roundTrip(long, ['first', ...long])[0]!.method).toBe('set');
  });

  it('keeps numbers and strings apart, and grows lists on replace', () => {
    expect(roundTrip([...long, 1, 2], [...long, '1', 2])).toEqual([{ method: 'replace', payload: { index: 1000, value: '1' } }]);
    const list: ScratchValue[] = ['a'];
    applyEdit(list, { method: 'replace', payload: { index: 3, value: 'd' } });
    expect(list).toEqual(['a', '', '', 'd']);
    applyEdit(list, { method: 'length', payload: 5 });
    expect(list).toEqual(['a', '', '', 'd', '']);
  });
});

describe('SyncEngine', () => {
  function pair() {
    const net = new MemoryNetwork();
    const a = net.add('a');
    const b = net.add('b');
    return { net, a, b };
  }

  it('sends a variable change once and applies it without echo', () => {
    const { net, a, b } = pair();
    const va = new MemoryVariable(0);
    const vb = new MemoryVariable(0);
    a.bind('score', null, va);
    b.bind('score', null, vb);
    va.value = 42;
    net.settle();
    expect(vb.value).toBe(42);
    expect(net.messagesSent).toBe(1);
    b.flush();
    expect(net.inFlight).toEqual([]);
  });

  it('batches 100 list edits made in one frame into one message per peer', () => {
    const net = new MemoryNetwork();
    const engines = ['a', 'b', 'c', 'd'].map((id) => net.add(id));
    const lists = engines.map((engine) => {
      const list = new MemoryList([]);
      engine.bind('log', null, list);
      return list;
    });
    const counter = new MemoryVariable(0);
    engines[0]!.bind('counter', null, counter);
    lists[0]!.edit((items) => {
      for (let i = 0; i < 100; i += 1) {
        items.push(`entry ${i}`);
        if (i % 10 === 0) items.splice(0, 1);
        if (i % 7 === 0) items[0] = `edited ${i}`;
      }
    });
    counter.value = 100;
    engines[0]!.flush();
    expect(net.inFlight.length).toBe(3);
    net.settle();
    for (const list of lists) expect(list.value).toEqual(lists[0]!.value);
  });

  it('converges when two players write the same variable at once', () => {
    const { net, a, b } = pair();
    const va = new MemoryVariable('start');
    const vb = new MemoryVariable('start');
    a.bind('x', null, va);
    b.bind('x', null, vb);
    va.value = 'from a';
    vb.value = 'from b';
    net.settle();
    expect(va.value).toBe('from b'); // same seq: the higher writer id wins
    expect(vb.value).toBe('from b');
  });

  it('converges under concurrent list edits from three players in adversarial orders', () => {
    for (let seed = 1; seed <= 40; seed += 1) {
      const random = prng(seed);
      const net = new MemoryNetwork();
      const ids = ['p1', 'p2', 'p3'];
      const lists = ids.map((id) => {
        const list = new MemoryList(['a', 'b', 'c']);
        net.add(id).bind('shared', null, list);
        return list;
      });
      for (let round = 0; round < 30; round += 1) {
        const who = lists[Math.floor(random() * 3)]!;
        const op = Math.floor(random() * 5);
        who.edit((items) => {
          if (op === 0) items.push(`v${seed}.${round}`);
          else if (op === 1 && items.length) items.splice(Math.floor(random() * items.length), 1);
          else if (op === 2) items.splice(Math.floor(random() * (items.length + 1)), 0, `i${round}`);
          else if (op === 3 && items.length) items[Math.floor(random() * items.length)] = `r${round}`;
          else items.length = 0;
        });
        // Sometimes flush and deliver a few messages in a random link order; sometimes let edits pile up.
        if (random() < 0.6) for (const engine of net.engines.values()) engine.flush();
        for (let k = Math.floor(random() * 4); k > 0; k -= 1) net.deliverOne((links) => Math.floor(random() * links.length));
      }
      net.settle((links) => Math.floor(random() * links.length));
      expect(lists[1]!.value, `seed ${seed}`).toEqual(lists[0]!.value);
      expect(lists[2]!.value, `seed ${seed}`).toEqual(lists[0]!.value);
      expect(net.errors).toEqual([]);
    }
  });

  it('gives a newly linked player the current value of every id that was written', () => {
    const { net, a } = pair();
    const va = new MemoryVariable(1);
    const la = new MemoryList(['x']);
    const untouched = new MemoryVariable('mine');
    a.bind('v', null, va);
    a.bind('l', null, la);
    a.bind('u', null, untouched);
    va.value = 7;
    la.edit((items) => items.push('y'));
    net.settle();

    const c = net.add('c');
    const vc = new MemoryVariable(0);
    const lc = new MemoryList([]);
    const uc = new MemoryVariable('theirs');
    c.bind('v', null, vc);
    a.peerJoined('c');
    a.flush();
    net.settle();
    // Bound later than the value arrived: still picked up.
    c.bind('l', null, lc);
    c.bind('u', null, uc);
    expect(vc.value).toBe(7);
    expect(lc.value).toEqual(['x', 'y']);
    expect(uc.value).toBe('theirs'); // nobody wrote "u": nothing to send
  });

  it('keeps private bindings between their two players (P_VAR / P_LIST)', () => {
    const net = new MemoryNetwork();
    const a = net.add('a');
    const b = net.add('b');
    const c = net.add('c');
    const secretA = new MemoryVariable('');
    const secretB = new MemoryVariable('');
    const secretC = new MemoryVariable('');
    a.bind('secret', 'b', secretA);
    b.bind('secret', 'a', secretB);
    c.bind('secret', null, secretC);
    secretA.value = 'for b only';
    a.flush();
    expect(net.inFlight.map((m) => m.to)).toEqual(['b']);
    expect(net.inFlight[0]!.text).toContain('"P_VAR"');
    net.settle();
    expect(secretB.value).toBe('for b only');
    expect(secretC.value).toBe('');
  });

  it('refuses a kind mismatch with an error instead of corrupting state', () => {
    const { net, a, b } = pair();
    a.bind('thing', null, new MemoryVariable(1));
    const list = new MemoryList(['keep']);
    b.bind('thing', null, list);
    a.bind('thing2', null, new MemoryVariable(1));
    expect(() => a.bind('thing', null, new MemoryList())).toThrow('already used for a variable');
    const va = new MemoryVariable(5);
    a.unbind('thing', null);
    a.bind('thing', null, va);
    va.value = 6;
    net.settle();
    expect(list.value).toEqual(['keep']);
    expect(net.errors).toEqual(['b: "thing" is a list here, but a sent G_VAR']);
  });
});
