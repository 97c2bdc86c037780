// Networked variables and lists (protocol.md §4), independent of Scratch and of WebRTC. Each bound
// network id is an entry whose class decides how concurrent changes merge (entry.ts); the engine
// routes packets to entries and sends what they queue: `flush()` (once per frame) finds the local
// changes, and everything a frame produced leaves as ONE message per peer.
import { BATCH_MAX, type PeerPacket, type Version } from '../../protocol/index.js';
import { CloudLinkError } from '../errors.js';
import { CounterEntry } from './counter-entry.js';
import { type EntryContext, kindName, kindOf, type Scope, type SyncEntry, type SyncPacket } from './entry.js';
import { MergedListEntry } from './merged-list-entry.js';
import type { StoreKind, SyncStore } from './stores.js';
import { ValueEntry } from './value-entry.js';

export type { Scope } from './entry.js';
export type { CounterStore, ListListener, ListStore, MergedListStore, SyncStore, VariableStore } from './stores.js';

/** How the engine reaches peers; implemented over the mesh. */
export interface SyncTransport {
  myId(): string;
  /** Peers with an open link. */
  peers(): string[];
  /** The lobby's host (the root of merged lists shared with everyone); null when not in a lobby. */
  host?(): string | null;
  /** One call = one data-channel message. Throws if it cannot be sent. */
  send(peerId: string, packets: PeerPacket[]): void;
  /** Sends packets meant for every peer at once, if the transport can (a relay fans them out); false if not. */
  broadcast?(packets: PeerPacket[]): boolean;
}

/** The `to` of a batch sent to every peer at once (through a relay). */
const EVERYONE = 'everyone';
const keyOf = (id: string, scope: Scope) => (scope === null ? `g:${id}` : `p:${scope}:${id}`);

export type SyncErrorSink = (error: CloudLinkError) => void;

interface Slot {
  id: string;
  scope: Scope;
  entry: SyncEntry;
}

export class SyncEngine {
  private readonly slots = new Map<string, Slot>();
  /** Packets queued this frame, per peer (null = every peer). */
  private readonly outbox = new Map<string | null, PeerPacket[]>();
  /** Kind mismatches already reported (id, peer, kind), so a stream of them is one error. */
  private readonly mismatches = new Set<string>();

  constructor(
    private readonly transport: SyncTransport,
    private readonly onError: SyncErrorSink = () => {},
  ) {}

  /** Binds a store to a network id. A value the network already agreed on is written into it. */
  bind(id: string, scope: Scope, store: SyncStore): void {
    const key = keyOf(id, scope);
    let slot = this.slots.get(key);
    if (slot && !slot.entry.store && slot.entry.kind !== store.kind) {
      // Only known from packets (or bound before as another kind and unbound): start afresh.
      this.slots.delete(key);
      slot = undefined;
    }
    if (slot && slot.entry.kind !== store.kind) {
      throw new CloudLinkError('invalid', `network id "${id}" is already used for a ${kindName[slot.entry.kind]}`);
    }
    slot ??= this.create(id, scope, store.kind);
    slot.entry.attach(store);
  }

  /**
   * Stops watching and writing the store. The entry keeps following the network, so binding the id
   * again picks up the network's value instead of starting behind everyone.
   */
  unbind(id: string, scope: Scope): boolean {
    const entry = this.slots.get(keyOf(id, scope))?.entry;
    if (!entry?.store) return false;
    entry.detach();
    return true;
  }

  /** The ids with a store bound. */
  bound(): { id: string; scope: Scope; kind: StoreKind }[] {
    return [...this.slots.values()].filter((s) => s.entry.store).map(({ id, scope, entry }) => ({ id, scope, kind: entry.kind }));
  }

  /** The last-writer-wins version of a variable or whole list. */
  versionOf(id: string, scope: Scope = null): Version | undefined {
    const entry = this.slots.get(keyOf(id, scope))?.entry;
    return entry instanceof ValueEntry ? entry.version : undefined;
  }

  /** Once per frame: detect local changes, then send everything queued, one message per peer. */
  flush(): void {
    for (const { entry } of this.slots.values()) entry.flush();
    this.sendOutbox();
  }

  /** A link to `peerId` opened: every id shared with it sends what it needs to catch up. */
  peerJoined(peerId: string): void {
    for (const { scope, entry } of this.slots.values()) if (scope === null || scope === peerId) entry.joined(peerId);
  }

  peerLeft(peerId: string): void {
    this.outbox.delete(peerId);
    for (const { scope, entry } of this.slots.values()) if (scope === null || scope === peerId) entry.left(peerId);
  }

  /** An inbound G_VAR/P_VAR/G_LIST/P_LIST packet from `from`. */
  receive(from: string, packet: PeerPacket): void {
    if (!('seq' in packet)) return;
    const sync = packet as SyncPacket;
    const isPrivate = sync.opcode === 'P_VAR' || sync.opcode === 'P_LIST';
    const scope = isPrivate ? from : null;
    const kind = kindOf(sync);
    // Not bound (yet) here: the entry follows the network so binding later picks up the agreed value.
    const slot = this.slots.get(keyOf(sync.id, scope)) ?? this.create(sync.id, scope, kind);
    if (slot.entry.kind !== kind) {
      const key = `${keyOf(sync.id, scope)}|${from}|${kind}`;
      if (this.mismatches.has(key)) return;
      this.mismatches.add(key);
      this.onError(
        new CloudLinkError('protocol', `"${sync.id}" is a ${kindName[slot.entry.kind]} here, but ${from} syncs it as a ${kindName[kind]}`, {
          peer: from,
          opcode: sync.opcode,
        }),
      );
      return;
    }
    slot.entry.receive(from, sync);
  }

  private create(id: string, scope: Scope, kind: StoreKind): Slot {
    const ctx = this.context(id, scope);
    const entry = kind === 'counter' ? new CounterEntry(ctx) : kind === 'merged-list' ? new MergedListEntry(ctx) : new ValueEntry(kind, ctx);
    const slot = { id, scope, entry };
    this.slots.set(keyOf(id, scope), slot);
    // Links opened before this id was known here: they get what a new link gets.
    for (const peer of ctx.peers()) entry.joined(peer);
    return slot;
  }

  private context(id: string, scope: Scope): EntryContext {
    const transport = this.transport;
    return {
      id,
      scope,
      myId: () => transport.myId(),
      peers: () => {
        const peers = transport.peers();
        return scope === null ? peers : peers.filter((peer) => peer === scope);
      },
      host: () => transport.host?.() ?? null,
      send: (packets) => this.enqueue(scope, packets),
      sendTo: (peer, packets) => this.enqueue(peer, packets),
      packet: ({ opcode, writer, ...fields }) =>
        ({
          ...fields,
          opcode: `${scope === null ? 'G' : 'P'}_${opcode}`,
          id,
          ...(writer && writer !== transport.myId() ? { writer } : {}),
        }) as PeerPacket,
      error: (error) => this.onError(error),
    };
  }

  private enqueue(target: string | null, packets: PeerPacket[]): void {
    if (packets.length === 0) return;
    const box = this.outbox.get(target);
    if (box) box.push(...packets);
    else this.outbox.set(target, packets);
  }

  private sendOutbox(): void {
    if (this.outbox.size === 0) return;
    let everyone = this.outbox.get(null) ?? [];
    if (everyone.length && this.tryBroadcast(everyone)) everyone = [];
    for (const peer of this.transport.peers()) {
      const own = this.outbox.get(peer);
      // A newly linked peer's catch-up (in `own`) goes before this frame's changes made on top of it.
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
