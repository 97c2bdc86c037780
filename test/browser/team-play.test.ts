// A team score and a shared log in real Chromium pages running TurboWarp (compiler on), in a RELAY
// lobby: every packet between the three players goes through the relay peer the server runs (one
// WebRTC link per page, to the relay). The browser counterpart of test/sync/team-play.test.ts:
// "score" is synced as a counter and "log" as a merged list; each page runs
// `repeat 30: change [score] by 1; add (join name i) to [log]` at the same time as the others.
// Every page must end with 90 and the same 90 items, each player's own in the order it added them.
import { wrtc } from '../helpers/wrtc.js';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cl5 } from '../../examples/lib/define.js';
import { cloudlinkShape } from '../../examples/lib/extension-shape.js';
import { addToList, block, changeVar, join, ProjectBuilder, repeat, setVar, variable, whenReceived } from '../../examples/lib/project.js';
import { webRtcRelay, type WebRtcRelayProvider } from '../../src/server/relay/relay-provider.js';
import { broadcastTo, eventually, expectClean, startHarness, valueIn, type Harness } from './harness.js';
import { browserPlayer } from './players.js';
import { disconnectAll } from '../helpers/disconnect-all.js';

const PROJECT = 'team-play.sb3';
const NAMES = ['ann', 'bob', 'cat'] as const;
const ROUNDS = 30;
const TOTAL = NAMES.length * ROUNDS;

/** The lobby scripts browserPlayer() drives ("connect", "host", "join"), with the lobby created as a relay lobby. */
function teamProject(): Buffer {
  const project = new ProjectBuilder(cloudlinkShape());
  const { stage } = project;
  for (const name of ['server', 'name', 'myid']) stage.variable(name, '');
  stage.variable('mode', '-').variable('links', 0).variable('synced', 0).variable('score', 0).variable('marks', 0).variable('i', 0).list('log');
  stage
    .script(
      whenReceived('connect'),
      cl5('setGameId', { UGI: 'browser' }),
      cl5('connect', { URL: variable('server'), USERNAME: variable('name') }),
      setVar('myid', cl5('myId')),
    )
    .script(whenReceived('host'), cl5('createLobby', { NAME: 'team', MAX: -1, PASSWORD: '', LOCKED: 'no', HIDDEN: 'no', RELAY: 'yes' }))
    .script(whenReceived('join'), cl5('joinLobby', { NAME: 'team', PASSWORD: '' }))
    .script(cl5('whenPlayerConnected'), changeVar('links', 1))
    .script(cl5('whenModeChanges', { MODE: 'host' }), setVar('mode', 'host'))
    .script(cl5('whenModeChanges', { MODE: 'peer' }), setVar('mode', 'peer'))
    .script(
      whenReceived('sync'),
      cl5('syncCounter', { VAR: 'score', ID: 'score' }),
      cl5('syncList', { LISTNAME: 'log', ID: 'log' }),
      cl5('syncCounter', { VAR: 'marks', ID: 'marks' }),
      setVar('synced', 1),
    )
    .script(
      whenReceived('team'),
      setVar('i', 0),
      repeat(ROUNDS, [changeVar('i', 1), changeVar('score', 1), addToList('log', join(variable('name'), join('-', variable('i'))))]),
    )
    .script(
      // The same, one iteration a frame: changing an effect asks for a redraw, so the loop yields to the
      // next frame (TurboWarp runs a loop again in the same frame only while nothing needs redrawing).
      // The three pages' edits then interleave over half a second or more, crossing in flight.
      whenReceived('team by frame'),
      setVar('i', 0),
      repeat(ROUNDS, [
        changeVar('i', 1),
        changeVar('score', 1),
        addToList('log', join(variable('name'), join('+', variable('i')))),
        block('looks_changeeffectby', { CHANGE: 1 }, { EFFECT: 'COLOR' }),
      ]),
    )
    // `marks` counts these scripts' runs, everywhere: the test waits on it (see "settled" below).
    .script(whenReceived('reset'), setVar('score', 0), changeVar('marks', 1))
    .script(whenReceived('one more'), changeVar('score', 1), changeVar('marks', 1));
  return project.toSb3();
}

let harness: Harness;
let relay: WebRtcRelayProvider;
/** What the relay peer logged (bad packets, failed listeners): nothing, at the end. */
const relayLog: Record<string, unknown>[] = [];
let pages: Page[] = [];

/** Scratch-loose: the variable may hold 90 or "90". */
const score = async (page: Page) => Number(await valueIn(page, 'score'));
const log = async (page: Page) => (await valueIn(page, 'log', 'list')) as string[];

beforeAll(async () => {
  relay = webRtcRelay({ wrtc, log: (level, event, fields = {}) => relayLog.push({ level, event, ...fields }) });
  harness = await startHarness({ server: { relay } });
  harness.serve(PROJECT, teamProject());
  for (const [i, name] of NAMES.entries()) pages.push((await browserPlayer(harness, name, i === 0 ? 'host' : 'join', PROJECT)).page);
  // Through the relay, each page reaches both others (the relay holds packets for a member whose link is still opening).
  for (const [i, page] of pages.entries())
    await eventually(
      () => valueIn(page, 'links'),
      (n) => n === NAMES.length - 1,
      `${NAMES[i]} reaches both others`,
      30_000,
    );
  // The relay has a link from every page, and the default channel is open on each.
  await eventually(
    () => [...relay.peers.values()].map((peer) => peer.memberLinks),
    (links) => links.length === 1 && links[0] === NAMES.length,
    'one relay peer with a link from every page',
    30_000,
  );
  for (const page of pages) await harness.player(page).waitForChannels(['default'], 1, 30_000);
  await Promise.all(pages.map((page) => broadcastTo(page, 'sync')));
  for (const [i, page] of pages.entries())
    await eventually(
      () => valueIn(page, 'synced'),
      (v) => v === 1,
      `${NAMES[i]} bound score, log and marks`,
    );
}, 120_000);

afterAll(async () => {
  // The relay peer (wrtc, in this process) first, all its links in one turn and awaited: left running
  // while the pages close, it would forward what was in flight over links closing under it.
  if (relay) await disconnectAll([], { relays: [relay] });
  await harness?.close();
  pages = [];
});

describe('a team score and a shared log, three TurboWarp pages in a relay lobby', () => {
  it('every page has ONE WebRTC link, to the relay: no direct links between players', async () => {
    for (const page of pages) expect(await harness.player(page).openChannels()).toEqual({ default: 1 });
  });

  it(`3 players × ${ROUNDS} "change score by 1" and "add (join name i) to log" at once: ${TOTAL} and the same ${TOTAL} items everywhere`, async () => {
    const forwardedBefore = [...relay.peers.values()][0]!.forwarded;
    // One evaluate per page, all started together: each page's scripts start in its next frame.
    await Promise.all(pages.map((page) => broadcastTo(page, 'team')));
    for (const [i, page] of pages.entries())
      await eventually(
        async () => [await score(page), (await log(page)).length],
        ([s, n]) => s === TOTAL && n === TOTAL,
        `${NAMES[i]}: score ${TOTAL} and ${TOTAL} log items`,
        60_000,
      );
    // The edits went through the relay.
    expect([...relay.peers.values()][0]!.forwarded).toBeGreaterThan(forwardedBefore);

    const logs = await Promise.all(pages.map(log));
    for (const [i, items] of logs.entries()) expect(items, `${NAMES[i]}'s log`).toEqual(logs[0]);
    const items = logs[0]!;
    expect(items).toHaveLength(TOTAL);
    for (const name of NAMES) {
      // Each player's own items, in the order it added them.
      expect(items.filter((item) => item.startsWith(`${name}-`))).toEqual(Array.from({ length: ROUNDS }, (_, k) => `${name}-${k + 1}`));
    }
    // Read again: nothing that arrived meanwhile changed it.
    for (const page of pages) expect([await score(page), await log(page)]).toEqual([TOTAL, items]);
  });

  it(`the same again, one iteration a frame on every page: ${2 * TOTAL} and the same ${2 * TOTAL} items everywhere`, async () => {
    const before = await log(pages[0]!);
    await Promise.all(pages.map((page) => broadcastTo(page, 'team by frame')));
    for (const [i, page] of pages.entries())
      await eventually(
        async () => [await score(page), (await log(page)).length],
        ([s, n]) => s === 2 * TOTAL && n === 2 * TOTAL,
        `${NAMES[i]}: score ${2 * TOTAL} and ${2 * TOTAL} log items`,
        60_000,
      );
    const logs = await Promise.all(pages.map(log));
    for (const [i, items] of logs.entries()) expect(items, `${NAMES[i]}'s log`).toEqual(logs[0]);
    const items = logs[0]!;
    // The first round's items stay, in their order; each player's new items are there, in order.
    expect(items.filter((item) => item.includes('-'))).toEqual(before);
    for (const name of NAMES) {
      expect(items.filter((item) => item.startsWith(`${name}+`))).toEqual(Array.from({ length: ROUNDS }, (_, k) => `${name}+${k + 1}`));
    }
  });

  it('"set score to 0" on one page and "change score by 1" on another: everyone ends with the same value', async () => {
    const [ann, bob] = pages as [Page, Page, Page];
    let marks = 0;
    /**
     * Waits until every page has every score change made so far: each "reset" / "one more" also does
     * `change [marks] by 1` (a counter too) in the same script, so both leave in the same frame's
     * message, on the same ordered channel, through the relay in order. A page that counts all the
     * marks has applied every score change before them; before that, a page may show a passing value
     * (all at 0 while bob's +1 is still on its way), which must not be taken for the end.
     */
    const settled = async (what: string) => {
      for (const [i, page] of pages.entries())
        await eventually(
          async () => Number(await valueIn(page, 'marks')),
          (n) => n === marks,
          `${NAMES[i]} has every change (${what})`,
          30_000,
        );
      return Promise.all(pages.map(score));
    };

    // At the same moment: whether ann's reset had already seen bob's +1 decides 0 or 1; every page agrees.
    await Promise.all([broadcastTo(ann, 'reset'), broadcastTo(bob, 'one more')]);
    marks += 2;
    const [agreed] = await settled('a reset and a +1 at once');
    expect([0, 1]).toContain(agreed);
    expect(await Promise.all(pages.map(score))).toEqual([agreed, agreed, agreed]);

    await broadcastTo(ann, 'one more');
    marks += 1;
    expect(await settled('one more')).toEqual([agreed! + 1, agreed! + 1, agreed! + 1]);

    // Deterministic: bob's +1 starts once ann's reset has run on ann's page, so ann's reset cannot have
    // seen it (a reset discards only the changes its player had seen). Bob's +1 is concurrent with the
    // reset still in flight, or after it: either way it survives, and everybody ends with 1.
    await broadcastTo(ann, 'reset');
    marks += 1;
    await eventually(
      () => score(ann),
      (v) => v === 0,
      "ann's reset ran on ann's page",
    );
    await broadcastTo(bob, 'one more');
    marks += 1;
    expect(await settled('a reset, then a +1')).toEqual([1, 1, 1]);
    // The log was not touched by any of this.
    for (const page of pages) expect(await log(page)).toHaveLength(2 * TOTAL);
  }, 120_000);

  it('ends clean on every page and on the relay', async () => {
    for (const page of pages) await expectClean(harness.player(page));
    expect(relayLog).toEqual([]);
  });
});
