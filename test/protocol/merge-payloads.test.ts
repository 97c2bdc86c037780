// The merging sync methods on the wire: what the validators accept and the reasons they give.
import { describe, expect, it } from 'vitest';
import { decodePeerMessage } from '../../src/protocol/index.js';

const list = (method: string, payload: unknown, extra: object = {}) => JSON.stringify({ opcode: 'G_LIST', id: 'log', method, seq: 5, payload, ...extra });
const counter = (method: string, payload: unknown) => JSON.stringify({ opcode: 'G_VAR', id: 'score', method, seq: 3, payload });
const chunk = (items: unknown[], writers = ['a1'], extra: object = {}) => ({ part: 0, of: 1, clock: 9, ack: { a1: 9 }, floor: {}, writers, items, ...extra });

describe('merged list methods', () => {
  it('accepts every method in its documented shape', () => {
    expect(decodePeerMessage(list('insert', { after: [4, 'a1'], value: 'hi' }))[0]).toMatchObject({
      method: 'insert',
      payload: { after: [4, 'a1'], value: 'hi' },
    });
    expect(decodePeerMessage(list('insert', { after: null, value: 3 }))[0]).toMatchObject({ payload: { after: null, value: 3 } });
    expect(decodePeerMessage(list('delete', [4, 'a1']))[0]).toMatchObject({ payload: [4, 'a1'] });
    expect(decodePeerMessage(list('put', { item: [4, 'a1'], value: true }))[0]).toMatchObject({ payload: { item: [4, 'a1'], value: true } });
    expect(decodePeerMessage(list('clear', { a1: 4, b2: 0 }))[0]).toMatchObject({ payload: { a1: 4, b2: 0 } });
    expect(decodePeerMessage(list('ack', {}))[0]).toMatchObject({ method: 'ack', payload: {} });
    const state = chunk(
      [
        [1, 0, 'x', null],
        [2, 0, 'y'],
        [3, 0, 'z', 0, [4, 0], [5, 0], 0],
      ],
      ['a1'],
      { cleared: { a1: [2, 6, 'a1'] }, complete: true },
    );
    expect(decodePeerMessage(list('state', state))[0]).toMatchObject({ method: 'state', payload: state });
  });

  it('refuses malformed payloads with a reason that names the field', () => {
    expect(() => decodePeerMessage(list('insert', { value: 'x' }))).toThrow('packet.payload.after must be [seq, writer]');
    expect(() => decodePeerMessage(list('delete', [0, 'a1']))).toThrow('packet.payload[0] must be an integer from 1');
    expect(() => decodePeerMessage(list('put', { item: [1, ''], value: 'x' }))).toThrow('packet.payload.item[1]');
    expect(() => decodePeerMessage(list('clear', { a1: -1 }))).toThrow('packet.payload.a1');
    expect(() => decodePeerMessage(list('state', chunk([[1, 1, 'x']])))).toThrow('packet.payload.items[0][1] must be an integer from 0 to 0');
    expect(() => decodePeerMessage(list('state', chunk([[1, 0, { no: 1 }]])))).toThrow('packet.payload.items[0][2]');
    expect(() => decodePeerMessage(list('state', { ...chunk([]), part: 1, of: 1 }))).toThrow('packet.payload.part must be below');
    expect(() => decodePeerMessage(list('shuffle', []))).toThrow('packet.method must be one of');
  });

  it('keeps a writer named "__proto__" a plain entry', () => {
    const [packet] = decodePeerMessage('{"opcode":"G_LIST","id":"log","method":"ack","seq":0,"payload":{"__proto__":7}}');
    const ack = (packet as { payload: Record<string, number> }).payload;
    expect(Object.getPrototypeOf(ack)).toBe(Object.prototype);
    expect(Object.entries(ack)).toEqual([['__proto__', 7]]);
  });
});

describe('counter methods', () => {
  it('accepts add, set and state', () => {
    expect(decodePeerMessage(counter('add', -2.5))[0]).toMatchObject({ opcode: 'G_VAR', method: 'add', seq: 3, payload: -2.5 });
    expect(decodePeerMessage(counter('set', { value: 0, seen: { a1: [3, 3] } }))[0]).toMatchObject({ payload: { value: 0, seen: { a1: [3, 3] } } });
    const state = { entries: { a1: [3, 3] }, set: { version: [2, 'b2'], value: 10, seen: {} } };
    expect(decodePeerMessage(counter('state', state))[0]).toMatchObject({ payload: state });
    expect(decodePeerMessage(counter('state', { entries: {}, set: null }))[0]).toMatchObject({ payload: { entries: {}, set: null } });
  });

  it('refuses what a counter cannot hold', () => {
    expect(() => decodePeerMessage(counter('add', '3'))).toThrow('packet.payload must be a finite number');
    // JSON has no Infinity, but a huge exponent parses to it.
    expect(() => decodePeerMessage('{"opcode":"G_VAR","id":"score","method":"add","seq":3,"payload":1e400}')).toThrow('packet.payload must be a finite number');
    expect(() => decodePeerMessage(counter('set', { value: 0, seen: { a1: [1] } }))).toThrow('packet.payload.seen.a1 must be [changes, total]');
    expect(() => decodePeerMessage(counter('state', { entries: {}, set: { value: 1, seen: {} } }))).toThrow('packet.payload.set.version');
    expect(() => decodePeerMessage(counter('merge', 1))).toThrow('packet.method must be one of');
  });

  it('a G_VAR without a method stays the plain variable', () => {
    expect(decodePeerMessage(JSON.stringify({ opcode: 'G_VAR', id: 'score', seq: 1, payload: 'x' }))[0]).toEqual({
      opcode: 'G_VAR',
      id: 'score',
      seq: 1,
      payload: 'x',
    });
  });
});
