// One bound network id inside the sync engine. Each way of merging concurrent changes is its own
// entry class (value-entry.ts, counter-entry.ts, merged-list-entry.ts); the engine (engine.ts) only
// routes packets to them and sends what they queue, one message per peer per frame.
import type { CounterPacket, MergedListPacket, PeerPacket, VarPacket, WholeListPacket } from '../../protocol/index.js';
import type { CloudLinkError } from '../errors.js';
import type { StoreKind, SyncStore } from './stores.js';

/** null = with everyone (G_*), else the one peer a private binding is shared with (P_*). */
export type Scope = string | null;

export type SyncPacket = VarPacket | CounterPacket | WholeListPacket | MergedListPacket;

/** What an entry may do: send, and ask who is who. */
export interface EntryContext {
  readonly id: string;
  readonly scope: Scope;
  /** My instance id; '' while not connected. */
  myId(): string;
  /** Peers with an open link that share this id (every peer, or the one of a private binding). */
  peers(): string[];
  /** The lobby's host, if the transport knows it. */
  host(): string | null;
  /** Queues packets for everyone the id is shared with, sent at the end of the frame. */
  send(packets: PeerPacket[]): void;
  /** Queues packets for one peer (sent before the frame's packets for everyone). */
  sendTo(peer: string, packets: PeerPacket[]): void;
  /** A packet for this id: opcode G_/P_ by scope, `writer` only when it is not me. */
  packet(fields: { opcode: 'VAR' | 'LIST'; seq: number; writer?: string; method?: string; payload: unknown; base?: unknown }): PeerPacket;
  error(error: CloudLinkError): void;
}

export interface SyncEntry {
  readonly kind: StoreKind;
  /** The bound store (null: unbound, the entry keeps following the network). */
  readonly store: SyncStore | null;
  attach(store: SyncStore): void;
  detach(): void;
  /** Once per frame: send the local changes. */
  flush(): void;
  /** A packet from `from` (the engine checked it is this entry's kind). */
  receive(from: string, packet: SyncPacket): void;
  /** A link to `peer` opened: give it what it needs to catch up. */
  joined(peer: string): void;
  left(peer: string): void;
}

/** Which entry kind a packet is for: by opcode, and by `method` (the merging methods are new ones). */
export function kindOf(packet: SyncPacket): StoreKind {
  if (packet.opcode === 'G_VAR' || packet.opcode === 'P_VAR') return packet.method === undefined ? 'var' : 'counter';
  switch (packet.method) {
    case 'set':
    case 'reset':
    case 'replace':
    case 'length':
      return 'list';
    default:
      return 'merged-list';
  }
}

export const kindName: Record<StoreKind, string> = {
  var: 'variable',
  counter: 'counter',
  list: 'whole list',
  'merged-list': 'merged list',
};
