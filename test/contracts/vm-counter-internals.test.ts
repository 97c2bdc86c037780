// Contract: the Scratch VM internals blocks/sync/counter-store.ts relies on to tell `change [v] by 1`
// from `set [v] to 0`, in the npm scratch-vm and in TurboWarp's VM (compiler on and off):
//   `variable.value`                  every variable block reads and writes the variable object's own
//                                     `value` property, each time (no cached value), so an accessor
//                                     there sees them all: "change by" reads then writes, "set to" only
//                                     writes, "set to ((v) + 2)" reads then writes;
//   `runtime.sequencer.activeThread`  while a script runs it is that script's thread (the one
//                                     startHats returned), for every read and write it makes; null
//                                     once `_step` is over; a shown monitor reads from its own thread
//                                     (updateMonitor true).
// Both VMs are pinned to exact versions in package.json; if an upgrade fails here, the counter store
// must change with it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { add, broadcast, changeVar, ProjectBuilder, setVar, variable, whenReceived } from '../../examples/lib/project.js';
import { turbowarpForFile } from '../sync/turbowarp.js';
import { close, type ContractThread, type ContractVariable, type ContractVm, load, vmVariants } from './vms.js';

interface Thread extends ContractThread {
  updateMonitor?: boolean;
}
/** What was read or written (the interpreter writes a "set to" input's text, '0'; the compiler a number, 0: compared as text). */
interface Access {
  op: 'get' | 'set';
  thread: Thread | null;
  value: unknown;
}

function project(): object {
  const p = new ProjectBuilder();
  p.stage.variable('score', 0);
  p.stage
    .script(whenReceived('change'), changeVar('score', 1))
    .script(whenReceived('set'), setVar('score', 0))
    .script(whenReceived('set plus'), setVar('score', add(variable('score'), 2)))
    .script(whenReceived('set then change'), setVar('score', 0), changeVar('score', 5))
    .script(whenReceived('go'), broadcast('reset'))
    .script(whenReceived('reset'), setVar('score', 7));
  for (const name of ['A', 'B']) p.sprite(name).script(whenReceived('both'), changeVar('score', 1));
  p.monitor('score');
  return p.toJSON();
}

/** Logs every access to `variable.value` with the sequencer's active thread; `restore()` puts the plain property back. */
function spy(variable: ContractVariable, sequencer: { activeThread: Thread | null }) {
  let value = variable.value;
  const log: Access[] = [];
  Object.defineProperty(variable, 'value', {
    configurable: true,
    enumerable: true,
    get: () => {
      log.push({ op: 'get', thread: sequencer.activeThread, value });
      return value;
    },
    set: (next: unknown) => {
      log.push({ op: 'set', thread: sequencer.activeThread, value: next });
      value = next;
    },
  });
  return {
    log,
    restore() {
      Object.defineProperty(variable, 'value', { configurable: true, enumerable: true, writable: true, value });
    },
  };
}

const turbowarp = turbowarpForFile();

describe.each(vmVariants)('$name: internals used by blocks/sync/counter-store.ts', ({ name, make, turbowarp: isTurboWarp }) => {
  const contract = (what: string) => `${name}: ${what} (blocks/sync/counter-store.ts depends on it)`;
  let vm: ContractVm;
  let score: ContractVariable;
  let sequencer: { activeThread: Thread | null };

  /** Starts the scripts for `message`, runs one frame with `score` spied on; the accesses made by non-monitor threads. */
  const run = (message: string) => {
    const started = (vm.runtime.startHats('event_whenbroadcastreceived', { BROADCAST_OPTION: message }) ?? []) as Thread[];
    const s = spy(score, sequencer);
    try {
      vm.runtime._step();
    } finally {
      s.restore();
    }
    expect(sequencer.activeThread, contract('sequencer.activeThread is null once _step returns')).toBeNull();
    return { started, log: s.log, scripts: s.log.filter((a) => !a.thread?.updateMonitor) };
  };

  beforeAll(async () => {
    vm = make(turbowarp());
    await load(vm, project());
    score = vm.runtime.getTargetForStage().lookupVariableByNameAndType('score', '')!;
    sequencer = (vm.runtime as unknown as { sequencer: { activeThread: Thread | null } }).sequencer;
  }, 30_000);

  afterAll(() => close(vm));

  it('"change by" reads then writes variable.value, both with activeThread = the running thread', () => {
    score.value = 10;
    const { started, scripts } = run('change');
    expect(started.length).toBe(1);
    if (isTurboWarp && vm.runtime.compilerOptions?.enabled) expect(started[0]!.isCompiled, contract('the compiler compiled the script')).toBe(true);
    expect(
      scripts.map((a) => [a.op, a.thread === started[0], String(a.value)]),
      contract('change by: one read of variable.value, then one write, by the thread stepped'),
    ).toEqual([
      ['get', true, '10'],
      ['set', true, '11'],
    ]);
  });

  it('"set to 0" only writes; "set to ((v) + 2)" reads then writes', () => {
    score.value = 3;
    const set = run('set');
    expect(
      set.scripts.map((a) => [a.op, a.thread === set.started[0], String(a.value)]),
      contract('set to: one write, no read'),
    ).toEqual([['set', true, '0']]);
    const plus = run('set plus');
    expect(
      plus.scripts.map((a) => [a.op, a.thread === plus.started[0], String(a.value)]),
      contract('set to (v + 2): a read, then the write'),
    ).toEqual([
      ['get', true, '0'],
      ['set', true, '2'],
    ]);
  });

  it('a read after a write in the same script goes through variable.value again (no cached value)', () => {
    score.value = 3;
    const { started, scripts } = run('set then change');
    expect(
      scripts.map((a) => [a.op, a.thread === started[0], String(a.value)]),
      contract('set to 0 then change by 5: write, read, write'),
    ).toEqual([
      ['set', true, '0'],
      ['get', true, '0'],
      ['set', true, '5'],
    ]);
  });

  it("two sprites' scripts each run with their own thread as activeThread, one after the other", () => {
    score.value = 0;
    const { started, scripts } = run('both');
    expect(started.length).toBe(2);
    expect(started[0]).not.toBe(started[1]);
    const who = (thread: Thread | null) => started.indexOf(thread!);
    const order = scripts.map((a) => [a.op, who(a.thread)]);
    expect(
      [order.slice(0, 2), order.slice(2)].sort((x, y) => Number(x[0]![1]) - Number(y[0]![1])),
      contract("each script's read and write are made with its own thread active, not interleaved"),
    ).toEqual([
      [
        ['get', 0],
        ['set', 0],
      ],
      [
        ['get', 1],
        ['set', 1],
      ],
    ]);
    expect(score.value).toBe(2);
  });

  it('a shown monitor reads variable.value from its own thread (updateMonitor true) during the step', () => {
    score.value = 1;
    const { log, started } = run('go');
    const monitorReads = log.filter((a) => a.op === 'get' && a.thread?.updateMonitor);
    expect(monitorReads.length, contract('a monitor thread reads the shown variable each frame')).toBeGreaterThan(0);
    for (const read of monitorReads) expect(started.includes(read.thread!), contract('the monitor thread is not a script thread')).toBe(false);
    const sets = log.filter((a) => a.op === 'set');
    expect(
      sets.map((a) => [String(a.value), a.thread !== null && !a.thread.updateMonitor]),
      contract('the script started by the broadcast writes with its own thread active'),
    ).toEqual([['7', true]]);
    // So the counter store's "monitor read before a reset" case (test/sync/counter-store.test.ts) is real:
    // the monitor thread was pushed before the step, the broadcast's thread is appended after it.
    expect(
      log.map((a) => [a.op, a.thread?.updateMonitor === true]),
      contract('a thread a broadcast starts during the step runs after the monitor thread: the monitor reads first'),
    ).toEqual([
      ['get', true],
      ['set', false],
    ]);
  });
});
