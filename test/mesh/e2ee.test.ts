// E2EE primitives and the per-peer signal queue, without a network.
import { describe, expect, it } from 'vitest';
import { isSealed, KeyPair, open, seal } from '../../src/client/e2ee.js';
import { SignalCodec } from '../../src/client/mesh/signal-codec.js';
import { until } from '../helpers/until.js';

describe('e2ee', () => {
  it('two key pairs derive the same AES key; a third party cannot open', async () => {
    const [a, b, c] = await Promise.all([KeyPair.generate(), KeyPair.generate(), KeyPair.generate()]);
    expect(atob(a.publicKey).length).toBe(91); // SPKI of an uncompressed P-256 point
    const sealed = await seal(await a.sharedKey(b.publicKey), { type: 'offer', sdp: 'v=0' });
    expect(isSealed(sealed)).toBe(true);
    expect(atob(sealed[1]).length).toBe(12);
    expect(await open(await b.sharedKey(a.publicKey), sealed)).toEqual({ type: 'offer', sdp: 'v=0' });
    await expect(open(await c.sharedKey(a.publicKey), sealed)).rejects.toThrow();
    expect(a.sharedKey(b.publicKey)).toBe(a.sharedKey(b.publicKey)); // cached
  });

  it('keeps signal order per peer through async encryption, and reports undecryptable ones', async () => {
    const [a, b] = await Promise.all([KeyPair.generate(), KeyPair.generate()]);
    const keys: Record<string, string> = { A: a.publicKey, B: b.publicKey };
    const codecA = new SignalCodec(a, (id) => keys[id]);
    const codecB = new SignalCodec(b, (id) => keys[id]);
    const wire: unknown[] = [];
    const got: unknown[] = [];
    const errors: string[] = [];
    for (let i = 0; i < 50; i += 1)
      codecA.encode(
        'B',
        { candidate: i },
        (c) => wire.push(c),
        (e) => errors.push(e.message),
      );
    await until(() => wire.length + errors.length === 50, 'all 50 signals sealed');
    expect(wire.length).toBe(50);
    expect(wire.every(isSealed)).toBe(true);
    wire.splice(10, 0, ['AAAA', 'AAAAAAAAAAAAAAAA']); // garbage in the middle
    for (const c of wire)
      codecB.decode(
        'A',
        c,
        (s) => got.push(s),
        (e) => errors.push(e.message),
      );
    await until(() => got.length + errors.length === 51, 'all 51 signals opened or refused');
    expect(got).toEqual(Array.from({ length: 50 }, (_, i) => ({ candidate: i })));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('signal with A failed');
  });

  it('signals in the clear when either side lacks a key', async () => {
    const a = await KeyPair.generate();
    const codec = new SignalCodec(a, () => undefined);
    const out: unknown[] = [];
    codec.encode(
      'X',
      { type: 'offer' },
      (c) => out.push(c),
      () => {},
    );
    expect(out).toEqual([{ type: 'offer' }]); // synchronous, unchanged
    const errors: string[] = [];
    codec.decode(
      'X',
      ['abc', 'def'],
      () => {},
      (e) => errors.push(e.message),
    );
    await until(() => errors.length === 1, 'the signal refused');
    expect(errors[0]).toContain('without a shared key');
  });
});
