// Last writer wins: a variable ('var', G_VAR/P_VAR) or a whole list ('list', G_LIST/P_LIST set/replace/
// length/reset). Every id carries a version [seq, writer]; the highest version's value is the one
// every player ends with (docs/sync.md "Who wins").
import type { PeerPacket, Version, WholeListPacket } from '../../protocol/index.js';
import type { EntryContext, SyncEntry, SyncPacket } from './entry.js';
import { applyEdit, diffList, type ListEdit } from './list-diff.js';
import type { ListStore, ScratchValue, SyncStore, VariableStore } from './stores.js';
import { compare, INITIAL, next, same } from './version.js';
import { toWire } from './wire-value.js';

/** List edits held for a version that has not arrived yet, at most. */
const MAX_PENDING = 1000;

export class ValueEntry implements SyncEntry {
  version: Version = INITIAL;
  /** What the network last agreed on (and what was last seen in the store). */
  private value: ScratchValue | ScratchValue[];
  store: VariableStore | ListStore | null = null;
  /** List edits that arrived before the version they apply to (different links, different speeds). */
  private pending: WholeListPacket[] = [];
  /** Someone is behind or lost a race: send the whole value at the next flush. */
  private reassert = false;

  constructor(
    readonly kind: 'var' | 'list',
    private readonly ctx: EntryContext,
  ) {
    this.value = kind === 'var' ? '' : [];
  }

  attach(store: SyncStore): void {
    this.store = store as VariableStore | ListStore;
    if (this.version[0] > 0) this.writeStore();
    else this.value = snapshot(this.store);
    if (this.store.kind !== 'var') this.store.changed();
  }

  detach(): void {
    this.store = null;
  }

  flush(): void {
    this.detect(true);
    if (this.reassert) {
      this.reassert = false;
      this.ctx.send(this.whole());
    }
  }

  joined(peer: string): void {
    if (this.version[0] > 0) this.ctx.sendTo(peer, this.whole());
  }

  left(): void {}

  receive(from: string, packet: SyncPacket): void {
    // A local change not flushed yet (made outside a frame, e.g. in a list monitor) gets its version
    // now, so the remote value is compared with it instead of silently overwriting it.
    this.detect();
    const incoming: Version = [packet.seq, packet.writer ?? from];
    if (packet.opcode === 'G_VAR' || packet.opcode === 'P_VAR') {
      // Variables: the highest version wins, whatever the arrival order. A sender that is behind
      // (it bound late, or lost a race) gets my value back at the next flush.
      const order = compare(incoming, this.version);
      if (order > 0) this.accept(incoming, packet.payload as ScratchValue);
      else if (order < 0) this.reassert = true;
      return;
    }
    this.receiveList(packet as WholeListPacket, incoming);
  }

  private receiveList(packet: WholeListPacket, incoming: Version): void {
    const order = compare(incoming, this.version);
    if (order <= 0) {
      // The sender is behind me, or lost a race for this version: it needs my whole list.
      if (order < 0) this.reassert = true;
      return;
    }
    if (packet.method === 'set' || packet.method === 'reset') {
      this.accept(incoming, packet.payload.slice());
    } else if (packet.base && same(packet.base, this.version)) {
      // The agreed copy is the entry's own array (stores get copies): edit it in place.
      applyEdit(this.value as ScratchValue[], packet as ListEdit);
      this.accept(incoming, this.value);
    } else {
      if (this.pending.length >= MAX_PENDING) this.pending.shift();
      this.pending.push({ ...packet, writer: incoming[1] });
      return;
    }
    this.retryPending();
  }

  private retryPending(): void {
    for (let progress = true; progress && this.pending.length; ) {
      progress = false;
      this.pending = this.pending.filter((packet) => compare([packet.seq, packet.writer ?? ''], this.version) > 0);
      const ready = this.pending.find((packet) => packet.base !== undefined && same(packet.base, this.version));
      if (ready) {
        this.pending.splice(this.pending.indexOf(ready), 1);
        applyEdit(this.value as ScratchValue[], ready as ListEdit);
        this.accept([ready.seq, ready.writer ?? ''], this.value);
        progress = true;
      }
    }
  }

  private accept(version: Version, value: ScratchValue | ScratchValue[]): void {
    this.version = version;
    this.value = value;
    if (this.store) this.writeStore(version[1]);
  }

  private writeStore(writer?: string): void {
    const store = this.store!;
    if (store.kind === 'var') store.write(this.value as ScratchValue, writer);
    else {
      store.write((this.value as ScratchValue[]).slice(), writer);
      store.changed(); // our own write is not a local change
    }
  }

  /** A local change since the last look; `endOfFrame` from flush(). */
  private detect(endOfFrame = false): void {
    const store = this.store;
    if (!store) return;
    const me = this.ctx.myId();
    if (store.kind === 'var') {
      const value = store.read();
      if (Object.is(value, this.value)) return;
      this.value = value;
      this.version = next(this.version, me);
      this.ctx.send([this.packet({ opcode: 'VAR', payload: value })]);
      return;
    }
    if (!store.changed(endOfFrame)) return;
    const items = store.read();
    const edits = diffList(this.value as ScratchValue[], items);
    if (edits.length === 0) return;
    this.value = items.slice();
    const packets: PeerPacket[] = [];
    for (const edit of edits) {
      const base = this.version;
      this.version = next(base, me);
      packets.push(this.packet({ opcode: 'LIST', ...edit }, edit.method === 'set' ? undefined : base));
    }
    this.ctx.send(packets);
  }

  /** The packets that carry the whole current value. */
  private whole(): PeerPacket[] {
    return this.kind === 'var'
      ? [this.packet({ opcode: 'VAR', payload: this.value as ScratchValue })]
      : [this.packet({ opcode: 'LIST', method: 'set', payload: (this.value as ScratchValue[]).slice() })];
  }

  /** A packet at the current version. */
  private packet(body: { opcode: 'VAR'; payload: ScratchValue } | ({ opcode: 'LIST' } & ListEdit), base?: Version): PeerPacket {
    const [seq, writer] = this.version;
    return this.ctx.packet({ ...body, payload: wirePayload(body), seq, writer, ...(base ? { base } : {}) });
  }
}

function wirePayload(body: { opcode: 'VAR'; payload: ScratchValue } | ({ opcode: 'LIST' } & ListEdit)): unknown {
  if (body.opcode === 'VAR') return toWire(body.payload);
  switch (body.method) {
    case 'set':
      return body.payload.map(toWire);
    case 'replace':
      return { index: body.payload.index, value: toWire(body.payload.value) };
    case 'length':
      return body.payload;
  }
}

function snapshot(store: VariableStore | ListStore): ScratchValue | ScratchValue[] {
  return store.kind === 'var' ? store.read() : store.read().slice();
}
