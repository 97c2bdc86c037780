// Sync benchmark (issue: extension). Per-frame watch cost of the real engine + Scratch stores:
// 1,000 synced variables and a 10,000-item list, unchanged and with one change; packets per peer
// for 100 list edits in one frame; the extension file size, minified and gzipped.
// Usage: node bench/sync.mjs
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { importTs } from './lib/import-ts.mjs';
import { summary } from './lib/stats.mjs';

const { SyncEngine, listStore, variableStore, encodePeerMessage } = await importTs('bench/lib/sync-entry.ts');
const FRAMES = 2000;
const PEERS = ['peer-a', 'peer-b', 'peer-c'];

/** An engine whose transport counts messages and bytes per peer (the encoding is real). */
function engine() {
  const sent = { messages: 0, bytes: 0, packets: 0 };
  const e = new SyncEngine({
    myId: () => 'me',
    peers: () => PEERS,
    send: (_peer, packets) => {
      sent.messages += 1;
      sent.packets += packets.length;
      sent.bytes += encodePeerMessage(packets).length;
    },
  });
  return { e, sent };
}

/** Scratch's Variable objects are plain {id, name, type, value} records. */
const scratchVariable = (name, value) => ({ id: name, name, type: '', value });
const scratchList = (name, items) => ({ id: name, name, type: 'list', value: items, _monitorUpToDate: false });

function perFrame(label, setup, change) {
  const { e } = engine();
  const state = setup(e);
  e.flush();
  const samples = [];
  for (let frame = 0; frame < FRAMES; frame += 1) {
    if (change) change(state, frame);
    const started = performance.now();
    e.flush();
    samples.push(performance.now() - started);
  }
  const s = summary(samples);
  console.log(`  ${label.padEnd(52)} p50 ${(s.p50 * 1000).toFixed(1).padStart(7)} µs   p99 ${(s.p99 * 1000).toFixed(1).padStart(7)} µs`);
  return s;
}

console.log(`Per-frame watch cost (SyncEngine.flush with the Scratch stores, ${FRAMES} frames, ${PEERS.length} peers)`);
const vars = (e) => {
  const list = Array.from({ length: 1000 }, (_, i) => scratchVariable(`v${i}`, i));
  for (const v of list) e.bind(v.name, null, variableStore(v));
  return list;
};
const vIdle = perFrame('1,000 variables, nothing changed', vars);
const vOne = perFrame('1,000 variables, one changed per frame', vars, (list, frame) => (list[frame % 1000].value = frame + 0.5));

const bigList = (e) => {
  const list = scratchList(
    'big',
    Array.from({ length: 10_000 }, (_, i) => `item ${i}`),
  );
  e.bind('big', null, listStore(list));
  return list;
};
perFrame('10,000-item list, nothing changed', bigList);
perFrame('10,000-item list, one item replaced per frame', bigList, (list, frame) => {
  list.value[frame % 10_000] = `changed ${frame}`;
  list._monitorUpToDate = false; // what Scratch's "replace item" does
});

console.log('\n100 list edits in one frame (add, insert, delete, replace on a 50-item list)');
{
  const { e, sent } = engine();
  const list = scratchList(
    'log',
    Array.from({ length: 50 }, (_, i) => `entry ${i}`),
  );
  e.bind('log', null, listStore(list));
  e.flush();
  for (let i = 0; i < 100; i += 1) {
    const kind = i % 4;
    if (kind === 0) list.value.push(`new ${i}`);
    else if (kind === 1) list.value.splice(3, 0, `ins ${i}`);
    else if (kind === 2) list.value.splice(10, 1);
    else list.value[5] = `rep ${i}`;
    list._monitorUpToDate = false;
  }
  e.flush();
  console.log(`  messages per peer: ${sent.messages / PEERS.length} (packets in it: ${sent.packets / PEERS.length}, ${sent.bytes / PEERS.length} bytes)`);
}

const file = readFileSync(new URL('../dist/cloudlink5.js', import.meta.url));
console.log(
  `\nExtension dist/cloudlink5.js: ${(file.length / 1024).toFixed(1)} KiB minified, ${(gzipSync(file, { level: 9 }).length / 1024).toFixed(1)} KiB gzipped (target ≤ 150 KiB minified)`,
);
console.log(`Targets: 1,000 variables ≤ 200 µs per frame → idle p50 ${(vIdle.p50 * 1000).toFixed(1)} µs, one change p50 ${(vOne.p50 * 1000).toFixed(1)} µs`);
