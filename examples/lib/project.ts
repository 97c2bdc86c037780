// A readable way to write Scratch 3 projects in code, compiled to project.json (and .sb3).
// Scripts are trees of `Block`s; variables and lists are named and resolved (sprite first, then
// stage) to ids at build time. Ids are counters, so the same source always gives the same file.
import { createHash } from 'node:crypto';
import { zip } from './sb3.js';

export type Arg = string | number | Block;

export interface Block {
  opcode: string;
  args?: Record<string, Arg>;
  /** Dropdown fields: variable/list names or plain values. */
  fields?: Record<string, string>;
  /** C-block bodies by input name (e.g. SUBSTACK). */
  bodies?: Record<string, Block[]>;
}

/** What the builder needs to know about an extension's blocks: their argument types and menus. */
export interface ExtensionShape {
  id: string;
  blocks: { opcode: string; arguments?: Record<string, { type: string; menu?: string }> }[];
  menus: Record<string, { acceptReporters: boolean }>;
}

// ── core blocks ───────────────────────────────────────────────────────────────────────────
type InputKind = 'text' | 'number' | 'whole' | 'integer' | 'positive' | 'angle' | 'broadcast' | 'boolean';

const CORE_INPUTS: Record<string, Record<string, InputKind>> = {
  data_setvariableto: { VALUE: 'text' },
  data_changevariableby: { VALUE: 'number' },
  data_addtolist: { ITEM: 'text' },
  data_insertatlist: { ITEM: 'text', INDEX: 'integer' },
  data_deleteoflist: { INDEX: 'integer' },
  data_replaceitemoflist: { INDEX: 'integer', ITEM: 'text' },
  data_itemoflist: { INDEX: 'integer' },
  control_repeat: { TIMES: 'whole' },
  control_wait: { DURATION: 'positive' },
  control_if: { CONDITION: 'boolean' },
  control_if_else: { CONDITION: 'boolean' },
  control_wait_until: { CONDITION: 'boolean' },
  control_repeat_until: { CONDITION: 'boolean' },
  operator_and: { OPERAND1: 'boolean', OPERAND2: 'boolean' },
  operator_or: { OPERAND1: 'boolean', OPERAND2: 'boolean' },
  operator_not: { OPERAND: 'boolean' },
  operator_join: { STRING1: 'text', STRING2: 'text' },
  operator_add: { NUM1: 'number', NUM2: 'number' },
  operator_subtract: { NUM1: 'number', NUM2: 'number' },
  operator_multiply: { NUM1: 'number', NUM2: 'number' },
  operator_divide: { NUM1: 'number', NUM2: 'number' },
  operator_mod: { NUM1: 'number', NUM2: 'number' },
  operator_round: { NUM: 'number' },
  operator_lt: { OPERAND1: 'text', OPERAND2: 'text' },
  operator_gt: { OPERAND1: 'text', OPERAND2: 'text' },
  operator_letter_of: { LETTER: 'whole', STRING: 'text' },
  operator_length: { STRING: 'text' },
  operator_contains: { STRING1: 'text', STRING2: 'text' },
  operator_equals: { OPERAND1: 'text', OPERAND2: 'text' },
  operator_random: { FROM: 'number', TO: 'number' },
  event_broadcast: { BROADCAST_INPUT: 'broadcast' },
  event_broadcastandwait: { BROADCAST_INPUT: 'broadcast' },
  looks_say: { MESSAGE: 'text' },
  looks_sayforsecs: { MESSAGE: 'text', SECS: 'number' },
  looks_think: { MESSAGE: 'text' },
  looks_setsizeto: { SIZE: 'number' },
  looks_changesizeby: { CHANGE: 'number' },
  motion_movesteps: { STEPS: 'number' },
  motion_turnright: { DEGREES: 'number' },
  motion_turnleft: { DEGREES: 'number' },
  motion_pointindirection: { DIRECTION: 'angle' },
  motion_setx: { X: 'number' },
  motion_sety: { Y: 'number' },
  sensing_askandwait: { QUESTION: 'text' },
  motion_gotoxy: { X: 'number', Y: 'number' },
  motion_changexby: { DX: 'number' },
  motion_changeyby: { DY: 'number' },
  sensing_keypressed: { KEY_OPTION: 'text' },
};
const PRIMITIVE: Record<Exclude<InputKind, 'broadcast' | 'boolean'>, number> = { number: 4, positive: 5, whole: 6, integer: 7, angle: 8, text: 10 };

export const block = (opcode: string, args: Record<string, Arg> = {}, fields: Record<string, string> = {}): Block => ({ opcode, args, fields });
export const whenFlag = (): Block => block('event_whenflagclicked');
export const whenReceived = (message: string): Block => block('event_whenbroadcastreceived', {}, { BROADCAST_OPTION: message });
export const broadcast = (message: string): Block => block('event_broadcast', { BROADCAST_INPUT: message });
export const setVar = (name: string, value: Arg): Block => block('data_setvariableto', { VALUE: value }, { VARIABLE: name });
export const changeVar = (name: string, by: Arg): Block => block('data_changevariableby', { VALUE: by }, { VARIABLE: name });
export const variable = (name: string): Block => block('data_variable', {}, { VARIABLE: name });
export const addToList = (list: string, item: Arg): Block => block('data_addtolist', { ITEM: item }, { LIST: list });
export const insertAt = (list: string, index: Arg, item: Arg): Block => block('data_insertatlist', { INDEX: index, ITEM: item }, { LIST: list });
export const deleteOf = (list: string, index: Arg): Block => block('data_deleteoflist', { INDEX: index }, { LIST: list });
export const deleteAll = (list: string): Block => block('data_deletealloflist', {}, { LIST: list });
export const replaceItem = (list: string, index: Arg, item: Arg): Block => block('data_replaceitemoflist', { INDEX: index, ITEM: item }, { LIST: list });
export const itemOf = (list: string, index: Arg): Block => block('data_itemoflist', { INDEX: index }, { LIST: list });
export const lengthOf = (list: string): Block => block('data_lengthoflist', {}, { LIST: list });
export const join = (a: Arg, b: Arg): Block => block('operator_join', { STRING1: a, STRING2: b });
export const add = (a: Arg, b: Arg): Block => block('operator_add', { NUM1: a, NUM2: b });
export const equals = (a: Arg, b: Arg): Block => block('operator_equals', { OPERAND1: a, OPERAND2: b });
export const repeat = (times: Arg, body: Block[]): Block => ({ opcode: 'control_repeat', args: { TIMES: times }, bodies: { SUBSTACK: body } });
export const forever = (body: Block[]): Block => ({ opcode: 'control_forever', bodies: { SUBSTACK: body } });
export const ifThen = (condition: Block, body: Block[]): Block => ({ opcode: 'control_if', args: { CONDITION: condition }, bodies: { SUBSTACK: body } });
export const ifElse = (condition: Block, then: Block[], otherwise: Block[]): Block => ({
  opcode: 'control_if_else',
  args: { CONDITION: condition },
  bodies: { SUBSTACK: then, SUBSTACK2: otherwise },
});
export const whenKey = (key: string): Block => block('event_whenkeypressed', {}, { KEY_OPTION: key });
export const say = (message: Arg): Block => block('looks_say', { MESSAGE: message });
export const ask = (question: Arg): Block => block('sensing_askandwait', { QUESTION: question });
export const answer = (): Block => block('sensing_answer');
export const username = (): Block => block('sensing_username');
export const wait = (seconds: Arg): Block => block('control_wait', { DURATION: seconds });

/** A 2×2 SVG costume: the renderer needs at least one asset. */
const COSTUME_SVG = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="2" height="2"><rect width="2" height="2" fill="#0fbd8c"/></svg>');
const COSTUME_ID = createHash('md5').update(COSTUME_SVG).digest('hex');

interface Variable {
  id: string;
  name: string;
  value: unknown;
}

export class TargetBuilder {
  readonly variables = new Map<string, Variable>();
  readonly lists = new Map<string, Variable>();
  readonly blocks: Record<string, Record<string, unknown>> = {};
  private readonly scripts: Block[][] = [];
  private compiled = false;

  constructor(
    readonly name: string,
    readonly isStage: boolean,
    private readonly project: ProjectBuilder,
  ) {}

  variable(name: string, value: string | number = 0): this {
    this.variables.set(name, { id: this.project.nextId(`var-${name}`), name, value });
    return this;
  }

  list(name: string, items: (string | number)[] = []): this {
    this.lists.set(name, { id: this.project.nextId(`list-${name}`), name, value: items });
    return this;
  }

  script(hat: Block, ...body: Block[]): this {
    this.scripts.push([hat, ...body]);
    return this;
  }

  /** Compiles this target's scripts; run after every variable of the project is declared. */
  compile(): void {
    if (this.compiled) return;
    this.compiled = true;
    for (const [index, script] of this.scripts.entries()) this.chain(script, null, { x: 0, y: index * 400 });
  }

  private chain(blocks: Block[], parent: string | null, position?: { x: number; y: number }): string | null {
    let first: string | null = null;
    let previous: string | null = null;
    for (const node of blocks) {
      const id = this.emit(node, previous ?? parent, previous === null && parent === null);
      if (previous) this.blocks[previous]!.next = id;
      else first = id;
      previous = id;
    }
    if (first && position) Object.assign(this.blocks[first]!, position);
    return first;
  }

  private emit(node: Block, parent: string | null, topLevel: boolean): string {
    const id = this.project.nextId(node.opcode);
    const record: Record<string, unknown> = { opcode: node.opcode, next: null, parent, inputs: {}, fields: {}, shadow: false, topLevel };
    this.blocks[id] = record;
    const inputs = record.inputs as Record<string, unknown>;
    const fields = record.fields as Record<string, unknown>;
    const extension = this.project.extensionBlock(node.opcode);

    for (const [name, value] of Object.entries(node.fields ?? {})) fields[name] = this.field(name, value);
    for (const [name, value] of Object.entries(node.args ?? {})) {
      if (extension) this.extensionArg(id, extension, name, value, inputs, fields);
      else {
        const input = this.coreInput(id, node.opcode, name, value);
        if (input) inputs[name] = input;
      }
    }
    for (const [name, body] of Object.entries(node.bodies ?? {})) {
      const start = this.chain(body, id);
      if (start) inputs[name] = [2, start];
    }
    return id;
  }

  private field(name: string, value: string): [string, string | null] {
    if (name === 'VARIABLE') return [value, this.lookup(value, 'var').id];
    if (name === 'LIST') return [value, this.lookup(value, 'list').id];
    if (name === 'BROADCAST_OPTION') return [value, this.project.broadcastId(value)];
    return [value, null];
  }

  private lookup(name: string, kind: 'var' | 'list'): Variable {
    const own = kind === 'var' ? this.variables : this.lists;
    const stage = this.project.stage;
    const found = own.get(name) ?? (kind === 'var' ? stage.variables : stage.lists).get(name);
    if (!found) throw new Error(`${this.name}: no ${kind === 'var' ? 'variable' : 'list'} named "${name}"`);
    return found;
  }

  /** A reporter block as an input, or a shadow with a literal. */
  private reporterInput(parent: string, value: Block, shadow: unknown[]): unknown[] {
    if (value.opcode === 'data_variable') {
      const variable = this.lookup(value.fields!.VARIABLE!, 'var');
      return [3, [12, variable.name, variable.id], shadow];
    }
    return [3, this.emit(value, parent, false), shadow];
  }

  private coreInput(parent: string, opcode: string, name: string, value: Arg): unknown[] | undefined {
    const kind = CORE_INPUTS[opcode]?.[name] ?? 'text';
    if (kind === 'broadcast') {
      const message = String(value);
      return [1, [11, message, this.project.broadcastId(message)]];
    }
    if (kind === 'boolean') {
      // Boolean slots have no shadow; a literal there means "empty".
      if (typeof value !== 'object') return undefined;
      return [2, this.emit(value, parent, false)];
    }
    const shadow = [PRIMITIVE[kind], typeof value === 'object' ? '' : String(value)];
    if (typeof value === 'object') return this.reporterInput(parent, value, shadow);
    return [1, shadow];
  }

  private extensionArg(
    parent: string,
    shape: ExtensionShape['blocks'][number],
    name: string,
    value: Arg,
    inputs: Record<string, unknown>,
    fields: Record<string, unknown>,
  ): void {
    const argument = shape.arguments?.[name];
    if (!argument) throw new Error(`${shape.opcode} has no argument ${name}`);
    const extensionId = this.project.extension!.id;
    if (argument.menu) {
      const menu = this.project.extension!.menus[argument.menu]!;
      if (!menu.acceptReporters) {
        fields[name] = [String(value), null];
        return;
      }
      // A menu that accepts reporters is an input whose shadow is the menu block.
      const shadowId = this.project.nextId(`menu-${argument.menu}`);
      this.blocks[shadowId] = {
        opcode: `${extensionId}_menu_${argument.menu}`,
        next: null,
        parent,
        inputs: {},
        fields: { [argument.menu]: [typeof value === 'object' ? '' : String(value), null] },
        shadow: true,
        topLevel: false,
      };
      inputs[name] = typeof value === 'object' ? [3, this.reporterArgument(parent, value), shadowId] : [1, shadowId];
      return;
    }
    if (argument.type === 'Boolean') {
      // A Boolean slot has no shadow: a reporter goes in, a literal leaves it empty (as Scratch saves it).
      if (typeof value === 'object') inputs[name] = [2, this.reporterArgument(parent, value)];
      return;
    }
    const primitive = argument.type === 'number' ? 4 : 10;
    const shadow = [primitive, typeof value === 'object' ? '' : String(value)];
    inputs[name] = typeof value === 'object' ? this.reporterInput(parent, value, shadow) : [1, shadow];
  }

  private reporterArgument(parent: string, value: Block): unknown {
    if (value.opcode === 'data_variable') {
      const variable = this.lookup(value.fields!.VARIABLE!, 'var');
      return [12, variable.name, variable.id];
    }
    return this.emit(value, parent, false);
  }

  toJSON(layerOrder: number): Record<string, unknown> {
    const vars = (map: Map<string, Variable>) => Object.fromEntries([...map.values()].map((v) => [v.id, [v.name, v.value]]));
    const common = {
      isStage: this.isStage,
      name: this.name,
      variables: vars(this.variables),
      lists: vars(this.lists),
      broadcasts: this.isStage ? this.project.broadcastsJSON() : {},
      blocks: this.blocks,
      comments: {},
      currentCostume: 0,
      costumes: [{ name: 'dot', dataFormat: 'svg', assetId: COSTUME_ID, md5ext: `${COSTUME_ID}.svg`, rotationCenterX: 1, rotationCenterY: 1 }],
      sounds: [],
      volume: 100,
      layerOrder,
    };
    return this.isStage
      ? { ...common, tempo: 60, videoTransparency: 50, videoState: 'off', textToSpeechLanguage: null }
      : { ...common, visible: true, x: 0, y: 0, size: 100, direction: 90, draggable: false, rotationStyle: 'all around' };
  }
}

export class ProjectBuilder {
  readonly stage: TargetBuilder;
  readonly sprites: TargetBuilder[] = [];
  private counter = 0;
  private readonly broadcasts = new Map<string, string>();

  constructor(readonly extension?: ExtensionShape) {
    this.stage = new TargetBuilder('Stage', true, this);
  }

  sprite(name: string): TargetBuilder {
    const sprite = new TargetBuilder(name, false, this);
    this.sprites.push(sprite);
    return sprite;
  }

  nextId(hint: string): string {
    this.counter += 1;
    return `${hint.replace(/[^A-Za-z0-9_-]/g, '').slice(0, 24)}-${this.counter}`;
  }

  broadcastId(message: string): string {
    let id = this.broadcasts.get(message);
    if (!id) {
      id = this.nextId(`msg-${message}`);
      this.broadcasts.set(message, id);
    }
    return id;
  }

  broadcastsJSON(): Record<string, string> {
    return Object.fromEntries([...this.broadcasts].map(([name, id]) => [id, name]));
  }

  extensionBlock(opcode: string) {
    if (!this.extension || !opcode.startsWith(`${this.extension.id}_`)) return undefined;
    const shape = this.extension.blocks.find((b) => `${this.extension!.id}_${b.opcode}` === opcode);
    if (!shape) throw new Error(`unknown extension block ${opcode}`);
    return shape;
  }

  private readonly shown: string[] = [];

  /** Shows a stage variable or list on the stage (a monitor), stacked from the top left. */
  monitor(name: string): this {
    this.shown.push(name);
    return this;
  }

  private monitorsJSON(): Record<string, unknown>[] {
    let y = 5;
    return this.shown.map((name) => {
      const list = this.stage.lists.get(name);
      const variable = list ?? this.stage.variables.get(name);
      if (!variable) throw new Error(`no stage variable or list named "${name}" to show`);
      const monitor = {
        id: variable.id,
        mode: list ? 'list' : 'default',
        opcode: list ? 'data_listcontents' : 'data_variable',
        params: list ? { LIST: name } : { VARIABLE: name },
        spriteName: null,
        value: variable.value,
        width: list ? 200 : 0,
        height: list ? 120 : 0,
        x: 5,
        y,
        visible: true,
      };
      y += list ? 130 : 30;
      return monitor;
    });
  }

  /** project.json; `extensionURL` is where the extension comes from (a URL, or a data: URL to embed it). */
  toJSON(extensionURL?: string): Record<string, unknown> {
    for (const target of [this.stage, ...this.sprites]) target.compile();
    const json: Record<string, unknown> = {
      targets: [this.stage, ...this.sprites].map((target, index) => target.toJSON(index)),
      monitors: this.monitorsJSON(),
      extensions: this.extension ? [this.extension.id] : [],
      meta: { semver: '3.0.0', vm: '0.2.0', agent: 'CloudLink 5 example builder' },
    };
    if (this.extension && extensionURL) json.extensionURLs = { [this.extension.id]: extensionURL };
    return json;
  }

  /** The .sb3 file: project.json plus the costume asset. */
  toSb3(extensionURL?: string): Buffer {
    return zip([
      { name: 'project.json', data: Buffer.from(JSON.stringify(this.toJSON(extensionURL))) },
      { name: `${COSTUME_ID}.svg`, data: COSTUME_SVG },
    ]);
  }
}
