// How long a forming link may take, and how long a retry waits (src/client/mesh/links.ts).
import { describe, expect, it } from 'vitest';
import { connectTimeoutFor, LINKS_PER_TIMEOUT, retryDelayMs } from '../../src/client/mesh/links.js';

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
});
