// Real (vanilla) Scratch VMs in one process, each with a SyncEngine and the Scratch binding from
// blocks/sync, wired by MemoryNetwork (in-memory links whose delivery order the test controls).
// Frames are stepped by hand (`runtime._step()`), so every run is deterministic and no timer runs.
import VirtualMachine from 'scratch-vm';
import type { ListMode } from '../../blocks/ports.js';
import type { ScratchRuntime, ScratchTarget, ScratchVariable } from '../../blocks/scratch.js';
import { NetworkedData } from '../../blocks/sync/networked-data.js';
import type { SyncEngine } from '../../src/client/sync/engine.js';
import {
  addToList,
  changeVar,
  deleteAll,
  deleteOf,
  insertAt,
  join,
  ProjectBuilder,
  repeat,
  replaceItem,
  setVar,
  variable,
  whenReceived,
} from '../../examples/lib/project.js';
import { playerEdits, stageEdits } from './edit-scripts.js';
import type { MemoryNetwork } from './memory.js';

export { playerEdits, stageEdits } from './edit-scripts.js';

/** What the harness uses of a VM: vanilla scratch-vm's, or TurboWarp's (test/sync/turbowarp-vm.test.ts). */
export interface Vm {
  runtime: ScratchRuntime & {
    targets: (ScratchTarget & { getName(): string })[];
    getTargetForStage(): ScratchTarget;
    startHats(opcode: string, fields?: Record<string, string>): unknown[];
    currentStepTime: number;
  };
  loadProject(project: object): Promise<void>;
  stopAll(): void;
  quit?(): void;
}

/** Stage: score, log; sprite "Player": hp, inv (sprite-local). Broadcasts drive the edits. */
export function project(): object {
  const p = new ProjectBuilder();
  p.stage.variable('score', 0).list('log', []).variable('me', '');
  p.stage
    .script(...stageEdits())
    .script(whenReceived('burst'), repeat(100, [addToList('log', join(variable('me'), '-x')), changeVar('score', 1)]))
    .script(whenReceived('count'), repeat(100, [changeVar('score', 1), addToList('log', join('n', variable('score')))]))
    .script(whenReceived('shift'), deleteOf('log', 1))
    .script(whenReceived('rename'), replaceItem('log', 2, join('renamed by ', variable('me'))))
    .script(whenReceived('clear'), deleteAll('log'))
    .script(whenReceived('mine'), setVar('score', join('from ', variable('me'))));
  const player = p.sprite('Player');
  player.variable('hp', 100).list('inv', []);
  player.script(...playerEdits()).script(whenReceived('burst'), repeat(100, [insertAt('inv', 1, join(variable('me'), '-i')), changeVar('hp', -1)]));
  return p.toJSON();
}

/** One player: a VM running the test project, its sync engine on `net`, and the Scratch binding. */
export class VmNode<V extends Vm = Vm> {
  readonly engine: SyncEngine;
  readonly data: NetworkedData;
  /** Messages this node sent, for no-echo checks. */
  sent = 0;

  constructor(
    readonly id: string,
    readonly net: MemoryNetwork,
    readonly vm: V = new VirtualMachine() as unknown as V,
  ) {
    this.engine = net.add(id);
    this.data = new NetworkedData(this.vm.runtime, {
      bindNetworked: (networkId, scope, store) => this.engine.bind(networkId, scope, store),
      unbindNetworked: (networkId, scope) => void this.engine.unbind(networkId, scope),
      flushSync: () => this.engine.flush(),
    });
  }

  async load(json: object): Promise<this> {
    await this.vm.loadProject(json);
    // runtime.start() would set this and start a 30 fps interval; here frames are stepped by hand.
    // The work budget per frame (75% of it) is generous so a loop of 100 edits always ends in one frame.
    this.vm.runtime.currentStepTime = 250;
    this.variable(this.stage, 'me').value = this.id;
    return this;
  }

  /** The four bindings of the test project: stage and sprite-local, variables and lists. */
  /** Binds score, log, hp and inv (lists as whole lists, last writer wins, unless told otherwise). */
  bindAll(lists: ListMode = 'whole'): this {
    this.data.syncVariable(this.stage, 'score', 'score', null, 'value');
    this.data.syncList(this.stage, 'log', 'log', null, lists);
    this.data.syncVariable(this.player, 'hp', 'hp', null, 'value');
    this.data.syncList(this.player, 'inv', 'inv', null, lists);
    return this;
  }

  get stage(): ScratchTarget {
    return this.vm.runtime.getTargetForStage()!;
  }

  get player(): ScratchTarget {
    return this.vm.runtime.targets.find((t) => !t.isStage && t.getName() === 'Player')!;
  }

  variable(target: ScratchTarget, name: string, type: '' | 'list' = ''): ScratchVariable {
    const found = target.lookupVariableByNameAndType(name, type);
    if (!found) throw new Error(`no ${type || 'variable'} ${name}`);
    return found;
  }

  values() {
    return {
      score: this.variable(this.stage, 'score').value,
      log: this.variable(this.stage, 'log', 'list').value,
      hp: this.variable(this.player, 'hp').value,
      inv: this.variable(this.player, 'inv', 'list').value,
    };
  }

  broadcast(message: string): void {
    this.vm.runtime.startHats('event_whenbroadcastreceived', { BROADCAST_OPTION: message });
  }

  /** One frame: the scripts run, then the frame hook flushes the engine. */
  step(): void {
    this.vm.runtime._step();
  }

  close(): void {
    this.data.stopAll();
    this.vm.stopAll();
    this.vm.quit?.();
  }
}

/** Steps every VM one frame, then delivers everything in flight (link order chosen by `pick`). */
export function frame(nodes: VmNode[], net: MemoryNetwork, pick?: (links: string[]) => number): void {
  for (const node of nodes) node.step();
  for (let guard = 0; guard < 100_000 && net.deliverOne(pick); guard += 1);
}

/** Frames until nothing is in flight after a frame (bounded). */
export function settle(nodes: VmNode[], net: MemoryNetwork, pick?: (links: string[]) => number, maxFrames = 50): number {
  for (let frames = 1; frames <= maxFrames; frames += 1) {
    const before = net.messagesSent;
    frame(nodes, net, pick);
    if (net.messagesSent === before) return frames;
  }
  throw new Error(`not settled after ${maxFrames} frames`);
}
