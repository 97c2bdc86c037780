// HatEvents: a hat whose script is still running when its event arrives gets that event once the
// script has finished, in order — no event is lost, none is delivered twice.
import { describe, expect, it } from 'vitest';
import { HatEvents } from '../../blocks/hats.js';
import type { BlockUtil, ScratchRuntime, ScratchTarget } from '../../blocks/scratch.js';

const DONE = 4;

interface FakeThread {
  topBlock: string;
  target: ScratchTarget;
  status: number;
  cl5Delivery?: unknown;
}

/** A runtime that, like TurboWarp, evaluates a hat's predicate inside startHats and skips busy hats. */
function runtime(hats: { id: string; opcode: string; accept: (event: unknown) => boolean }[]) {
  const target = {
    id: 'stage',
    blocks: { getBlock: (id: string) => ({ opcode: hats.find((h) => h.id === id)!.opcode }) },
  } as unknown as ScratchTarget;
  const threads: FakeThread[] = [];
  const ran: string[] = [];
  let events: HatEvents;
  const rt = {
    threads,
    _step() {},
    startHats(opcode: string, _fields?: unknown, only?: ScratchTarget) {
      const started: FakeThread[] = [];
      for (const hat of hats) {
        if (hat.opcode !== opcode || (only && only !== target)) continue;
        if (threads.some((t) => t.topBlock === hat.id && t.status !== DONE)) continue;
        const thread: FakeThread = { topBlock: hat.id, target, status: 0 };
        const event = events.accepts(({ target, thread } as unknown) as BlockUtil);
        if (event !== null && hat.accept(event)) {
          threads.push(thread);
          ran.push(`${hat.id}:${JSON.stringify(event)}`);
        } else thread.status = DONE;
        started.push(thread);
      }
      return started;
    },
  } as unknown as ScratchRuntime & { threads: FakeThread[] };
  events = new HatEvents(rt);
  return { rt, events, ran, threads, finish: (id: string) => threads.filter((t) => t.topBlock === id).forEach((t) => (t.status = DONE)) };
}

describe('HatEvents', () => {
  it('queues events for a busy hat and delivers them, in order, once its script ends', () => {
    const { rt, events, ran, finish } = runtime([{ id: 'joins', opcode: 'cloudlink5_whenPlayerJoins', accept: () => true }]);
    events.fire('whenPlayerJoins', { id: 'p1' });
    events.fire('whenPlayerJoins', { id: 'p2' }); // the script for p1 is still running
    events.fire('whenPlayerJoins', { id: 'p3' });
    expect(ran).toEqual(['joins:{"id":"p1"}']);
    rt._step(); // still busy: nothing
    expect(ran.length).toBe(1);
    finish('joins');
    rt._step();
    expect(ran).toEqual(['joins:{"id":"p1"}', 'joins:{"id":"p2"}']);
    finish('joins');
    rt._step();
    expect(ran).toEqual(['joins:{"id":"p1"}', 'joins:{"id":"p2"}', 'joins:{"id":"p3"}']);
    finish('joins');
    rt._step();
    expect(ran.length).toBe(3);
  });

  it('a busy instance gets only its own late events; free instances are not started twice', () => {
    const chat = (e: unknown) => (e as { channel: string }).channel === 'chat';
    const moves = (e: unknown) => (e as { channel: string }).channel === 'moves';
    const { rt, events, ran, finish } = runtime([
      { id: 'onChat', opcode: 'cloudlink5_whenBroadcast', accept: chat },
      { id: 'onMoves', opcode: 'cloudlink5_whenBroadcast', accept: moves },
    ]);
    events.fire('whenBroadcast', { channel: 'chat', n: 1 });
    events.fire('whenBroadcast', { channel: 'chat', n: 2 }); // onChat busy → queued for onChat only
    events.fire('whenBroadcast', { channel: 'moves', n: 3 }); // onMoves free → runs now
    expect(ran).toEqual(['onChat:{"channel":"chat","n":1}', 'onMoves:{"channel":"moves","n":3}']);
    finish('onChat');
    finish('onMoves');
    rt._step();
    expect(ran.slice(2)).toEqual(['onChat:{"channel":"chat","n":2}']);
  });

  it('an event fired while startHats runs (re-entrant) does not rob the outer event', () => {
    const seen: string[] = [];
    const target = { id: 'stage', blocks: { getBlock: () => ({ opcode: 'x' }) } } as unknown as ScratchTarget;
    let events: HatEvents;
    let nested = false;
    const rt = {
      threads: [],
      _step() {},
      startHats(opcode: string) {
        // Two instances of the hat are evaluated; while the first runs, another event arrives.
        for (const block of ['a', 'b']) {
          if (opcode === 'cloudlink5_outer' && block === 'a' && !nested) {
            nested = true;
            events.fire('inner', { n: 'inner' });
          }
          const event = events.accepts<{ n: string }>({ target, thread: { target, topBlock: block } } as unknown as BlockUtil);
          seen.push(`${opcode}/${block}:${event?.n ?? 'lost'}`);
        }
        return [];
      },
    } as unknown as ScratchRuntime;
    events = new HatEvents(rt);
    events.fire('outer', { n: 'outer' });
    expect(seen).toEqual(['cloudlink5_inner/a:inner', 'cloudlink5_inner/b:inner', 'cloudlink5_outer/a:outer', 'cloudlink5_outer/b:outer']);
  });

  it('eventOf tells which hat started the script', () => {
    const { events, threads } = runtime([
      { id: 'joins', opcode: 'cloudlink5_whenPlayerJoins', accept: () => true },
    ]);
    events.fire('whenPlayerJoins', { id: 'p1' });
    const util = { target: threads[0]!.target, thread: threads[0] } as unknown as BlockUtil;
    expect(events.eventOf(util)).toEqual({ id: 'p1' });
    expect(events.eventOf(util, 'whenPlayerJoins')).toEqual({ id: 'p1' });
    expect(events.eventOf(util, 'whenPlayerLeaves')).toBeNull();
  });
});
