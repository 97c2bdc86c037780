// The relay's negotiation slots as the server counts them (relay-negotiations.ts): one per member and
// lobby, freed when the link opens or closes, when the lobby goes, or after the deadline if the relay
// process never said; one address holds at most its share. (The limits against a real relay process:
// isolation.test.ts, negotiation-share.test.ts.)
import { describe, expect, it } from 'vitest';
import { RelayNegotiations } from '../../src/server/relay/relay-negotiations.js';

const A = '127.0.0.2';
const B = '127.0.0.3';

describe('RelayNegotiations', () => {
  it('admits up to the limit; a member offering again keeps its one slot; a slot done is free again', () => {
    const slots = new RelayNegotiations(2, 0, 20_000);
    slots.start(1, 'ann', A, 0);
    expect(slots.refusal(1, 'bob', A)).toBe(null);
    slots.start(1, 'bob', A, 0);
    expect(slots.refusal(1, 'cat', B)).toBe('full');
    expect(slots.refusal(2, 'ann', A)).toBe('full');
    // ann's new offer replaces her link: her own slot.
    expect(slots.refusal(1, 'ann', A)).toBe(null);
    slots.start(1, 'ann', A, 10);
    expect(slots.size).toBe(2);
    expect(slots.heldBy(A)).toBe(2);
    slots.done(1, 'ann');
    slots.done(1, 'ann');
    expect(slots.size).toBe(1);
    expect(slots.heldBy(A)).toBe(1);
    expect(slots.refusal(1, 'cat', B)).toBe(null);
  });

  it('one address holds at most its share; the slots it leaves stay for others; its slot done, it may start another', () => {
    const slots = new RelayNegotiations(4, 2, 20_000);
    slots.start(1, 'eve1', A, 0);
    slots.start(2, 'eve2', A, 0);
    expect(slots.refusal(1, 'eve3', A)).toBe('share');
    // A member that holds a slot keeps it whatever its address holds.
    expect(slots.refusal(2, 'eve2', A)).toBe(null);
    expect(slots.refusal(1, 'bob', B)).toBe(null);
    slots.start(1, 'bob', B, 0);
    slots.start(1, 'cat', B, 0);
    // Full: 'full' before 'share', whoever asks.
    expect(slots.refusal(1, 'dan', B)).toBe('full');
    expect(slots.refusal(1, 'eve3', A)).toBe('full');
    slots.done(2, 'eve2');
    expect(slots.refusal(1, 'eve3', A)).toBe(null);
    expect(slots.refusal(1, 'dan', B)).toBe('share');
  });

  it('a member whose address changed (it resumed elsewhere) moves its slot to the new address', () => {
    const slots = new RelayNegotiations(4, 1, 20_000);
    slots.start(1, 'ann', A, 0);
    slots.start(1, 'ann', B, 5);
    expect([slots.size, slots.heldBy(A), slots.heldBy(B)]).toEqual([1, 0, 1]);
    expect(slots.refusal(1, 'bob', A)).toBe(null);
    slots.done(1, 'ann');
    expect([slots.size, slots.heldBy(B)]).toEqual([0, 0]);
  });

  it('a lobby forgotten frees its slots; a slot never reported on is freed after the deadline and a grace', () => {
    const slots = new RelayNegotiations(4, 2, 20_000);
    slots.start(1, 'ann', A, 0);
    slots.start(1, 'bob', A, 0);
    slots.start(2, 'cat', B, 10_000);
    expect(slots.refusal(2, 'dan', A)).toBe('share');
    slots.forget(1);
    expect([slots.size, slots.heldBy(A)]).toEqual([1, 0]);
    slots.sweep(30_000);
    expect(slots.size).toBe(1);
    slots.sweep(35_001);
    expect([slots.size, slots.heldBy(B)]).toEqual([0, 0]);
    expect(slots.refusal(2, 'dan', A)).toBe(null);
  });
});
