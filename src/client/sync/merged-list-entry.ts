// A list whose concurrent edits all take effect ('merged-list': G_LIST/P_LIST insert, delete, put,
// clear, ack, state). The list is a sequence CRDT (sequence.ts); this entry turns the Scratch list's
// changes into its operations, writes remote ones into the Scratch list in place, sends acks so
// deleted items can be forgotten, and brings late joiners up to date with chunked states.
// The store reports where each insert and delete happened (one op, no compare); what it cannot see
// (a replace) is found by comparing the list with the values the sequence shows, kept in chunks.
// docs/sync.md "Lists that merge" explains the catch-up rules ("complete" replicas, the root).
import type { MergedListPacket, PeerPacket } from '../../protocol/index.js';
import { CloudLinkError } from '../errors.js';
import type { EntryContext, SyncEntry } from './entry.js';
import { ChunkedValues } from './chunked-values.js';
import { diffToOps } from './sequence-diff.js';
import { type AckVector, type Patch, Sequence, type SequenceOp, type SequenceState, type SnapshotItem } from './sequence.js';
import { encodeSnapshot, SnapshotAssembler, type SnapshotChunk } from './sequence-snapshot.js';
import type { MergedListStore, ScratchValue, SyncStore } from './stores.js';
import { toWire } from './wire-value.js';

/** Frames between two acks (when a deletion is waiting for them) and tombstone collections. */
export const ACK_FRAMES = 30;
/** Deleted items forgotten per frame at most: a large collection is spread over frames. */
export const GC_PER_FRAME = 100;
/**
 * Items of the Scratch list compared per frame with the values the sequence shows: the safety net for
 * an edit nobody reported that kept the length (other code writing an index without the flag). A
 * list of n items is compared in full every n / AUDIT_ITEMS frames; a frame pays for this many
 * compares at most (a few µs), whatever the length.
 */
export const AUDIT_ITEMS = 1024;
/** Operations kept for replay while catching up (see load()); beyond it the oldest are dropped. */
export const MAX_REPLAY_LOG = 100_000;

type Logged = SequenceOp | { state: SequenceState<SnapshotItem> };
/** An insert or delete the store saw a script make at `index`. */
type LocalEdit = { index: number; insert: boolean; value: ScratchValue };

export class MergedListEntry implements SyncEntry {
  readonly kind = 'merged-list';
  store: MergedListStore | null = null;
  private sequence: Sequence | null = null;
  /**
   * The list has edits the sequence has not taken (made before I had an id, or reported where the
   * sequence could not take them): the next look compares it in full.
   */
  private stale = false;
  /** The values the sequence shows, kept in step: the "before" of a compare with the Scratch list. */
  private readonly values = new ChunkedValues();
  /**
   * Holds the list's whole history (loaded a complete state, or is the root): only such a replica
   * collects tombstones, and only its state is copied exactly by a joiner.
   */
  private complete = false;
  /** While not complete: everything applied, to replay onto the first complete state. */
  private log: Logged[] | null = [];
  /** Peers whose whole state arrived, and whether it was complete. */
  private readonly heard = new Map<string, boolean>();
  private readonly assemblers = new Map<string, SnapshotAssembler>();
  private frames = 0;
  /** Where the next frame's audit slice starts. */
  private auditAt = 0;
  private lastAck = '';
  /**
   * A deletion was applied since my last ack: its player waits for my ack to forget the item. Only
   * deletions need acks, so a list that only grows sends none.
   */
  private ackWanted = false;
  /** Forgetting deleted items, GC_PER_FRAME a frame, until a frame finds fewer. */
  private collecting = false;
  /** Each peer's latest ack (also carried by its state), kept to hand to a reloaded sequence. */
  private readonly acks = new Map<string, AckVector>();

  constructor(private readonly ctx: EntryContext) {}

  /** Binding shows the shared list (empty for an id nobody has edited). */
  attach(store: SyncStore): void {
    this.store = store as MergedListStore;
    this.store.write(this.sequence ? this.sequence.toArray() : []);
    this.store.changed();
    this.store.replaced();
    // Each list block's edit is turned into operations as it happens: one block changes one place, so
    // the op names exactly what the script did (a frame's edits together could not).
    this.store.listen({
      inserted: (index, value) => this.edited({ index, insert: true, value }),
      deleted: (index) => this.edited({ index, insert: false, value: '' }),
      changed: () => this.edited(null),
    });
  }

  /** A script's edit: where it was (insert or delete), or null for one the store could not see. */
  private edited(edit: LocalEdit | null): void {
    try {
      if (this.ready()) this.detect({ edit, oneEdit: edit === null });
      else this.stale = true;
    } catch (error) {
      this.ctx.error(CloudLinkError.from(error));
    }
  }

  detach(): void {
    this.store?.listen(null);
    this.store = null;
  }

  flush(): void {
    if (!this.ready()) return;
    this.detect({ endOfFrame: true });
    this.frames += 1;
    if (this.frames % ACK_FRAMES === 0) {
      this.acknowledge();
      this.collecting = this.complete;
    }
    if (this.collecting) this.collecting = this.sequence!.gc(GC_PER_FRAME) === GC_PER_FRAME;
    this.checkRoot();
  }

  joined(peer: string): void {
    if (!this.ready()) return;
    this.sequence!.addPlayer(peer);
    this.sendState(peer);
  }

  left(peer: string): void {
    this.sequence?.removePlayer(peer);
    this.heard.delete(peer);
    this.assemblers.delete(peer);
    this.acks.delete(peer);
  }

  receive(from: string, packet: MergedListPacket): void {
    if (!this.ready()) return;
    this.detect();
    const sequence = this.sequence!;
    const writer = packet.writer ?? from;
    const id: [number, string] = [packet.seq, writer];
    let op: SequenceOp;
    switch (packet.method) {
      case 'ack':
        this.receiveAck(from, packet.payload);
        return;
      case 'state':
        this.receiveState(from, packet.payload as unknown as SnapshotChunk & { complete?: boolean });
        return;
      case 'insert':
        op = { t: 'ins', id, after: packet.payload.after, v: packet.payload.value };
        break;
      case 'delete':
        op = { t: 'del', id, target: packet.payload };
        break;
      case 'put':
        op = { t: 'rep', id, target: packet.payload.item, v: packet.payload.value };
        break;
      case 'clear':
        op = { t: 'clr', id, seen: packet.payload };
        break;
    }
    this.remember(op);
    if (op.t === 'del' || op.t === 'clr') this.ackWanted = true;
    this.show(sequence.apply(op), writer);
  }

  private receiveAck(from: string, ack: AckVector): void {
    const known = this.acks.get(from) ?? {};
    for (const [writer, seq] of Object.entries(ack)) known[writer] = Math.max(known[writer] ?? 0, seq);
    this.acks.set(from, known);
    this.sequence!.receiveAck(from, ack);
  }

  /** The sequence exists once I have an instance id (ids stamp every item); a new id carries the list over. */
  private ready(): boolean {
    const me = this.ctx.myId();
    if (!me) return false;
    if (!this.sequence) this.sequence = new Sequence(me);
    else if (this.sequence.writer !== me) {
      const renamed = new Sequence(me);
      renamed.merge(this.sequence.state());
      this.sequence = renamed;
    }
    return true;
  }

  /**
   * The Scratch list's changes since the last look, as operations sent to everyone. `edit`: the one
   * edit the store just reported (it becomes one op, nothing compared); `oneEdit`: one unseen edit was
   * just made (found walking in from both ends); `endOfFrame`: from flush(). The length check is the
   * O(1) safety net for edits nobody reported.
   */
  private detect({ edit = null, oneEdit = false, endOfFrame = false }: { edit?: LocalEdit | null; oneEdit?: boolean; endOfFrame?: boolean } = {}): void {
    const store = this.store;
    if (!store) return;
    const replaced = store.replaced();
    const unseen = store.changed(endOfFrame) || this.stale;
    const after = store.read();
    const sequence = this.sequence!;
    let ops: SequenceOp[];
    if (replaced) {
      // A new array ("delete all", then maybe some adds; or a list typed in its monitor): everything
      // I had is cleared, what it holds now is inserted.
      ops = sequence.length > 0 ? sequence.clear() : [];
      for (let index = 0; index < after.length; index += 1) ops.push(sequence.insert(index, after[index]!));
      this.values.reset(after);
    } else if (edit && !unseen && after.length === sequence.length + (edit.insert ? 1 : -1) && edit.index <= after.length - (edit.insert ? 1 : 0)) {
      if (edit.insert) {
        ops = [sequence.insert(edit.index, edit.value)];
        this.values.insert(edit.index, edit.value);
      } else {
        ops = [sequence.delete(edit.index)];
        this.values.delete(edit.index);
      }
    } else if (unseen || edit || after.length !== sequence.length || (endOfFrame && this.differs(after))) {
      const run = (oneEdit && !this.stale && this.values.changedRun(after, true)) || this.values.changedRun(after)!;
      ops = diffToOps(sequence, this.values, after, run);
      this.values.sync(after, run);
    } else return;
    this.stale = false;
    if (ops.length === 0) return;
    for (const op of ops) {
      this.remember(op);
      if (op.t === 'del' || op.t === 'clr') this.ackWanted = true;
    }
    this.ctx.send(ops.map((op) => this.packetOf(op)));
  }

  /** Compares the next AUDIT_ITEMS items of the list with the values (same length): does one differ? */
  private differs(after: readonly ScratchValue[]): boolean {
    if (this.auditAt >= after.length) this.auditAt = 0;
    const count = Math.min(AUDIT_ITEMS, after.length - this.auditAt);
    if (this.values.matchForward(after, this.auditAt, count) < count) return true;
    this.auditAt += count;
    return false;
  }

  private remember(entry: Logged): void {
    if (!this.log) return;
    if (this.log.length >= MAX_REPLAY_LOG) this.log.shift();
    this.log.push(entry);
  }

  private show(patches: Patch[], writer: string): void {
    if (patches.length === 0) return;
    for (const patch of patches) this.values.apply(patch);
    this.store?.patch(patches, writer);
  }

  private receiveState(from: string, chunk: SnapshotChunk & { complete?: boolean }): void {
    const assembler = this.assemblers.get(from) ?? new SnapshotAssembler();
    this.assemblers.set(from, assembler);
    const state = assembler.add(chunk);
    if (!state) return;
    const complete = chunk.complete === true;
    this.heard.set(from, complete);
    // A state says what its sender had applied when it left, on the same in-order link: an ack.
    this.receiveAck(from, state.ack);
    this.ackWanted = true;
    if (complete && !this.complete) {
      this.load(state, from);
      return;
    }
    this.remember({ state });
    this.show(this.sequence!.merge(state), from);
  }

  /**
   * The first complete state: an exact copy of it (tombstones, and what its sender collected, included),
   * then everything this replica did or received before, replayed on top. Merging it into what is here
   * instead could leave items whose origin the sender had already forgotten with nowhere to go.
   */
  private load(state: SequenceState<SnapshotItem>, from: string): void {
    const loaded = new Sequence(this.ctx.myId());
    loaded.merge(state);
    for (const entry of this.log ?? []) {
      if ('state' in entry) loaded.merge(entry.state);
      else loaded.apply(entry);
    }
    for (const peer of this.ctx.peers()) {
      loaded.addPlayer(peer);
      const ack = this.acks.get(peer);
      if (ack) loaded.receiveAck(peer, ack);
    }
    this.sequence = loaded;
    this.log = null;
    this.becomeComplete();
    this.values.reset(loaded.toArray());
    if (this.store) {
      this.store.write(loaded.toArray(), from);
      this.store.changed();
    }
  }

  /**
   * The root (the lobby's host; of a private list, the player with the smaller id) holds the whole
   * history once every linked peer has told it theirs and none held more: nobody had one before it.
   */
  private checkRoot(): void {
    if (this.complete) return;
    const me = this.ctx.myId();
    const root = this.ctx.scope === null ? this.ctx.host() === me : me < this.ctx.scope;
    if (!root || !this.ctx.peers().every((peer) => this.heard.has(peer))) return;
    this.log = null;
    this.becomeComplete();
  }

  /** Peers still catching up get my state again, now that it is complete. */
  private becomeComplete(): void {
    this.complete = true;
    for (const [peer, complete] of this.heard) if (!complete) this.sendState(peer);
  }

  private sendState(peer: string): void {
    let chunks: SnapshotChunk[];
    try {
      chunks = encodeSnapshot(this.sequence!);
    } catch (error) {
      this.ctx.error(new CloudLinkError('invalid', `list "${this.ctx.id}" cannot be sent to ${peer}: ${(error as Error).message}`, { peer }));
      return;
    }
    const me = this.ctx.myId();
    const flag = this.complete ? { complete: true } : {};
    this.ctx.sendTo(
      peer,
      chunks.map((chunk) => this.ctx.packet({ opcode: 'LIST', method: 'state', seq: chunk.clock, writer: me, payload: { ...chunk, ...flag } })),
    );
  }

  /** Tells everyone what I have applied, when a deletion waits for it. */
  private acknowledge(): void {
    const sequence = this.sequence!;
    if (this.ackWanted && this.ctx.peers().length > 0) {
      const ack = sequence.ack();
      const text = JSON.stringify(ack);
      if (text !== this.lastAck) {
        this.lastAck = text;
        this.ctx.send([this.ctx.packet({ opcode: 'LIST', method: 'ack', seq: 0, writer: this.ctx.myId(), payload: ack })]);
      }
      // While operations are held my ack stays where it was: it has to go again once they are in.
      this.ackWanted = sequence.held > 0;
    }
  }

  private packetOf(op: SequenceOp): PeerPacket {
    const [seq, writer] = op.id;
    const base = { opcode: 'LIST' as const, seq, writer };
    switch (op.t) {
      case 'ins':
        return this.ctx.packet({ ...base, method: 'insert', payload: { after: op.after, value: toWire(op.v) } });
      case 'del':
        return this.ctx.packet({ ...base, method: 'delete', payload: op.target });
      case 'rep':
        return this.ctx.packet({ ...base, method: 'put', payload: { item: op.target, value: toWire(op.v) } });
      case 'clr':
        return this.ctx.packet({ ...base, method: 'clear', payload: op.seen });
    }
  }
}
