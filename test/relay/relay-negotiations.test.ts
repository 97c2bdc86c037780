// The relay's negotiation slots as the server counts them (relay-negotiations.ts): one per member and
// lobby, freed when the link opens or closes, when the lobby goes, or after the deadline if the relay
// process never said. (The limit against a real relay process: isolation.test.ts.)
import { describe, expect, it } from 'vitest';
import { RelayNegotiations } from '../../src/server/relay/relay-negotiations.js';

describe('RelayNegotiations', () => {
  it('admits up to the limit; a member offering again keeps its one slot; a slot done is free again', () => {
    const slots = new RelayNegotiations(2, 20_000);
    slots.start(1, 'ann', 0);
    expect(slots.admits(1, 'bob')).toBe(true);
    slots.start(1, 'bob', 0);
    expect(slots.admits(1, 'cat')).toBe(false);
    expect(slots.admits(2, 'ann')).toBe(false);
    // ann's new offer replaces her link: her own slot.
    expect(slots.admits(1, 'ann')).toBe(true);
    slots.start(1, 'ann', 10);
    expect(slots.size).toBe(2);
    slots.done(1, 'ann');
    slots.done(1, 'ann');
    expect(slots.size).toBe(1);
    expect(slots.admits(1, 'cat')).toBe(true);
  });

  it('a lobby forgotten frees its slots; a slot never reported on is freed after the deadline and a grace', () => {
    const slots = new RelayNegotiations(3, 20_000);
    slots.start(1, 'ann', 0);
    slots.start(1, 'bob', 0);
    slots.start(2, 'cat', 10_000);
    slots.forget(1);
    expect(slots.size).toBe(1);
    slots.sweep(30_000);
    expect(slots.size).toBe(1);
    slots.sweep(35_001);
    expect(slots.size).toBe(0);
    expect(slots.admits(2, 'dan')).toBe(true);
  });
});
