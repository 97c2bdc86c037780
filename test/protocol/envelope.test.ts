import { describe, expect, it } from 'vitest';
import {
  decodeClientPacket,
  decodePeerMessage,
  decodeServerPacket,
  encodePeerMessage,
  MAX_FRAME_BYTES,
  MAX_IN_BAND_BYTES,
  MAX_JSON_DEPTH,
  ProtocolError,
  salvageEnvelope,
  type PeerPacket,
} from '../../src/protocol/index.js';

const reason = (fn: () => unknown): string => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ProtocolError);
    return (error as Error).message;
  }
  throw new Error('expected a ProtocolError');
};

describe('client → server packets', () => {
  it('accepts a valid INIT and keeps listener, drops unknown fields', () => {
    const packet = decodeClientPacket(JSON.stringify({ opcode: 'INIT', payload: { username: 'ann', extra: 1 }, listener: 'l1', junk: true }));
    expect(packet).toEqual({ opcode: 'INIT', payload: { username: 'ann' }, listener: 'l1', recipient: undefined, bare: false });
  });

  it('says whether a frame holds nothing but the envelope fields (so it may be forwarded as it came)', () => {
    const signal = { opcode: 'ICE', recipient: 'bob', payload: { type: 0, contents: { candidate: 'c' } } };
    expect(decodeClientPacket(JSON.stringify(signal)).bare).toBe(true);
    expect(decodeClientPacket(JSON.stringify({ ...signal, listener: 'l2' })).bare).toBe(true);
    expect(decodeClientPacket(JSON.stringify({ ...signal, origin: { instance_id: 'host' } })).bare).toBe(false);
    expect(decodeClientPacket('{"opcode":"ICE","recipient":"bob","payload":{"type":0,"contents":1},"__proto__":{}}').bare).toBe(false);
  });

  it.each([
    ['not json', '{', 'packet is not valid JSON'],
    ['array', '[]', 'packet must be a JSON object'],
    ['missing opcode', '{}', 'packet.opcode must be a string'],
    ['unknown opcode', '{"opcode":"NOPE"}', 'unknown opcode "NOPE"'],
    ['username type', '{"opcode":"INIT","payload":{"username":5}}', 'payload.username must be a string'],
    ['empty username', '{"opcode":"INIT","payload":{"username":""}}', 'payload.username must be 1–64 characters long'],
    ['control char', '{"opcode":"INIT","payload":{"username":"a\\u0007b"}}', 'payload.username must be printable text'],
    [
      'max players',
      '{"opcode":"CREATE_LOBBY","payload":{"name":"x","max_players":-2,"password":"","locked":false,"enable_relay":false}}',
      'payload.max_players must be an integer from -1 to 1000',
    ],
    ['manage method', '{"opcode":"MANAGE_LOBBY","payload":{"method":"explode","args":null}}', 'payload.method must be one of'],
    ['signal type', '{"opcode":"ICE","payload":{"type":7,"contents":{}},"recipient":"x"}', 'payload.type must be one of 0, 1'],
    ['listener type', '{"opcode":"KEEPALIVE","listener":5}', 'listener must be a string'],
    ['payload on KEEPALIVE', '{"opcode":"KEEPALIVE","payload":{"a":1}}', 'payload must be empty'],
  ])('rejects %s with a clear reason', (_name, text, expected) => {
    expect(reason(() => decodeClientPacket(text))).toContain(expected);
  });

  it('rejects frames over the size limit before parsing', () => {
    const big = JSON.stringify({ opcode: 'FIND_LOBBY', payload: 'x'.repeat(MAX_FRAME_BYTES) });
    expect(reason(() => decodeClientPacket(big))).toContain('larger than');
  });

  it('refuses any-JSON payloads nested deeper than MAX_JSON_DEPTH, whatever their size', () => {
    const nested = (levels: number): unknown => {
      let value: unknown = 'leaf';
      for (let i = 0; i < levels; i += 1) value = i % 2 ? [value] : { v: value };
      return value;
    };
    const signal = (contents: unknown) => JSON.stringify({ opcode: 'ICE', recipient: 'b', payload: { type: 0, contents } });
    expect(decodeClientPacket(signal(nested(MAX_JSON_DEPTH))).payload).toEqual({ type: 0, contents: nested(MAX_JSON_DEPTH) });
    expect(reason(() => decodeClientPacket(signal(nested(MAX_JSON_DEPTH + 1))))).toBe(
      `payload.contents must be JSON nested at most ${MAX_JSON_DEPTH} levels deep`,
    );
    // 20,000 deep is 60 KB: it fits a frame, parses, and would throw RangeError when serialised again.
    const deep = `{"opcode":"ICE","recipient":"b","payload":{"type":0,"contents":${'['.repeat(20_000)}${']'.repeat(20_000)}}}`;
    expect(reason(() => decodeClientPacket(deep))).toContain('nested at most');
    expect(reason(() => decodePeerMessage(JSON.stringify({ opcode: 'G_MSG', payload: nested(100) })))).toBe(
      `packet.payload must be JSON nested at most ${MAX_JSON_DEPTH} levels deep`,
    );
  });

  it('salvages the listener of a bad packet so the WARNING can be correlated', () => {
    expect(salvageEnvelope('{"opcode":"INIT","payload":1,"listener":"abc"}')).toEqual({ opcode: 'INIT', listener: 'abc' });
    expect(salvageEnvelope('{"opcode":"INIT","listener":7}')).toEqual({ opcode: 'INIT', listener: undefined });
    expect(salvageEnvelope('{')).toEqual({});
  });
});

describe('server → client packets', () => {
  it('validates relayed signals with origin', () => {
    const packet = decodeServerPacket(
      JSON.stringify({ opcode: 'MAKE_OFFER', payload: { type: 0, contents: { sdp: 'x' } }, origin: { instance_id: 'a', username: 'b' } }),
    );
    expect(packet.origin).toEqual({ instance_id: 'a', username: 'b' });
  });

  it('accepts FIND_ACK as info or "not found" and nothing else', () => {
    expect(decodeServerPacket('{"opcode":"FIND_ACK","payload":"not found"}').payload).toBe('not found');
    expect(reason(() => decodeServerPacket('{"opcode":"FIND_ACK","payload":"nope"}'))).toContain('lobby info or "not found"');
  });
});

describe('in-band messages', () => {
  it('round-trips a single packet and a batch', () => {
    const one: PeerPacket[] = [{ opcode: 'G_MSG', payload: { hi: [1, 2] } }];
    expect(decodePeerMessage(encodePeerMessage(one))).toEqual(one);
    const batch: PeerPacket[] = [
      { opcode: 'G_VAR', id: 'score', payload: 5, seq: 3 },
      { opcode: 'G_LIST', id: 'l', method: 'replace', payload: { index: 2, value: 'x' }, seq: 4, base: [3, 'abc'] },
      { opcode: 'P_LIST', id: 'l', method: 'length', payload: 0, seq: 5 },
      { opcode: 'PING', payload: 17 },
      { opcode: 'PONG', payload: 16, recipient: 'abc' },
    ];
    expect(decodePeerMessage(encodePeerMessage(batch))).toEqual(batch);
  });

  it.each([
    ['var without id', '{"opcode":"G_VAR","payload":1,"seq":1}', 'packet.id must be a string'],
    ['var object value', '{"opcode":"G_VAR","payload":{},"id":"a","seq":1}', 'packet.payload must be a string, number or boolean'],
    ['list method', '{"opcode":"G_LIST","method":"pop","payload":1,"id":"a","seq":1}', 'packet.method must be one of'],
    ['replace shape', '{"opcode":"G_LIST","method":"replace","payload":{"index":-1,"value":1},"id":"a","seq":1}', 'packet.payload.index'],
    ['channel id', '{"opcode":"NEW_CHAN","payload":{"id":1,"label":"x","ordered":true}}', 'packet.payload.id must be an integer from 16'],
    ['batch entry', '[{"opcode":"G_MSG","payload":1},{"opcode":"X"}]', 'unknown opcode "X"'],
    ['ping without token', '{"opcode":"PING"}', 'packet.payload must be an integer'],
    ['pong token', '{"opcode":"PONG","payload":-1}', 'packet.payload must be an integer from 0'],
  ])('rejects %s', (_name, text, expected) => {
    expect(reason(() => decodePeerMessage(text))).toContain(expected);
  });

  it('refuses to encode a message over the channel limit', () => {
    expect(reason(() => encodePeerMessage([{ opcode: 'G_MSG', payload: 'x'.repeat(MAX_IN_BAND_BYTES) }]))).toContain('larger than');
  });
});
