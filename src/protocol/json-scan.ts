// Checks that bytes hold JSON (RFC 8259) without building it: the server forwards a signal's `contents`
// as it came and never reads it, so building its objects (what JSON.parse spends most of its time on) is
// waste. The bytes must be valid UTF-8 already (ws checks every text frame): inside strings any byte from
// 0x20 up is taken as it is, as JSON.parse takes any character from U+0020 up.

/** Bytes a string may hold as they are: from 0x20 up, but not `"` or `\`. */
const PLAIN = new Uint8Array(256).fill(1, 0x20);
PLAIN[0x22] = 0;
PLAIN[0x5c] = 0;
/** What may follow a `\` besides `u`. */
const ESCAPED = new Uint8Array(256);
for (const c of '"\\/bfnrt') ESCAPED[c.charCodeAt(0)] = 1;
const HEX = new Uint8Array(256);
for (const c of '0123456789abcdefABCDEF') HEX[c.charCodeAt(0)] = 1;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
export const OPEN_OBJECT = 0x7b;
export const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const TRUE = [0x74, 0x72, 0x75, 0x65];
const FALSE = [0x66, 0x61, 0x6c, 0x73, 0x65];
const NULL = [0x6e, 0x75, 0x6c, 0x6c];

const isDigit = (c: number): boolean => c >= ZERO && c <= 0x39;

/** Past JSON whitespace (space, tab, LF, CR) from `at`. */
export function skipSpace(bytes: Uint8Array, at: number, end: number): number {
  while (at < end) {
    const c = bytes[at]!;
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
    at += 1;
  }
  return at;
}

/** Strings still plain after this many bytes go on a 32-bit word at a time (the view over them costs an allocation). */
const WORDWISE_FROM = 64;
const ONES = 0x01010101;
const HIGHS = 0x80808080;

/**
 * Past the plain bytes (0x20 and up, not `"` or `\\`) from `at`, a word at a time: a word holds none of the
 * others when it has no byte below 0x20 and no byte equal to either (the "has less" and "has zero" bit
 * tests of a word; each says exactly whether such a byte is there). Stops at the first word that has one.
 */
function skipPlainWords(bytes: Uint8Array, at: number, end: number): number {
  const aligned = at + ((4 - ((bytes.byteOffset + at) & 3)) & 3);
  const count = (end - aligned) >>> 2;
  if (count < 4) return at;
  while (at < aligned && PLAIN[bytes[at]!] === 1) at += 1;
  if (at < aligned) return at;
  const words = new Int32Array(bytes.buffer, bytes.byteOffset + aligned, count);
  let i = 0;
  for (; i < count; i += 1) {
    const w = words[i]!;
    const quote = w ^ 0x22222222;
    const backslash = w ^ 0x5c5c5c5c;
    if ((((w - 0x20202020) & ~w) | ((quote - ONES) & ~quote) | ((backslash - ONES) & ~backslash)) & HIGHS) break;
  }
  return aligned + 4 * i;
}

/** Past the plain bytes from `at`, four at a time, up to `end` (the last 0–3 are left to the caller). */
function skipPlainQuads(bytes: Uint8Array, at: number, end: number): number {
  while (at + 4 <= end && (PLAIN[bytes[at]!]! & PLAIN[bytes[at + 1]!]! & PLAIN[bytes[at + 2]!]! & PLAIN[bytes[at + 3]!]!) === 1) at += 4;
  return at;
}

/** The end of the string whose opening quote is just before `at` (past its closing quote), or -1 if it is not one. */
export function skipStringBody(bytes: Uint8Array, at: number, end: number): number {
  for (;;) {
    // Most of a string is plain bytes: four at a time through its first WORDWISE_FROM (a key or a short value
    // ends there: `end` is the payload's, not the string's), a word at a time on from there, then the rest.
    const first = Math.min(end, at + WORDWISE_FROM);
    at = skipPlainQuads(bytes, at, first);
    if (at + 4 > first && end - at >= WORDWISE_FROM) at = skipPlainWords(bytes, at, end);
    at = skipPlainQuads(bytes, at, end);
    while (at < end && PLAIN[bytes[at]!] === 1) at += 1;
    if (at >= end) return -1;
    const c = bytes[at]!;
    if (c === QUOTE) return at + 1;
    // A control character, or a `\` that must start a valid escape.
    if (c !== BACKSLASH || at + 1 >= end) return -1;
    const escaped = bytes[at + 1]!;
    if (ESCAPED[escaped] === 1) at += 2;
    else if (escaped === 0x75 && at + 5 < end && HEX[bytes[at + 2]!]! & HEX[bytes[at + 3]!]! & HEX[bytes[at + 4]!]! & HEX[bytes[at + 5]!]!) at += 6;
    else return -1;
  }
}

/** The end of the number starting at `at` (`-? (0 | [1-9][0-9]*) (.[0-9]+)? ([eE][+-]?[0-9]+)?`), or -1. */
function skipNumber(bytes: Uint8Array, at: number, end: number): number {
  if (bytes[at] === MINUS) at += 1;
  if (at >= end) return -1;
  if (bytes[at] === ZERO) at += 1;
  else if (isDigit(bytes[at]!)) at = skipDigits(bytes, at + 1, end);
  else return -1;
  if (at < end && bytes[at] === DOT) {
    if (at + 1 >= end || !isDigit(bytes[at + 1]!)) return -1;
    at = skipDigits(bytes, at + 2, end);
  }
  if (at < end && (bytes[at] === 0x65 || bytes[at] === 0x45)) {
    at += 1;
    if (at < end && (bytes[at] === PLUS || bytes[at] === MINUS)) at += 1;
    if (at >= end || !isDigit(bytes[at]!)) return -1;
    at = skipDigits(bytes, at + 1, end);
  }
  return at;
}

function skipDigits(bytes: Uint8Array, at: number, end: number): number {
  while (at < end && isDigit(bytes[at]!)) at += 1;
  return at;
}

function skipWord(bytes: Uint8Array, at: number, end: number, word: readonly number[]): number {
  if (at + word.length > end) return -1;
  for (let i = 0; i < word.length; i += 1) if (bytes[at + i] !== word[i]) return -1;
  return at + word.length;
}

/**
 * The end of the JSON value starting at `at` (no whitespace before it), or -1 if there is none, or if
 * arrays and objects nest in it more than `depth` deep (the value itself, if one, is the first level).
 */
export function skipJsonValue(bytes: Uint8Array, at: number, end: number, depth: number): number {
  if (at >= end) return -1;
  const c = bytes[at]!;
  if (c === QUOTE) return skipStringBody(bytes, at + 1, end);
  if (c === OPEN_OBJECT) return depth > 0 ? skipObjectBody(bytes, at + 1, end, depth - 1) : -1;
  if (c === OPEN_ARRAY) return depth > 0 ? skipArrayBody(bytes, at + 1, end, depth - 1) : -1;
  if (c === TRUE[0]) return skipWord(bytes, at, end, TRUE);
  if (c === FALSE[0]) return skipWord(bytes, at, end, FALSE);
  if (c === NULL[0]) return skipWord(bytes, at, end, NULL);
  return skipNumber(bytes, at, end);
}

function skipObjectBody(bytes: Uint8Array, at: number, end: number, depth: number): number {
  at = skipSpace(bytes, at, end);
  if (at < end && bytes[at] === CLOSE_OBJECT) return at + 1;
  for (;;) {
    if (at >= end || bytes[at] !== QUOTE) return -1;
    at = skipStringBody(bytes, at + 1, end);
    if (at < 0) return -1;
    at = skipSpace(bytes, at, end);
    if (at >= end || bytes[at] !== COLON) return -1;
    at = skipJsonValue(bytes, skipSpace(bytes, at + 1, end), end, depth);
    if (at < 0) return -1;
    at = skipSpace(bytes, at, end);
    if (at >= end) return -1;
    if (bytes[at] === CLOSE_OBJECT) return at + 1;
    if (bytes[at] !== COMMA) return -1;
    at = skipSpace(bytes, at + 1, end);
  }
}

function skipArrayBody(bytes: Uint8Array, at: number, end: number, depth: number): number {
  at = skipSpace(bytes, at, end);
  if (at < end && bytes[at] === CLOSE_ARRAY) return at + 1;
  for (;;) {
    at = skipJsonValue(bytes, at, end, depth);
    if (at < 0) return -1;
    at = skipSpace(bytes, at, end);
    if (at >= end) return -1;
    if (bytes[at] === CLOSE_ARRAY) return at + 1;
    if (bytes[at] !== COMMA) return -1;
    at = skipSpace(bytes, at + 1, end);
  }
}
