// The receive path in real VMs (scratch-vm, and TurboWarp's VM headless with its compiler on and
// off), frames stepped by hand: every message that arrives between two frames runs its hat in the
// next frame, in order per sender, in the frame's one tick; on a fast channel only the newest per
// sender runs; "changed by another player" runs once per id per frame; a script that waits misses
// nothing on an ordered channel. (Frames whose tick ends on a redraw, as in a game with moving
// sprites, are covered in Chromium by test/browser/streaming.test.ts.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cl5 } from '../../examples/lib/define.js';
import { cloudlinkShape, nodeScratch } from '../../examples/lib/extension-shape.js';
import { addToList, block, equals, join, ProjectBuilder, variable } from '../../examples/lib/project.js';
import { createExtension } from '../../blocks/extension.js';
import type { ScratchRuntime } from '../../blocks/scratch.js';
import type { ReceivedMessage } from '../../src/client/api.js';
import { close, type ContractVm, load, registerExtension, vmVariants } from '../contracts/vms.js';
import { fakeClient, fakeSync } from '../blocks/fakes.js';
import { turbowarpForFile } from '../sync/turbowarp.js';

const data = (channel: string) => cl5('lastData', { KIND: 'broadcast', CHANNEL: channel });
const sender = (channel: string) => cl5('lastSender', { KIND: 'broadcast', CHANNEL: channel });

function project(): object {
  const p = new ProjectBuilder(cloudlinkShape());
  p.stage.variable('go', 0).list('chat').list('pos').list('slow').list('changes');
  p.stage
    .script(cl5('whenBroadcast', { CHANNEL: 'chat' }), addToList('chat', join(sender('chat'), join(':', data('chat')))))
    .script(cl5('whenBroadcast', { CHANNEL: 'pos' }), addToList('pos', join(sender('pos'), join(':', data('pos')))))
    .script(cl5('whenBroadcast', { CHANNEL: 'slow' }), addToList('slow', data('slow')), block('control_wait_until', { CONDITION: equals(variable('go'), 1) }))
    .script(cl5('whenDataChanged', { ID: 'score' }), addToList('changes', cl5('dataChangedBy')));
  return p.toJSON();
}

const turbowarp = turbowarpForFile();

describe.each(vmVariants)('$name: hats keep up with the messages', ({ make }) => {
  let vm: ContractVm;
  const client = fakeClient();
  const sync = fakeSync();
  const list = (name: string) => vm.runtime.getTargetForStage().lookupVariableByNameAndType(name, 'list')!.value as string[];
  const take = (name: string) => list(name).splice(0);
  const send = (from: string, channel: string, payload: unknown, fast = false) =>
    client.emitter.emit('message', { from, channel, kind: 'broadcast', payload, ...(fast ? { fast: true as const } : {}) } satisfies ReceivedMessage);

  beforeAll(async () => {
    vm = make(turbowarp());
    const extension = createExtension(nodeScratch(vm.runtime as unknown as ScratchRuntime), client, sync) as { getInfo(): { id: string } };
    registerExtension(vm, extension);
    await load(vm, project());
    vm.runtime.currentStepTime = 1000 / 30; // a real frame's budget: a waiting script spins for 25 ms, not 190
  }, 30_000);
  afterAll(() => close(vm));

  it('runs the hat for every message of four senders in the next frame, in order, frame after frame', () => {
    for (let frame = 0; frame < 20; frame++) {
      for (const from of ['p1', 'p2', 'p3', 'p4']) for (const n of [1, 2]) send(from, 'chat', `${frame}.${n}`);
      vm.runtime._step();
      expect(take('chat')).toEqual(['p1', 'p2', 'p3', 'p4'].flatMap((from) => [`${from}:${frame}.1`, `${from}:${frame}.2`]));
    }
  });

  it('on a fast channel runs the newest message of each sender, in the next frame', () => {
    for (let frame = 0; frame < 10; frame++) {
      for (const n of [1, 2, 3]) for (const from of ['p1', 'p2', 'p3']) send(from, 'pos', `${frame}.${n}`, true);
      vm.runtime._step();
      expect(take('pos')).toEqual(['p1', 'p2', 'p3'].map((from) => `${from}:${frame}.3`));
    }
  });

  it('a script that waits gets every ordered message that came meanwhile, in the frame it ends', () => {
    send('p1', 'slow', '0');
    vm.runtime._step();
    for (let n = 1; n <= 5; n++) {
      send('p1', 'slow', String(n));
      vm.runtime._step();
    }
    expect(take('slow')).toEqual(['0']);
    vm.runtime.getTargetForStage().lookupVariableByNameAndType('go', '')!.value = 1;
    vm.runtime._step();
    // 1 ran as the script ended; 2..5 ran after it, each ending at once now that go = 1.
    expect(take('slow')).toEqual(['1', '2', '3', '4', '5']);
  });

  it('"changed by another player" runs once per frame per id, with the latest change', () => {
    for (let frame = 0; frame < 5; frame++) {
      for (const from of ['p1', 'p2', 'p3']) sync.remoteChange('score', from);
      vm.runtime._step();
      expect(take('changes')).toEqual(['p3']);
    }
  });
});
