// readSignalFrame reads signals from their bytes without JSON.parse. It may only ever accept what
// decodeClientPacket accepts, with the same opcode and recipient and nothing else in the frame; so every
// case here, and thousands of mutations of them, are checked against decodeClientPacket itself.
import { describe, expect, it } from 'vitest';
import { skipJsonValue, skipSpace } from '../../src/protocol/json-scan.js';
import { decodeClientPacket, INSTANCE_ID_MAX, MAX_JSON_DEPTH } from '../../src/protocol/index.js';
import { readSignalFrame } from '../../src/protocol/signal-frame.js';

const ID = '00000001-0000-4000-8000-000000000000';
const CANDIDATE = 'a=candidate:1 1 udp 2122260223 192.0.2.1 54321 typ host generation 0 ufrag abcd network-id 1';
const bytes = (text: string): Buffer => Buffer.from(text, 'utf8');

/** What the fast reader says of a frame: the opcode and recipient it read, or undefined. */
function read(text: string): { opcode: string; recipient: string } | undefined {
  const data = bytes(text);
  const frame = readSignalFrame(data);
  return frame && { opcode: frame.opcode, recipient: data.toString('latin1', frame.recipientStart, frame.recipientEnd) };
}

/** What decodeClientPacket says, in the same terms: undefined unless it is a bare signal without a listener. */
function decoded(text: string): { opcode: string; recipient: string | undefined } | undefined {
  try {
    const packet = decodeClientPacket(text);
    const signal = ['ICE', 'MAKE_OFFER', 'MAKE_ANSWER'].includes(packet.opcode) && packet.bare && packet.listener === undefined;
    return signal ? { opcode: packet.opcode, recipient: packet.recipient } : undefined;
  } catch {
    return undefined;
  }
}

/** The one rule: accepted only if the decoder accepts it, and then read alike. */
function agrees(text: string): boolean {
  const fast = read(text);
  return fast === undefined || JSON.stringify(fast) === JSON.stringify(decoded(text));
}

/**
 * Mutates texts with up to `edits` random deletions, insertions or replacements of characters from
 * `alphabet`. Deterministic (a linear congruential generator from `seed`), so a failure can be replayed.
 */
function mutator(seed: number, alphabet: readonly string[]): (text: string, edits: number) => string {
  const random = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  return (text, edits) => {
    const chars = [...text];
    for (let left = 1 + random(edits); left > 0; left -= 1) {
      const at = random(chars.length + 1);
      const kind = random(3);
      if (kind === 0) chars.splice(at, 1);
      else if (kind === 1) chars.splice(at, 0, alphabet[random(alphabet.length)]!);
      else chars[at] = alphabet[random(alphabet.length)]!;
    }
    return chars.join('');
  };
}

const ours = (contents: unknown, opcode = 'ICE', recipient = ID): string => JSON.stringify({ opcode, payload: { type: 0, contents }, recipient });
const usual = [
  ours({ candidate: { candidate: `candidate:${CANDIDATE}`, sdpMLineIndex: 0, sdpMid: '0' }, type: 'candidate' }),
  ours({ type: 'offer', sdp: `v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n${CANDIDATE}\r\n` }, 'MAKE_OFFER'),
  ours({ type: 'answer', sdp: 'v=0\r\n' }, 'MAKE_ANSWER'),
  ours(['ciphertext+/=', 'iv==']),
  `{"opcode":"ICE","recipient":"${ID}","payload":{"type":0,"contents":{"candidate":"${CANDIDATE}","sentAt":1234.5}}}`,
  ` { "payload" : { "contents" : [ 1 , -0.5e+3 , true , false , null , "\\u00e9\\n\\"" , { } , [ ] ] , "type" : 1 } ,\r\n"recipient":"${ID}", "opcode":"ICE" }\n`,
  `{"opcode":"ICE","recipient":"${ID}","payload":{"type":0,"contents":{"text":"héllo ✓ 😀","n":0}}}`,
  `{"opcode":"ICE","recipient":"${'x'.repeat(INSTANCE_ID_MAX)}","payload":{"type":0,"contents":"s"}}`,
];

describe('readSignalFrame', () => {
  it('reads signals in the shapes clients send, as the decoder does', () => {
    for (const text of usual) {
      expect(read(text), text).toBeDefined();
      expect(read(text), text).toEqual(decoded(text));
    }
  });

  it('leaves everything else to the decoder', () => {
    const others = [
      JSON.stringify({ opcode: 'ICE', payload: { type: 0, contents: 1 }, recipient: ID, listener: 'l' }), // a listener
      JSON.stringify({ opcode: 'ICE', payload: { type: 0, contents: 1 }, recipient: ID, extra: 1 }), // another field
      JSON.stringify({ opcode: 'ICE', payload: { type: 0, contents: 1, extra: 1 }, recipient: ID }), // in the payload too
      JSON.stringify({ opcode: 'ICE', payload: { type: 0 }, recipient: ID }), // no contents
      JSON.stringify({ opcode: 'ICE', payload: { contents: 1 }, recipient: ID }), // no type
      JSON.stringify({ opcode: 'ICE', payload: { type: 0, contents: 1 } }), // no recipient
      JSON.stringify({ opcode: 'KEEPALIVE', payload: { type: 0, contents: 1 }, recipient: ID }), // not a signal
      JSON.stringify({ opcode: 'ICE', payload: { type: 2, contents: 1 }, recipient: ID }), // type out of range
      `{"opcode":"ICE","payload":{"type":0.0,"contents":1},"recipient":"${ID}"}`, // 0, written otherwise
      `{"opcode":"ICE","payload":{"type":01,"contents":1},"recipient":"${ID}"}`,
      `{"opcode":"IC\\u0045","payload":{"type":0,"contents":1},"recipient":"${ID}"}`, // escaped
      `{"opc\\u006fde":"ICE","payload":{"type":0,"contents":1},"recipient":"${ID}"}`,
      `{"opcode":"ICE","opcode":"ICE","payload":{"type":0,"contents":1},"recipient":"${ID}"}`, // twice
      `{"opcode":"ICE","payload":{"type":0,"type":0,"contents":1},"recipient":"${ID}"}`,
      JSON.stringify({ opcode: 'ICE', payload: { type: 0, contents: 1 }, recipient: '' }), // empty recipient
      JSON.stringify({ opcode: 'ICE', payload: { type: 0, contents: 1 }, recipient: 'x'.repeat(INSTANCE_ID_MAX + 1) }),
      JSON.stringify({ opcode: 'ICE', payload: { type: 0, contents: 1 }, recipient: 'tab\there' }), // not printable
      JSON.stringify({ opcode: 'ICE', payload: { type: 0, contents: 1 }, recipient: 'del\u007f' }),
      JSON.stringify({ opcode: 'ICE', payload: { type: 0, contents: 1 }, recipient: 'é' }), // printable, not ASCII
      `{"opcode":"ICE","payload":{"type":0,"contents":1},"recipient":"${ID}"} x`, // trailing bytes
      `{"opcode":"ICE","payload":{"type":0,"contents":01},"recipient":"${ID}"}`, // not JSON
      `{"opcode":"ICE","payload":{"type":0,"contents":"a\tb"},"recipient":"${ID}"}`, // a raw control character
      `{"opcode":"ICE","payload":{"type":0,"contents":"\\x"},"recipient":"${ID}"}`, // a bad escape
      `{"opcode":"ICE","payload":{"type":0,"contents":[1,]},"recipient":"${ID}"}`,
      `{"opcode":"ICE","payload":{"type":0,"contents":{"a":1,}},"recipient":"${ID}"}`,
      `{"opcode":"ICE","payload":{"type":0,"contents":1},"recipient":"${ID}",}`,
      '[]',
      '',
    ];
    for (const text of others) {
      expect(read(text), text).toBeUndefined();
      expect(agrees(text), text).toBe(true);
    }
  });

  it('takes contents nested exactly as deep as the decoder does', () => {
    const nested = (levels: number): unknown => (levels === 0 ? 1 : levels % 2 ? [nested(levels - 1)] : { a: nested(levels - 1) });
    expect(read(ours(nested(MAX_JSON_DEPTH)))).toBeDefined();
    expect(read(ours(nested(MAX_JSON_DEPTH + 1)))).toBeUndefined();
    expect(decoded(ours(nested(MAX_JSON_DEPTH + 1)))).toBeUndefined();
  });

  it('accepts no mutation of a signal that the decoder refuses or reads otherwise', () => {
    const mutate = mutator(17, ['{', '}', '[', ']', '"', '\\', ',', ':', ' ', '\n', '\t', '0', '1', '-', '.', 'e', 'u', 'a', 't', 'n', '\u0001', 'é']);
    let accepted = 0;
    for (let i = 0; i < 20_000; i += 1) {
      const text = mutate(usual[i % usual.length]!, 3);
      if (read(text)) accepted += 1;
      expect(agrees(text), text).toBe(true);
    }
    // Many mutations still are valid signals (a space, a changed character inside a string): the property was exercised.
    expect(accepted).toBeGreaterThan(1000);
  });
});

describe('skipJsonValue', () => {
  /** Whether the scanner takes all of `text` as one JSON value (spaces around it allowed). */
  const scans = (text: string, depth = 1000): boolean => {
    const data = bytes(text);
    const start = skipSpace(data, 0, data.length);
    const end = skipJsonValue(data, start, data.length, depth);
    return end >= 0 && skipSpace(data, end, data.length) === data.length;
  };
  const parses = (text: string): boolean => {
    try {
      JSON.parse(text);
      return true;
    } catch {
      return false;
    }
  };
  // biome-ignore format: a table of cases, kept compact
  const corpus = [
    '0', '-0', '1.5', '-1.5e10', '1E+2', '1e-2', '12345678901234567890', '"a"', '""', '"\\u0041\\uD83D\\uDE00"', '"\\ud800"',
    'true', 'false', 'null', '[]', '{}', '[1,[2,[3]]]', '{"a":{"b":[{"c":null}]}}', ' [ 1 , 2 ] ', '"é✓😀"',
    '01', '1.', '.5', '1e', '1e+', '-', '+1', '0x10', 'NaN', 'Infinity', 'tru', 'nul', 'True', '"a', 'a"', "'a'",
    '"\\a"', '"\\u12"', '"\\u12G4"', '"\t"', '"\n"', '[1,]', '[,1]', '{"a"}', '{"a":}', '{a:1}', '{"a":1,}', '{,}', '[1 2]',
    '{"a":1 "b":2}', '[', ']', '{', '}', '1 2', '"a" "b"', '',
  ];

  it('takes what JSON.parse takes, and nothing else', () => {
    for (const text of corpus) expect(scans(text), text).toBe(parses(text));
  });

  it('agrees with JSON.parse on mutations of JSON', () => {
    const mutate = mutator(5, [...'{}[]",:\\ \n0123456789.eE+-truefalsnu', '\u0000', '\u001f', 'é']);
    const valid = corpus.filter(parses);
    for (let i = 0; i < 20_000; i += 1) {
      const text = mutate(valid[i % valid.length]!, 1);
      expect(scans(text), text).toBe(parses(text));
    }
  });

  it('in long strings (read a word at a time) finds every byte that ends or breaks a plain run, wherever the string starts in memory', () => {
    // One odd byte at every position of a 150-byte string, the string at each of the four alignments.
    const odd = ['"', '\\', '\\n', '\\u00e9', '\\x', '\u0000', '\u001f', '\t', ' ', 'é', '😀', '\u007f'];
    for (const shift of [0, 1, 2, 3])
      for (const thing of odd)
        for (let at = 0; at <= 150; at += 1) {
          const text = `"${'a'.repeat(at)}${thing}${'b'.repeat(150 - at)}"`;
          const data = Buffer.concat([Buffer.alloc(shift, 0x20), bytes(text)]);
          const end = skipJsonValue(data, shift, data.length, 1);
          const taken = end >= 0 && end === data.length;
          expect(taken, `${JSON.stringify(thing)} at ${at}, shifted ${shift}`).toBe(parses(text));
        }
  });

  it('refuses arrays and objects nested deeper than asked', () => {
    expect(scans('[[1]]', 2)).toBe(true);
    expect(scans('[[1]]', 1)).toBe(false);
    expect(scans('[{}]', 1)).toBe(false);
    expect(scans('"[[[["', 0)).toBe(true);
  });
});
