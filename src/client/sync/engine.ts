// Networked variables and lists (protocol.md §4), independent of Scratch and of WebRTC.
// Each network id has a version [seq, writer]; see docs/sync.md for the convergence rule.
// Local changes are found by `flush()` (once per frame) and leave as ONE message per peer.
import type { PeerPacket, Version } from '../../protocol/index.js';
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
  write(value: ScratchValue): void;
}

export interface ListStore {
  kind: 'list';
  /** The live list; only read when `changed()` says so. */
  read(): readonly ScratchValue[];
  write(items: ScratchValue[]): void;
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
const keyOf = (id: string, scope: Scope) => (scope === null ? `g:${id}` : `p:${scope}:${id}`);

export interface SyncErrorSink {
  (message: string): void;
}

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
    if (entry && entry.kind !== store.kind) {
      throw new Error(`network id "${id}" is already used for a ${entry.kind === 'var' ? 'variable' : 'list'}`);
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

  unbind(id: string, scope: Scope): boolean {
    return this.entries.delete(keyOf(id, scope));
  }

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
      this.onError(`"${packet.id}" is a ${entry.kind === 'var' ? 'variable' : 'list'} here, but ${from} sent ${packet.opcode}`);
      return;
    }
    const incoming: Version = [packet.seq, packet.writer ?? from];
    if (packet.opcode === 'G_VAR' || packet.opcode === 'P_VAR') {
      // Variables: the highest version wins, whatever the arrival order.
      if (compare(incoming, entry.version) > 0) this.accept(entry, incoming, packet.payload);
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
      const list = (entry.value as ScratchValue[]).slice();
      applyEdit(list, packet as ListEdit);
      this.accept(entry, incoming, list);
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
        const list = (entry.value as ScratchValue[]).slice();
        applyEdit(list, ready as ListEdit);
        this.accept(entry, [(ready as ListPacket).seq, writerOf(ready)], list);
        progress = true;
      }
    }
  }

  private accept(entry: Entry, version: Version, value: ScratchValue | ScratchValue[]): void {
    entry.version = version;
    entry.value = value;
    if (entry.store) this.writeStore(entry);
  }

  private writeStore(entry: Entry): void {
    const store = entry.store!;
    if (store.kind === 'var') store.write(entry.value as ScratchValue);
    else {
      store.write((entry.value as ScratchValue[]).slice());
      store.changed(); // our own write is not a local change
    }
  }

  private detect(entry: Entry, store: SyncStore): void {
    const me = this.transport.myId();
    if (store.kind === 'var') {
      const value = store.read();
      if (value === entry.value) return;
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
  private packet(
    entry: Entry,
    body: { opcode: 'VAR'; payload: ScratchValue } | ({ opcode: 'LIST' } & ListEdit),
    base?: Version,
  ): PeerPacket {
    const opcode = `${entry.scope === null ? 'G' : 'P'}_${body.opcode}` as 'G_VAR';
    const [seq, writer] = entry.version;
    return {
      ...body,
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
      const packets = own ? [...everyone, ...own] : everyone;
      if (packets.length === 0) continue;
      try {
        this.transport.send(peer, packets);
      } catch (error) {
        this.onError(`could not sync with ${peer}: ${(error as Error).message}`);
      }
    }
    this.outbox.clear();
  }

  private tryBroadcast(packets: PeerPacket[]): boolean {
    try {
      return this.transport.broadcast?.(packets) ?? false;
    } catch (error) {
      this.onError(`could not sync: ${(error as Error).message}`);
      return true;
    }
  }
}

type ListPacket = Extract<PeerPacket, { opcode: 'G_LIST' | 'P_LIST' }>;

/** Pending packets carry their writer (set when they are held). */
const writerOf = (packet: PeerPacket): string => ('writer' in packet && packet.writer) || '';

function snapshot(store: SyncStore): ScratchValue | ScratchValue[] {
  return store.kind === 'var' ? store.read() : store.read().slice();
}
