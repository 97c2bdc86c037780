// The sync engine and the Scratch binding (blocks/sync) inside the real npm scratch-vm: three VMs in
// one process, scripts made of real Scratch data blocks, links in memory with controlled order.
import { afterEach, describe, expect, it } from 'vitest';
import { emitsFrameEvents, onEveryFrame } from '../../blocks/sync/frame-hook.js';
import type { ScratchRuntime } from '../../blocks/scratch.js';
import { decodePeerMessage } from '../../src/protocol/index.js';
import { MemoryNetwork, prng } from './memory.js';
import { frame, project, settle, VmNode } from './vm-harness.js';

const json = project();
let open: VmNode[] = [];

async function players(...ids: string[]) {
  const net = new MemoryNetwork();
  const nodes: VmNode[] = [];
  for (const id of ids) nodes.push(await new VmNode(id, net).load(json));
  open.push(...nodes);
  return { net, nodes };
}

afterEach(() => {
  for (const node of open) node.close();
  open = [];
});

const expectConverged = (nodes: VmNode[]) => {
  for (const node of nodes.slice(1)) expect(node.values(), node.id).toEqual(nodes[0]!.values());
};

describe('Scratch binding in the real scratch-vm', () => {
  it('the npm scratch-vm emits no AFTER_EXECUTE, so the hook wraps _step and unwraps it again', async () => {
    const { nodes } = await players('solo');
    const runtime = nodes[0]!.vm.runtime;
    const events: string[] = [];
    runtime.on!('AFTER_EXECUTE', () => events.push('after'));
    runtime.on!('BEFORE_EXECUTE', () => events.push('before'));
    expect(emitsFrameEvents(runtime)).toBe(false);
    const original = runtime._step;
    let frames = 0;
    const stop = onEveryFrame(runtime, () => (frames += 1));
    const stopToo = onEveryFrame(runtime, () => (frames += 10));
    runtime._step();
    runtime._step();
    expect(frames).toBe(22);
    expect(events).toEqual([]); // vanilla fires neither event
    stop();
    runtime._step();
    expect(frames).toBe(32);
    stopToo();
    expect(runtime._step).toBe(original);
    expect(Object.hasOwn(runtime, '_step')).toBe(false);
  });

  it('uses AFTER_EXECUTE on a runtime that emits it (TurboWarp) instead of wrapping _step', () => {
    const listeners = new Map<string, () => void>();
    class TurboWarpLikeRuntime {
      static get AFTER_EXECUTE() {
        return 'AFTER_EXECUTE';
      }
      startHats() {
        return [];
      }
      _step() {
        listeners.get('AFTER_EXECUTE')?.();
      }
      on(event: string, fn: () => void) {
        listeners.set(event, fn);
      }
      off(event: string) {
        listeners.delete(event);
      }
    }
    const runtime = new TurboWarpLikeRuntime() as unknown as ScratchRuntime;
    let frames = 0;
    const stop = onEveryFrame(runtime, () => (frames += 1));
    expect(Object.hasOwn(runtime, '_step')).toBe(false);
    runtime._step();
    expect(frames).toBe(1);
    stop();
    expect(listeners.size).toBe(0);
  });

  it('binds stage and sprite-local variables and lists; every list block reaches everyone, no echo', async () => {
    const { net, nodes } = await players('ann', 'bob', 'cat');
    for (const node of nodes) node.bindAll();
    settle(nodes, net);
    expect(net.messagesSent).toBe(0); // nothing written yet: nothing to send

    const [ann, bob, cat] = nodes as [VmNode, VmNode, VmNode];
    ann.broadcast('edits');
    ann.step();
    // One frame of edits to four ids: one message per peer.
    expect(net.inFlight.map((m) => m.to).sort()).toEqual(['bob', 'cat']);
    settle(nodes, net);
    expect(bob.values()).toEqual({ score: 15, log: ['first', 'second'], hp: '50', inv: ['bow'] });
    expectConverged(nodes);
    expect(net.messagesSent).toBe(2); // bob and cat applied the values and sent nothing back
    // The receivers' list monitors are told to refresh.
    expect(cat.variable(cat.stage, 'log', 'list')._monitorUpToDate).toBe(false);

    // "delete all" replaces the array; "delete of 1" on a long list goes as one whole-list set.
    bob.broadcast('count');
    settle(nodes, net);
    cat.broadcast('shift');
    cat.step();
    const shift = decodePeerMessage(net.inFlight[0]!.text);
    expect(shift).toEqual([expect.objectContaining({ opcode: 'G_LIST', id: 'log', method: 'set' })]);
    settle(nodes, net);
    expect((ann.values().log as string[]).length).toBe(101);
    // "replace item" keeps the array and its length: only the `_monitorUpToDate` flag tells.
    bob.broadcast('rename');
    bob.step();
    expect(decodePeerMessage(net.inFlight[0]!.text)).toEqual([expect.objectContaining({ method: 'replace', payload: { index: 1, value: 'renamed by bob' } })]);
    settle(nodes, net);
    expect((cat.values().log as string[])[1]).toBe('renamed by bob');
    ann.broadcast('clear');
    settle(nodes, net);
    expect(cat.values().log).toEqual([]);
    expectConverged(nodes);
  });

  it('sends a burst of 100 edits made in one frame as one message per peer', async () => {
    const { net, nodes } = await players('ann', 'bob', 'cat');
    for (const node of nodes) node.bindAll();
    const [, bob] = nodes as [VmNode, VmNode, VmNode];
    bob.broadcast('burst');
    bob.step();
    // The repeat loops ran to the end in that frame (headless: nothing asks for a redraw).
    expect(bob.values().log).toHaveLength(100);
    expect(bob.values().inv).toHaveLength(100);
    expect(net.inFlight).toHaveLength(2);
    expect(net.inFlight.map((m) => m.to).sort()).toEqual(['ann', 'cat']);
    settle(nodes, net);
    expectConverged(nodes);
    expect(nodes[0]!.values()).toMatchObject({ score: 100, hp: 0 });
    expect((nodes[2]!.values().log as string[]).every((item) => item === 'bob-x')).toBe(true);
  });

  it('converges when two VMs edit the same variables and lists in the same frame, whatever the delivery order', async () => {
    for (let seed = 1; seed <= 6; seed += 1) {
      const random = prng(seed);
      const pick = (links: string[]) => Math.floor(random() * links.length);
      const { net, nodes } = await players('ann', 'bob', 'cat');
      for (const node of nodes) node.bindAll();
      const [ann, bob, cat] = nodes as [VmNode, VmNode, VmNode];
      ann.broadcast('edits');
      settle(nodes, net, pick);
      // Same frame on ann and cat, and bob edits one frame later, before anything was delivered.
      ann.broadcast('burst');
      cat.broadcast('burst');
      ann.step();
      cat.step();
      bob.broadcast('shift');
      bob.broadcast('mine');
      bob.step();
      expect(ann.values().log).not.toEqual(cat.values().log);
      settle(nodes, net, pick);
      expectConverged(nodes);
      expect(ann.values().log, `seed ${seed}`).toEqual(cat.values().log);
      expect(net.errors).toEqual([]);
      for (const node of nodes) node.close();
      open = [];
    }
  });

  it('gives a late joiner the current values, written into its own (stage and sprite) variables', async () => {
    const { net, nodes } = await players('ann', 'bob');
    for (const node of nodes) node.bindAll();
    nodes[0]!.broadcast('edits');
    settle(nodes, net);
    nodes[1]!.broadcast('burst');
    settle(nodes, net);

    const dan = await new VmNode('dan', net).load(json);
    open.push(dan);
    dan.bindAll();
    expect(dan.values()).toEqual({ score: 0, log: [], hp: 100, inv: [] });
    for (const node of nodes) node.engine.peerJoined('dan');
    for (const node of nodes) dan.engine.peerJoined(node.id);
    const all = [...nodes, dan];
    settle(all, net);
    expectConverged(all);
    expect(dan.values().score).toBe(115);
    // dan's untouched initial values did not overwrite anyone.
    expect(nodes[0]!.values().hp).toBe(-50);
  });

  it('finds a stage variable from a sprite, keeps private bindings between two VMs, and stops syncing', async () => {
    const { net, nodes } = await players('ann', 'bob', 'cat');
    const [ann, bob, cat] = nodes as [VmNode, VmNode, VmNode];
    // "score" is a stage variable: the block running in the sprite falls back to the stage.
    ann.data.syncVariable(ann.player, 'score', 'duel', 'bob');
    bob.data.syncVariable(bob.player, 'score', 'duel', 'ann');
    cat.data.syncVariable(cat.player, 'score', 'duel', null);
    ann.broadcast('mine');
    ann.step();
    expect(net.inFlight.map((m) => m.to)).toEqual(['bob']);
    expect(decodePeerMessage(net.inFlight[0]!.text)[0]).toMatchObject({ opcode: 'P_VAR', id: 'duel', payload: 'from ann' });
    settle(nodes, net);
    expect(bob.values().score).toBe('from ann');
    expect(cat.values().score).toBe(0);

    expect(bob.data.stopSyncing('duel')).toBe(true);
    ann.broadcast('edits');
    settle(nodes, net);
    expect(bob.values().score).toBe('from ann');
    expect(() => ann.data.syncList(ann.player, 'nope', 'x', null)).toThrow('no list named "nope"');
  });

  it('with 1,000 variables and 10 lists bound, unchanged frames send nothing and one change sends one packet', async () => {
    // The per-frame cost of this watch is measured by bench/sync.mjs, not here.
    const { net, nodes } = await players('solo', 'peer');
    const [solo] = nodes as [VmNode, VmNode];
    const stage = solo.stage;
    const variables = Array.from({ length: 1000 }, (_, i) => ({ id: `v${i}`, name: `v${i}`, type: '' as const, value: i }));
    for (const v of variables) {
      stage.variables[v.id] = v;
      solo.data.syncVariable(stage, v.name, v.name, null);
    }
    for (let i = 0; i < 10; i += 1) {
      const list = { id: `l${i}`, name: `l${i}`, type: 'list' as const, value: Array.from({ length: 1000 }, (_, k) => k) };
      stage.variables[list.id] = list;
      solo.data.syncList(stage, list.name, list.name, null);
    }
    solo.engine.flush(); // the lists' (empty) states go to the peer that is already linked
    net.inFlight.length = 0;
    for (let i = 0; i < 120; i += 1) solo.engine.flush();
    expect(net.inFlight).toEqual([]);
    variables[500]!.value = -1;
    solo.engine.flush();
    expect(net.inFlight).toHaveLength(1);
    expect(decodePeerMessage(net.inFlight[0]!.text)).toEqual([expect.objectContaining({ opcode: 'G_VAR', id: 'v500', payload: -1 })]);
  });
});

describe('remote change events', () => {
  it('reports each remote write with its network id and writer, not local changes or binding pick-ups', async () => {
    const { net, nodes } = await players('ann', 'bob');
    const [ann, bob] = nodes as [VmNode, VmNode];
    const seen: string[] = [];
    const stop = bob.data.onRemoteChange((id, from) => seen.push(`${id}<${from}`));
    ann.data.onRemoteChange((id, from) => seen.push(`ann saw ${id}<${from}`));
    for (const node of nodes) node.bindAll();
    ann.broadcast('edits');
    settle(nodes, net);
    expect(seen.sort()).toEqual(['hp<ann', 'inv<ann', 'log<ann', 'score<ann']);
    seen.length = 0;
    bob.broadcast('rename');
    settle(nodes, net);
    expect(seen).toEqual(['ann saw log<bob']);
    // Binding again picks up the agreed value without an event.
    seen.length = 0;
    bob.data.stopSyncing('score');
    bob.data.syncVariable(bob.stage, 'score', 'score', null);
    expect(seen).toEqual([]);
    stop();
    ann.broadcast('mine');
    settle(nodes, net);
    expect(bob.values().score).toBe('from ann');
    expect(seen).toEqual([]);
  });
});

describe('frame hook with the engine', () => {
  it('flushes once per VM frame and never echoes a remote write back', async () => {
    const { net, nodes } = await players('ann', 'bob');
    for (const node of nodes) node.bindAll();
    const [ann, bob] = nodes as [VmNode, VmNode];
    ann.broadcast('edits');
    frame(nodes, net);
    const sent = net.messagesSent;
    for (let i = 0; i < 5; i += 1) frame(nodes, net);
    expect(net.messagesSent).toBe(sent);
    expect(bob.values()).toEqual(ann.values());
  });
});
