// Eight TurboWarp pages in Chromium (the browser's own WebRTC, the extension built from the source)
// join one lobby at the same moment and form a full mesh (issue 17). Not timed (bench/mesh-browser.mjs
// times it): every page's "when a player connects" hat runs for each of the other seven, no page has
// an error, and the signals each page sent are few and never a TCP candidate (read from the frames
// its WebSocket sent).
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { broadcastTo, connectPage, eventually, expectClean, startHarness, valueIn, type Harness } from './harness.js';
import { lobbyProject } from './lobby-project.js';

const PAGES = 8;
const LINKS = (PAGES * (PAGES - 1)) / 2;

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness();
  harness.serve('lobby.sb3', lobbyProject());
}, 60_000);

afterAll(async () => {
  await harness?.close();
});

/** A page connected to the server, and the signals its WebSocket sends from now on (opcode and candidate line). */
async function connectedPage(name: string, signals: string[]): Promise<Page> {
  const page = await harness.open('lobby.sb3');
  page.on('websocket', (socket) =>
    socket.on('framesent', ({ payload }) => {
      const packet = JSON.parse(String(payload)) as { opcode: string; payload?: { contents?: { candidate?: { candidate?: string } } } };
      if (['MAKE_OFFER', 'MAKE_ANSWER', 'ICE'].includes(packet.opcode))
        signals.push(`${packet.opcode} ${packet.payload?.contents?.candidate?.candidate ?? ''}`);
    }),
  );
  await connectPage(page, harness.signalling.wsUrl, name);
  return page;
}

describe('a lobby of TurboWarp pages joining at once', () => {
  it(`${PAGES} pages form a full mesh, with no TCP candidate and at most 15 signals per link`, async () => {
    const signals: string[] = [];
    const pages: Page[] = [];
    for (let i = 0; i < PAGES; i += 1) pages.push(await connectedPage(`p${i}`, signals));
    const [host, ...rest] = pages;
    await broadcastTo(host!, 'host');
    await eventually(
      () => valueIn(host!, 'mode'),
      (mode) => mode === 'host',
      'the lobby exists',
    );
    await Promise.all(rest.map((page) => broadcastTo(page, 'join')));
    for (const page of pages)
      await eventually(
        () => valueIn(page, 'links'),
        (n) => n === PAGES - 1,
        'a full mesh',
        60_000,
      );
    expect(signals.filter((s) => s.startsWith('MAKE_OFFER'))).toHaveLength(LINKS);
    expect(signals.filter((s) => / tcp /i.test(s))).toEqual([]);
    expect(signals.length / LINKS).toBeLessThanOrEqual(15);
    for (const page of pages) await expectClean(harness.player(page));
  }, 180_000);
});
