// The two things multiplayer games share most — a team score and a shared log — in real VMs:
// three vanilla scratch-vm VMs (interpreter) and three TurboWarp VMs (compiler on) each run
// `repeat 30: change [score] by 1; add (join name i) to [log]` in the same frames, with "score"
// synced as a counter and "log" as a merged list (the default for lists). Messages move between
// frames in a random order of links. Every player must end with +90 and the same 90 items.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { addToList, changeVar, join, ProjectBuilder, repeat, setVar, variable, whenReceived } from '../../examples/lib/project.js';
import { MemoryNetwork, prng } from './memory.js';
import { TurboWarpWindow } from './turbowarp.js';
import { frame, settle, type Vm, VmNode } from './vm-harness.js';

function teamProject(): object {
  const p = new ProjectBuilder();
  p.stage.variable('score', 0).variable('me', '').variable('i', 0).list('log', []);
  p.stage
    .script(
      whenReceived('team'),
      setVar('i', 0),
      repeat(30, [changeVar('i', 1), changeVar('score', 1), addToList('log', join(variable('me'), join('-', variable('i'))))]),
    )
    .script(whenReceived('reset'), setVar('score', 0))
    .script(whenReceived('one more'), changeVar('score', 1));
  return p.toJSON();
}

type MakeVm = () => Vm;
let turbowarp: TurboWarpWindow | undefined;
/** A VM of TurboWarp's build; its window is made when the first one is needed. */
function turbowarpVm(): Vm {
  if (!turbowarp) turbowarp = new TurboWarpWindow();
  return turbowarp.vm<Vm>();
}
let open: VmNode[] = [];

afterEach(() => {
  for (const node of open) node.close();
  open = [];
});
afterAll(() => turbowarp?.close());

async function team(makeVm: MakeVm | undefined) {
  const net = new MemoryNetwork();
  const nodes: VmNode[] = [];
  for (const id of ['ann', 'bob', 'cat']) nodes.push(await new VmNode(id, net, makeVm?.()).load(teamProject()));
  open.push(...nodes);
  for (const node of nodes) {
    node.data.syncVariable(node.stage, 'score', 'score', null, 'counter');
    node.data.syncList(node.stage, 'log', 'log', null, 'merged');
  }
  settle(nodes, net);
  const score = (node: VmNode) => Number(node.variable(node.stage, 'score').value);
  const log = (node: VmNode) => node.variable(node.stage, 'log', 'list').value as string[];
  return { net, nodes, score, log };
}

const runtimes: [string, () => MakeVm | undefined][] = [
  ['scratch-vm (interpreter)', () => undefined],
  ['TurboWarp (compiler on)', () => turbowarpVm],
];

describe.each(runtimes)('a team score and a shared log in %s', (_name, makeVm) => {
  it('3 players × 30 "change by 1" and "add to log" in the same frames: +90 and the same 90 items everywhere', async () => {
    for (const seed of [1, 2, 3]) {
      const { net, nodes, score, log } = await team(makeVm());
      const pick = (links: string[]) => Math.floor(random() * links.length);
      const random = prng(seed);
      for (const node of nodes) node.broadcast('team');
      // The loops run (one iteration a frame where the runtime yields), messages cross between frames.
      for (let i = 0; i < 40; i += 1) frame(nodes, net, pick);
      settle(nodes, net, pick);
      for (const node of nodes) {
        expect(score(node), `${node.id}, seed ${seed}`).toBe(90);
        expect(log(node), `${node.id}, seed ${seed}`).toEqual(log(nodes[0]!));
      }
      const items = log(nodes[0]!);
      expect(items).toHaveLength(90);
      for (const node of nodes) {
        // Each player's own items, in the order it added them.
        expect(items.filter((item) => item.startsWith(`${node.id}-`))).toEqual(Array.from({ length: 30 }, (_, i) => `${node.id}-${i + 1}`));
      }
      expect(net.errors).toEqual([]);
      for (const node of open) node.close();
      open = [];
    }
  });

  it('"set score to 0" resets it for everyone and keeps a change made at the same moment', async () => {
    const { net, nodes, score } = await team(makeVm());
    const [ann, bob] = nodes as [VmNode, VmNode, VmNode];
    ann.broadcast('team');
    settle(nodes, net);
    for (let i = 0; i < 40; i += 1) frame(nodes, net);
    expect(nodes.map(score)).toEqual([30, 30, 30]);
    ann.broadcast('reset');
    bob.broadcast('one more');
    ann.step();
    bob.step();
    settle(nodes, net);
    expect(nodes.map(score)).toEqual([1, 1, 1]);
  });
});
