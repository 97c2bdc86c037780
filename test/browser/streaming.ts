// The streaming project and its measurements, shared by test/browser/streaming.test.ts and
// bench/receive.mjs. Every page runs it: on "stream", the sprite Dot moves every frame (so every
// frame ends on a redraw, as in a game) and broadcasts its sequence number and the time, once on
// the fast channel `pos` and once on the ordered channel `chat`; "when I get a broadcast on
// channel [...]" appends sender|seq|sent|handled to the list posLog / chatLog. Times are Scratch's
// "days since 2000" in ms; the page records when each of its frames starts (BEFORE_EXECUTE), so a
// message's lag in frames is the number of the receiver's frames that began after it was sent, up
// to the frame whose script handled it (1 = handled in the first frame after sending).
import type { Page } from 'playwright-core';
import { cl5 } from '../../examples/lib/define.js';
import { cloudlinkShape } from '../../examples/lib/extension-shape.js';
import { addToList, block, changeVar, join, ProjectBuilder, repeat, setVar, variable, whenReceived } from '../../examples/lib/project.js';
import { broadcastTo, eventually, setVariable, valueIn, type Harness } from './harness.js';
import { lobbyControl } from './lobby-project.js';
import { browserPlayer } from './players.js';

export const STREAMING_PROJECT = 'streaming.sb3';
const CHANNELS = ['chat', 'pos'] as const;
type Channel = (typeof CHANNELS)[number];

const nowMs = () => block('operator_multiply', { NUM1: block('sensing_dayssince2000'), NUM2: 86_400_000 });
const record = (channel: Channel) =>
  addToList(
    `${channel}Log`,
    join(
      cl5('lastSender', { KIND: 'broadcast', CHANNEL: channel }),
      join('|', join(cl5('lastData', { KIND: 'broadcast', CHANNEL: channel }), join('|', nowMs()))),
    ),
  );

export function streamingProject(): Buffer {
  const project = new ProjectBuilder(cloudlinkShape());
  const { stage } = project;
  for (const name of ['server', 'name', 'myid']) stage.variable(name, '');
  stage.variable('mode', '-').variable('links', 0).variable('frames', 300).variable('seq', 0).list('chatLog').list('posLog');
  lobbyControl(stage, 'arena')
    .script(whenReceived('channels'), cl5('openChannel', { CHANNEL: 'chat', MODE: 'ordered' }), cl5('openChannel', { CHANNEL: 'pos', MODE: 'fast' }))
    .script(cl5('whenPlayerConnected'), changeVar('links', 1))
    .script(cl5('whenModeChanges', { MODE: 'host' }), setVar('mode', 'host'))
    .script(cl5('whenModeChanges', { MODE: 'peer' }), setVar('mode', 'peer'))
    .script(cl5('whenBroadcast', { CHANNEL: 'chat' }), record('chat'))
    .script(cl5('whenBroadcast', { CHANNEL: 'pos' }), record('pos'));
  const stamp = () => join(variable('seq'), join('|', nowMs()));
  project
    .sprite('Dot')
    .script(
      whenReceived('stream'),
      setVar('seq', 0),
      repeat(variable('frames'), [
        block('motion_gotoxy', { X: block('operator_random', { FROM: -200, TO: 200 }), Y: block('operator_random', { FROM: -150, TO: 150 }) }),
        changeVar('seq', 1),
        cl5('broadcastData', { DATA: stamp(), CHANNEL: 'pos' }),
        cl5('broadcastData', { DATA: stamp(), CHANNEL: 'chat' }),
      ]),
    );
  return project.toSb3();
}

/** Serves the project, opens one page per name (the first hosts), and waits for a full mesh with both channels open. */
export async function streamingLobby(harness: Harness, names: string[]): Promise<{ pages: Page[]; ids: string[] }> {
  harness.serve(STREAMING_PROJECT, streamingProject());
  const pages: Page[] = [];
  const ids: string[] = [];
  for (const [i, name] of names.entries()) {
    const { page, id } = await browserPlayer(harness, name, i === 0 ? 'host' : 'join', STREAMING_PROJECT);
    pages.push(page);
    ids.push(id);
  }
  const others = names.length - 1;
  for (const page of pages)
    await eventually(
      () => valueIn(page, 'links'),
      (n) => n === others,
      'a full mesh',
      30_000,
    );
  await broadcastTo(pages[0]!, 'channels');
  for (const page of pages) await harness.player(page).waitForChannels([...CHANNELS], others, 30_000);
  for (const page of pages) await recordFrames(page);
  return { pages, ids };
}

/** The page notes when each frame starts, on the clock the project's "days since 2000" uses. */
async function recordFrames(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { cl5Frames?: number[]; vm: { runtime: { on(event: string, listener: () => void): void } } };
    if (w.cl5Frames) return;
    const frames: number[] = [];
    w.cl5Frames = frames;
    // Scratch's "days since 2000" (scratch3_sensing.getDaysSince2000), in ms.
    const since2000 = () => {
      const start = new Date(2000, 0, 1);
      const today = new Date();
      const dstAdjust = today.getTimezoneOffset() - start.getTimezoneOffset();
      return today.valueOf() - start.valueOf() + (today.getTimezoneOffset() - dstAdjust) * 60 * 1000;
    };
    w.vm.runtime.on('BEFORE_EXECUTE', () => frames.push(since2000()));
  });
}

/** Every page streams for `frames` frames; resolves when every page sent them all and every ordered message arrived. */
export async function stream(pages: Page[], frames: number): Promise<void> {
  for (const page of pages) await setVariable(page, 'frames', frames);
  await Promise.all(pages.map((page) => broadcastTo(page, 'stream')));
  const expected = (pages.length - 1) * frames;
  const budget = frames * 100 + 30_000; // generous: 100 ms a frame on a loaded machine
  for (const page of pages) {
    await eventually(
      () => valueIn(page, 'seq'),
      (n) => n === frames,
      'every frame streamed',
      budget,
    );
    await eventually(
      async () => ((await valueIn(page, 'chatLog', 'list')) as unknown[]).length,
      (n) => n >= expected,
      'every ordered message handled',
      30_000,
    );
  }
}

export interface Handled {
  from: string;
  seq: number;
  lagMs: number;
  lagFrames: number;
}

/** What one page's hats handled on a channel, with each message's lag. */
export async function handled(page: Page, channel: Channel): Promise<Handled[]> {
  const log = (await valueIn(page, `${channel}Log`, 'list')) as string[];
  const frames = await page.evaluate(() => (window as unknown as { cl5Frames: number[] }).cl5Frames.slice());
  return log.map((entry) => {
    const [from = '', seq, sent, at] = entry.split('|');
    // The clocks tick in whole ms: a frame that starts in the ms of the send counts as after it.
    const sentMs = Math.round(Number(sent));
    const atMs = Math.round(Number(at));
    return { from, seq: Number(seq), lagMs: atMs - sentMs, lagFrames: framesBetween(frames, sentMs - 1, atMs) };
  });
}

/** How many frame starts lie in (from, to]: `frames` is ascending. */
function framesBetween(frames: number[], from: number, to: number): number {
  return upperBound(frames, to) - upperBound(frames, from);
}

function upperBound(sorted: number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
