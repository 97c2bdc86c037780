// Four TurboWarp pages in Chromium (compiler on), each streaming every frame for 10 s: positions on
// a fast channel and a numbered message on an ordered channel, with a sprite moving every frame.
// Every ordered message is handled, in order per sender, and the hats keep up: their lag stays a
// few frames (a generous bound; the real figures come from bench/receive.mjs). Before, a hat ran
// one event per frame, so with two or more senders the lag grew by a frame every frame.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectClean, startHarness, type Harness } from './harness.js';
import { handled, stream, streamingLobby, type Handled } from './streaming.js';

const FRAMES = 300; // 10 s at 30 fps
const NAMES = ['ann', 'bob', 'cat', 'dan'];
/** Generous: with the old one-event-per-frame hats the lag reached hundreds of frames here. */
const MAX_P99_FRAMES = 10;

let harness: Harness;
let pages: Page[];
let ids: string[];

const p99 = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length * 0.99)] ?? Number.NaN;

beforeAll(async () => {
  harness = await startHarness();
  ({ pages, ids } = await streamingLobby(harness, NAMES));
  await stream(pages, FRAMES);
}, 180_000);

afterAll(async () => {
  await harness?.close();
});

describe('four pages streaming every frame', () => {
  it('the ordered channel delivers every message, in order per sender, each handled by the hat', async () => {
    for (const [i, page] of pages.entries()) {
      const chat = await handled(page, 'chat');
      for (const [j, id] of ids.entries()) {
        const fromSender = chat.filter((h) => h.from === id).map((h) => h.seq);
        expect(fromSender, `${NAMES[i]} from ${NAMES[j]}`).toEqual(i === j ? [] : Array.from({ length: FRAMES }, (_, k) => k + 1));
      }
    }
  });

  it('the hats keep up on both channels: lag bounded in frames, the newest position of each sender always arrives', async () => {
    const all: Record<'chat' | 'pos', Handled[]> = { chat: [], pos: [] };
    for (const page of pages) {
      all.chat.push(...(await handled(page, 'chat')));
      const pos = await handled(page, 'pos');
      all.pos.push(...pos);
      // Positions of every other sender arrive all along (fast: some may be dropped or replaced by newer ones).
      expect(new Set(pos.map((h) => h.from)).size).toBe(NAMES.length - 1);
    }
    for (const channel of ['chat', 'pos'] as const) {
      const lag = all[channel].map((h) => h.lagFrames);
      expect(p99(lag), `${channel}: p99 lag in frames`).toBeLessThan(MAX_P99_FRAMES);
      expect(Math.min(...lag), `${channel}: a message is never handled before a frame after it was sent`).toBeGreaterThanOrEqual(1);
    }
  });

  it('ends clean on every page', async () => {
    for (const page of pages) await expectClean(harness.player(page));
  });
});
