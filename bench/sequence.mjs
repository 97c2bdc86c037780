// Micro-benchmark of the merging list (src/client/sync/sequence.ts; issue 12, not wired yet): one
// append, front insert and front delete on 1,000 / 10,000 / 100,000-item lists, on the sender (local
// op + JSON) and on the receiver (apply + the Scratch array edited in place by the patch), the op's
// size in bytes, "delete all" of a whole list (one clear op: sender, receiver, its size, and the
// collection of its tombstones), the sender's diff of a Scratch array (the binding's change
// detection), and a late joiner's catch-up (chunked snapshot) size and time. Target: bytes
// independent of length, ≤ 0.5 ms per op at 100,000.
// Usage: node bench/sequence.mjs
import { importTs } from '../scripts/import-ts.mjs';
import { summary } from './lib/stats.mjs';

const { Sequence, applyPatch, changedRun, diffToOps, encodeSnapshot, decodeSnapshot } = await importTs('bench/lib/sequence-entry.ts');

const SENDER = '5f0c9a2e-3b7d-4e61-9a8f-0d2c4b6e8a10'; // instance ids are UUIDs
const RECEIVER = 'c7e1d3b5-a9f2-4c68-8e0a-1b3d5f7a9c2e';
const OPS = 2000;

/** A sender and a receiver holding the same n items, and the receiver's Scratch array. */
function pair(n) {
  const sender = new Sequence(SENDER);
  const receiver = new Sequence(RECEIVER);
  const list = [];
  for (let i = 0; i < n; i += 1) {
    const op = sender.push(`item ${i}`);
    for (const patch of receiver.apply(op)) applyPatch(list, patch);
  }
  return { sender, receiver, list };
}

const us = (ms) => `${(ms * 1000).toFixed(1).padStart(7)} µs`;
const row = (label, send, receive, splice, bytes) =>
  console.log(
    `  ${label.padEnd(22)} sender p50 ${us(send.p50)} p99 ${us(send.p99)} | receiver p50 ${us(receive.p50)} p99 ${us(receive.p99)}, of which array splice p50 ${us(splice.p50)} | ${String(bytes).padStart(4)} B`,
  );

function measure(n, label, makeOp) {
  const { sender, receiver, list } = pair(n);
  const send = [];
  const receive = [];
  const splice = [];
  let bytes = 0;
  // Never more ops than half the items (front deletes must find an item).
  for (let i = 0; i < Math.min(OPS, n / 2); i += 1) {
    let started = performance.now();
    const text = JSON.stringify(makeOp(sender, i));
    send.push(performance.now() - started);
    bytes = Math.max(bytes, Buffer.byteLength(text));
    started = performance.now();
    const patches = receiver.apply(JSON.parse(text));
    const applied = performance.now();
    for (const patch of patches) applyPatch(list, patch);
    const done = performance.now();
    receive.push(done - started);
    splice.push(done - applied);
  }
  if (list.length !== receiver.length) throw new Error('receiver array out of step');
  row(label, summary(send), summary(receive), summary(splice), bytes);
}

console.log(
  `Per op (${OPS} ops each, 500 on 1,000 items; sender: local op + JSON.stringify; receiver: JSON.parse + apply + Scratch array splice; bytes: largest op JSON)`,
);
for (const n of [1_000, 10_000, 100_000]) {
  console.log(`${n.toLocaleString('en')} items`);
  measure(n, 'append', (s, i) => s.push(`new ${i}`));
  measure(n, 'front insert', (s, i) => s.insert(0, `new ${i}`));
  measure(n, 'front delete', (s) => s.delete(0));
  measure(n, 'replace in the middle', (s, i) => s.replace(Math.floor(s.length / 2), `value ${i}`));
}

console.log(
  '\n"delete all" of a whole list: one clear op (sender: diffToOps + JSON; receiver: JSON.parse + apply + the reset patch written into the Scratch array; then gc() of its tombstones once acked)',
);
for (const n of [1_000, 10_000, 100_000]) {
  const send = [];
  const receive = [];
  const collect = [];
  let bytes = 0;
  for (let run = 0; run < 5; run += 1) {
    const { sender, receiver, list } = pair(n);
    let started = performance.now();
    const ops = diffToOps(sender, sender.toArray(), []);
    const text = JSON.stringify(ops);
    send.push(performance.now() - started);
    if (ops.length !== 1) throw new Error(`a clear became ${ops.length} ops`);
    bytes = Buffer.byteLength(JSON.stringify(ops[0]));
    started = performance.now();
    for (const op of JSON.parse(text)) for (const patch of receiver.apply(op)) applyPatch(list, patch);
    receive.push(performance.now() - started);
    if (list.length !== 0 || receiver.tombstoneCount !== n) throw new Error('receiver did not clear');
    receiver.addPlayer(SENDER);
    receiver.receiveAck(SENDER, sender.ack());
    started = performance.now();
    if (receiver.gc() !== n) throw new Error('tombstones not collected');
    collect.push(performance.now() - started);
  }
  const ms = (samples) => `${summary(samples).p50.toFixed(1).padStart(6)} ms`;
  console.log(`  ${n.toLocaleString('en').padStart(7)} items: sender ${ms(send)} | receiver ${ms(receive)} | gc ${ms(collect)} | ${bytes} B (median of 5)`);
}

console.log(
  '\nSender change detection: diffToOps for one Scratch "add" (the full compare scans the arrays in place, no copy; after one block, the one-edit walk stops at the first difference from either end)',
);
for (const n of [1_000, 10_000, 100_000]) {
  const { sender } = pair(n);
  const before = sender.toArray();
  const after = before.slice();
  const samples = [];
  const quick = [];
  for (let i = 0; i < 250; i += 1) {
    after.push(`x ${i}`);
    let started = performance.now();
    diffToOps(sender, before, after);
    if (i >= 50) samples.push(performance.now() - started); // the first 50 warm the JIT up
    before.push(`x ${i}`);
    after.push(`y ${i}`);
    started = performance.now();
    diffToOps(sender, before, after, changedRun(before, after, true));
    if (i >= 50) quick.push(performance.now() - started);
    before.push(`y ${i}`);
  }
  const s = summary(samples);
  const q = summary(quick);
  console.log(
    `  ${n.toLocaleString('en').padStart(7)} items: full compare p50 ${us(s.p50)} p99 ${us(s.p99)} | one-edit walk p50 ${us(q.p50)} p99 ${us(q.p99)}`,
  );
}

console.log('\nLate joiner catch-up: encode (chunks ≤ 239 KiB) + JSON + decode + merge into an empty replica');
for (const n of [10_000, 100_000]) {
  const { sender } = pair(n);
  for (let i = 0; i < n / 100; i += 1) sender.delete(i * 50); // 1% tombstones
  let started = performance.now();
  const texts = encodeSnapshot(sender).map((chunk) => JSON.stringify(chunk));
  const encodeMs = performance.now() - started;
  started = performance.now();
  const late = new Sequence('late');
  const list = [];
  for (const patch of late.merge(decodeSnapshot(texts.map((t) => JSON.parse(t))))) applyPatch(list, patch);
  const mergeMs = performance.now() - started;
  if (list.length !== sender.length) throw new Error('catch-up lost items');
  const bytes = texts.reduce((sum, t) => sum + Buffer.byteLength(t), 0);
  console.log(
    `  ${n.toLocaleString('en').padStart(7)} items: ${texts.length} chunk(s), ${(bytes / 1024).toFixed(0)} KiB (${(bytes / n).toFixed(1)} B/item); encode ${encodeMs.toFixed(0)} ms, decode + merge ${mergeMs.toFixed(0)} ms`,
  );
}
