// The Scratch binding on TurboWarp's VM (with its compiler on), in Node: @turbowarp/packager's
// scaffolding build evaluated in a jsdom window. Its renderer needs WebGL, which jsdom lacks, so
// `setup()` throws after it created the VM; the VM itself runs headless. This checks, on the
// compiled code rather than on the interpreter: AFTER_EXECUTE drives the flush (no `_step` wrap),
// compiled list blocks mark the list dirty through `_monitorUpToDate`, "delete all" is seen, and
// remote writes are not echoed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emitsFrameEvents } from '../../blocks/sync/frame-hook.js';
import { decodePeerMessage } from '../../src/protocol/index.js';
import { MemoryNetwork } from './memory.js';
import { TurboWarpWindow } from './turbowarp.js';
import { project, VmNode, type Vm } from './vm-harness.js';

interface TwVm extends Vm {
  runtime: Vm['runtime'] & {
    compilerOptions: { enabled: boolean };
    listenerCount(event: string): number;
  };
}

let turbowarp: TurboWarpWindow | undefined;

const nodes: VmNode<TwVm>[] = [];
const net = new MemoryNetwork();

function settle(maxFrames = 30) {
  for (let frames = 0; frames < maxFrames; frames += 1) {
    const before = net.messagesSent;
    for (const node of nodes) node.vm.runtime._step();
    while (net.deliverOne());
    if (net.messagesSent === before) return;
  }
  throw new Error('not settled');
}

beforeAll(async () => {
  turbowarp = new TurboWarpWindow();
  for (const id of ['ann', 'bob']) nodes.push(await new VmNode(id, net, turbowarp.vm<TwVm>()).load(project()));
}, 30_000);

afterAll(() => {
  for (const node of nodes) {
    node.close();
  }
  turbowarp?.close();
});

describe("Scratch binding on TurboWarp's compiled VM", () => {
  it('hooks AFTER_EXECUTE (no _step wrap) and syncs compiled list and variable blocks without echo', () => {
    const [ann, bob] = nodes as [VmNode<TwVm>, VmNode<TwVm>];
    const runtime = ann.vm.runtime;
    expect(runtime.compilerOptions.enabled).toBe(true);
    expect(emitsFrameEvents(runtime)).toBe(true);
    const listeners = runtime.listenerCount('AFTER_EXECUTE');
    for (const node of nodes) {
      node.bindAll('whole');
    }
    expect(runtime.listenerCount('AFTER_EXECUTE')).toBe(listeners + 1);
    expect(Object.hasOwn(runtime, '_step')).toBe(false);

    const threads = runtime.startHats('event_whenbroadcastreceived', { BROADCAST_OPTION: 'edits' }) as { isCompiled?: boolean }[];
    expect(threads.length).toBe(2);
    expect(threads.every((thread) => thread.isCompiled)).toBe(true);
    runtime._step();
    expect(ann.values()).toEqual({ score: 15, log: ['first', 'second'], hp: 50, inv: ['bow'] });
    expect(net.inFlight).toHaveLength(1); // one message to bob for four ids
    settle();
    expect(bob.values()).toEqual(ann.values());
    expect(net.messagesSent).toBe(1); // bob did not echo

    // A burst of 100 compiled edits in one frame: one message.
    bob.vm.runtime.startHats('event_whenbroadcastreceived', { BROADCAST_OPTION: 'count' });
    bob.vm.runtime._step();
    expect(bob.values().log).toHaveLength(102);
    expect(net.inFlight).toHaveLength(1);
    settle();
    expect(ann.values()).toEqual(bob.values());

    // Compiled "replace item": same array, same length; only the `_monitorUpToDate` flag tells.
    bob.vm.runtime.startHats('event_whenbroadcastreceived', { BROADCAST_OPTION: 'rename' });
    bob.vm.runtime._step();
    expect(decodePeerMessage(net.inFlight[0]!.text)).toEqual([expect.objectContaining({ method: 'replace', payload: { index: 1, value: 'renamed by bob' } })]);
    settle();
    expect((ann.values().log as string[])[1]).toBe('renamed by bob');

    // Compiled "delete 1 of" (inlined shift) and "delete all" (a new array, no flag).
    runtime.startHats('event_whenbroadcastreceived', { BROADCAST_OPTION: 'shift' });
    runtime._step();
    expect(decodePeerMessage(net.inFlight[0]!.text)).toEqual([expect.objectContaining({ id: 'log', method: 'set' })]);
    settle();
    expect(bob.values().log).toHaveLength(101);
    bob.vm.runtime.startHats('event_whenbroadcastreceived', { BROADCAST_OPTION: 'clear' });
    settle();
    expect(ann.values().log).toEqual([]);
    expect(ann.values()).toEqual(bob.values());
    expect(net.errors).toEqual([]);
  });
});
