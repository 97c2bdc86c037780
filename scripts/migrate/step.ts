// Converting one upstream block: its arguments as they were (read once, before anything changes),
// and the writes a rule makes — one of our blocks in its place, new blocks around it, a filter on a
// hat's script. A rule that finds it cannot convert the block throws `Unmappable` before it writes.
import { type BlockGraph, EMPTY, reporter, type Source } from './block-graph.js';
import type { TargetBlocks } from './target-blocks.js';

/** The block stays as it is; the message says why, for the report. */
export class Unmappable extends Error {}

export interface StepHost {
  graph: BlockGraph;
  targets: TargetBlocks;
  /** Something the user should know about this conversion (an argument dropped, a value that could not be read). */
  note(id: string, text: string): void;
  /** Another upstream block this rule converted as part of its own (it is not converted again). */
  consume(id: string): void;
  /** Runs once every block of the target is converted (copies of a converted script). */
  later(action: () => void): void;
}

export class Step {
  private readonly sources = new Map<string, Source>();
  private readonly used = new Set<string>();

  constructor(
    readonly host: StepHost,
    readonly id: string,
    /** Whether the block is inside upstream's "create connection, then connect". */
    readonly insideBuilder: boolean,
  ) {
    const block = host.graph.block(id);
    for (const name of new Set([...Object.keys(block.inputs), ...Object.keys(block.fields)])) {
      if (!name.startsWith('SUBSTACK')) this.sources.set(name, host.graph.read(id, name));
    }
  }

  get graph(): BlockGraph {
    return this.host.graph;
  }

  /** An argument of the upstream block (as it was before the rule started). */
  arg(name: string): Source {
    this.used.add(name);
    return this.sources.get(name) ?? EMPTY;
  }

  /** A copy of an argument, for a reshaped block that needs it twice (a reporter's blocks are copied). */
  copy(source: Source): Source {
    return this.graph.copySource(source);
  }

  /**
   * Writes one of our blocks (or a Scratch block of target-blocks.ts): in place of `at` (keeping its
   * id and its place in the script) or as a new block. Arguments not given get the block's default.
   */
  make(opcode: string, args: Record<string, Source> = {}, at?: string): string {
    const target = this.host.targets.get(opcode);
    for (const name of Object.keys(args)) if (!target.args[name]) throw new Error(`${target.opcode} has no argument ${name}`);
    const id = at ?? this.graph.add(target.opcode);
    if (at) {
      this.graph.clearArguments(at);
      this.graph.block(at).opcode = target.opcode;
    }
    for (const [name, { form, defaultValue }] of Object.entries(target.args)) {
      if (!this.graph.write(id, name, form, args[name] ?? EMPTY, defaultValue)) throw new Error(`${target.opcode}: ${name} cannot hold a reporter`);
    }
    return id;
  }

  /** A new reporter of ours, as an argument for another block. */
  reporter(opcode: string, args: Record<string, Source> = {}): Source {
    return reporter(this.make(opcode, args));
  }

  /** Runs the hat `hat`'s script only when `(playerReporter) = filter`: its body moves into an if. */
  onlyWhen(hat: string, playerReporter: string, filter: Source): void {
    const body = this.graph.block(hat).next;
    const condition = this.reporter('operator_equals', { OPERAND1: this.reporter(playerReporter), OPERAND2: filter });
    const branch = this.make('control_if', { CONDITION: condition });
    this.graph.setBranch(branch, 'SUBSTACK', body);
    this.graph.block(hat).next = branch;
    this.graph.block(branch).parent = hat;
  }

  /** Deletes the reporters of arguments the rule did not use, and says so. */
  finish(): void {
    for (const [name, source] of this.sources) {
      if (this.used.has(name) || source.kind !== 'reporter') continue;
      this.graph.deleteTree(source.ref);
      this.host.note(this.id, `its ${name} argument has no place in the new block: the reporter in it was removed`);
    }
  }
}
