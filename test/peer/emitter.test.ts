// The shared Emitter: a listener that throws stops neither the others nor the emitter, and is reported
// to the sink it was given (the server passes its JSON logger; the browser gets the console).
import { describe, expect, it } from 'vitest';
import { Emitter } from '../../src/peer/emitter.js';

describe('Emitter', () => {
  it('reports a throwing listener to the injected sink and still runs the others', () => {
    const reported: [string, string][] = [];
    const emitter = new Emitter<{ data: [n: number] }>((event, error) => reported.push([event, (error as Error).message]));
    const seen: number[] = [];
    emitter.on('data', () => {
      throw new Error('boom');
    });
    emitter.on('data', (n) => seen.push(n));
    emitter.emit('data', 7);
    expect(seen).toEqual([7]);
    expect(reported).toEqual([['data', 'boom']]);
  });

  it('once, off and removeAllListeners', () => {
    const emitter = new Emitter<{ tick: [] }>();
    let count = 0;
    emitter.once('tick', () => (count += 1));
    const off = emitter.on('tick', () => (count += 10));
    emitter.emit('tick');
    off();
    emitter.emit('tick');
    expect(count).toBe(11);
    emitter.on('tick', () => (count += 100));
    emitter.removeAllListeners();
    emitter.emit('tick');
    expect(count).toBe(11);
  });
});
