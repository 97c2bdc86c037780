// How long a forming link may take, and how long a retry waits (src/client/mesh/links.ts), also after
// the server refused its offer (src/protocol/relay-refusal.ts).
import { describe, expect, it } from 'vitest';
import { connectTimeoutFor, LINKS_PER_TIMEOUT, refusedDelayMs, retryDelayMs } from '../../src/client/mesh/links.js';
import { REFUSALS_TOLD_EVERY_MS, RelayRefusal, relayRetryAfterMs, Warning } from '../../src/protocol/index.js';

describe('connect timeout and retry backoff', () => {
  it('the connect timeout grows with the links forming at once', () => {
    expect(connectTimeoutFor(15_000, 1)).toBe(15_000);
    expect(connectTimeoutFor(15_000, 0)).toBe(15_000);
    expect(connectTimeoutFor(15_000, 1 + LINKS_PER_TIMEOUT)).toBe(30_000);
    expect(connectTimeoutFor(15_000, 15)).toBeGreaterThan(connectTimeoutFor(15_000, 7));
  });

  it('retries back off exponentially up to 4 s, jittered ±50 %', () => {
    expect([1, 2, 3, 4, 5, 6].map((attempt) => retryDelayMs(attempt, 0.5))).toEqual([250, 500, 1000, 2000, 4000, 4000]);
    expect(retryDelayMs(1, 0)).toBe(125);
    expect(retryDelayMs(5, 1)).toBe(6000);
    const delays = Array.from({ length: 200 }, () => retryDelayMs(3));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(500);
    expect(Math.max(...delays)).toBeLessThan(1500);
    expect(new Set(delays).size).toBeGreaterThan(100);
  });

  it('an offer a busy relay refused is offered again once the server would tell of a refusal again, then 1 s more, doubling up to 8 s, jittered ±50 %', () => {
    expect([1, 2, 3, 4, 5].map((refusal) => refusedDelayMs(refusal, 0.5))).toEqual([6000, 7000, 9000, 13_000, 13_000]);
    // Never sooner than the server tells a member of its refusals: one it did not hear of would leave its link waiting.
    expect(refusedDelayMs(1, 0)).toBe(REFUSALS_TOLD_EVERY_MS + 500);
    expect(refusedDelayMs(9, 1)).toBe(REFUSALS_TOLD_EVERY_MS + 12_000);
  });

  it("the relay's refusals say when offering again may help", () => {
    expect(relayRetryAfterMs(RelayRefusal.negotiations(32))).toBe(0);
    expect(relayRetryAfterMs(RelayRefusal.negotiationsPerAddress(16))).toBe(0);
    expect(relayRetryAfterMs(RelayRefusal.offers(12, 4200))).toBe(5000);
    expect(relayRetryAfterMs(RelayRefusal.links(64))).toBeNull();
    // Not a refusal of an offer: nothing to offer again.
    expect(relayRetryAfterMs(RelayRefusal.bytes(256 * 1024))).toBeUndefined();
    expect(relayRetryAfterMs(Warning.relayLost)).toBeUndefined();
    expect(relayRetryAfterMs(Warning.peerInvalid)).toBeUndefined();
  });
});
