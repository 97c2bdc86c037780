// A script of a project.json as text, one line per stack block, branches indented, reporters inline:
//   event_whenbroadcastreceived BROADCAST_OPTION="go"
//   cloudlink5_createLobby HIDDEN="no" LOCKED=<operator_equals OPERAND1="1" OPERAND2="1"> MAX="-1" …
// so a test can compare what a migration wrote with what it should be, whatever the ids.
import type { BlockRecord } from '../../scripts/migrate/block-graph.js';

type Blocks = Record<string, unknown>;

type Rec = BlockRecord;

const get = (blocks: Blocks, id: string) => blocks[id] as Rec;

function value(blocks: Blocks, part: unknown): string {
  if (Array.isArray(part)) return part[0] === 12 ? `[var ${part[1]}]` : part[0] === 13 ? `[list ${part[1]}]` : JSON.stringify(String(part[1]));
  if (typeof part !== 'string') return '?';
  const block = get(blocks, part);
  if (block.shadow) {
    const [name, field] = Object.entries(block.fields)[0] ?? ['', ['']];
    return `${block.opcode.includes('_menu_') ? '' : `${name}:`}${JSON.stringify(String(field![0]))}`;
  }
  const text = line(blocks, part);
  return block.opcode.startsWith('operator_') &&
    ['operator_equals', 'operator_lt', 'operator_gt', 'operator_and', 'operator_or', 'operator_not'].includes(block.opcode)
    ? `<${text}>`
    : `(${text})`;
}

function line(blocks: Blocks, id: string): string {
  const block = get(blocks, id);
  const args: string[] = [];
  for (const [name, input] of Object.entries(block.inputs)) {
    if (name.startsWith('SUBSTACK')) continue;
    args.push(`${name}=${value(blocks, input[1])}`);
  }
  for (const [name, field] of Object.entries(block.fields)) args.push(`${name}=${JSON.stringify(String(field[0]))}`);
  return [block.opcode, ...args.sort()].join(' ');
}

const branch = (block: Rec, name: string) => (block.inputs[name]?.[1] as string | undefined) ?? null;

function stack(blocks: Blocks, first: string | null, indent: string): string[] {
  const lines: string[] = [];
  for (let id = first; id; id = get(blocks, id).next) {
    const block = get(blocks, id);
    lines.push(indent + line(blocks, id));
    if (!('SUBSTACK' in block.inputs || block.opcode.startsWith('control_if'))) continue;
    lines.push(...stack(blocks, branch(block, 'SUBSTACK'), `${indent}  `));
    if (block.opcode === 'control_if_else') lines.push(`${indent}else`, ...stack(blocks, branch(block, 'SUBSTACK2'), `${indent}  `));
  }
  return lines;
}

/** Every script of a target's blocks, as text. */
export function renderScripts(blocks: Blocks): string[] {
  return Object.keys(blocks)
    .filter((id) => !Array.isArray(blocks[id]) && get(blocks, id).topLevel)
    .map((id) => stack(blocks, id, '').join('\n'));
}
