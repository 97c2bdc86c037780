// Networked variables and lists (protocol.md §4), independent of Scratch and of WebRTC.
// Each network id has a version [seq, writer]; see docs/sync.md for the convergence rule.
// Local changes are found by `flush()` (once per frame) and leave as ONE message per peer.
import { BATCH_MAX, type PeerPacket, type Version } from '../../protocol/index.js';
import { CloudLinkError } from '../errors.js';
import { applyEdit, diffList, type ListEdit, type ScratchValue } from './list-diff.js';
import { compare, INITIAL, next, same } from './version.js';

/** How the engine reaches peers; implemented over the mesh. */
export interface SyncTransport {
  myId(): string;
  /** Peers with an open link. */
  peers(): string[];
  /** One call = one data-channel message. Throws if it cannot be sent. */
  send(peerId: string, packets: PeerPacket[]): void;
  /** Sends packets meant for every peer at once, if the transport can (a relay fans them out); false if not. */
  broadcast?(packets: PeerPacket[]): boolean;
}

export interface VariableStore {
  kind: 'var';
  read(): ScratchValue;
  /** A value from the network; `writer` = instance id of the player who wrote it (absent when binding picks up the agreed value). */
  write(value: ScratchValue, writer?: string): void;
}

export interface ListStore {
  kind: 'list';
  /** The live list; only read when `changed()` says so. */
  read(): readonly ScratchValue[];
  /** The whole list from the network (a fresh array the store may keep); `writer` as for variables. */
  write(items: ScratchValue[], writer?: string): void;
  /** Cheap check: may the list have changed since the last call? Clears the mark. */
  changed(): boolean;
}

export type SyncStore = VariableStore | ListStore;

/** null = with everyone (G_*), else the one peer a private binding is shared with (P_*). */
export type Scope = string | null;

type Kind = 'var' | 'list';

interface Entry {
  id: string;
  kind: Kind;
  scope: Scope;
  version: Version;
  /** What the network last agreed on (and what was last seen in the store). */
  value: ScratchValue | ScratchValue[];
  store: SyncStore | null;
  /** List edits that arrived before the version they apply to (different links, different speeds). */
  pending: PeerPacket[];
  /** Someone is behind or lost a race: send the whole value at the next flush. */
  reassert: boolean;
}

const MAX_PENDING = 1000;
/** The `to` of a batch sent to every peer at once (through a relay). */
const EVERYONE = 'everyone';
const keyOf = (id: string, scope: Scope) => (scope === null ? `g:${id}` : `p:${scope}:${id}`);

export type SyncErrorSink = (error: CloudLinkError) => void;

export class SyncEngine {
  private readonly entries = new Map<string, Entry>();
  /** Packets queued this frame, per peer (null = every peer). */
  private readonly outbox = new Map<string | null, PeerPacket[]>();

  constructor(
    private readonly transport: SyncTransport,
    private readonly onError: SyncErrorSink = () => {},
  ) {}

  /** Binds a store to a network id. A value the network already agreed on is written into it. */
  bind(id: string, scope: Scope, store: SyncStore): void {
    const key = keyOf(id, scope);
    let entry = this.entries.get(key);
    if (entry && !entry.store && entry.kind !== store.kind) {
      // Only known from packets (or bound before as the other kind and unbound): start afresh.
      this.entries.delete(key);
      entry = undefined;
    }
    if (entry && entry.kind !== store.kind) {
      throw new CloudLinkError('invalid', `network id "${id}" is already used for a ${entry.kind === 'var' ? 'variable' : 'list'}`);
    }
    if (!entry) {
      entry = { id, kind: store.kind, scope, version: INITIAL, value: snapshot(store), store: null, pending: [], reassert: false };
      this.entries.set(key, entry);
    }
    entry.store = store;
    if (entry.version[0] > 0) this.writeStore(entry);
    else entry.value = snapshot(store);
    if (store.kind === 'list') store.changed();
  }

  /**
   * Stops watching and writing the store. The id's version and agreed value are kept (and kept up to
   * date by incoming packets), so binding it again picks up the network's value instead of starting
   * from version [0, ""] behind everyone.
   */
  unbind(id: string, scope: Scope): boolean {
    const entry = this.entries.get(keyOf(id, scope));
    if (!entry?.store) return false;
    entry.store = null;
    return true;
  }

  /** The ids with a store bound. */
  bound(): { id: string; scope: Scope; kind: Kind }[] {
    return [...this.entries.values()].filter((e) => e.store).map(({ id, scope, kind }) => ({ id, scope, kind }));
  }

  versionOf(id: string, scope: Scope = null): Version | undefined {
    return this.entries.get(keyOf(id, scope))?.version;
  }

  /** Once per frame: detect local changes, then send everything queued, one message per peer. */
  flush(): void {
    for (const entry of this.entries.values()) {
      if (entry.store) this.detect(entry, entry.store);
      if (entry.reassert) {
        entry.reassert = false;
        this.queue(entry, this.whole(entry));
      }
    }
    this.sendOutbox();
  }

  /** A link to `peerId` opened: give it the current value of every id someone has written. */
  peerJoined(peerId: string): void {
    for (const entry of this.entries.values()) {
      if (entry.version[0] === 0 || (entry.scope !== null && entry.scope !== peerId)) continue;
      this.enqueue(peerId, this.whole(entry));
    }
  }

  peerLeft(peerId: string): void {
    this.outbox.delete(peerId);
  }

  /** An inbound G_VAR/P_VAR/G_LIST/P_LIST packet from `from`. */
  receive(from: string, packet: PeerPacket): void {
    if (!('seq' in packet)) return;
    const isPrivate = packet.opcode === 'P_VAR' || packet.opcode === 'P_LIST';
    const kind: Kind = packet.opcode.endsWith('VAR') ? 'var' : 'list';
    const scope = isPrivate ? from : null;
    const key = keyOf(packet.id, scope);
    let entry = this.entries.get(key);
    if (!entry) {
      // Not bound (yet) here: keep the agreed value so binding later picks it up.
      entry = { id: packet.id, kind, scope, version: INITIAL, value: kind === 'var' ? '' : [], store: null, pending: [], reassert: false };
      this.entries.set(key, entry);
    }
    if (entry.kind !== kind) {
      this.onError(
        new CloudLinkError('protocol', `"${packet.id}" is a ${entry.kind === 'var' ? 'variable' : 'list'} here, but ${from} sent ${packet.opcode}`, {
          peer: from,
          opcode: packet.opcode,
        }),
      );
      return;
    }
    // A local change not flushed yet (made outside a frame, e.g. in a list monitor) gets its version
    // now, so the remote value is compared with it instead of silently overwriting it.
    if (entry.store) this.detect(entry, entry.store);
    const incoming: Version = [packet.seq, packet.writer ?? from];
    if (packet.opcode === 'G_VAR' || packet.opcode === 'P_VAR') {
      // Variables: the highest version wins, whatever the arrival order. A sender that is behind
      // (it bound late, or lost a race) gets my value back at the next flush.
      const order = compare(incoming, entry.version);
      if (order > 0) this.accept(entry, incoming, packet.payload);
      else if (order < 0) entry.reassert = true;
      return;
    }
    this.receiveList(entry, packet as ListPacket, incoming);
  }

  private receiveList(entry: Entry, packet: ListPacket, incoming: Version): void {
    const order = compare(incoming, entry.version);
    if (order <= 0) {
      // The sender is behind me, or lost a race for this version: it needs my whole list.
      if (order < 0) entry.reassert = true;
      return;
    }
    if (packet.method === 'set' || packet.method === 'reset') {
      this.accept(entry, incoming, packet.payload.slice());
    } else if (packet.base && same(packet.base, entry.version)) {
      // The agreed copy is the engine's own array (stores get copies): edit it in place.
      applyEdit(entry.value as ScratchValue[], packet as ListEdit);
      this.accept(entry, incoming, entry.value);
    } else {
      if (entry.pending.length >= MAX_PENDING) entry.pending.shift();
      entry.pending.push({ ...packet, writer: incoming[1] });
      return;
    }
    this.retryPending(entry);
  }

  private retryPending(entry: Entry): void {
    for (let progress = true; progress && entry.pending.length; ) {
      progress = false;
      entry.pending = entry.pending.filter((packet) => compare([(packet as ListPacket).seq, writerOf(packet)], entry.version) > 0);
      const ready = entry.pending.find((packet) => {
        const base = (packet as ListPacket).base;
        return base !== undefined && same(base, entry.version);
      });
      if (ready) {
        entry.pending.splice(entry.pending.indexOf(ready), 1);
        applyEdit(entry.value as ScratchValue[], ready as ListEdit);
        this.accept(entry, [(ready as ListPacket).seq, writerOf(ready)], entry.value);
        progress = true;
      }
    }
  }

  private accept(entry: Entry, version: Version, value: ScratchValue | ScratchValue[]): void {
    entry.version = version;
    entry.value = value;
    if (entry.store) this.writeStore(entry, version[1]);
  }

  private writeStore(entry: Entry, writer?: string): void {
    const store = entry.store!;
    if (store.kind === 'var') store.write(entry.value as ScratchValue, writer);
    else {
      store.write((entry.value as ScratchValue[]).slice(), writer);
      store.changed(); // our own write is not a local change
    }
  }

  private detect(entry: Entry, store: SyncStore): void {
    const me = this.transport.myId();
    if (store.kind === 'var') {
      const value = store.read();
      if (Object.is(value, entry.value)) return;
      entry.value = value;
      entry.version = next(entry.version, me);
      this.queue(entry, [this.packet(entry, { opcode: 'VAR', payload: value })]);
      return;
    }
    if (!store.changed()) return;
    const items = store.read();
    const edits = diffList(entry.value as ScratchValue[], items);
    if (edits.length === 0) return;
    entry.value = items.slice();
    const packets: PeerPacket[] = [];
    for (const edit of edits) {
      const base = entry.version;
      entry.version = next(base, me);
      packets.push(this.packet(entry, { opcode: 'LIST', ...edit }, edit.method === 'set' ? undefined : base));
    }
    this.queue(entry, packets);
  }

  /** The packets that carry an entry's whole current value. */
  private whole(entry: Entry): PeerPacket[] {
    return entry.kind === 'var'
      ? [this.packet(entry, { opcode: 'VAR', payload: entry.value as ScratchValue })]
      : [this.packet(entry, { opcode: 'LIST', method: 'set', payload: (entry.value as ScratchValue[]).slice() })];
  }

  /** A packet at the entry's current version; `writer` only when someone else wrote it. */
  private packet(entry: Entry, body: { opcode: 'VAR'; payload: ScratchValue } | ({ opcode: 'LIST' } & ListEdit), base?: Version): PeerPacket {
    const opcode = `${entry.scope === null ? 'G' : 'P'}_${body.opcode}` as 'G_VAR';
    const [seq, writer] = entry.version;
    return {
      ...body,
      payload: wirePayload(body),
      opcode,
      id: entry.id,
      seq,
      ...(writer !== this.transport.myId() ? { writer } : {}),
      ...(base ? { base } : {}),
    } as PeerPacket;
  }

  private queue(entry: Entry, packets: PeerPacket[]): void {
    this.enqueue(entry.scope, packets);
  }

  private enqueue(target: string | null, packets: PeerPacket[]): void {
    const box = this.outbox.get(target);
    if (box) box.push(...packets);
    else this.outbox.set(target, packets);
  }

  private sendOutbox(): void {
    if (this.outbox.size === 0) return;
    let everyone = this.outbox.get(null) ?? [];
    if (everyone.length && this.tryBroadcast(everyone)) everyone = [];
    const peers = this.transport.peers();
    for (const peer of peers) {
      const own = this.outbox.get(peer);
      // A newly linked peer's full values (in `own`) go before this frame's edits made on them.
      const packets = own ? [...own, ...everyone] : everyone;
      if (packets.length === 0) continue;
      this.deliver((chunk) => this.transport.send(peer, chunk), packets, peer);
    }
    this.outbox.clear();
  }

  private tryBroadcast(packets: PeerPacket[]): boolean {
    const broadcast = this.transport.broadcast;
    if (!broadcast) return false;
    let relayed = true;
    this.deliver(
      (chunk) => {
        if (!broadcast.call(this.transport, chunk)) relayed = false;
      },
      packets,
      EVERYONE,
    );
    return relayed;
  }

  /**
   * One message per peer per frame. Only a frame whose batch exceeds a data-channel message
   * (BATCH_MAX packets, or MAX_IN_BAND_BYTES: the encoder throws "larger than") is split, in order,
   * into halves until each fits.
   */
  private deliver(send: (packets: PeerPacket[]) => void, packets: PeerPacket[], to: string): void {
    if (packets.length <= BATCH_MAX) {
      this.deliverChunk(send, packets, to);
      return;
    }
    for (let start = 0; start < packets.length; start += BATCH_MAX) this.deliverChunk(send, packets.slice(start, start + BATCH_MAX), to);
  }

  private deliverChunk(send: (packets: PeerPacket[]) => void, packets: PeerPacket[], to: string): void {
    try {
      send(packets);
    } catch (error) {
      const message = (error as Error).message;
      if (packets.length > 1 && /larger than/.test(message)) {
        const half = Math.ceil(packets.length / 2);
        this.deliverChunk(send, packets.slice(0, half), to);
        this.deliverChunk(send, packets.slice(half), to);
        return;
      }
      const { code } = CloudLinkError.from(error);
      this.onError(new CloudLinkError(code, `could not sync with ${to}: ${message}`, to === EVERYONE ? {} : { peer: to }));
    }
  }
}

type ListPacket = Extract<PeerPacket, { opcode: 'G_LIST' | 'P_LIST' }>;

/** Pending packets carry their writer (set when they are held). */
const writerOf = (packet: PeerPacket): string => ('writer' in packet && packet.writer) || '';

/**
 * What a value looks like on the wire. Scratch variables can hold NaN or ±Infinity (e.g. "set to
 * 0/0"), which JSON cannot carry and the protocol rejects, and an extension may store a non-primitive;
 * those travel as their Scratch text ("NaN", "Infinity"). The sender keeps its own value.
 */
export function toWire(value: unknown): ScratchValue {
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  return String(value);
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

function snapshot(store: SyncStore): ScratchValue | ScratchValue[] {
  return store.kind === 'var' ? store.read() : store.read().slice();
}
