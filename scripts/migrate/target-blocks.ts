// The blocks a migration writes: CloudLink 5's (their arguments' forms read from the extension's own
// getInfo, so a migrated project always matches what the extension declares) and the few Scratch
// blocks a reshaped block needs (a comparison, an if).
import type { CloudlinkInfo } from '../../examples/lib/extension-shape.js';
import type { ArgumentForm } from './block-graph.js';

export interface TargetBlock {
  opcode: string;
  blockType: string;
  args: Record<string, { form: ArgumentForm; defaultValue: string }>;
}

const text = { form: { form: 'text' }, defaultValue: '' } as const;
const number = { form: { form: 'number' }, defaultValue: '0' } as const;
const boolean = { form: { form: 'boolean' }, defaultValue: '' } as const;

/** The Scratch blocks reshaped blocks are built from, with their inputs' forms. */
const SCRATCH_BLOCKS: TargetBlock[] = [
  { opcode: 'operator_equals', blockType: 'Boolean', args: { OPERAND1: text, OPERAND2: text } },
  { opcode: 'operator_add', blockType: 'reporter', args: { NUM1: number, NUM2: number } },
  { opcode: 'operator_multiply', blockType: 'reporter', args: { NUM1: number, NUM2: number } },
  { opcode: 'control_if', blockType: 'conditional', args: { CONDITION: boolean } },
  { opcode: 'control_if_else', blockType: 'conditional', args: { CONDITION: boolean } },
];

export class TargetBlocks {
  private readonly byOpcode = new Map<string, TargetBlock>();

  constructor(readonly extension: CloudlinkInfo) {
    for (const block of SCRATCH_BLOCKS) this.byOpcode.set(block.opcode, block);
    for (const block of extension.blocks) {
      const args: TargetBlock['args'] = {};
      for (const [name, arg] of Object.entries(block.arguments ?? {})) {
        const menu = arg.menu ? extension.menus[arg.menu] : undefined;
        const form: ArgumentForm = !arg.menu
          ? { form: arg.type === 'number' ? 'number' : arg.type === 'Boolean' ? 'boolean' : 'text' }
          : menu?.acceptReporters
            ? { form: 'menu', shadowOpcode: `${extension.id}_menu_${arg.menu}`, fieldName: arg.menu }
            : { form: 'field' };
        args[name] = { form, defaultValue: arg.defaultValue === undefined ? '' : String(arg.defaultValue) };
      }
      this.byOpcode.set(`${extension.id}_${block.opcode}`, { opcode: `${extension.id}_${block.opcode}`, blockType: block.blockType, args });
    }
  }

  /** `connect` → `cloudlink5_connect`; Scratch's own opcodes stay as they are. */
  full(opcode: string): string {
    return opcode.includes('_') && this.byOpcode.has(opcode) ? opcode : `${this.extension.id}_${opcode}`;
  }

  get(opcode: string): TargetBlock {
    const block = this.byOpcode.get(this.full(opcode));
    if (!block) throw new Error(`the ${this.extension.id} extension has no block ${opcode}`);
    return block;
  }

  /** Whether a reporter can be shown on the stage (monitors). */
  monitorable(opcode: string): boolean {
    const info = this.extension.blocks.find((b) => `${this.extension.id}_${b.opcode}` === this.full(opcode));
    return !!info && !info.disableMonitor && !info.arguments;
  }
}
