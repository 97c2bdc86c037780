// The envelope codec (protocol.md §1): text frame ⇄ validated packet. This is the one place
// where inbound packets are validated; everything past it works with typed packets.
import { listMethods, listPayloads, peerOpcodes, version, isSyncOpcode, networkId, sealedPair, type PeerPacket } from './in-band.js';
import { hasOwn } from './has-own.js';
import * as L from './limits.js';
import { counterPayloads, mergedListPayloads } from './merge-payloads.js';
import { clientOpcodes, instanceId, origin, serverOpcodes, type ClientPacket, type ServerPacket } from './out-of-band.js';
import { count, isPlainObject, literal, optional, ProtocolError, string, type Check } from './schema.js';

const listener = optional(string({ max: L.LISTENER_MAX }));
const recipient = optional(instanceId);

function parseJson(text: string, maxBytes: number): unknown {
  if (text.length > maxBytes) throw new ProtocolError(`packet is larger than ${maxBytes} bytes`);
  try {
    return JSON.parse(text);
  } catch {
    throw new ProtocolError('packet is not valid JSON');
  }
}

function opcodeOf(raw: unknown, table: Record<string, Check<unknown>>): string {
  if (!isPlainObject(raw)) throw new ProtocolError('packet must be a JSON object');
  const { opcode } = raw;
  if (typeof opcode !== 'string') throw new ProtocolError('packet.opcode must be a string');
  if (!hasOwn(table, opcode)) throw new ProtocolError(`unknown opcode ${JSON.stringify(opcode.slice(0, 40))}`);
  return opcode;
}

const ENVELOPE_FIELDS = new Set(['opcode', 'payload', 'recipient', 'listener']);

/**
 * Validates one client → server packet (server side). Throws ProtocolError with the reason.
 * `bare` says the frame holds no field besides opcode, payload, recipient and listener (so the
 * server may forward it as it came, see Player.relay).
 */
export function decodeClientPacket(text: string): ClientPacket & { bare: boolean } {
  const raw = parseJson(text, L.MAX_FRAME_BYTES) as Record<string, unknown>;
  const opcode = opcodeOf(raw, clientOpcodes) as ClientPacket['opcode'];
  let bare = true;
  for (const field in raw) {
    if (!ENVELOPE_FIELDS.has(field)) {
      bare = false;
      break;
    }
  }
  return {
    opcode,
    payload: clientOpcodes[opcode](raw.payload, 'payload'),
    recipient: recipient(raw.recipient, 'recipient'),
    listener: listener(raw.listener, 'listener'),
    bare,
  } as ClientPacket & { bare: boolean };
}

/** What can be read of a packet that failed validation (its opcode and listener), so the reply can be correlated. */
export function salvageEnvelope(text: string): { opcode?: string; listener?: string } {
  try {
    const raw = JSON.parse(text) as unknown;
    if (!isPlainObject(raw)) return {};
    const opcode = typeof raw.opcode === 'string' ? raw.opcode : undefined;
    let salvaged: string | undefined;
    try {
      salvaged = listener(raw.listener, 'listener');
    } catch {
      salvaged = undefined;
    }
    return { opcode, listener: salvaged };
  } catch {
    return {};
  }
}

/** Validates one server → client packet (client side). */
export function decodeServerPacket(text: string): ServerPacket {
  const raw = parseJson(text, Infinity) as Record<string, unknown>;
  const opcode = opcodeOf(raw, serverOpcodes) as ServerPacket['opcode'];
  return {
    opcode,
    payload: serverOpcodes[opcode](raw.payload, 'payload'),
    origin: optional(origin)(raw.origin, 'origin'),
    listener: listener(raw.listener, 'listener'),
  } as ServerPacket;
}

/** Drops undefined fields so frames stay small and stable. */
export function encodePacket(packet: object): string {
  return JSON.stringify(packet);
}

const wholeListPayloads: Record<string, Check<unknown>> = listPayloads;
const listMethod = literal(...listMethods, ...(Object.keys(mergedListPayloads) as (keyof typeof mergedListPayloads)[]));
const counterMethod = literal(...(Object.keys(counterPayloads) as (keyof typeof counterPayloads)[]));
const mergedPayloads: Record<string, Check<unknown>> = mergedListPayloads;
const counterChecks: Record<string, Check<unknown>> = counterPayloads;

function decodePeerPacket(raw: unknown, path: string): PeerPacket {
  const opcode = opcodeOf(raw, peerOpcodes) as PeerPacket['opcode'];
  const fields = raw as Record<string, unknown>;
  const packet: Record<string, unknown> = { opcode };
  if (fields.origin !== undefined) packet.origin = instanceId(fields.origin, `${path}.origin`);
  if (fields.recipient !== undefined) packet.recipient = instanceId(fields.recipient, `${path}.recipient`);
  if (fields.sealed !== undefined) {
    // The relay forwards sealed private packets without reading them; the recipient validates the inside.
    if (opcode !== 'P_MSG' && opcode !== 'P_VAR' && opcode !== 'P_LIST') throw new ProtocolError(`${path}: only private packets can be sealed`);
    packet.sealed = sealedPair(fields.sealed, `${path}.sealed`);
    return packet as unknown as PeerPacket;
  }
  if (isSyncOpcode(opcode)) {
    packet.id = networkId(fields.id, `${path}.id`);
    packet.seq = count(fields.seq, `${path}.seq`);
    if (fields.writer !== undefined) packet.writer = instanceId(fields.writer, `${path}.writer`);
  }
  if (opcode === 'G_LIST' || opcode === 'P_LIST') {
    const m = listMethod(fields.method, `${path}.method`);
    packet.method = m;
    packet.payload = (wholeListPayloads[m] ?? mergedPayloads[m]!)(fields.payload, `${path}.payload`);
    if (fields.base !== undefined) packet.base = version(fields.base, `${path}.base`);
  } else if ((opcode === 'G_VAR' || opcode === 'P_VAR') && fields.method !== undefined) {
    const m = counterMethod(fields.method, `${path}.method`);
    packet.method = m;
    packet.payload = counterChecks[m]!(fields.payload, `${path}.payload`);
  } else {
    const payload = peerOpcodes[opcode](fields.payload, `${path}.payload`);
    if (payload !== undefined) packet.payload = payload;
  }
  return packet as unknown as PeerPacket;
}

/**
 * Validates one data-channel message: a single packet, or a batch (a JSON array of packets,
 * which is how the sync engine sends one frame's changes as one message).
 */
export function decodePeerMessage(text: string): PeerPacket[] {
  const raw = parseJson(text, L.MAX_IN_BAND_BYTES);
  if (!Array.isArray(raw)) return [decodePeerPacket(raw, 'packet')];
  if (raw.length > L.BATCH_MAX) throw new ProtocolError(`batch has more than ${L.BATCH_MAX} packets`);
  return raw.map((entry, index) => decodePeerPacket(entry, `batch[${index}]`));
}

/** One packet, or a batch when there are several. Throws if the message would exceed the channel limit. */
export function encodePeerMessage(packets: readonly PeerPacket[]): string {
  const text = JSON.stringify(packets.length === 1 ? packets[0] : packets);
  if (text.length > L.MAX_IN_BAND_BYTES) {
    throw new ProtocolError(`message is larger than ${L.MAX_IN_BAND_BYTES} bytes`);
  }
  return text;
}
