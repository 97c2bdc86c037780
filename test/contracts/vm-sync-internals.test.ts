// Contract: the Scratch VM internals the networked-data binding (blocks/sync) relies on, in the npm
// scratch-vm and in TurboWarp's VM (compiler on and off):
//   `list._monitorUpToDate`   every list block sets it to false (blocks/sync/stores.ts watches it to
//                             find edited lists cheaply); "delete all" may instead put a new array;
//   `AFTER_EXECUTE`           TurboWarp's runtime emits it once per frame, after the scripts ran
//                             (blocks/sync/frame-hook.ts flushes there);
//   `runtime._step`           scratch-vm's frame timer calls it through the property, so the frame
//                             hook can wrap it (scratch-vm has no AFTER_EXECUTE).
// Both VMs are pinned to exact versions in package.json; if an upgrade fails here, blocks/sync must
// change with it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addToList, changeVar, deleteAll, deleteOf, insertAt, ProjectBuilder, replaceItem, whenReceived } from '../../examples/lib/project.js';
import { turbowarpForFile } from '../sync/turbowarp.js';
import { close, type ContractVariable, type ContractVm, load, vmVariants } from './vms.js';
import { until } from '../helpers/until.js';

function project(): object {
  const p = new ProjectBuilder();
  p.stage.variable('n', 0).list('log', ['a', 'b', 'c']);
  p.stage
    .script(whenReceived('add'), addToList('log', 'x'))
    .script(whenReceived('insert'), insertAt('log', 1, 'y'))
    .script(whenReceived('delete'), deleteOf('log', 1))
    .script(whenReceived('replace'), replaceItem('log', 1, 'z'))
    .script(whenReceived('clear'), deleteAll('log'))
    .script(whenReceived('count'), changeVar('n', 1));
  return p.toJSON();
}

const turbowarp = turbowarpForFile();

describe.each(vmVariants)('$name: internals used by blocks/sync', ({ name, make, turbowarp: isTurboWarp }) => {
  const contract = (what: string, user = 'blocks/sync/stores.ts') => `${name}: ${what} (${user} depends on it)`;
  let vm: ContractVm;
  let log: ContractVariable;
  let n: ContractVariable;
  /** Read through a call: the compiler would otherwise keep the value the test just assigned. */
  const upToDate = () => log._monitorUpToDate;
  const run = (message: string) => {
    vm.runtime.startHats('event_whenbroadcastreceived', { BROADCAST_OPTION: message });
    vm.runtime._step();
  };

  beforeAll(async () => {
    vm = make(turbowarp());
    await load(vm, project());
    const stage = vm.runtime.getTargetForStage();
    log = stage.lookupVariableByNameAndType('log', 'list')!;
    n = stage.lookupVariableByNameAndType('n', '')!;
  }, 30_000);

  afterAll(() => close(vm));

  it.each(['add', 'insert', 'delete', 'replace'])('"%s" on a list sets list._monitorUpToDate to false', (message) => {
    log._monitorUpToDate = true;
    const before = JSON.stringify(log.value);
    run(message);
    expect(JSON.stringify(log.value), `the "${message}" script ran`).not.toBe(before);
    expect(upToDate(), contract(`the list block "${message}" sets list._monitorUpToDate = false`)).toBe(false);
  });

  it('"delete all" sets list._monitorUpToDate to false or puts a new array in list.value', () => {
    log._monitorUpToDate = true;
    const before = log.value;
    run('clear');
    expect(log.value).toEqual([]);
    expect(log.value !== before || upToDate() === false, contract('"delete all" replaces list.value or clears list._monitorUpToDate')).toBe(true);
  });

  it.runIf(isTurboWarp)('the runtime emits AFTER_EXECUTE once per frame, after the scripts of that frame ran', () => {
    const runtime = vm.runtime;
    expect(runtime.constructor.AFTER_EXECUTE, contract('Runtime.AFTER_EXECUTE is the event name', 'blocks/sync/frame-hook.ts')).toBe('AFTER_EXECUTE');
    const seen: unknown[] = [];
    const listener = () => seen.push(n.value);
    runtime.on('AFTER_EXECUTE', listener);
    try {
      const before = Number(n.value);
      run('count');
      runtime._step();
      expect(seen, contract('AFTER_EXECUTE fires once per _step, after the frame ran its scripts', 'blocks/sync/frame-hook.ts')).toEqual([
        before + 1,
        before + 1,
      ]);
    } finally {
      (runtime.off ?? runtime.removeListener)!.call(runtime, 'AFTER_EXECUTE', listener);
    }
  });

  it.runIf(!isTurboWarp)("the runtime's frame timer calls runtime._step through the property (so a wrapper runs every frame)", async () => {
    const runtime = vm.runtime;
    expect(
      runtime.constructor.AFTER_EXECUTE,
      contract('Runtime.AFTER_EXECUTE is absent, so the frame hook wraps _step', 'blocks/sync/frame-hook.ts'),
    ).toBeUndefined();
    const step = runtime._step;
    let frames = 0;
    runtime._step = function (this: ContractVm['runtime']) {
      frames += 1;
      step.call(this);
    };
    try {
      runtime.start();
      await until(() => frames >= 2, contract('the frame timer to call an own-property runtime._step twice', 'blocks/sync/frame-hook.ts'));
    } finally {
      runtime.quit();
      delete (runtime as { _step?: unknown })._step;
    }
    expect(runtime._step, 'the prototype _step is back').toBe(step);
  });
});
