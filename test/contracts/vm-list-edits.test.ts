// Contract: every Scratch list block that inserts or deletes does it through a method call on
// `list.value` (push, pop, shift, unshift, splice), in the npm scratch-vm and in TurboWarp's VM with
// the compiler on (whose generated code uses `.value.pop()` for "delete last", `.value.shift()` for
// "delete 1", `.value.unshift(…)` for "insert at 1", `.value.push(…)` for "add", and splicing
// helpers for other indexes) and off. blocks/sync/stores.ts gives a merged list's array own such
// methods, so each block's edit is reported with its index and never searched for; "replace item"
// assigns an index, which is reported as an unseen change (the flag after it). If an upgrade fails
// here, blocks/sync must change with it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScratchVariable } from '../../blocks/scratch.js';
import { mergedListStore, type ScratchMergedListStore } from '../../blocks/sync/stores.js';
import { addToList, deleteAll, deleteOf, insertAt, ProjectBuilder, repeat, replaceItem, whenReceived } from '../../examples/lib/project.js';
import { turbowarpForFile } from '../sync/turbowarp.js';
import { close, type ContractVm, load, vmVariants } from './vms.js';

function project(): object {
  const p = new ProjectBuilder();
  p.stage.list('log', ['a', 'b', 'c', 'd']);
  p.stage
    .script(whenReceived('add'), addToList('log', 'x'))
    .script(whenReceived('insert 1'), insertAt('log', 1, 'y'))
    .script(whenReceived('insert 3'), insertAt('log', 3, 'w'))
    .script(whenReceived('delete 1'), deleteOf('log', 1))
    .script(whenReceived('delete last'), deleteOf('log', 'last'))
    .script(whenReceived('delete 2'), deleteOf('log', 2))
    .script(whenReceived('replace 2'), replaceItem('log', 2, 'z'))
    .script(whenReceived('add 3 times'), repeat(3, [addToList('log', 'r')]))
    .script(whenReceived('clear'), deleteAll('log'));
  return p.toJSON();
}

const turbowarp = turbowarpForFile();

describe.each(vmVariants)('$name: list blocks as the merged-list store sees them', ({ name, make }) => {
  let vm: ContractVm;
  let log: ScratchVariable;
  let store: ScratchMergedListStore;
  const seen: string[] = [];
  const run = (message: string) => {
    seen.length = 0;
    vm.runtime.startHats('event_whenbroadcastreceived', { BROADCAST_OPTION: message });
    vm.runtime._step();
    return [...seen];
  };

  beforeAll(async () => {
    vm = make(turbowarp());
    await load(vm, project());
    log = vm.runtime.getTargetForStage().lookupVariableByNameAndType('log', 'list') as unknown as ScratchVariable;
    store = mergedListStore(log);
    store.listen({
      inserted: (index, value) => seen.push(`insert ${index} ${value}`),
      deleted: (index) => seen.push(`delete ${index}`),
      changed: () => seen.push('changed'),
    });
  }, 30_000);

  afterAll(() => {
    store.detach();
    close(vm);
  });

  it.each([
    ['add', ['insert 4 x'], 'a b c d x'],
    ['insert 1', ['insert 0 y'], 'y a b c d x'],
    ['insert 3', ['insert 2 w'], 'y a w b c d x'],
    ['delete 1', ['delete 0'], 'a w b c d x'],
    ['delete last', ['delete 5'], 'a w b c d'],
    ['delete 2', ['delete 1'], 'a b c d'],
    ['replace 2', ['changed'], 'a z c d'],
    ['add 3 times', ['insert 4 r', 'insert 5 r', 'insert 6 r'], 'a z c d r r r'],
  ])('"%s" is reported as %j', (message, reported, after) => {
    expect(run(message), `${name}: the "${message}" block's edit, as blocks/sync/stores.ts reports it`).toEqual(reported);
    expect((log.value as string[]).join(' '), `the "${message}" script ran`).toBe(after);
  });

  it('"delete all" puts a new array in list.value (found by replaced(), which gives it the edit methods)', () => {
    expect(store.replaced()).toBe(false);
    run('clear');
    expect(log.value).toEqual([]);
    expect(store.replaced(), `${name}: "delete all" assigns a new array`).toBe(true);
    expect(run('add'), 'the new array reports its edits').toEqual(['insert 0 x']);
  });

  it('a remote patch written by the store is not reported as a local edit', () => {
    seen.length = 0;
    store.patch([
      { kind: 'insert', index: 0, value: 'remote' },
      { kind: 'delete', index: 1 },
    ]);
    expect(seen).toEqual([]);
    expect(log.value).toEqual(['remote']);
  });
});
