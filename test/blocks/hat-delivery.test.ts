// HatEvents keeps up: events that arrive between two frames all run in the next frame, in order
// (a finished script is started again for its next event within the same tick); on fast channels
// and for data changes only the newest per key runs; a script that waits gets what it missed, all
// at once, in the frame it ends. The fake runtime steps threads the way both VMs do: one pass over
// `runtime.threads`, each through `sequencer.stepThread`, threads started meanwhile included.
import { describe, expect, it } from 'vitest';
import type { HatName } from '../../blocks/hat-events.js';
import { HatEvents } from '../../blocks/hats.js';
import type { BlockUtil, ScratchRuntime, ScratchTarget } from '../../blocks/scratch.js';
import type { ReceivedMessage } from '../../src/client/api.js';

const DONE = 4;

interface FakeThread {
  topBlock: string;
  target: ScratchTarget;
  status: number;
  stack: string[];
}

interface FakeHat {
  id: string;
  hat: HatName;
  accept: (event: unknown) => boolean;
  /** The script waits until the test calls finish(id). */
  waits?: boolean;
}

/** What each script read (its event) when it ran, per frame. */
function steppingRuntime(hats: FakeHat[]) {
  const target = {
    id: 'stage',
    blocks: { getBlock: (id: string) => ({ opcode: `cloudlink5_${hats.find((h) => h.id === id)!.hat}` }) },
  } as unknown as ScratchTarget;
  const threads: FakeThread[] = [];
  const ran: string[] = [];
  const released = new Set<string>();
  let events: HatEvents;
  const hatOf = (id: string) => hats.find((h) => h.id === id)!;
  const sequencer = {
    stepThread(thread: FakeThread) {
      const hat = hatOf(thread.topBlock);
      if (thread.stack[0] === 'hat') {
        // First step: the script's body reads its event (as the data reporters do).
        const event = events.eventOf({ target, thread } as unknown as BlockUtil, hat.hat);
        ran.push(`${hat.id}:${JSON.stringify(event)}`);
        thread.stack = ['body'];
      }
      if (!hat.waits || released.has(hat.id)) {
        thread.status = DONE;
        thread.stack = [];
      }
    },
  };
  const rt = {
    threads,
    sequencer,
    // One frame: a single tick over every thread, like a frame that requested a redraw.
    _step() {
      for (let i = 0; i < threads.length; i++) if (threads[i]!.status !== DONE) sequencer.stepThread(threads[i]!);
      const alive = threads.filter((t) => t.status !== DONE);
      threads.length = 0;
      threads.push(...alive);
    },
    // Like both VMs: skip an instance with a live thread, evaluate the predicate at once.
    startHats(opcode: string, _fields?: unknown, only?: ScratchTarget) {
      const started: FakeThread[] = [];
      for (const hat of hats) {
        if (`cloudlink5_${hat.hat}` !== opcode || (only && only !== target)) continue;
        if (threads.some((t) => t.topBlock === hat.id && t.status !== DONE)) continue;
        const thread: FakeThread = { topBlock: hat.id, target, status: 0, stack: ['hat'] };
        threads.push(thread);
        const event = events.accepts({ target, thread } as unknown as BlockUtil, hat.hat);
        if (event === null || !hat.accept(event)) {
          thread.status = DONE;
          thread.stack = [];
        }
        started.push(thread);
      }
      return started;
    },
  } as unknown as ScratchRuntime;
  events = new HatEvents(rt);
  return {
    events,
    ran,
    frame: () => {
      const before = ran.length;
      rt._step();
      return ran.slice(before);
    },
    finish: (id: string) => released.add(id),
  };
}

const message = (from: string, channel: string, payload: unknown, fast = false): ReceivedMessage => ({
  from,
  channel,
  kind: 'broadcast',
  payload,
  ...(fast ? { fast: true as const } : {}),
});
const on = (channel: string) => (e: unknown) => (e as ReceivedMessage).channel === channel;
const fastKey = (m: ReceivedMessage) => ({ newestBy: `${m.kind}\n${m.from}\n${m.channel}` });
const payloads = (ran: string[]) => ran.map((r) => (JSON.parse(r.slice(r.indexOf(':') + 1)) as ReceivedMessage).payload);

describe('HatEvents delivery within the frame', () => {
  it('runs a hat once per message, in order, all in the next frame, whatever the number of senders', () => {
    const { events, frame } = steppingRuntime([{ id: 'chat', hat: 'whenBroadcast', accept: on('chat') }]);
    for (let i = 0; i < 10; i++) for (const from of ['p1', 'p2', 'p3']) events.fire('whenBroadcast', message(from, 'chat', `${from}-${i}`));
    const ran = frame();
    expect(payloads(ran)).toEqual(Array.from({ length: 10 }, (_, i) => ['p1', 'p2', 'p3'].map((p) => `${p}-${i}`)).flat());
    expect(frame()).toEqual([]);
  });

  it('keeps up frame after frame: no backlog grows with two senders streaming every frame', () => {
    const { events, frame } = steppingRuntime([{ id: 'pos', hat: 'whenBroadcast', accept: on('pos') }]);
    for (let f = 0; f < 50; f++) {
      events.fire('whenBroadcast', message('p1', 'pos', `a${f}`));
      events.fire('whenBroadcast', message('p2', 'pos', `b${f}`));
      expect(payloads(frame())).toEqual([`a${f}`, `b${f}`]);
    }
  });

  it('on a fast channel the newest message per sender wins; other channels on the same hat type are untouched', () => {
    const { events, frame } = steppingRuntime([
      { id: 'pos', hat: 'whenBroadcast', accept: on('pos') },
      { id: 'chat', hat: 'whenBroadcast', accept: on('chat') },
    ]);
    for (let i = 0; i < 3; i++)
      for (const from of ['p1', 'p2']) {
        const m = message(from, 'pos', `${from}-${i}`, true);
        events.fire('whenBroadcast', m, fastKey(m));
      }
    events.fire('whenBroadcast', message('p1', 'chat', 'hello'));
    events.fire('whenBroadcast', message('p1', 'chat', 'again'));
    const ran = frame();
    expect(ran.filter((r) => r.startsWith('pos:')).map((r) => payloads([r])[0])).toEqual(['p1-2', 'p2-2']);
    expect(ran.filter((r) => r.startsWith('chat:')).map((r) => payloads([r])[0])).toEqual(['hello', 'again']);
  });

  it('a script that waits misses nothing on an ordered channel: what came meanwhile runs in the frame it ends, in order', () => {
    const { events, frame, finish } = steppingRuntime([{ id: 'slow', hat: 'whenBroadcast', accept: on('chat'), waits: true }]);
    events.fire('whenBroadcast', message('p1', 'chat', 0));
    expect(payloads(frame())).toEqual([0]);
    for (let i = 1; i <= 5; i++) {
      events.fire('whenBroadcast', message('p1', 'chat', i));
      expect(frame()).toEqual([]); // still waiting
    }
    finish('slow');
    expect(payloads(frame())).toEqual([1, 2, 3, 4, 5]);
  });

  it('a script that waits on a fast channel gets only the newest per sender when it ends', () => {
    const { events, frame, finish } = steppingRuntime([{ id: 'slow', hat: 'whenBroadcast', accept: on('pos'), waits: true }]);
    const fire = (from: string, payload: number) => {
      const m = message(from, 'pos', payload, true);
      events.fire('whenBroadcast', m, fastKey(m));
    };
    fire('p1', 0);
    frame();
    for (let i = 1; i <= 5; i++) {
      fire('p1', i);
      fire('p2', 10 + i);
      frame();
    }
    finish('slow');
    expect(payloads(frame())).toEqual([5, 15]);
  });

  it('"changed by another player" runs once per id per frame, with the latest change', () => {
    const { events, frame } = steppingRuntime([
      { id: 'score', hat: 'whenDataChanged', accept: (e) => (e as { id: string }).id === 'score' },
      { id: 'log', hat: 'whenDataChanged', accept: (e) => (e as { id: string }).id === 'log' },
    ]);
    for (const [id, from] of [
      ['score', 'p1'],
      ['log', 'p1'],
      ['score', 'p2'],
      ['score', 'p3'],
    ] as const)
      events.fire('whenDataChanged', { id, from }, { newestBy: id });
    expect(frame().sort()).toEqual(['log:{"id":"log","from":"p1"}', 'score:{"id":"score","from":"p3"}']);
    expect(frame()).toEqual([]);
  });

  it('caps back-to-back runs per frame and delivers the rest in the next frames, in order', () => {
    const { events, frame } = steppingRuntime([{ id: 'chat', hat: 'whenBroadcast', accept: on('chat') }]);
    for (let i = 0; i < 2500; i++) events.fire('whenBroadcast', message('p1', 'chat', i));
    const all: unknown[] = [];
    for (let f = 0; f < 5 && all.length < 2500; f++) all.push(...payloads(frame()));
    expect(all).toEqual(Array.from({ length: 2500 }, (_, i) => i));
  });
});
