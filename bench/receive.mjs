// Receive-path benchmark (issue 11): N TurboWarp pages in Chromium (compiler on, the test harness
// of test/browser), one lobby, each page streaming every frame for S seconds — a position on a fast
// channel and a numbered message on an ordered channel, with a sprite moving every frame — and
// "when I get a broadcast on channel [...]" recording each message it handles. Prints, per channel,
// the send-to-script lag (p50/p99 in ms and in the receiver's frames: 1 = handled in the first
// frame after sending) and the messages handled vs sent.
//   fast `pos`:     the simple hat, where the newest message per sender wins
//   ordered `chat`: the lossless path (the same hat on an ordered channel: every message, in order)
// Usage: node bench/receive.mjs [players=8] [seconds=20] [extension.js (default: built from the source)]
import { importTs } from '../scripts/import-ts.mjs';
import { percentile } from './lib/stats.mjs';

const players = Number(process.argv[2] ?? 8);
const seconds = Number(process.argv[3] ?? 20);
const extensionPath = process.argv[4];
const FPS = 30;
const frames = seconds * FPS;

const { resolveChromium, startHarness, streamingLobby, stream, handled } = await importTs('bench/lib/receive-entry.ts');
const chromium = await resolveChromium();
if (!chromium.path) throw new Error(chromium.error);
process.env.CL5_CHROMIUM = chromium.path;
console.log(`${chromium.version}; ${players} players × ${FPS} messages/s per channel for ${seconds} s${extensionPath ? `; extension ${extensionPath}` : ''}`);

const harness = await startHarness(extensionPath ? { extensionPath } : {});
try {
  const names = Array.from({ length: players }, (_, i) => `p${i + 1}`);
  const { pages } = await streamingLobby(harness, names);
  const started = Date.now();
  await stream(pages, frames);
  const took = (Date.now() - started) / 1000;
  console.log(`streamed ${frames} frames in ${took.toFixed(1)} s (${(frames / took).toFixed(1)} frames/s per page, the pages share the machine)`);
  const sent = (players - 1) * frames * players; // every page receives every other page's messages
  for (const [channel, what] of [
    ['pos', 'fast, simple hat (newest per sender)'],
    ['chat', 'ordered, lossless (every message)'],
  ]) {
    const all = [];
    for (const page of pages) all.push(...(await handled(page, channel)));
    const ms = Float64Array.from(all.map((h) => h.lagMs)).sort();
    const fr = Float64Array.from(all.map((h) => h.lagFrames)).sort();
    console.log(
      `${channel.padEnd(4)} ${what.padEnd(38)} lag p50 ${percentile(ms, 50)} ms / ${percentile(fr, 50)} frames, ` +
        `p99 ${percentile(ms, 99)} ms / ${percentile(fr, 99)} frames, max ${ms[ms.length - 1]} ms / ${fr[fr.length - 1]} frames; ` +
        `handled ${all.length} of ${sent} sent (${((100 * all.length) / sent).toFixed(1)} %)`,
    );
  }
} finally {
  await harness.close();
}
