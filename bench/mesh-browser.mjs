// Mesh formation in Chromium (issue 17): N TurboWarp pages (the browser test harness of
// test/browser, the extension built from the source, the browser's own WebRTC) connect to the
// server, the first creates the lobby, then the other N−1 join at the same moment; measured from the
// joins until every page's "when a player connects" hat has run for each of the other N−1 (polled
// every 20 ms), and the signals the server relayed per link. Fresh pages for every run; min / median
// / max over the runs.
// Usage: node bench/mesh-browser.mjs [--pages=8] [--runs=3] [--extension=cloudlink5.js (default: built from the source)]
import os from 'node:os';
import { importTs } from '../scripts/import-ts.mjs';
import { minMedianMax } from './lib/stats.mjs';

const arg = (name, fallback) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback;
const PAGES = Number(arg('pages', 8));
const RUNS = Number(arg('runs', 3));
const EXTENSION = arg('extension', undefined);

const { resolveChromium, startHarness, lobbyProject, broadcastTo, connectPage, eventually, valueIn } = await importTs('bench/lib/mesh-browser-entry.ts');
const chromium = await resolveChromium();
if (!chromium.path) throw new Error(chromium.error);
process.env.CL5_CHROMIUM = chromium.path;

async function connectedPage(harness, name) {
  const page = await harness.open('lobby.sb3');
  await connectPage(page, harness.signalling.wsUrl, name);
  return page;
}

const inMode = (page, mode) =>
  eventually(
    () => valueIn(page, 'mode'),
    (m) => m === mode,
    `mode ${mode}`,
  );

async function run(harness) {
  const pages = [];
  for (let i = 0; i < PAGES; i += 1) pages.push(await connectedPage(harness, `p${i}`));
  const [host, ...rest] = pages;
  await broadcastTo(host, 'host');
  await inMode(host, 'host');
  const signals0 = harness.signalling.metrics.tally.signals;
  const load = os.loadavg()[0];
  const started = performance.now();
  await Promise.all(rest.map((page) => broadcastTo(page, 'join')));
  const deadline = started + 60_000;
  let complete = false;
  while (performance.now() < deadline) {
    const links = await Promise.all(pages.map((page) => valueIn(page, 'links')));
    if (links.every((n) => n === PAGES - 1)) {
      complete = true;
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const ms = performance.now() - started;
  const signals = harness.signalling.metrics.tally.signals - signals0;
  for (const page of pages) await page.context().close();
  return { complete, ms, signalsPerLink: signals / ((PAGES * (PAGES - 1)) / 2), load };
}

const harness = await startHarness(EXTENSION ? { extensionPath: EXTENSION } : {});
try {
  harness.serve('lobby.sb3', lobbyProject());
  const runs = [];
  for (let i = 0; i < RUNS; i += 1) runs.push(await run(harness));
  console.log(
    `${chromium.version}; ${PAGES} TurboWarp pages joining one lobby at once, ${RUNS} runs (min / median / max); ${os.cpus().length} CPUs${EXTENSION ? `; extension ${EXTENSION}` : ''}`,
  );
  console.log(`  complete ${runs.filter((r) => r.complete).length}/${RUNS}`);
  console.log(`  joins → full mesh (every page's hat ran for every other)  ${minMedianMax(runs.map((r) => r.ms))} ms`);
  console.log(
    `  signals relayed per link                                 ${minMedianMax(
      runs.map((r) => r.signalsPerLink),
      1,
    )}`,
  );
  console.log(
    `  load average (1 min) at the joins                        ${minMedianMax(
      runs.map((r) => r.load),
      1,
    )}`,
  );
} finally {
  await harness.close();
}
process.exit(0);
