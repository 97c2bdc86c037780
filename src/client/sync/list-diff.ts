// The smallest list update for an old → new change, as protocol.md §4 methods: a run of
// `replace` items plus a `length` when the list got shorter, or one `set` when that is smaller.
import type { ListPayloads } from '../../protocol/index.js';

export type ScratchValue = string | number | boolean;

export type ListEdit =
  | { method: 'set'; payload: ListPayloads['set'] }
  | { method: 'replace'; payload: ListPayloads['replace'] }
  | { method: 'length'; payload: number };

/** Rough JSON size of one value, enough to choose between edits and a whole `set`. */
const sizeOf = (value: ScratchValue): number => (typeof value === 'string' ? value.length + 2 : String(value).length);
const REPLACE_OVERHEAD = 90; // opcode, id, seq, base and field names of one replace packet

export function diffList(before: readonly ScratchValue[], after: readonly ScratchValue[]): ListEdit[] {
  const shorter = Math.min(before.length, after.length);
  let start = 0;
  while (start < shorter && Object.is(before[start], after[start])) start += 1;
  if (start === before.length && start === after.length) return [];

  const edits: ListEdit[] = [];
  let editBytes = 0;
  if (after.length < before.length) {
    edits.push({ method: 'length', payload: after.length });
    editBytes += REPLACE_OVERHEAD;
  }
  // Items at and after `start` that differ; a replace past the end grows the list.
  let setBytes = 20;
  for (const value of after) setBytes += sizeOf(value) + 1;
  for (let index = start; index < after.length; index += 1) {
    if (Object.is(before[index], after[index])) continue;
    editBytes += REPLACE_OVERHEAD + sizeOf(after[index]!);
    if (editBytes > setBytes) return [{ method: 'set', payload: after.slice() }];
    edits.push({ method: 'replace', payload: { index, value: after[index]! } });
  }
  return edits;
}

/** Applies one edit in place (the receiving side of diffList). */
export function applyEdit(list: ScratchValue[], edit: ListEdit): void {
  switch (edit.method) {
    case 'set':
      list.length = 0;
      for (const value of edit.payload) list.push(value);
      return;
    case 'length':
      if (edit.payload < list.length) list.length = edit.payload;
      else while (list.length < edit.payload) list.push('');
      return;
    case 'replace':
      while (list.length < edit.payload.index) list.push('');
      list[edit.payload.index] = edit.payload.value;
  }
}
