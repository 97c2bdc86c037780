import { describe, expect, it } from 'vitest';
import { applyEdit, diffList, type ScratchValue } from '../../src/client/sync/list-diff.js';
import { compare } from '../../src/client/sync/version.js';
import { decodePeerMessage, type PeerPacket } from '../../src/protocol/index.js';
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
    expect(
      roundTrip(
        long,
        long.map((v, i) => (i === 500 ? 'x' : v)),
      ),
    ).toEqual([{ method: 'replace', payload: { index: 500, value: 'x' } }]); // replace item
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

  it("takes an upstream client's 'reset' (the whole list, protocol.md §4) like 'set'", () => {
    const { net, a, b } = pair();
    const la = new MemoryList(['x', 'y', 'z']);
    const lb = new MemoryList(['x', 'y', 'z']);
    a.bind('log', null, la);
    b.bind('log', null, lb);
    for (const packet of decodePeerMessage(JSON.stringify({ opcode: 'G_LIST', method: 'reset', payload: ['p', 'q'], id: 'log', seq: 1 })))
      b.receive('a', packet);
    expect(lb.value).toEqual(['p', 'q']);
    // The next edit on top of it applies in place, as after a 'set'.
    for (const packet of decodePeerMessage(
      JSON.stringify({ opcode: 'G_LIST', method: 'replace', payload: { index: 1, value: 'r' }, id: 'log', seq: 2, base: [1, 'a'] }),
    ))
      b.receive('a', packet);
    expect(lb.value).toEqual(['p', 'r']);
    expect(net.errors).toEqual([]);
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
    expect(net.errors).toEqual(['b: "thing" is a whole list here, but a syncs it as a variable']);
  });
});

describe('SyncEngine ordering, pending edits and catching up', () => {
  const list = (seq: number, method: 'replace' | 'length' | 'set', payload: unknown, base?: [number, string], writer?: string) =>
    ({ opcode: 'G_LIST', id: 'l', method, payload, seq, ...(base ? { base } : {}), ...(writer ? { writer } : {}) }) as PeerPacket;

  it('holds an edit whose base has not arrived yet and applies it once the base is reached', () => {
    const net = new MemoryNetwork();
    const b = net.add('b');
    const items = new MemoryList(['x']);
    b.bind('l', null, items);
    // a's edits 2 and 3 arrive (over different links) before edit 1.
    b.receive('c', list(3, 'replace', { index: 2, value: 'three' }, [2, 'a'], 'a'));
    b.receive('a', list(2, 'replace', { index: 1, value: 'two' }, [1, 'a']));
    expect(items.value).toEqual(['x']);
    expect(b.versionOf('l')).toEqual([0, '']);
    b.receive('a', list(1, 'set', ['one']));
    expect(items.value).toEqual(['one', 'two', 'three']);
    expect(b.versionOf('l')).toEqual([3, 'a']);
    b.flush();
    expect(net.inFlight).toEqual([]); // applied remote edits are never echoed
  });

  it('re-sends the whole list once when it receives an older or losing edit', () => {
    const net = new MemoryNetwork();
    const a = net.add('a');
    net.add('b');
    const items = new MemoryList(['a1']);
    a.bind('l', null, items);
    a.receive('b', list(5, 'set', ['five']));
    expect(items.value).toEqual(['five']);
    a.receive('b', list(4, 'replace', { index: 0, value: 'old' }, [3, 'b'])); // older
    a.receive('c', list(5, 'replace', { index: 0, value: 'loses' }, [4, 'b'], 'a')); // same seq, writer "a" < "b"
    a.flush();
    expect(net.inFlight).toHaveLength(1);
    expect(decodePeerMessage(net.inFlight[0]!.text)).toEqual([{ opcode: 'G_LIST', id: 'l', method: 'set', payload: ['five'], seq: 5, writer: 'b' }]);
  });

  it('a variable sender that is behind (bound late) gets the newer value back', () => {
    const net = new MemoryNetwork();
    const a = net.add('a');
    const b = net.add('b');
    const va = new MemoryVariable(0);
    a.bind('v', null, va);
    for (let i = 1; i <= 5; i += 1) {
      va.value = i;
      a.flush();
    }
    net.inFlight.length = 0; // b was not bound yet and missed those
    const vb = new MemoryVariable('late');
    b.bind('v', null, vb);
    vb.value = 'stale write';
    net.settle();
    expect(vb.value).toBe(5);
    expect(va.value).toBe(5);
    expect(b.versionOf('v')).toEqual([5, 'a']);
  });

  it('gives a local change made between frames its version before a remote value is applied', () => {
    const net = new MemoryNetwork();
    const a = net.add('a');
    const b = net.add('b');
    const va = new MemoryVariable(0);
    const vb = new MemoryVariable(0);
    a.bind('v', null, va);
    b.bind('v', null, vb);
    va.value = 'a wrote';
    a.flush();
    vb.value = 'b wrote, not flushed yet';
    net.settle();
    // Same seq: writer "b" > "a", so b's value wins everywhere instead of being overwritten unseen.
    expect(va.value).toBe('b wrote, not flushed yet');
    expect(vb.value).toBe('b wrote, not flushed yet');
  });

  it('keeps the version of an unbound id, so binding it again picks up the network value', () => {
    const net = new MemoryNetwork();
    const a = net.add('a');
    const b = net.add('b');
    const va = new MemoryVariable(0);
    a.bind('v', null, va);
    b.bind('v', null, new MemoryVariable(0));
    va.value = 1;
    net.settle();
    expect(b.unbind('v', null)).toBe(true);
    expect(b.unbind('v', null)).toBe(false);
    va.value = 2;
    net.settle();
    const again = new MemoryVariable('fresh');
    b.bind('v', null, again);
    expect(again.value).toBe(2);
    again.value = 3;
    net.settle();
    expect(va.value).toBe(3);
    // Rebinding an unbound id as the other kind starts afresh.
    b.unbind('v', null);
    expect(() => b.bind('v', null, new MemoryList())).not.toThrow();
  });

  it('three players writing one variable concurrently in adversarial orders converge to the highest version', () => {
    for (let seed = 1; seed <= 30; seed += 1) {
      const random = prng(seed);
      const net = new MemoryNetwork();
      const vars = ['p1', 'p2', 'p3'].map((id) => {
        const v = new MemoryVariable(0);
        net.add(id).bind('v', null, v);
        return v;
      });
      for (let round = 0; round < 20; round += 1) {
        vars[Math.floor(random() * 3)]!.value = `r${round}`;
        if (random() < 0.5) for (const engine of net.engines.values()) engine.flush();
        for (let k = Math.floor(random() * 3); k > 0; k -= 1) net.deliverOne((links) => Math.floor(random() * links.length));
      }
      net.settle((links) => Math.floor(random() * links.length));
      expect(
        vars.map((v) => v.value),
        `seed ${seed}`,
      ).toEqual([vars[0]!.value, vars[0]!.value, vars[0]!.value]);
      const versions = [...net.engines.values()].map((engine) => engine.versionOf('v'));
      expect(versions[1]).toEqual(versions[0]);
      expect(versions[2]).toEqual(versions[0]);
    }
  });

  it('splits a frame only when its batch would not fit in one data-channel message', () => {
    const net = new MemoryNetwork();
    const a = net.add('a');
    const b = net.add('b');
    const big = (tag: string) => Array.from({ length: 1500 }, (_, i) => `${tag} ${i} ${'x'.repeat(60)}`); // ≈ 100 KB each
    const lists = ['l1', 'l2', 'l3'].map((id) => {
      const mine = new MemoryList([]);
      a.bind(id, null, mine);
      b.bind(id, null, new MemoryList([]));
      return mine;
    });
    for (const [i, l] of lists.entries()) l.edit((items) => items.push(...big(`list${i}`)));
    a.flush();
    expect(net.errors).toEqual([]);
    expect(net.inFlight.length).toBe(2); // ≈ 300 KB: two messages, in order
    net.settle();
    for (const [i, l] of lists.entries()) expect(l.value).toEqual(big(`list${i}`));
    // A small frame stays one message.
    lists[0]!.edit((items) => items.push('one more'));
    lists[1]!.edit((items) => (items[0] = 'changed'));
    a.flush();
    expect(net.inFlight.length).toBe(1);
  });
});

describe('values JSON cannot carry', () => {
  it('sends NaN and Infinity as Scratch text, once, and keeps the batch valid', () => {
    const net = new MemoryNetwork();
    const a = net.add('a');
    const b = net.add('b');
    const va = new MemoryVariable(0);
    const vb = new MemoryVariable(0);
    const la = new MemoryList(['x']);
    const lb = new MemoryList([]);
    a.bind('v', null, va);
    b.bind('v', null, vb);
    a.bind('l', null, la);
    b.bind('l', null, lb);
    va.value = NaN;
    la.edit((items) => items.push(Infinity, -Infinity, NaN));
    net.settle();
    expect(net.errors).toEqual([]);
    expect(vb.value).toBe('NaN');
    expect(lb.value).toEqual(['x', 'Infinity', '-Infinity', 'NaN']);
    const sent = net.messagesSent;
    la.edit(() => {}); // flagged but unchanged: NaN equals itself here
    for (let i = 0; i < 3; i += 1) a.flush();
    expect(net.messagesSent).toBe(sent);
  });
});
