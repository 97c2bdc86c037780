// One target's blocks as project.json stores them (a map from id to block; `next`/`parent` links,
// inputs as [1 shadow | 2 block | 3 block-over-shadow, …]), with the edits a migration needs:
// reading an argument whatever its form, writing one in the form a block's shape asks for, moving
// blocks in and out of stacks, copying and deleting subtrees, and a readable path to a block.

export interface BlockRecord {
  opcode: string;
  next: string | null;
  parent: string | null;
  inputs: Record<string, unknown[]>;
  fields: Record<string, unknown[]>;
  shadow: boolean;
  topLevel: boolean;
  x?: number;
  y?: number;
  [key: string]: unknown;
}

/** A value plugged into a block: a reporter or variable (`ref`: a block id, or a compact [12|13, name, id] array). */
export type Source = { kind: 'empty' } | { kind: 'literal'; value: string } | { kind: 'reporter'; ref: string | unknown[]; shadowValue?: string };

/** How one argument is written: a primitive shadow, a menu shadow block, a field, or a Boolean slot (no shadow). */
export type ArgumentForm = { form: 'text' | 'number' | 'boolean' } | { form: 'menu'; shadowOpcode: string; fieldName: string } | { form: 'field' };

const PRIMITIVE = { number: 4, text: 10 } as const;

export const EMPTY: Source = { kind: 'empty' };
export const literal = (value: string): Source => ({ kind: 'literal', value });
export const reporter = (ref: string): Source => ({ kind: 'reporter', ref });

export class BlockGraph {
  private counter = 0;

  constructor(
    readonly blocks: Record<string, unknown>,
    private readonly label: (opcode: string) => string = (opcode) => opcode,
  ) {}

  get(id: string): BlockRecord | undefined {
    const block = this.blocks[id];
    return block && typeof block === 'object' && !Array.isArray(block) ? (block as BlockRecord) : undefined;
  }

  block(id: string): BlockRecord {
    const block = this.get(id);
    if (!block) throw new Error(`no block ${id}`);
    return block;
  }

  ids(): string[] {
    return Object.keys(this.blocks).filter((id) => this.get(id));
  }

  newId(): string {
    let id: string;
    do id = `cl5-migrated-${++this.counter}`;
    while (id in this.blocks);
    return id;
  }

  /** A new block, not yet linked anywhere. */
  add(opcode: string, options: { shadow?: boolean } = {}): string {
    const id = this.newId();
    this.blocks[id] = { opcode, next: null, parent: null, inputs: {}, fields: {}, shadow: options.shadow ?? false, topLevel: false };
    return id;
  }

  // ── reading arguments ────────────────────────────────────────────────────────────────────

  /** An argument of a block, from its field or its input, in whichever form project.json holds it. */
  read(id: string, name: string): Source {
    const block = this.block(id);
    const field = block.fields[name];
    if (field) return literal(String(field[0] ?? ''));
    const input = block.inputs[name];
    if (!input) return EMPTY;
    const [type, value, shadow] = input;
    if (type === 1) return this.shadowValue(value);
    if (value === null || value === undefined) return type === 3 ? this.shadowValue(shadow) : EMPTY;
    const under = type === 3 ? this.shadowValue(shadow) : EMPTY;
    return { kind: 'reporter', ref: value as string | unknown[], ...(under.kind === 'literal' ? { shadowValue: under.value } : {}) };
  }

  /** The literal of a shadow: a compact [type, value] array or a shadow block's only field. */
  private shadowValue(shadow: unknown): Source {
    if (Array.isArray(shadow)) return literal(String(shadow[1] ?? ''));
    if (typeof shadow === 'string') {
      const field = Object.values(this.get(shadow)?.fields ?? {})[0];
      return field ? literal(String(field[0] ?? '')) : EMPTY;
    }
    return EMPTY;
  }

  /** Empties a block's inputs and fields, deleting their shadow blocks; reporters stay, unlinked, for `write` or `dropSource`. */
  clearArguments(id: string): void {
    const block = this.block(id);
    for (const input of Object.values(block.inputs)) {
      const shadow = input[0] === 1 ? input[1] : input[0] === 3 ? input[2] : null;
      if (typeof shadow === 'string' && this.get(shadow)?.shadow) delete this.blocks[shadow];
    }
    block.inputs = {};
    block.fields = {};
  }

  // ── writing arguments ────────────────────────────────────────────────────────────────────

  /** Writes `source` into argument `name` of block `id` in `form`; false when it cannot (a reporter into a field). */
  write(id: string, name: string, form: ArgumentForm, source: Source, fallback = ''): boolean {
    const block = this.block(id);
    const value = source.kind === 'literal' ? source.value : source.kind === 'reporter' ? (source.shadowValue ?? fallback) : fallback;
    if (form.form === 'field') {
      if (source.kind === 'reporter') return false;
      block.fields[name] = [value, null];
      return true;
    }
    if (source.kind === 'reporter') this.adopt(source.ref, id);
    if (form.form === 'boolean') {
      if (source.kind === 'reporter') block.inputs[name] = [2, source.ref];
      return true;
    }
    let shadow: unknown;
    if (form.form === 'menu') {
      shadow = this.add(form.shadowOpcode, { shadow: true });
      const menu = this.block(shadow as string);
      menu.parent = id;
      menu.fields[form.fieldName] = [value, null];
    } else shadow = [PRIMITIVE[form.form], value];
    block.inputs[name] = source.kind === 'reporter' ? [3, source.ref, shadow] : [1, shadow];
    return true;
  }

  /** Makes `ref` (a block id) a child of `parent`. */
  private adopt(ref: string | unknown[], parent: string): void {
    if (typeof ref !== 'string') return;
    const child = this.block(ref);
    child.parent = parent;
    child.topLevel = false;
    delete child.x;
    delete child.y;
  }

  /** Puts a stack (its first block) in a C-block's branch. */
  setBranch(id: string, name: string, first: string | null): void {
    const block = this.block(id);
    if (first === null) delete block.inputs[name];
    else {
      block.inputs[name] = [2, first];
      this.adopt(first, id);
    }
  }

  // ── stacks ───────────────────────────────────────────────────────────────────────────────

  /** The blocks of a stack from `first`, following `next`. */
  stack(first: string | null): string[] {
    const ids: string[] = [];
    const step = this.steps();
    for (let id = first; id; id = this.get(id)?.next ?? null) {
      step();
      ids.push(id);
    }
    return ids;
  }

  /** Counts the steps of a walk along `next`/`parent` links: a project whose links loop is refused, not walked forever. */
  private steps(): () => void {
    let left = Object.keys(this.blocks).length + 1;
    return () => {
      if (--left < 0) throw new Error('malformed project: its block links form a loop');
    };
  }

  /** Replaces block `id` in its stack by the blocks of `chain` (in order; `id` itself may be one of them). */
  splice(id: string, chain: string[]): void {
    const block = this.block(id);
    const { parent, next, topLevel, x, y } = block;
    block.next = null;
    for (const [index, current] of chain.entries()) {
      const record = this.block(current);
      record.next = chain[index + 1] ?? null;
      if (index > 0) {
        record.parent = chain[index - 1]!;
        record.topLevel = false;
      }
    }
    const first = chain[0] ?? null;
    const last = chain.at(-1) ?? null;
    if (last) this.block(last).next = next;
    if (next) this.block(next).parent = last ?? parent;
    const head = first ?? next;
    if (topLevel) {
      if (head) Object.assign(this.block(head), { parent: null, topLevel: true, x, y });
    } else if (parent) {
      const parentBlock = this.block(parent);
      if (parentBlock.next === id) parentBlock.next = head;
      else {
        for (const [name, input] of Object.entries(parentBlock.inputs)) {
          if (input[1] !== id) continue;
          if (head) parentBlock.inputs[name] = [input[0], head, ...input.slice(2)];
          else delete parentBlock.inputs[name];
        }
      }
      if (head) Object.assign(this.block(head), { parent, topLevel: false });
    }
    if (!chain.includes(id)) {
      block.parent = null;
      block.topLevel = false;
    }
  }

  /** Deletes a block and everything plugged into it (not its `next`). */
  deleteTree(ref: string | unknown[], step = this.steps()): void {
    if (typeof ref !== 'string') return;
    const block = this.get(ref);
    if (!block) return;
    step();
    delete this.blocks[ref];
    for (const input of Object.values(block.inputs)) {
      for (const child of input.slice(1)) if (typeof child === 'string') for (const id of this.stack(child)) this.deleteTree(id, step);
    }
  }

  // ── copying ──────────────────────────────────────────────────────────────────────────────

  /** A copy of `source` (for a reporter: a copy of its blocks). */
  copySource(source: Source): Source {
    if (source.kind !== 'reporter') return source;
    return { ...source, ref: typeof source.ref === 'string' ? this.copyTree(source.ref, null, false) : [...source.ref] };
  }

  /** Copies a block with everything plugged into it and, when `withNext`, the blocks after it. Returns the copy's id. */
  copyTree(id: string, parent: string | null, withNext: boolean, step = this.steps()): string {
    step();
    const block = this.block(id);
    const copyId = this.newId();
    const copy: BlockRecord = structuredClone(block);
    copy.parent = parent;
    this.blocks[copyId] = copy;
    for (const [name, input] of Object.entries(copy.inputs)) {
      copy.inputs[name] = input.map((part, index) =>
        index > 0 && typeof part === 'string' && this.get(part) ? this.copyTree(part, copyId, true, step) : part,
      );
    }
    copy.next = withNext && block.next ? this.copyTree(block.next, copyId, true, step) : null;
    return copyId;
  }

  // ── where a block is ─────────────────────────────────────────────────────────────────────

  /** The C-blocks around `id`, innermost first. */
  containers(id: string): string[] {
    const found: string[] = [];
    let current = id;
    const step = this.steps();
    for (;;) {
      let first = current;
      for (let parent = this.get(first)?.parent; parent && this.get(parent)?.next === first; parent = this.get(first)?.parent) {
        step();
        first = parent;
      }
      const parent = this.get(first)?.parent;
      if (!parent) return found;
      const inBranch = Object.entries(this.block(parent).inputs).some(([name, input]) => name.startsWith('SUBSTACK') && input[1] === first);
      if (inBranch) found.push(parent);
      step();
      current = parent;
    }
  }

  /** Where a block is, for people: `script "when green flag clicked" (top block "a1" at 0, 0) › block 2 "…" › inside it, block 1 "…"`. */
  path(id: string): string {
    const steps: string[] = [];
    let current = id;
    const step = this.steps();
    for (;;) {
      let first = current;
      let index = 1;
      for (let parent = this.get(first)?.parent; parent && this.get(parent)?.next === first; parent = this.get(first)?.parent) {
        step();
        first = parent;
        index++;
      }
      const here = `"${this.label(this.block(current).opcode)}"`;
      const parent = this.get(first)?.parent;
      if (!parent || !this.get(parent)) {
        const top = this.block(first);
        // The hat's own values tell scripts apart: when I receive [start], when [space] key pressed.
        const values = Object.values(top.fields).map((field) => `[${String(field[0])}]`);
        const name = [this.label(top.opcode), ...values].join(' ');
        const script = `script "${name}" (top block "${first}" at ${Math.round(top.x ?? 0)}, ${Math.round(top.y ?? 0)})`;
        steps.unshift(index === 1 ? script : `${script} › block ${index} ${here}`);
        return steps.join(' › ');
      }
      const [name] = Object.entries(this.block(parent).inputs).find(([, input]) => input[1] === first) ?? ['?'];
      steps.unshift(name.startsWith('SUBSTACK') ? `inside it, block ${index} ${here}` : `in its ${name} ${here}`);
      step();
      current = parent;
    }
  }
}
