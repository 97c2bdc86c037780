// The counter store (blocks/sync/counter-store.ts) on real projects: `change [score] by 1` counts as a
// delta, `set [score] to 0` as a reset, in the npm scratch-vm and in TurboWarp's VM with its compiler on
// (and off). Frames are stepped by hand and take() is called after each one, as the engine does. The
// VM internals this relies on are pinned in test/contracts/vm-counter-internals.test.ts. At the end,
// unit cases on a stand-in runtime for what a real project cannot produce on demand (another thread
// reading between a thread's read and its write, reads outside a step).
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ScratchRuntime, ScratchVariable } from '../../blocks/scratch.js';
import { counterStore, type ScratchCounterStore, toScratchNumber } from '../../blocks/sync/counter-store.js';
import { add, broadcast, changeVar, forever, ProjectBuilder, repeat, setVar, variable, wait, whenReceived } from '../../examples/lib/project.js';
import { close, type ContractVm, load, vmVariants } from '../contracts/vms.js';
import { turbowarpForFile } from './turbowarp.js';

/** Stage: score (shown in a monitor), other; sprites A and B. Each broadcast runs one case. */
function project(): object {
  const p = new ProjectBuilder();
  p.stage.variable('score', 0).variable('other', 0);
  p.stage
    .script(whenReceived('burst'), repeat(30, [changeVar('score', 1)]))
    .script(whenReceived('one'), changeVar('score', 1))
    .script(whenReceived('zero'), setVar('score', 0))
    .script(whenReceived('zero then add'), setVar('score', 0), changeVar('score', 5))
    .script(whenReceived('add then zero'), changeVar('score', 5), setVar('score', 0))
    .script(whenReceived('plus two'), setVar('score', add(variable('score'), 2)))
    .script(whenReceived('text'), setVar('score', 'abc'))
    // The broadcast's thread runs after the monitor thread read score (pinned by the contract test).
    .script(whenReceived('go'), broadcast('reset'))
    .script(whenReceived('reset'), setVar('score', 0))
    .script(whenReceived('watch'), forever([wait(0), setVar('other', variable('score'))]))
    .script(whenReceived('later'), setVar('other', variable('score')), wait(0), setVar('score', 5));
  for (const name of ['A', 'B']) p.sprite(name).script(whenReceived('both'), changeVar('score', 1));
  p.monitor('score');
  return p.toJSON();
}

const turbowarp = turbowarpForFile();

describe.each(vmVariants)('$name: counter store on a real project', ({ make, turbowarp: isTurboWarp }) => {
  let vm: ContractVm;
  let score: ScratchVariable;
  let other: ScratchVariable;
  let store: ScratchCounterStore;

  /** Starts the scripts for `message` (if any), runs one frame, then takes the frame's changes. */
  let started: { isCompiled?: boolean }[] = [];
  const frame = (message?: string) => {
    if (message) started = vm.runtime.startHats('event_whenbroadcastreceived', { BROADCAST_OPTION: message }) ?? [];
    vm.runtime._step();
    return store.take();
  };

  beforeAll(async () => {
    vm = make(turbowarp());
    await load(vm, project());
    const stage = vm.runtime.getTargetForStage();
    score = stage.lookupVariableByNameAndType('score', '') as ScratchVariable;
    other = stage.lookupVariableByNameAndType('other', '') as ScratchVariable;
  }, 30_000);

  beforeEach(() => {
    vm.stopAll();
    score.value = 0;
    other.value = 0;
    store = counterStore(score, vm.runtime as unknown as ScratchRuntime);
    expect(frame(), 'a frame with no script: no change').toEqual({ reset: null, delta: 0 });
  });

  afterEach(() => store.detach());
  afterAll(() => close(vm));

  it('repeat 30: change by 1 → delta 30 in one frame', () => {
    expect(frame('burst')).toEqual({ reset: null, delta: 30 });
    if (isTurboWarp) expect(started[0]?.isCompiled, 'compiled exactly when the compiler is on').toBe(vm.runtime.compilerOptions?.enabled);
    expect(score.value).toBe(30);
    expect(frame(), 'the next frame has nothing left').toEqual({ reset: null, delta: 0 });
  });

  it('set to 0 → a reset to 0, the value stored as the VM wrote it', () => {
    store.write(12);
    expect(frame('zero')).toEqual({ reset: 0, delta: 0 });
    expect(String(score.value)).toBe('0');
  });

  it('set to 0 then change by 5 in one frame → reset 0, delta 5', () => {
    store.write(12);
    expect(frame('zero then add')).toEqual({ reset: 0, delta: 5 });
    expect(score.value).toBe(5);
  });

  it('change by 5 then set to 0 in one frame → reset 0, the delta before it dropped', () => {
    store.write(12);
    expect(frame('add then zero')).toEqual({ reset: 0, delta: 0 });
    expect(String(score.value)).toBe('0');
  });

  it('set to ((score) + 2) → delta 2', () => {
    store.write(12);
    expect(frame('plus two')).toEqual({ reset: null, delta: 2 });
    expect(score.value).toBe(14);
  });

  it('two sprites each change by 1 in the same frame → delta 2', () => {
    expect(frame('both')).toEqual({ reset: null, delta: 2 });
    expect(score.value).toBe(2);
  });

  it('the shown monitor reading score before another script sets it: still a reset', () => {
    store.write(3);
    expect(frame('go')).toEqual({ reset: 0, delta: 0 });
    expect(String(score.value)).toBe('0');
  });

  it('a script reading score every frame (forever: wait 0, set other to score) does not make a set in another script a change', () => {
    expect(frame('watch')).toEqual({ reset: null, delta: 0 });
    frame();
    store.write(4);
    expect(frame('zero')).toEqual({ reset: 0, delta: 0 });
    expect(other.value, 'the reader read score (4) in that frame, before the reset').toBe(4);
    expect(String(score.value)).toBe('0');
    store.write(6);
    expect(frame('one'), 'and a change by is still a change').toEqual({ reset: null, delta: 1 });
    expect(score.value).toBe(7);
    vm.stopAll();
  });

  it('a read in one frame and a write in a later frame (set other to score, wait 0, set score to 5) is a reset', () => {
    store.write(2);
    const taken = [frame('later')];
    for (let i = 0; i < 10 && String(score.value) !== '5'; i += 1) taken.push(frame());
    expect(String(score.value)).toBe('5');
    expect(other.value, 'the script read score first').toBe(2);
    expect(taken.length, 'the write came in a later frame').toBeGreaterThan(1);
    expect(taken.filter((t) => t.reset !== null || t.delta !== 0)).toEqual([{ reset: 5, delta: 0 }]);
  });

  it('a network write() is not counted; the scripts count from the written value', () => {
    store.write(50);
    expect(score.value).toBe(50);
    expect(frame()).toEqual({ reset: null, delta: 0 });
    expect(frame('one')).toEqual({ reset: null, delta: 1 });
    expect(score.value).toBe(51);
  });

  it('change by 1 from a text value ("abc") → delta 1 (from 0)', () => {
    expect(frame('text')).toEqual({ reset: 0, delta: 0 });
    expect(score.value, 'text is stored as given').toBe('abc');
    expect(frame('one')).toEqual({ reset: null, delta: 1 });
    expect(score.value).toBe(1);
  });

  it('detach() puts back a plain own data property holding the current value', () => {
    frame('burst');
    store.write(40);
    store.detach();
    expect(Object.getOwnPropertyDescriptor(score, 'value')).toEqual({ value: 40, writable: true, enumerable: true, configurable: true });
    frame('one');
    expect(score.value, 'the scripts still work on the plain property').toBe(41);
    expect(Object.getOwnPropertyDescriptor(score, 'value')).toEqual({ value: 41, writable: true, enumerable: true, configurable: true });
    store = counterStore(score, vm.runtime as unknown as ScratchRuntime); // for afterEach
  });
});

describe('counter store: cases a real project cannot stage on demand (stand-in runtime)', () => {
  const A = { name: 'A' };
  const B = { name: 'B' };
  const make = (value: unknown = 0) => {
    const runtime = { sequencer: { activeThread: null as object | null } };
    const v = { id: 'v', name: 'score', type: '', value } as ScratchVariable;
    const as = (thread: object | null, fn: () => void) => {
      runtime.sequencer.activeThread = thread;
      fn();
      runtime.sequencer.activeThread = null;
    };
    return { runtime, v, as, store: counterStore(v, runtime as unknown as ScratchRuntime) };
  };

  it('another thread reading between a thread’s read and its write: still a change; a write with no read of its own: a reset', () => {
    const { v, as, store } = make(10);
    let read: unknown;
    as(A, () => {
      read = v.value;
    });
    as(B, () => {
      read = v.value;
    });
    as(A, () => {
      v.value = Number(read) + 3;
    });
    expect(store.take()).toEqual({ reset: null, delta: 3 });
    // B read before A's write: that read is gone with the write.
    as(B, () => {
      read = v.value;
    });
    as(A, () => {
      v.value = 1;
    });
    expect(store.take()).toEqual({ reset: 1, delta: 0 });
  });

  it('reads and writes outside a step (activeThread null) record no reader: such a write is a reset', () => {
    const { v, as, store } = make(5);
    as(null, () => {
      v.value = Number(v.value) + 1;
    });
    expect(store.take()).toEqual({ reset: 6, delta: 0 });
  });

  it('take() and write() forget the reader', () => {
    const { v, as, store } = make(5);
    as(A, () => void v.value);
    store.take();
    as(A, () => {
      v.value = 9;
    });
    expect(store.take()).toEqual({ reset: 9, delta: 0 });
    as(A, () => void v.value);
    store.write(20);
    as(A, () => {
      v.value = 21;
    });
    expect(store.take()).toEqual({ reset: 21, delta: 0 });
    expect(v.value).toBe(21);
  });

  it('deltas add up after the last reset; a reset drops the deltas before it', () => {
    const { v, as, store } = make(0);
    const change = (by: number) =>
      as(A, () => {
        v.value = toScratchNumber(v.value) + by;
      });
    change(2);
    as(B, () => {
      v.value = 100;
    });
    change(3);
    change(-1.5);
    as(B, () => {
      v.value = '7';
    });
    change(4);
    change(0.5);
    expect(store.take()).toEqual({ reset: 7, delta: 4.5 });
    expect(v.value).toBe(11.5);
  });

  it("Scratch's number cast for the counted numbers; a change that is no number (Infinity) is a reset", () => {
    for (const [value, n] of [
      ['', 0],
      [' 12 ', 12],
      ['abc', 0],
      [true, 1],
      [false, 0],
      [Number.NaN, 0],
      [null, 0],
      [undefined, 0],
      ['0x10', 16],
      ['1e3', 1000],
      ['Infinity', Number.POSITIVE_INFINITY],
    ] as const)
      expect(toScratchNumber(value), JSON.stringify(value)).toBe(n);
    const { v, as, store } = make('Infinity');
    as(A, () => {
      v.value = toScratchNumber(v.value) + 1;
    });
    expect(store.take()).toEqual({ reset: Number.POSITIVE_INFINITY, delta: 0 });
  });

  it('two stores on one variable both count; the variable is restored when the last one detaches', () => {
    const { v, as, runtime, store } = make(1);
    const second = counterStore(v, runtime as unknown as ScratchRuntime);
    as(A, () => {
      v.value = toScratchNumber(v.value) + 1;
    });
    expect(store.take()).toEqual({ reset: null, delta: 1 });
    expect(second.take()).toEqual({ reset: null, delta: 1 });
    store.detach();
    expect(Object.getOwnPropertyDescriptor(v, 'value')?.get, 'still watched for the second store').toBeDefined();
    as(A, () => {
      v.value = toScratchNumber(v.value) + 1;
    });
    expect(second.take()).toEqual({ reset: null, delta: 1 });
    second.detach();
    expect(Object.getOwnPropertyDescriptor(v, 'value')).toEqual({ value: 3, writable: true, enumerable: true, configurable: true });
  });
});
