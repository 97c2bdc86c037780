// Merged lists and counters through the real engine and the real wire codec (MemoryNetwork decodes
// every message with the protocol's validators), under random per-link delivery orders.
import { describe, expect, it } from 'vitest';
import type { SyncEngine } from '../../src/client/sync/engine.js';
import { ACK_FRAMES, GC_PER_FRAME } from '../../src/client/sync/merged-list-entry.js';
import { MemoryCounter, MemoryList, MemoryNetwork, MemoryVariable, prng } from './memory.js';

const pickRandom = (random: () => number) => (links: string[]) => Math.floor(random() * links.length);

/** Players p0…p(n-1) in one lobby (p0 hosts), each with "log" bound as a merged list and "score" as a counter. */
function lobby(count: number) {
  const net = new MemoryNetwork();
  const players = Array.from({ length: count }, (_, i) => {
    const id = `p${i}`;
    const engine = net.join(id);
    const log = new MemoryList([], 'merged-list');
    const score = new MemoryCounter();
    engine.bind('log', null, log);
    engine.bind('score', null, score);
    return { id, engine, log, score };
  });
  return { net, players };
}

describe('merged lists and counters in the engine', () => {
  it('3 players × 30 appends and 30 "change by 1" in the same frames: 90 items and +90 everywhere, in one order', () => {
    for (let seed = 1; seed <= 200; seed += 1) {
      const random = prng(seed);
      const { net, players } = lobby(3);
      net.settle(pickRandom(random));
      for (let frame = 0; frame < 3; frame += 1) {
        for (const p of players) {
          for (let i = 0; i < 10; i += 1) {
            p.log.edit((items) => items.push(`${p.id}-${frame * 10 + i}`));
            p.score.change(1);
          }
          p.engine.flush();
        }
        // Some messages move between frames, in a random order of links.
        for (let step = 0; step < Math.floor(random() * 6); step += 1) net.deliverOne(pickRandom(random));
      }
      net.settle(pickRandom(random));
      const [first] = players;
      for (const p of players) {
        expect(p.score.value, `seed ${seed}`).toBe(90);
        expect(p.log.value, `seed ${seed}`).toEqual(first!.log.value);
      }
      expect(first!.log.value).toHaveLength(90);
      // Each player's own items keep their order.
      for (const p of players) {
        const mine = first!.log.value.filter((v) => String(v).startsWith(`${p.id}-`));
        expect(mine).toEqual(Array.from({ length: 30 }, (_, i) => `${p.id}-${i}`));
      }
      expect(net.errors).toEqual([]);
    }
  });

  it('inserts, deletes and replaces at the same places all take effect; a delete beats a concurrent replace', () => {
    const { net, players } = lobby(3);
    const [a, b, c] = players as [(typeof players)[number], (typeof players)[number], (typeof players)[number]];
    a.log.edit((items) => items.push('x', 'y', 'z'));
    net.settle();
    expect(c.log.value).toEqual(['x', 'y', 'z']);
    a.log.edit((items) => items.splice(1, 1)); // delete y
    b.log.edit((items) => {
      items[1] = 'Y'; // replace y
    });
    b.log.edit((items) => items.unshift('b-front'));
    c.log.edit((items) => items.splice(0, 0, 'c-front'));
    net.settle(pickRandom(prng(7)));
    for (const p of players) expect(p.log.value).toEqual(a.log.value);
    expect(a.log.value).not.toContain('y');
    expect(a.log.value).not.toContain('Y');
    expect([...a.log.value].sort()).toEqual(['b-front', 'c-front', 'x', 'z']);
  });

  it('"delete all" is one packet and keeps the items added at the same time by others', () => {
    const { net, players } = lobby(2);
    const [a, b] = players as [(typeof players)[number], (typeof players)[number]];
    a.log.edit((items) => items.push(...Array.from({ length: 5000 }, (_, i) => `old ${i}`)));
    net.settle();
    a.log.deleteAll();
    b.log.edit((items) => items.push('added meanwhile'));
    a.engine.flush();
    b.engine.flush();
    const clearBytes = net.inFlight.filter((m) => m.from === 'p0').reduce((sum, m) => sum + m.text.length, 0);
    expect(clearBytes).toBeLessThan(200);
    net.settle();
    expect(a.log.value).toEqual(['added meanwhile']);
    expect(b.log.value).toEqual(['added meanwhile']);
  });

  it('a counter reset keeps the changes made at the same time by others; of two resets the later version wins', () => {
    const { net, players } = lobby(3);
    const [a, b, c] = players as [(typeof players)[number], (typeof players)[number], (typeof players)[number]];
    for (let i = 0; i < 10; i += 1) a.score.change(1);
    net.settle();
    expect(c.score.value).toBe(10);
    a.score.reset(0);
    b.score.change(5); // concurrent with the reset: counted on top of it
    net.settle(pickRandom(prng(3)));
    for (const p of players) expect(p.score.value).toBe(5);
    b.score.reset(100);
    c.score.reset(50);
    net.settle(pickRandom(prng(4)));
    const values = players.map((p) => p.score.value);
    expect(new Set(values).size).toBe(1);
    expect([100, 50]).toContain(values[0]);
  });

  it('a late joiner gets the merged list and the counter in chunks that fit a message, and edits on top', () => {
    const { net, players } = lobby(2);
    const [a, b] = players as [(typeof players)[number], (typeof players)[number]];
    a.log.edit((items) => items.push(...Array.from({ length: 100_000 }, (_, i) => `item ${i}`)));
    for (let i = 0; i < 7; i += 1) b.score.change(3);
    net.settle();
    const late = net.join('late');
    const log = new MemoryList([], 'merged-list');
    const score = new MemoryCounter();
    late.bind('log', null, log);
    late.bind('score', null, score);
    log.edit((items) => items.push('from the joiner'));
    a.log.edit((items) => items.unshift('front'));
    net.settle(pickRandom(prng(9)));
    expect(score.value).toBe(21);
    expect(log.value).toHaveLength(100_002);
    expect(log.value).toEqual(a.log.value);
    expect(b.log.value).toEqual(a.log.value);
    expect(net.errors).toEqual([]);
  });

  it('deleted items are forgotten once every player has seen the deletion (a joiner gets a smaller state)', () => {
    const { net, players } = lobby(2);
    const [a] = players;
    a!.log.edit((items) => items.push(...Array.from({ length: 2000 }, (_, i) => `item ${i}`)));
    net.settle();
    a!.log.edit((items) => items.splice(0, 1999));
    // Enough frames for acks to go round (every ACK_FRAMES) and 1,999 tombstones to be collected (GC_PER_FRAME a frame).
    for (let round = 0; round < 4; round += 1) {
      for (let i = 0; i < ACK_FRAMES + 1999 / GC_PER_FRAME; i += 1) for (const p of players) p.engine.flush();
      net.settle();
    }
    net.join('late');
    for (const p of players) p.engine.flush();
    const catchUp = net.bytesTo('late');
    expect(catchUp).toBeGreaterThan(0);
    expect(catchUp).toBeLessThan(2000); // with its 1,999 deleted items, a state would be ≈ 20 KB
    net.settle();
  });

  it('a player who joins after deleted items were forgotten still gets the items inserted right after them', () => {
    const { net, players } = lobby(2);
    const [a, b] = players as [(typeof players)[number], (typeof players)[number]];
    a.log.edit((items) => items.push('o'));
    net.settle();
    b.log.edit((items) => items.push('x')); // inserted right after 'o' (its origin)
    net.settle();
    a.log.edit((items) => items.splice(items.indexOf('o'), 1)); // 'o' is deleted, then forgotten everywhere
    for (let round = 0; round < 3; round += 1) {
      for (let i = 0; i < 40; i += 1) for (const p of players) p.engine.flush();
      net.settle();
    }
    const late = net.join('late');
    const log = new MemoryList([], 'merged-list');
    late.bind('log', null, log);
    log.edit((items) => items.push('mine'));
    net.settle(pickRandom(prng(5)));
    expect(log.value).toEqual(a.log.value);
    expect(b.log.value).toEqual(a.log.value);
    expect([...log.value].sort()).toEqual(['mine', 'x']);
  });

  it('a private merged list and counter (P_LIST / P_VAR) are shared by the two players only', () => {
    const net = new MemoryNetwork();
    const [a, b, c] = ['a', 'b', 'c'].map((id) => net.join(id)) as [SyncEngine, SyncEngine, SyncEngine];
    const lists = [new MemoryList([], 'merged-list'), new MemoryList([], 'merged-list')];
    const counters = [new MemoryCounter(), new MemoryCounter()];
    a.bind('hand', 'b', lists[0]!);
    b.bind('hand', 'a', lists[1]!);
    a.bind('duel', 'b', counters[0]!);
    b.bind('duel', 'a', counters[1]!);
    const watcher = new MemoryList([], 'merged-list');
    c.bind('hand', null, watcher);
    lists[0]!.edit((items) => items.push('a card'));
    lists[1]!.edit((items) => items.push('b card'));
    counters[0]!.change(2);
    counters[1]!.change(3);
    net.settle(pickRandom(prng(11)));
    expect(lists[0]!.value).toEqual(lists[1]!.value);
    expect([...lists[0]!.value].sort()).toEqual(['a card', 'b card']);
    expect(counters.map((counter) => counter.value)).toEqual([5, 5]);
    expect(watcher.value).toEqual([]);
    expect(net.inFlight).toEqual([]);
    expect(net.errors).toEqual([]);
  });

  it('reports a network id synced as a counter by one player and as a plain variable by another once', () => {
    const net = new MemoryNetwork();
    const a = net.join('a');
    const b = net.join('b');
    const counter = new MemoryCounter();
    a.bind('score', null, counter);
    b.bind('score', null, new MemoryVariable(0));
    for (let i = 0; i < 5; i += 1) {
      counter.change(1);
      net.settle();
    }
    expect(net.errors).toEqual(['b: "score" is a variable here, but a syncs it as a counter']);
  });
});

describe('merged lists: random schedules with late joiners', () => {
  const SCHEDULES = 1000;
  it(`${SCHEDULES} schedules: every engine ends with the same list and counter; no item is lost`, () => {
    for (let seed = 1; seed <= SCHEDULES; seed += 1) runSchedule(seed);
  });
});

function runSchedule(seed: number): void {
  const random = prng(seed);
  const net = new MemoryNetwork();
  const count = 2 + Math.floor(random() * 4);
  const players: { id: string; engine: SyncEngine; log: MemoryList; score: MemoryCounter }[] = [];
  const inserted = new Set<string>();
  const deleted = new Set<string>();
  let delta = 0;
  const joinPlayer = (i: number) => {
    const engine = net.join(`p${i}`);
    const log = new MemoryList([], 'merged-list');
    const score = new MemoryCounter();
    engine.bind('log', null, log);
    engine.bind('score', null, score);
    players.push({ id: `p${i}`, engine, log, score });
  };
  // Long enough for several ack rounds (ACK_FRAMES), so deleted items are collected before some players join.
  const steps = 150;
  const joinAt = Array.from({ length: count }, (_, i) => (i < 2 ? 0 : Math.floor(random() * steps)));
  let serial = 0;
  for (let step = 0; step < steps; step += 1) {
    for (let i = 0; i < count; i += 1) if (joinAt[i] === step) joinPlayer(i);
    const p = players[Math.floor(random() * players.length)]!;
    const roll = random();
    const items = p.log.value;
    if (roll < 0.35 || items.length === 0) {
      const value = `${p.id}:${serial++}`;
      inserted.add(value);
      const at = Math.floor(random() * (items.length + 1));
      // Reported with its index, as the Scratch store reports a block's insert; or found by the compare.
      if (random() < 0.5) p.log.insertAt(at, value);
      else p.log.edit((list) => list.splice(at, 0, value));
    } else if (roll < 0.5) {
      const index = Math.floor(random() * items.length);
      deleted.add(String(items[index]));
      if (random() < 0.5) p.log.deleteAt(index);
      else p.log.edit((list) => list.splice(index, 1));
    } else if (roll < 0.6) {
      const index = Math.floor(random() * items.length);
      // A replaced value is not an inserted item: a concurrent delete of the item wins over it.
      deleted.add(String(items[index]));
      const value = `${p.id}:${serial++}`;
      p.log.edit((list) => {
        list[index] = value;
      });
    } else if (roll < 0.62) {
      for (const value of items) deleted.add(String(value));
      p.log.deleteAll();
      if (random() < 0.5) {
        // "delete all" then "add" in the same frame
        const value = `${p.id}:${serial++}`;
        inserted.add(value);
        p.log.edit((list) => list.push(value));
      }
    } else if (roll < 0.85) {
      const by = Math.floor(random() * 5) - 1;
      delta += by;
      p.score.change(by);
    }
    for (const player of players) if (random() < 0.8) player.engine.flush();
    for (let k = Math.floor(random() * 4); k > 0; k -= 1) net.deliverOne(pickRandom(random));
  }
  for (let i = 0; i < count; i += 1) if (!players.some((p) => p.id === `p${i}`)) joinPlayer(i);
  net.settle(pickRandom(random), 100_000);
  const [first] = players;
  for (const p of players) {
    expect(p.log.value, `seed ${seed}, ${p.id}`).toEqual(first!.log.value);
    expect(p.score.value, `seed ${seed}, ${p.id}`).toBe(delta);
  }
  const kept = new Set(first!.log.value.map(String));
  for (const value of inserted) if (!deleted.has(value)) expect(kept.has(value), `seed ${seed}: ${value} lost`).toBe(true);
  expect(net.errors, `seed ${seed}`).toEqual([]);
}

describe('changes made before connecting', () => {
  it('a counter and a merged list changed before the player had an instance id reach the others when the links open', () => {
    const net = new MemoryNetwork();
    const a = net.join('a');
    const score = new MemoryCounter();
    const log = new MemoryList([], 'merged-list');
    a.bind('score', null, score);
    a.bind('log', null, log);
    let connected = false;
    const b = net.add('b', () => connected);
    const counter = new MemoryCounter();
    const list = new MemoryList([], 'merged-list');
    b.bind('score', null, counter);
    b.bind('log', null, list);
    counter.change(4);
    list.edit((items) => items.push('typed early'));
    b.flush();
    connected = true;
    a.peerJoined('b');
    b.peerJoined('a');
    net.settle();
    expect([score.value, counter.value]).toEqual([4, 4]);
    expect(log.value).toEqual(['typed early']);
    expect(list.value).toEqual(['typed early']);
    expect(net.errors).toEqual([]);
  });
});
