// Contract: the Scratch VM thread internals that blocks/hats.ts relies on, checked in the npm
// scratch-vm AND in TurboWarp's VM (from @turbowarp/packager's scaffolding, headless in jsdom; with
// its compiler on and off). HatEvents fires an extension's hat with `runtime.startHats(opcode,
// undefined, target?)`, keeps its event on the threads startHats RETURNS, and tells a busy hat
// instance by scanning `runtime.threads` for a thread with `topBlock` = the hat's block id, its
// `target`, `stackClick` false and `status` not STATUS_DONE (4), reading the hat's opcode with
// `target.blocks.getBlock(id).opcode`; it starts a hat again for its next event from inside
// `runtime.sequencer.stepThread` (blocks/thread-hook.ts) the moment its script ends. Both VMs are
// pinned to exact versions in package.json; if an upgrade fails here, hats.ts must change with it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { block, equals, ProjectBuilder, variable } from '../../examples/lib/project.js';
import { turbowarpForFile } from '../sync/turbowarp.js';
import { close, type ContractTarget as Target, type ContractThread as Thread, type ContractVm, load, registerExtension, vmVariants } from './vms.js';

const EXTENSION = 'cl5contract';
const HAT = `${EXTENSION}_when`;
const STATUS_DONE = 4;

/** A one-hat extension whose predicate always holds and records the thread it was evaluated on. */
class ContractExtension {
  readonly evaluatedOn: unknown[] = [];
  getInfo() {
    return { id: EXTENSION, name: 'contract', blocks: [{ opcode: 'when', blockType: 'hat', text: 'when', isEdgeActivated: false }] };
  }
  when(_args: object, util: { thread: unknown }): boolean {
    this.evaluatedOn.push(util.thread);
    return true;
  }
}

/** Sprites A and B, each with "when ⟨hat⟩: wait until go = 1". */
function contractProject(): { json: Record<string, unknown>; hatIds: Record<string, string> } {
  const p = new ProjectBuilder({ id: EXTENSION, blocks: [{ opcode: 'when' }], menus: {} });
  p.stage.variable('go', 0);
  for (const name of ['A', 'B']) p.sprite(name).script(block(HAT), block('control_wait_until', { CONDITION: equals(variable('go'), 1) }));
  const json = p.toJSON();
  const hatIds: Record<string, string> = {};
  for (const target of json.targets as { name: string; blocks: Record<string, { opcode: string }> }[]) {
    for (const [id, b] of Object.entries(target.blocks)) if (b.opcode === HAT) hatIds[target.name] = id;
  }
  return { json, hatIds };
}

const turbowarp = turbowarpForFile();

describe.each(vmVariants)('$name: thread internals used by blocks/hats.ts', ({ name, make }) => {
  const contract = (what: string) => `${name}: ${what} (blocks/hats.ts depends on it)`;
  let vm: ContractVm;
  let extension: ContractExtension;
  let hatIds: Record<string, string>;
  let sprite: (name: string) => Target;
  const go = (value: number) => {
    vm.runtime.getTargetForStage().lookupVariableByNameAndType('go', '')!.value = value;
  };
  const running = () =>
    (vm.runtime.threads ?? []).filter((t) => t.status !== STATUS_DONE && !t.stackClick && t.topBlock && t.target?.blocks.getBlock(t.topBlock)?.opcode === HAT);

  beforeAll(async () => {
    vm = make(turbowarp());
    extension = new ContractExtension();
    registerExtension(vm, extension);
    const project = contractProject();
    hatIds = project.hatIds;
    await load(vm, project.json);
    sprite = (spriteName) => vm.runtime.targets.find((t) => t.getName() === spriteName)!;
  }, 30_000);

  afterAll(() => close(vm));

  it('startHats returns the started threads, each with topBlock = the hat block, its target, stackClick false; the predicate runs on those threads', () => {
    go(0);
    const started = vm.runtime.startHats(HAT);
    expect(Array.isArray(started), contract('runtime.startHats(extension hat) returns an array of threads')).toBe(true);
    expect(started!.length, contract('startHats starts one thread per hat instance')).toBe(2);
    vm.runtime._step(); // scratch-vm runs the predicate in the next frame; TurboWarp already did inside startHats
    for (const spriteName of ['A', 'B']) {
      const thread = started!.find((t) => t.target === sprite(spriteName));
      expect(thread, contract(`thread.target is the target whose hat started it (${spriteName})`)).toBeDefined();
      expect(thread!.topBlock, contract("thread.topBlock is the hat's block id")).toBe(hatIds[spriteName]);
      expect(thread!.target!.blocks.getBlock(thread!.topBlock!)?.opcode, contract('target.blocks.getBlock(topBlock).opcode is the hat opcode')).toBe(HAT);
      expect(thread!.stackClick, contract('a hat-started thread has stackClick false')).toBe(false);
      expect(thread!.status, contract('a thread still waiting is not STATUS_DONE (4)')).not.toBe(STATUS_DONE);
      expect(vm.runtime.threads?.includes(thread!), contract('runtime.threads lists the running threads')).toBe(true);
    }
    expect(extension.evaluatedOn.length, contract('the hat predicate runs once per started thread')).toBe(2);
    for (const thread of extension.evaluatedOn)
      expect(started!.includes(thread as Thread), contract("the predicate's util.thread is a thread startHats returned")).toBe(true);
  });

  it('startHats does not start a hat whose script is still running (returns no thread for it)', () => {
    const again = vm.runtime.startHats(HAT);
    expect(again, contract('startHats on busy hats returns an empty array')).toEqual([]);
    expect(running().length, contract('runtime.threads still holds exactly the two running hat threads')).toBe(2);
  });

  it('a finished thread has status STATUS_DONE = 4', () => {
    const threads = running();
    go(1);
    vm.runtime._step();
    for (const thread of threads) {
      expect(thread.status, contract('a finished thread has status 4')).toBe(STATUS_DONE);
      expect(thread.constructor.STATUS_DONE, contract('Thread.STATUS_DONE is 4')).toBe(STATUS_DONE);
    }
    expect(running(), contract('no running hat thread is left in runtime.threads once the scripts end')).toEqual([]);
  });

  it('startHats(opcode, undefined, target) starts only that target; a stack-clicked script (stackClick true) does not block the hat', () => {
    go(0);
    const onlyB = vm.runtime.startHats(HAT, undefined, sprite('B'));
    expect(
      onlyB?.map((t) => t.target?.getName()),
      contract('startHats with a target starts only that target'),
    ).toEqual(['B']);

    vm.runtime.toggleScript(hatIds.A!, { target: sprite('A'), stackClick: true });
    const clicked = (vm.runtime.threads ?? []).find((t) => t.topBlock === hatIds.A && t.stackClick);
    expect(clicked, contract('a script clicked in the editor runs as a thread with stackClick true')).toBeDefined();
    const fromHat = vm.runtime.startHats(HAT, undefined, sprite('A'));
    expect(
      fromHat?.map((t) => [t.target?.getName(), t.stackClick]),
      contract('a stack-click thread of the same script does not stop startHats'),
    ).toEqual([['A', false]]);
    go(1);
    vm.runtime._step();
  });

  it('every thread step goes through runtime.sequencer.stepThread; a hat started there for a finished script is stepped in the same frame', () => {
    go(1); // the scripts end on their first step
    const sequencer = (vm.runtime as unknown as { sequencer: { stepThread(thread: Thread): void } }).sequencer;
    const step = sequencer.stepThread;
    const stepped: Thread[] = [];
    let restarted: Thread[] | undefined;
    sequencer.stepThread = function (this: unknown, thread: Thread) {
      step.call(this, thread);
      stepped.push(thread);
      // As blocks/hats.ts does: A's script just ended, start it again right away.
      if (!restarted && thread.target === sprite('A') && thread.status === STATUS_DONE) restarted = vm.runtime.startHats(HAT, undefined, sprite('A'));
    };
    try {
      const first = vm.runtime.startHats(HAT, undefined, sprite('A'))!;
      vm.runtime._step();
      expect(stepped.includes(first[0]!), contract('stepThreads calls runtime.sequencer.stepThread (the property) for each thread')).toBe(true);
      expect(restarted?.length, contract('startHats from inside a step starts a hat whose thread just finished (status 4)')).toBe(1);
      expect(stepped.includes(restarted![0]!), contract('a thread started during a step is stepped in the same _step')).toBe(true);
      expect(restarted![0]!.status, contract('...and ran to its end there')).toBe(STATUS_DONE);
    } finally {
      sequencer.stepThread = step;
    }
  });
});
