// In-band opcodes (peer ↔ peer on data channels), protocol.md §3–§4: one payload validator per opcode.
import * as L from './limits.js';
import type { CounterMethod, CounterPayloads, MergedListMethod, MergedListPayloads } from './merge-payloads.js';
import { array, boolean, count, integer, json, none, object, ProtocolError, record, scratchValue, string, type Check, type Infer } from './schema.js';

export const networkId = string({ min: 1, max: L.NETWORK_ID_MAX });
export const channelLabel = string({ min: 1, max: L.CHANNEL_LABEL_MAX, printable: true });
export const channelId = integer(L.FIRST_CHANNEL_ID, L.LAST_CHANNEL_ID);
/** A PING's token, echoed by its PONG (a counter of the pinging client). */
export const pingToken = count;

export const listMethods = ['set', 'replace', 'length', 'reset'] as const;
export type ListMethod = (typeof listMethods)[number];

export const listPayloads = {
  set: array(scratchValue, L.LIST_ITEMS_MAX),
  reset: array(scratchValue, L.LIST_ITEMS_MAX),
  replace: object({ index: integer(0, L.LIST_ITEMS_MAX - 1), value: scratchValue }),
  length: integer(0, L.LIST_ITEMS_MAX),
} satisfies Record<ListMethod, Check<unknown>>;
export type ListPayloads = { [M in ListMethod]: Infer<(typeof listPayloads)[M]> };

export const peerOpcodes = {
  G_MSG: json,
  P_MSG: json,
  G_VAR: scratchValue,
  P_VAR: scratchValue,
  /** Checked per `method` by listPayloads. */
  G_LIST: json,
  P_LIST: json,
  NEW_CHAN: object({ id: channelId, label: channelLabel, ordered: boolean }),
  HANGUP: none,
  DECLINE: none,
  /** Round-trip probe (docs/protocol-notes.md): answered at once with PONG and the same token. */
  PING: pingToken,
  PONG: pingToken,
  /**
   * After a lost link healed: how many messages I received from you on each reliable channel since
   * you joined, so you resend the rest; `ask` when you should answer with yours.
   */
  RECEIVED: object({ received: record(channelLabel, count, L.LAST_CHANNEL_ID + 1), ask: boolean }),
} satisfies Record<string, Check<unknown>>;

export type PeerOpcode = keyof typeof peerOpcodes;
export const syncOpcodes = ['G_VAR', 'P_VAR', 'G_LIST', 'P_LIST'] as const;
export type SyncOpcode = (typeof syncOpcodes)[number];
export const isSyncOpcode = (opcode: string): opcode is SyncOpcode => (syncOpcodes as readonly string[]).includes(opcode);

/**
 * Version of a synced value: `[seq, instance id of the writer]`, ordered by seq then writer id.
 * Carried as `seq` plus `writer` (omitted when the writer is the sender) and, on incremental list
 * edits, `base` (the version the edit applies to). See docs/sync.md for the convergence rule.
 */
export const version = (value: unknown, path: string): [number, string] => {
  const [seq, writer] = array(json, 2)(value, path);
  return [count(seq, `${path}[0]`), string({ max: L.INSTANCE_ID_MAX })(writer, `${path}[1]`)];
};
export type Version = [seq: number, writer: string];

/** An end-to-end encrypted private packet through a relay (§5, §6): the whole inner packet, sealed. */
export const sealedPair = (value: unknown, path: string): [string, string] => {
  const pair = array(string({ max: L.MAX_IN_BAND_BYTES }), 2)(value, path);
  if (pair.length !== 2) throw new ProtocolError(`${path} must be [ciphertext, iv]`);
  return [pair[0]!, pair[1]!];
};

interface PeerPacketBase {
  /** Set by a relay peer on forwarded packets: who sent it (§5). */
  origin?: string;
  /** Set by a client sending a private packet through a relay peer: who it is for (§5). */
  recipient?: string;
}

/** The fields every G_VAR/P_VAR/G_LIST/P_LIST packet has. */
interface SyncFields {
  id: string;
  seq: number;
  writer?: string;
}

export type VarPacket = PeerPacketBase & SyncFields & { opcode: 'G_VAR' | 'P_VAR'; payload: string | number | boolean; method?: undefined };
export type CounterPacket = PeerPacketBase &
  SyncFields &
  { [M in CounterMethod]: { opcode: 'G_VAR' | 'P_VAR'; method: M; payload: CounterPayloads[M] } }[CounterMethod];
/** The seed's whole-list methods (protocol.md §4); `base` on incremental edits. */
export type WholeListPacket = PeerPacketBase &
  SyncFields &
  { [M in ListMethod]: { opcode: 'G_LIST' | 'P_LIST'; method: M; payload: ListPayloads[M]; base?: Version } }[ListMethod];
export type MergedListPacket = PeerPacketBase &
  SyncFields &
  { [M in MergedListMethod]: { opcode: 'G_LIST' | 'P_LIST'; method: M; payload: MergedListPayloads[M] } }[MergedListMethod];

export type PeerPacket =
  | (PeerPacketBase & { opcode: 'G_MSG' | 'P_MSG'; payload: unknown })
  | VarPacket
  | CounterPacket
  | WholeListPacket
  | MergedListPacket
  | (PeerPacketBase & { opcode: 'NEW_CHAN'; payload: Infer<(typeof peerOpcodes)['NEW_CHAN']> })
  | (PeerPacketBase & { opcode: 'HANGUP' | 'DECLINE'; payload?: undefined })
  | (PeerPacketBase & { opcode: 'PING' | 'PONG'; payload: number })
  | (PeerPacketBase & { opcode: 'RECEIVED'; payload: Infer<(typeof peerOpcodes)['RECEIVED']> })
  | (PeerPacketBase & { opcode: 'P_MSG' | 'P_VAR' | 'P_LIST'; sealed: [string, string] });

export type SealedPacket = Extract<PeerPacket, { sealed: [string, string] }>;
export const isSealedPacket = (packet: PeerPacket): packet is SealedPacket => 'sealed' in packet;
