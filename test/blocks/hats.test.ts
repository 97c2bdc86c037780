// HatEvents: a hat whose script is still running when its event arrives gets that event once the
// script has finished, in order — no event is lost, none is delivered twice.
import { describe, expect, it } from 'vitest';
import { createExtension } from '../../blocks/extension.js';
import { HAT_NAMES, type HatName } from '../../blocks/hat-events.js';
import { HatEvents } from '../../blocks/hats.js';
import type { BlockUtil, ScratchRuntime, ScratchTarget } from '../../blocks/scratch.js';
import type { ReceivedMessage } from '../../src/client/api.js';
import { fakeClient, fakeRuntime, fakeScratch, fakeSync } from './fakes.js';

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
        const event = events.accepts({ target, thread } as unknown as BlockUtil, opcode.replace('cloudlink5_', '') as HatName);
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
  return {
    rt,
    events,
    ran,
    threads,
    finish: (id: string) => {
      for (const t of threads) if (t.topBlock === id) t.status = DONE;
    },
  };
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
    const chat = (e: unknown) => (e as ReceivedMessage).channel === 'chat';
    const moves = (e: unknown) => (e as ReceivedMessage).channel === 'moves';
    const { rt, events, ran, finish } = runtime([
      { id: 'onChat', opcode: 'cloudlink5_whenBroadcast', accept: chat },
      { id: 'onMoves', opcode: 'cloudlink5_whenBroadcast', accept: moves },
    ]);
    const message = (channel: string, payload: number): ReceivedMessage => ({ from: 'p1', channel, kind: 'broadcast', payload });
    events.fire('whenBroadcast', message('chat', 1));
    events.fire('whenBroadcast', message('chat', 2)); // onChat busy → queued for onChat only
    events.fire('whenBroadcast', message('moves', 3)); // onMoves free → runs now
    expect(ran).toEqual([`onChat:${JSON.stringify(message('chat', 1))}`, `onMoves:${JSON.stringify(message('moves', 3))}`]);
    finish('onChat');
    finish('onMoves');
    rt._step();
    expect(ran.slice(2)).toEqual([`onChat:${JSON.stringify(message('chat', 2))}`]);
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
          if (opcode === 'cloudlink5_whenPlayerJoins' && block === 'a' && !nested) {
            nested = true;
            events.fire('whenPlayerLeaves', { id: 'inner' });
          }
          const hat = opcode.replace('cloudlink5_', '') as 'whenPlayerJoins' | 'whenPlayerLeaves';
          const event = events.accepts({ target, thread: { target, topBlock: block } } as unknown as BlockUtil, hat);
          seen.push(`${opcode}/${block}:${event?.id ?? 'lost'}`);
        }
        return [];
      },
    } as unknown as ScratchRuntime;
    events = new HatEvents(rt);
    events.fire('whenPlayerJoins', { id: 'outer' });
    expect(seen).toEqual([
      'cloudlink5_whenPlayerLeaves/a:inner',
      'cloudlink5_whenPlayerLeaves/b:inner',
      'cloudlink5_whenPlayerJoins/a:outer',
      'cloudlink5_whenPlayerJoins/b:outer',
    ]);
  });

  it('eventOf tells which hat started the script', () => {
    const { events, threads } = runtime([{ id: 'joins', opcode: 'cloudlink5_whenPlayerJoins', accept: () => true }]);
    events.fire('whenPlayerJoins', { id: 'p1' });
    const util = { target: threads[0]!.target, thread: threads[0] } as unknown as BlockUtil;
    expect(events.eventOf(util)).toEqual({ id: 'p1' });
    expect(events.eventOf(util, 'whenPlayerJoins')).toEqual({ id: 'p1' });
    expect(events.eventOf(util, 'whenPlayerLeaves')).toBeNull();
  });
  it("accepts gives a hat only its own hat's event", () => {
    const { events, threads } = runtime([{ id: 'joins', opcode: 'cloudlink5_whenPlayerJoins', accept: () => true }]);
    events.fire('whenPlayerJoins', { id: 'p1' });
    const util = { target: threads[0]!.target, thread: threads[0] } as unknown as BlockUtil;
    expect(events.accepts(util, 'whenPlayerJoins')).toEqual({ id: 'p1' });
    expect(events.accepts(util, 'whenPlayerLeaves')).toBeNull();
  });
});

describe('the hat table (blocks/hat-events.ts)', () => {
  it("lists exactly getInfo()'s HAT opcodes", () => {
    const rt = fakeRuntime(() => extension);
    const extension = createExtension(fakeScratch(rt), fakeClient(), fakeSync(), rt);
    const info = extension.getInfo() as { blocks: (string | { opcode?: string; blockType: string })[] };
    const hatOpcodes = info.blocks.flatMap((b) => (typeof b === 'object' && b.blockType === 'hat' && b.opcode ? [b.opcode] : []));
    expect(hatOpcodes.length).toBeGreaterThan(0);
    expect([...hatOpcodes].sort()).toEqual([...HAT_NAMES].sort());
  });

  it('makes a wrong payload or an unknown hat name a type error (checked by tsc, never run)', () => {
    const compileOnly = (events: HatEvents, util: BlockUtil) => {
      events.fire('whenPlayerJoins', { id: 'p1' });
      // @ts-expect-error: whenPlayerJoins carries { id }, not { name }
      events.fire('whenPlayerJoins', { name: 'p1' });
      // @ts-expect-error: no such hat
      events.fire('whenPlayerJumps', { id: 'p1' });
      // @ts-expect-error: whenConnected carries nothing
      events.fire('whenConnected', { id: 'p1' });
      // @ts-expect-error: whenModeChanges's payload has `mode`, not `reason`
      events.accepts(util, 'whenModeChanges')?.reason;
      // @ts-expect-error: no such hat
      events.eventOf(util, 'whenDisconnected', 'whenDisconnect');
      const id: string | undefined = events.eventOf(util, 'whenPlayerJoins', 'whenPlayerLeaves')?.id;
      return id;
    };
    expect(typeof compileOnly).toBe('function');
  });
});
