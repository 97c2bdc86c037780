// Payloads of the merging sync methods (docs/protocol-notes.md "Lists that merge and counters"):
// G_LIST/P_LIST insert, delete, put, clear, ack, state (a sequence CRDT) and G_VAR/P_VAR add, set,
// state (a counter). An item id is [seq, writer instance id]; a packet's own id is [seq, writer ?? sender].
import * as L from './limits.js';
import { instanceId } from './out-of-band.js';
import {
  array,
  boolean,
  count,
  finite,
  integer,
  isPlainObject,
  object,
  optional,
  ProtocolError,
  record,
  scratchValue,
  type Check,
  type Infer,
} from './schema.js';

const seq = integer(1, Number.MAX_SAFE_INTEGER);
/** Writers a vector may name: every player of a lobby, with room for those who left. */
const WRITERS_MAX = 4 * L.MAX_PLAYERS_LIMIT;

export const itemId: Check<[number, string]> = (value, path) => {
  if (!Array.isArray(value) || value.length !== 2) throw new ProtocolError(`${path} must be [seq, writer]`);
  return [seq(value[0], `${path}[0]`), instanceId(value[1], `${path}[1]`)];
};
/** Per writer, a seq (acks, a clear's `seen`, a state's `floor`). */
export const seqVector = record(instanceId, count, WRITERS_MAX);

const clearedEntry: Check<[number, number, string]> = (value, path) => {
  if (!Array.isArray(value) || value.length !== 3) throw new ProtocolError(`${path} must be [seq, stamp seq, stamp writer]`);
  return [count(value[0], `${path}[0]`), seq(value[1], `${path}[1]`), instanceId(value[2], `${path}[2]`)];
};

/** One chunk of a list's state: items name writers by index into `writers` (see sequence-snapshot.ts). */
const wireItem =
  (writers: number): Check<unknown[]> =>
  (value, path) => {
    if (!Array.isArray(value) || value.length < 3 || value.length > 7) throw new ProtocolError(`${path} must be [seq, writer, value, …] with 3 to 7 fields`);
    const writer = integer(0, writers - 1);
    const wireId = (id: unknown, at: string) => {
      if (!Array.isArray(id) || id.length !== 2) throw new ProtocolError(`${at} must be 0, null or [seq, writer]`);
      return [seq(id[0], `${at}[0]`), writer(id[1], `${at}[1]`)];
    };
    const out: unknown[] = [seq(value[0], `${path}[0]`), writer(value[1], `${path}[1]`), scratchValue(value[2], `${path}[2]`)];
    for (let i = 3; i < value.length; i += 1) {
      const field = value[i];
      // origin (index 3) may be null (the front); every optional field may be 0 (the default)
      out.push(field === 0 || (field === null && i === 3) ? field : wireId(field, `${path}[${i}]`));
    }
    return out;
  };

const chunkHead = object({
  part: count,
  of: integer(1, 1_000_000),
  clock: count,
  ack: seqVector,
  floor: seqVector,
  /** Per writer: [seq, stamp seq, stamp writer] — ids of that writer up to seq were cleared, by that clear. */
  cleared: optional(record(instanceId, clearedEntry, WRITERS_MAX)),
  writers: array(instanceId, WRITERS_MAX),
  /** The sender holds the history of the list (see docs/sync.md "Joining late"); absent: it is catching up. */
  complete: optional(boolean),
});

const stateChunk: Check<Infer<typeof chunkHead> & { items: unknown[][] }> = (value, path) => {
  const head = chunkHead(value, path);
  if (head.part >= head.of) throw new ProtocolError(`${path}.part must be below ${path}.of`);
  const items = array(wireItem(head.writers.length), L.LIST_ITEMS_MAX)((value as Record<string, unknown>).items, `${path}.items`);
  return { ...head, items };
};

export const mergedListPayloads = {
  insert: object({ after: (value: unknown, path: string) => (value === null ? null : itemId(value, path)), value: scratchValue }),
  delete: itemId,
  put: object({ item: itemId, value: scratchValue }),
  clear: seqVector,
  ack: seqVector,
  state: stateChunk,
} satisfies Record<string, Check<unknown>>;
export type MergedListMethod = keyof typeof mergedListPayloads;
export type MergedListPayloads = { [M in MergedListMethod]: Infer<(typeof mergedListPayloads)[M]> };

const counterEntry: Check<[number, number]> = (value, path) => {
  if (!Array.isArray(value) || value.length !== 2) throw new ProtocolError(`${path} must be [changes, total]`);
  return [count(value[0], `${path}[0]`), finite(value[1], `${path}[1]`)];
};
const counterEntries = record(instanceId, counterEntry, WRITERS_MAX);
const counterSet = object({ value: finite, seen: counterEntries });

export const counterPayloads = {
  /** seq = the writer's number of changes so far; payload = their sum. */
  add: finite,
  /** seq = the reset's version seq; `seen` = the entries its writer had. */
  set: counterSet,
  state: object({
    entries: counterEntries,
    set: (value: unknown, path: string) => {
      if (value === null || value === undefined) return null;
      if (!isPlainObject(value)) throw new ProtocolError(`${path} must be null or a reset`);
      return { ...counterSet(value, path), version: itemId(value.version, `${path}.version`) };
    },
  }),
} satisfies Record<string, Check<unknown>>;
export type CounterMethod = keyof typeof counterPayloads;
export type CounterPayloads = { [M in CounterMethod]: Infer<(typeof counterPayloads)[M]> };
