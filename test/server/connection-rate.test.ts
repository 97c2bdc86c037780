// New connections per address (connection-rate.ts), on a clock the test moves: a burst, then the refill;
// a violation's cost bounded by one burst of debt; which refusals are told; off at 0.
import { afterEach, expect, it } from 'vitest';
import { ConnectionRate, TOLD_REFUSALS } from '../../src/server/connection-rate.js';

let now = 0;
const rates: ConnectionRate[] = [];
afterEach(() => {
  for (const rate of rates.splice(0)) rate.stop();
});
const connectionRate = (perSecond: number, burst: number, violationCost: number) => {
  const rate = new ConnectionRate({ perSecond, burst, violationCost }, () => now);
  rates.push(rate);
  return rate;
};

it('admits a burst at once, then one per refill, each address on its own', () => {
  const rate = connectionRate(2, 3, 0);
  expect([1, 2, 3, 4].map(() => rate.take('10.0.0.1'))).toEqual([0, 0, 0, 500]);
  expect(rate.take('10.0.0.2')).toBe(0);
  now += 500;
  expect(rate.take('10.0.0.1')).toBe(0);
  expect(rate.take('10.0.0.1')).toBe(500);
});

it('a violation costs its address more, but never more than one burst of debt', () => {
  const rate = connectionRate(1, 4, 3);
  expect(rate.take('10.0.0.1')).toBe(0);
  rate.penalize('10.0.0.1');
  // 4 - 1 - 3 = 0 left: a second until the next.
  expect(rate.take('10.0.0.1')).toBe(1000);
  for (let cut = 0; cut < 100; cut += 1) rate.penalize('10.0.0.1');
  // Down to -4 at most: 5 s until one token, however many cuts.
  expect(rate.take('10.0.0.1')).toBe(5000);
  now += 5000;
  expect(rate.take('10.0.0.1')).toBe(0);
});

it(`tells ${TOLD_REFUSALS.burst} refusals of an address at once, then ${TOLD_REFUSALS.perSecond} a second`, () => {
  const rate = connectionRate(1, 1, 0);
  const told = Array.from({ length: TOLD_REFUSALS.burst + 2 }, () => rate.tell('10.0.0.1'));
  expect(told).toEqual([...Array(TOLD_REFUSALS.burst).fill(true), false, false]);
  expect(rate.tell('10.0.0.2')).toBe(true);
  now += 1000 / TOLD_REFUSALS.perSecond;
  expect(rate.tell('10.0.0.1')).toBe(true);
  expect(rate.tell('10.0.0.1')).toBe(false);
});

it('at 0 a second, refuses nothing and a violation costs nothing', () => {
  const rate = connectionRate(0, 1, 10);
  rate.penalize('10.0.0.1');
  expect(Array.from({ length: 1000 }, () => rate.take('10.0.0.1')).every((wait) => wait === 0)).toBe(true);
});
