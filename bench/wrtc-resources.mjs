// What one WebRTC link costs a Node process in @roamhq/wrtc (issue 17): file descriptors
// (/proc/self/fd) and threads (/proc/self/task) per link end, for K links opened one after another
// and for K links opened at once (our PeerLink, both ends in this process, no ICE server, as on 127.0.0.1). Each
// figure is (after − before) / 2K, read once every link is open, and again once all are closed.
// Usage: node bench/wrtc-resources.mjs [links=20]
import { readdirSync } from 'node:fs';
import wrtc from '@roamhq/wrtc';
import { importTs } from '../scripts/import-ts.mjs';

const { PeerLink } = await importTs('src/peer/link.ts');
const LINKS = Number(process.argv[2] ?? 20);
const count = () => ({ fds: readdirSync('/proc/self/fd').length, threads: readdirSync('/proc/self/task').length });
const settle = () => new Promise((resolve) => setTimeout(resolve, 500));

/** One link (our PeerLink, as the client and the relay peer use it), both ends here; resolves with its ends once both are open. */
function link(i) {
  const ends = [];
  const end = (initiator) =>
    new PeerLink({ peerId: `${i}${initiator}`, initiator, wrtc, config: { iceServers: [] }, onSignal: (signal) => ends[initiator ? 1 : 0].signal(signal) });
  ends.push(end(true), end(false));
  const opened = (l) =>
    new Promise((resolve, reject) => {
      l.once('open', resolve);
      l.once('close', (reason) => reject(new Error(`link ${i}: ${reason}`)));
    });
  return Promise.all(ends.map(opened)).then(() => ends);
}

async function measure(label, open) {
  const before = count();
  const ends = (await open()).flat();
  const open_ = count();
  for (const end of ends) end.destroy();
  await settle();
  const closed = count();
  const per = (n, key) => ((n[key] - before[key]) / ends.length).toFixed(1);
  console.log(
    `${label.padEnd(28)} fds/link end ${per(open_, 'fds').padStart(5)}  threads/link end ${per(open_, 'threads').padStart(4)}   after closing: fds ${per(closed, 'fds')}, threads ${per(closed, 'threads')} per link end left`,
  );
}

// The first connection starts wrtc's shared threads (signalling, network, worker): counted apart.
const start = count();
await measure('warm-up: 1 link', async () => [await link(0)]);
console.log(`(process: ${start.fds} fds and ${start.threads} threads before any link; wrtc's shared threads stay after the first)`);
await measure(`${LINKS} links one at a time`, async () => {
  const links = [];
  for (let i = 0; i < LINKS; i += 1) links.push(await link(i));
  return links;
});
await measure(`${LINKS} links at once`, () => Promise.all(Array.from({ length: LINKS }, (_, i) => link(i))));
process.exit(0);
