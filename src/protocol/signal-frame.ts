// Most of what a signalling server reads are signals (MAKE_OFFER, MAKE_ANSWER, ICE), and the server only
// forwards their payload. This reads a signal straight from a text frame's bytes (valid UTF-8: ws checks
// every text frame) and checks it as decodeClientPacket would, without building the payload's objects:
// JSON.parse of a signal was a quarter of the server's time at 8 signals in flight (docs/performance.md).
//
// It only ever accepts: a frame in the usual shape, which decodeClientPacket would accept with exactly
// these fields, gives its opcode and recipient; anything else (another opcode, a `listener` or any other
// field, a key written twice or with escapes, a recipient that is not printable ASCII, a `type` written
// other than 0 or 1, a missing field, whatever is not JSON) gives undefined, and the caller decodes the
// frame's text as before, which accepts or refuses it with the reason.
//
// Server only: not exported from index.ts, so the client's bundle does not carry it.
import { OPEN_OBJECT, CLOSE_OBJECT, skipJsonValue, skipSpace } from './json-scan.js';
import { INSTANCE_ID_MAX, MAX_FRAME_BYTES, MAX_JSON_DEPTH } from './limits.js';
import type { RelayedOpcode } from './out-of-band.js';

export interface SignalFrame {
  opcode: RelayedOpcode;
  /** The recipient's characters are the bytes [recipientStart, recipientEnd): printable ASCII. */
  recipientStart: number;
  recipientEnd: number;
}

const ascii = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));
const OPCODE = ascii('opcode');
const RECIPIENT = ascii('recipient');
const PAYLOAD = ascii('payload');
const TYPE = ascii('type');
const CONTENTS = ascii('contents');
const OPCODES: readonly [Uint8Array, RelayedOpcode][] = (['ICE', 'MAKE_OFFER', 'MAKE_ANSWER'] as const).map((name) => [ascii(name), name]);

const QUOTE = 0x22;
const COMMA = 0x2c;
const COLON = 0x3a;

/**
 * Whether the string starting at `at` (after its opening quote) is `word`: `word` then the closing quote.
 * `word` holds no quote or backslash, so no escape can make these bytes mean anything else.
 */
function stringIs(bytes: Uint8Array, at: number, word: Uint8Array): boolean {
  for (let i = 0; i < word.length; i += 1) if (bytes[at + i] !== word[i]) return false;
  return bytes[at + word.length] === QUOTE;
}

/** Reads the frame as a signal in the usual shape, or gives undefined (then decode its text: see above). */
export function readSignalFrame(bytes: Uint8Array): SignalFrame | undefined {
  const end = bytes.length;
  if (end > MAX_FRAME_BYTES) return undefined;
  let at = skipSpace(bytes, 0, end);
  if (bytes[at] !== OPEN_OBJECT) return undefined;
  let opcode: RelayedOpcode | undefined;
  let recipientStart = -1;
  let recipientEnd = -1;
  let payload = false;
  for (;;) {
    // A key, its colon, and the value's first byte.
    at = skipSpace(bytes, at + 1, end);
    if (bytes[at] !== QUOTE) return undefined;
    const key = at + 1;
    const field =
      opcode === undefined && stringIs(bytes, key, OPCODE)
        ? OPCODE
        : recipientStart < 0 && stringIs(bytes, key, RECIPIENT)
          ? RECIPIENT
          : !payload && stringIs(bytes, key, PAYLOAD)
            ? PAYLOAD
            : undefined;
    if (field === undefined) return undefined;
    at = skipSpace(bytes, key + field.length + 1, end);
    if (bytes[at] !== COLON) return undefined;
    at = skipSpace(bytes, at + 1, end);
    if (bytes[at] !== QUOTE && field !== PAYLOAD) return undefined;
    if (field === OPCODE) {
      opcode = relayedOpcode(bytes, at + 1);
      if (opcode === undefined) return undefined;
      at += opcode.length + 2;
    } else if (field === RECIPIENT) {
      recipientStart = at + 1;
      recipientEnd = printableAscii(bytes, recipientStart, end);
      if (recipientEnd < 0) return undefined;
      at = recipientEnd + 1;
    } else {
      at = skipSignalPayload(bytes, at, end);
      if (at < 0) return undefined;
      payload = true;
    }
    at = skipSpace(bytes, at, end);
    if (bytes[at] === COMMA) continue;
    if (bytes[at] !== CLOSE_OBJECT || skipSpace(bytes, at + 1, end) !== end) return undefined;
    if (opcode === undefined || recipientStart < 0 || !payload) return undefined;
    return { opcode, recipientStart, recipientEnd };
  }
}

/** The relayed opcode the string starting at `at` (after its opening quote) names, if it is one. */
function relayedOpcode(bytes: Uint8Array, at: number): RelayedOpcode | undefined {
  for (const [word, opcode] of OPCODES) if (stringIs(bytes, at, word)) return opcode;
  return undefined;
}

/**
 * The end (its closing quote) of the string whose opening quote is just before `at`, if it is 1 to
 * INSTANCE_ID_MAX printable ASCII characters (what `instanceId` accepts, and more is left to it); else -1.
 */
function printableAscii(bytes: Uint8Array, at: number, end: number): number {
  const limit = Math.min(end, at + INSTANCE_ID_MAX + 1);
  for (let i = at; i < limit; i += 1) {
    const c = bytes[i]!;
    if (c === QUOTE) return i > at ? i : -1;
    if (c < 0x20 || c > 0x7e || c === 0x5c) return -1;
  }
  return -1;
}

/** Past `{"type":0|1,"contents":<JSON nested at most MAX_JSON_DEPTH deep>}` (either order, nothing else) at `at`, or -1. */
function skipSignalPayload(bytes: Uint8Array, at: number, end: number): number {
  if (bytes[at] !== OPEN_OBJECT) return -1;
  let type = false;
  let contents = false;
  for (;;) {
    at = skipSpace(bytes, at + 1, end);
    if (bytes[at] !== QUOTE) return -1;
    const key = at + 1;
    const field = !type && stringIs(bytes, key, TYPE) ? TYPE : !contents && stringIs(bytes, key, CONTENTS) ? CONTENTS : undefined;
    if (field === undefined) return -1;
    at = skipSpace(bytes, key + field.length + 1, end);
    if (bytes[at] !== COLON) return -1;
    at = skipSpace(bytes, at + 1, end);
    if (field === TYPE) {
      // 0 (SIGNAL_DATA) or 1 (SIGNAL_VOICE), written so; `0.0` or `1e0` are left to the decoder.
      if (bytes[at] !== 0x30 && bytes[at] !== 0x31) return -1;
      at += 1;
      type = true;
    } else {
      at = skipJsonValue(bytes, at, end, MAX_JSON_DEPTH);
      if (at < 0) return -1;
      contents = true;
    }
    at = skipSpace(bytes, at, end);
    if (bytes[at] === COMMA) continue;
    return bytes[at] === CLOSE_OBJECT && type && contents ? at + 1 : -1;
  }
}
