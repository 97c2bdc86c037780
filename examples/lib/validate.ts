// Structural checks of a Scratch 3 project.json as written by the builder: every block's links
// (next/parent/inputs) agree both ways, every referenced block, variable, list and broadcast exists,
// and each target has a costume. Returns a list of problems (empty when the project is well formed).
interface BlockRecord {
  opcode: string;
  next: string | null;
  parent: string | null;
  inputs: Record<string, unknown[]>;
  fields: Record<string, [string, string | null]>;
  shadow: boolean;
  topLevel: boolean;
}

interface TargetRecord {
  name: string;
  isStage: boolean;
  variables: Record<string, [string, unknown]>;
  lists: Record<string, [string, unknown[]]>;
  broadcasts: Record<string, string>;
  blocks: Record<string, BlockRecord | unknown[]>;
  costumes: { md5ext?: string }[];
}

export function validateProject(project: object): string[] {
  const problems: string[] = [];
  const { targets, extensions = [] } = project as { targets: TargetRecord[]; extensions?: string[] };
  const stage = targets.find((t) => t.isStage);
  if (!stage || targets[0] !== stage) problems.push('the stage must be the first target');
  for (const target of targets) {
    const where = (id: string) => `${target.name}: block ${id}`;
    if (!target.costumes?.length) problems.push(`${target.name}: no costume`);
    const variableIds = new Set([...Object.keys(target.variables), ...Object.keys(stage?.variables ?? {})]);
    const listIds = new Set([...Object.keys(target.lists), ...Object.keys(stage?.lists ?? {})]);
    const broadcastIds = new Set(Object.keys(stage?.broadcasts ?? {}));
    const blocks = target.blocks;
    const get = (id: string) => (Array.isArray(blocks[id]) ? undefined : (blocks[id] as BlockRecord | undefined));
    for (const [id, entry] of Object.entries(blocks)) {
      if (Array.isArray(entry)) continue; // a top-level variable reporter
      const b = entry;
      const prefix = b.opcode.split('_')[0]!;
      const core = ['event', 'control', 'data', 'operator', 'motion', 'looks', 'sound', 'sensing', 'procedures', 'argument'];
      if (!core.includes(prefix) && !extensions.includes(prefix)) problems.push(`${where(id)}: opcode ${b.opcode} of an undeclared extension`);
      if (b.topLevel !== (b.parent === null)) problems.push(`${where(id)}: topLevel ${b.topLevel} but parent ${b.parent}`);
      if (b.parent !== null) {
        const parent = get(b.parent);
        if (!parent) problems.push(`${where(id)}: missing parent ${b.parent}`);
        else if (parent.next !== id && !Object.values(parent.inputs).some((input) => input.includes(id))) {
          problems.push(`${where(id)}: parent ${b.parent} neither continues to it nor has it as an input`);
        }
      }
      if (b.next !== null) {
        const next = get(b.next);
        if (!next) problems.push(`${where(id)}: missing next ${b.next}`);
        else if (next.parent !== id) problems.push(`${where(id)}: next ${b.next} has parent ${next.parent}`);
      }
      for (const [name, input] of Object.entries(b.inputs)) {
        for (const item of input.slice(1)) {
          if (typeof item === 'string') {
            const child = get(item);
            if (!child) problems.push(`${where(id)}: input ${name} names missing block ${item}`);
            else if (child.parent !== id) problems.push(`${where(id)}: input ${name} block ${item} has parent ${child.parent}`);
          } else if (Array.isArray(item)) {
            if (item[0] === 12 && !variableIds.has(item[2] as string)) problems.push(`${where(id)}: input ${name} names missing variable ${item[2]}`);
            if (item[0] === 13 && !listIds.has(item[2] as string)) problems.push(`${where(id)}: input ${name} names missing list ${item[2]}`);
            if (item[0] === 11 && !broadcastIds.has(item[2] as string)) problems.push(`${where(id)}: input ${name} names missing broadcast ${item[2]}`);
          }
        }
      }
      for (const [name, [, ref]] of Object.entries(b.fields)) {
        if (name === 'VARIABLE' && !variableIds.has(ref!)) problems.push(`${where(id)}: field VARIABLE names missing variable ${ref}`);
        if (name === 'LIST' && !listIds.has(ref!)) problems.push(`${where(id)}: field LIST names missing list ${ref}`);
        if (name === 'BROADCAST_OPTION' && !broadcastIds.has(ref!)) problems.push(`${where(id)}: field BROADCAST_OPTION names missing broadcast ${ref}`);
      }
    }
  }
  return problems;
}
