// The create/join/leave race in TurboWarp in Chromium (compiler on, the browser's own WebSocket and
// WebRTC): with a `forever` loop running, 50 cycles of create → read → leave → read → join → read →
// leave → read, and every read on the block after a lobby block already shows its result. The page's
// WebSocket hands on each server message 10 ms after the one before, as packets of one burst arrive
// over a real network: on 127.0.0.1 they come in one read, and the frames that made reads stale on a
// real network (a reply, a frame, then the lobby change) would never run in between. (Without the
// core's waits, 140 of the 200 reads here were stale.)
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectedCycle, lobbyRaceSb3, RACE_CYCLES } from '../scratch/lobby-race-project.js';
import { CHURN_LIMITS_OFF } from '../helpers/churn-limits.js';
import { broadcastTo, connectPage, eventually, expectClean, startHarness, valueIn, type Harness } from './harness.js';

let harness: Harness;

async function connected(name: string): Promise<Page> {
  const page = await harness.open('race.sb3');
  await page.evaluate(spaceServerMessages);
  await connectPage(page, harness.signalling.wsUrl, name);
  return page;
}

/**
 * Run in the page: its WebSocket class hands each message (and the close) to its handler one task
 * each, `SPACING_MS` apart, in order. Plain JavaScript in a string: a function passed to evaluate
 * would carry the test transform's helpers (`__name`), which the page lacks.
 */
const SPACING_MS = 10;
const spaceServerMessages = `(() => {
  const Native = window.WebSocket;
  window.WebSocket = class Spaced extends Native {
    constructor(url, protocols) {
      super(url, protocols);
      const queue = [];
      let lastAt = 0;
      let pumping = false;
      const pump = () => {
        const next = queue[0];
        if (!next) { pumping = false; return; }
        const wait = next.at - performance.now();
        if (wait > 0) { setTimeout(pump, wait); return; }
        queue.shift();
        next.run();
        setTimeout(pump, 0);
      };
      const later = (run) => {
        lastAt = Math.max(performance.now(), lastAt + ${SPACING_MS});
        queue.push({ at: lastAt, run });
        if (!pumping) { pumping = true; setTimeout(pump, 0); }
      };
      for (const name of ['onmessage', 'onclose']) {
        // The accessor may sit higher up (the test's page WebSocket is Playwright's routed one).
        let proto = Native.prototype;
        while (!Object.getOwnPropertyDescriptor(proto, name)) proto = Object.getPrototypeOf(proto);
        const own = Object.getOwnPropertyDescriptor(proto, name);
        Object.defineProperty(this, name, {
          configurable: true,
          get: () => own.get.call(this),
          set: (handler) => own.set.call(this, handler && ((event) => later(() => handler.call(this, event)))),
        });
      }
    }
  };
})()`;

const list = async (page: Page, name: string) => (await valueIn(page, name, 'list')) as string[];

beforeAll(async () => {
  // Fifty cycles as fast as a script runs them: more requests than the default rate limit lets through.
  harness = await startHarness({ server: CHURN_LIMITS_OFF });
  harness.serve('race.sb3', lobbyRaceSb3());
}, 60_000);

afterAll(async () => {
  await harness?.close();
});

describe('lobby blocks in TurboWarp in Chromium', () => {
  it(`read the new state on the next block: ${RACE_CYCLES} create/leave/join/leave cycles with a forever loop running`, async () => {
    const ann = await connected('ann');
    const bob = await connected('bob');
    await broadcastTo(ann, 'hub');
    await broadcastTo(bob, 'spin');
    await eventually(
      () => valueIn(bob, 'n'),
      (n) => Number(n) > 0,
      'the forever loop runs',
    );
    // The hub exists before the race joins it.
    await eventually(
      () => harness.signalling.store.find('race', 'hub'),
      (lobby) => lobby !== null,
      'the hub lobby exists',
    );
    await broadcastTo(bob, 'race');
    await eventually(
      () => list(bob, 'reads'),
      (reads) => reads.at(-1) === 'done',
      'the race script ended',
      120_000,
    );
    const reads = (await list(bob, 'reads')).slice(0, -1);
    const expected = Array.from({ length: RACE_CYCLES }, () => expectedCycle('bob')).flat();
    expect(reads.map((read, i) => (read === expected[i] ? null : `${i}: ${read} (expected ${expected[i]})`)).filter(Boolean)).toEqual([]);
    expect(reads).toHaveLength(RACE_CYCLES * 4);
    for (const page of [ann, bob]) await expectClean(harness.player(page));
  }, 180_000);
});
