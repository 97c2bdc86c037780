// A sequence's state for a late joiner, split into JSON chunks that each fit one data-channel message
// (design, not yet wired). Writer ids are long and repeat on every item, so each chunk has its own
// writer table and items name writers by index; the common cases are elided (origin = the previous
// item, value written by the item's own insert, not deleted, no barrier), so a plain appended item is
// `[seq, w, value]`.
import { MAX_IN_BAND_BYTES } from '../../protocol/limits.js';
import type { ScratchValue } from './list-diff.js';
import type { AckVector, ClearedVector, Item, ItemId, Sequence, SequenceState, SnapshotItem } from './sequence.js';

/** An id as [seq, index into the chunk's writers]. */
type WireId = [number, number];
/** [seq, w, value, origin?, stamp?, deleted?, barrier?]; origin 0 = the previous item, null = the front; 0 elsewhere = none / the default. */
export type WireItem = [number, number, ScratchValue, ...(WireId | 0 | null)[]];

export interface SnapshotChunk {
  /** 0-based; `of` chunks in all. */
  part: number;
  of: number;
  clock: number;
  ack: AckVector;
  /** Per writer: ids at or below it that are in no chunk were collected (see Sequence.merge). */
  floor: Record<string, number>;
  /**
   * The union of the clears the sender applied, per writer [seq, stampSeq, stampWriter] (see
   * ClearedVector; writer ids in full, it has one entry per writer at most). Absent from older senders.
   */
  cleared?: ClearedVector;
  writers: string[];
  items: WireItem[];
}

/** Room left in a message for the packet around a chunk (opcode, id, method, seq...). */
export const CHUNK_ENVELOPE_BYTES = 1024;
export const DEFAULT_CHUNK_BYTES = MAX_IN_BAND_BYTES - CHUNK_ENVELOPE_BYTES;

const sameId = (a: ItemId | null, b: ItemId | null): boolean => a === b || (!!a && !!b && a[0] === b[0] && a[1] === b[1]);

/**
 * The state as chunks whose JSON is at most `maxBytes` each (UTF-8 bytes). Throws if one item alone
 * cannot fit (a Scratch item can hold a long text).
 */
export function encodeSnapshot(sequence: Sequence, maxBytes = DEFAULT_CHUNK_BYTES): SnapshotChunk[] {
  const { clock, ack, floor, cleared = {}, items } = sequence.state();
  // Fixed part of a chunk, with room for the largest `part`/`of` numbers.
  const fixed = byteLength(JSON.stringify({ part: 1e9, of: 1e9, clock, ack, floor, cleared, writers: [], items: [] }));
  const chunks: SnapshotChunk[] = [];
  let chunk: SnapshotChunk | null = null;
  let writerIndex = new Map<string, number>();
  let bytes = 0;
  let prev: Item | null = null;
  const start = () => {
    chunk = { part: chunks.length, of: 0, clock, ack, floor, cleared, writers: [], items: [] };
    chunks.push(chunk);
    writerIndex = new Map();
    bytes = fixed;
  };
  for (const item of items) {
    // Encoded twice at most: again at the start of a fresh chunk (new writer table) when it does not fit.
    for (;;) {
      if (!chunk) start();
      const current = chunk as unknown as SnapshotChunk;
      const added: string[] = [];
      const wire = encodeItem(item, prev, (writer) => {
        const known = writerIndex.get(writer);
        if (known !== undefined) return known;
        let index = added.indexOf(writer);
        if (index < 0) index = added.push(writer) - 1;
        return writerIndex.size + index;
      });
      const cost = byteLength(JSON.stringify(wire)) + 1 + added.reduce((sum, writer) => sum + byteLength(JSON.stringify(writer)) + 1, 0);
      if (bytes + cost > maxBytes) {
        if (current.items.length === 0) throw new RangeError(`a list item of ${cost} bytes does not fit in a ${maxBytes}-byte message`);
        chunk = null;
        continue;
      }
      for (const writer of added) {
        writerIndex.set(writer, writerIndex.size);
        current.writers.push(writer);
      }
      current.items.push(wire);
      bytes += cost;
      break;
    }
    prev = item;
  }
  if (chunks.length === 0) start();
  for (const c of chunks) c.of = chunks.length;
  return chunks;
}

function encodeItem(item: Item, prev: Item | null, writer: (id: string) => number): WireItem {
  const id = (value: ItemId): WireId => [value[0], writer(value[1])];
  const origin = prev && sameId(item.origin, prev.id) ? 0 : item.origin ? id(item.origin) : null;
  const wire: WireItem = [
    item.id[0],
    writer(item.id[1]),
    item.value,
    origin,
    sameId(item.stamp, item.id) ? 0 : id(item.stamp),
    item.deleted ? id(item.deleted) : 0,
    item.barrier ? id(item.barrier) : 0,
  ];
  while (wire.length > 3 && wire[wire.length - 1] === 0) wire.pop();
  return wire;
}

/**
 * Collects one sender's chunks (any order, repeats ignored); the whole state once every part has
 * arrived. A snapshot is told apart by its `clock` and `of`: a chunk of another one starts afresh,
 * and a late repeat of the one just completed is ignored.
 */
export class SnapshotAssembler {
  private parts: (SnapshotChunk | undefined)[] = [];
  private received = 0;
  private current = '';
  private completed = '';

  /** Returns the state when `chunk` was the last part missing, else null. */
  add(chunk: SnapshotChunk): SequenceState<SnapshotItem> | null {
    const key = `${chunk.clock}/${chunk.of}`;
    if (key === this.completed) return null;
    if (key !== this.current) {
      this.current = key;
      this.parts = new Array(chunk.of);
      this.received = 0;
    }
    if (this.parts[chunk.part]) return null;
    this.parts[chunk.part] = chunk;
    this.received += 1;
    if (this.received < chunk.of) return null;
    const chunks = this.parts as SnapshotChunk[];
    this.parts = [];
    this.received = 0;
    this.current = '';
    this.completed = key;
    return decodeSnapshot(chunks);
  }
}

/** All chunks, in order, back to items for Sequence.merge. */
export function decodeSnapshot(chunks: readonly SnapshotChunk[]): SequenceState<SnapshotItem> {
  const items: SnapshotItem[] = [];
  let prev: ItemId | null = null;
  for (const chunk of chunks) {
    const id = (wire: WireId): ItemId => [wire[0], chunk.writers[wire[1]]!];
    for (const wire of chunk.items) {
      const [seq, writer, value, origin = 0, stamp = 0, deleted = 0, barrier = 0] = wire;
      const itemId: ItemId = [seq, chunk.writers[writer]!];
      items.push({
        id: itemId,
        origin: origin === 0 ? prev : origin === null ? null : id(origin),
        value,
        stamp: stamp ? id(stamp) : itemId,
        deleted: deleted ? id(deleted) : null,
        barrier: barrier ? id(barrier) : null,
      });
      prev = itemId;
    }
  }
  const first = chunks[0];
  return { clock: first?.clock ?? 0, ack: first?.ack ?? {}, floor: first?.floor ?? {}, cleared: first?.cleared ?? {}, items };
}

const encoder = new TextEncoder();
/** UTF-8 length without allocating for ASCII (the usual case). */
function byteLength(text: string): number {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ASCII range check
  return /^[\x00-\x7f]*$/.test(text) ? text.length : encoder.encode(text).length;
}
