// Sync benchmark (issues: extension, 12). Through the real SyncEngine, the real Scratch stores
// (blocks/sync/stores.ts over Scratch-shaped variable/list objects) and the real wire codec:
// - last-writer-wins: per-frame watch cost of 1,000 synced variables and a 10,000-item list,
//   unchanged and with one change; packets per peer for 100 list edits in one frame;
// - merged lists (issue 12): (1) a 10,000-item list edited by 4 players, 100 edits per frame in all:
//   each player's cost per frame (its edits' detection + flush + receiving the other 75 edits);
//   (2) one append / front insert / front delete on 1,000 / 10,000 / 100,000 items: sender cost,
//   receiver cost and bytes on the wire; (3) a late joiner's catch-up of a 100,000-item list;
// - counters: bytes of a "change by 1" packet, catch-up of 10 players' counters;
// - the extension file size, minified and gzipped.
// A Scratch list block edits `list.value` in place and sets `list._monitorUpToDate = false`; the
// merged-list store's accessor on that flag calls the engine (listen), which diffs the edit into ops.
// Remote ops are patched into `list.value` in place (store.patch → applyPatch).
// Usage: node bench/sync.mjs [--json] [--merged-only] [--only=lww,frame,edits,join,counter]
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { PerformanceObserver } from 'node:perf_hooks';
import { gzipSync } from 'node:zlib';
import { importTs } from '../scripts/import-ts.mjs';
import { percentile, summary } from './lib/stats.mjs';

const { SyncEngine, listStore, mergedListStore, variableStore, MemoryCounter, encodePeerMessage, decodePeerMessage, MAX_IN_BAND_BYTES } =
  await importTs('bench/lib/sync-entry.ts');

const JSON_OUT = process.argv.includes('--json');
const MERGED_ONLY = process.argv.includes('--merged-only');
/** --only=frame,edits,join,counter,lww: run these sections only (for profiling). */
const ONLY = process.argv
  .find((a) => a.startsWith('--only='))
  ?.slice(7)
  .split(',');
const run = (section) => (ONLY ? ONLY.includes(section) : section !== 'lww' || !MERGED_ONLY);
const log = JSON_OUT ? () => {} : console.log;
const results = {};

const us = (ms) => `${(ms * 1000).toFixed(1).padStart(7)} µs`;
const round = (ms) => Math.round(ms * 1e6) / 1e6;
/** p50/p99/max (and mean) of samples in ms. */
function stats(samples) {
  const sorted = Float64Array.from(samples).sort();
  return {
    n: sorted.length,
    p50: round(percentile(sorted, 50)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted[sorted.length - 1]),
    mean: round(sorted.reduce((a, b) => a + b, 0) / sorted.length),
  };
}
const bytesOf = (text) => Buffer.byteLength(text);

/** V8 garbage collections as [start, end] in performance.now() time (delivered asynchronously: await a tick before reading). */
const gcPauses = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcPauses.push([e.startTime, e.startTime + e.duration]);
}).observe({ entryTypes: ['gc'] });
const tick = () => new Promise((resolve) => setTimeout(resolve, 50));
const hitByGc = (start, end) => gcPauses.some(([a, b]) => a < end && b > start);

/** Scratch's Variable objects are plain {id, name, type, value} records. */
const scratchVariable = (name, value) => ({ id: name, name, type: '', value });
const scratchList = (name, items) => ({ id: name, name, type: 'list', value: items, _monitorUpToDate: false });

// ---------------------------------------------------------------------------------------------
// Last-writer-wins variables and lists (the figures this benchmark had before merged lists).

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
  log(`  ${label.padEnd(52)} p50 ${us(s.p50)}   p99 ${us(s.p99)}`);
  return s;
}

function lwwFigures() {
  log(`Per-frame watch cost (SyncEngine.flush with the Scratch stores, ${FRAMES} frames, ${PEERS.length} peers)`);
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
  const lIdle = perFrame('10,000-item list, nothing changed', bigList);
  const lOne = perFrame('10,000-item list, one item replaced per frame', bigList, (list, frame) => {
    list.value[frame % 10_000] = `changed ${frame}`;
    list._monitorUpToDate = false; // what Scratch's "replace item" does
  });

  log('\n100 list edits in one frame (add, insert, delete, replace on a 50-item list)');
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
  const burst = { messages: sent.messages / PEERS.length, packets: sent.packets / PEERS.length, bytes: sent.bytes / PEERS.length };
  log(`  messages per peer: ${burst.messages} (packets in it: ${burst.packets}, ${burst.bytes} bytes)`);
  log(`Target: 1,000 variables ≤ 200 µs per frame → idle p50 ${us(vIdle.p50)}, one change p50 ${us(vOne.p50)}`);
  results.lww = { variablesIdle: vIdle, variablesOneChange: vOne, listIdle: lIdle, listOneReplace: lOne, burstPerPeer: burst };
}

// ---------------------------------------------------------------------------------------------
// Merged lists and counters: players in one lobby, each a SyncEngine whose transport encodes with
// encodePeerMessage; delivery decodes with decodePeerMessage and calls receive() (no network).

/** Instance ids are UUIDs (their length shows in every packet); deterministic per name. */
const uuid = (name) => {
  const h = createHash('sha1').update(name).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
};

/** Deterministic PRNG (reproducible edit positions). */
function prng(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** What Scratch's list blocks do: edit `list.value` in place, then clear the monitor flag. */
const block = {
  add(list, value) {
    list.value.push(value);
    list._monitorUpToDate = false;
  },
  insertAt(list, index, value) {
    list.value.splice(index, 0, value);
    list._monitorUpToDate = false;
  },
  deleteOf(list, index) {
    list.value.splice(index, 1);
    list._monitorUpToDate = false;
  },
  replace(list, index, value) {
    list.value[index] = value;
    list._monitorUpToDate = false;
  },
};

class Lobby {
  players = new Map();
  /** Per receiving player: messages in flight to it, in order. */
  inboxes = new Map();
  hostId = null;
  errors = [];

  /** A player (engine + Scratch list "log" bound as a merged list unless told not + counter "score"); its links open to everyone here. */
  join(name, { list = true } = {}) {
    const id = uuid(name);
    this.hostId ??= id;
    const player = { id, name, peers: [], list: scratchList('log', []), score: new MemoryCounter(), sent: [] };
    player.engine = new SyncEngine(
      {
        myId: () => id,
        peers: () => player.peers,
        host: () => this.hostId,
        send: (peer, packets) => {
          const text = encodePeerMessage(packets);
          player.sent.push({ to: peer, bytes: bytesOf(text), packets: packets.length });
          this.inboxes.get(peer).push({ from: id, text });
        },
      },
      (error) => this.errors.push(`${name}: ${error.message}`),
    );
    if (list) player.engine.bind('log', null, mergedListStore(player.list));
    player.engine.bind('score', null, player.score);
    this.inboxes.set(id, []);
    const others = [...this.players.values()];
    this.players.set(id, player);
    for (const other of others) {
      other.peers.push(id);
      player.peers.push(other.id);
      other.engine.peerJoined(id);
      player.engine.peerJoined(other.id);
    }
    return player;
  }

  /** Decodes and receives every message in flight to `player`; returns how many. */
  deliver(player) {
    const inbox = this.inboxes.get(player.id);
    const count = inbox.length;
    for (let i = 0; i < count; i += 1) {
      const { from, text } = inbox[i];
      for (const packet of decodePeerMessage(text)) player.engine.receive(from, packet);
    }
    inbox.length = 0;
    return count;
  }

  /** Frames (flush everyone, deliver everything) until nothing moves; bounded. */
  settle(maxFrames = 200) {
    for (let frame = 0; frame < maxFrames; frame += 1) {
      for (const p of this.players.values()) p.engine.flush();
      let moved = 0;
      for (const p of this.players.values()) moved += this.deliver(p);
      if (moved === 0) return;
    }
    throw new Error('lobby did not settle');
  }

  /** Some idle frames, so acks go round and tombstones are collected. */
  idle(frames) {
    for (let frame = 0; frame < frames; frame += 1) {
      for (const p of this.players.values()) p.engine.flush();
      for (const p of this.players.values()) this.deliver(p);
    }
  }

  check(expectedLength) {
    if (this.errors.length) throw new Error(`sync errors: ${this.errors.slice(0, 3).join('; ')}`);
    const [first, ...rest] = this.players.values();
    if (expectedLength !== undefined && first.list.value.length !== expectedLength) {
      throw new Error(`list has ${first.list.value.length} items, expected ${expectedLength}`);
    }
    for (const p of rest) {
      const a = first.list.value;
      const b = p.list.value;
      if (a.length !== b.length || a.some((v, i) => !Object.is(v, b[i]))) throw new Error(`${p.name}'s list differs from ${first.name}'s`);
    }
  }
}

/** A lobby whose host filled the list with n items (one edit, before anyone joined) and `others` players who caught up. */
function lobbyWithList(n, others) {
  const lobby = new Lobby();
  const host = lobby.join('p0');
  for (let i = 0; i < n; i += 1) host.list.value.push(`item ${i}`);
  host.list._monitorUpToDate = false;
  host.engine.flush();
  for (let i = 1; i <= others; i += 1) lobby.join(`p${i}`);
  lobby.settle();
  lobby.idle(2 * 30 + 1); // acks round once
  lobby.check(n);
  for (const p of lobby.players.values()) p.sent.length = 0;
  return lobby;
}

// (1) Per frame: 4 players, 100 edits per frame in all, on a 10,000-item list.
/**
 * `mix`: 'random' — appends, inserts, deletes and replaces at random places (the hard case: each edit
 * moves part of the array on every player); 'log' — what a chat or score log does: appends, and the
 * oldest item deleted to keep the length.
 */
async function perFrameMerged(mix) {
  const WARM = 60;
  const MEASURED = 600;
  const PLAYERS = 4;
  const EDITS = 25;
  const lobby = lobbyWithList(10_000, PLAYERS - 1);
  const players = [...lobby.players.values()];
  const random = prng(12);
  const parts = { edits: [], flush: [], receive: [], total: [] };
  /** Per player-frame: [edit+flush start, end, receive start, end], to find those a V8 GC pause fell in. */
  const windows = [];
  const kinds = { append: 0, insert: 0, delete: 0, replace: 0 };
  let bytes = 0;
  let messages = 0;
  for (let frame = 0; frame < WARM + MEASURED; frame += 1) {
    const edits = new Array(PLAYERS);
    const flushes = new Array(PLAYERS);
    const starts = new Array(PLAYERS);
    for (let k = 0; k < PLAYERS; k += 1) {
      const { list, engine, sent } = players[k];
      sent.length = 0;
      const started = performance.now();
      for (let i = 0; i < EDITS; i += 1) {
        // Appends and inserts as often as deletes: the list stays near 10,000 items.
        const r = random();
        const length = list.value.length;
        const at = Math.floor(random() * length);
        if (mix === 'log') {
          if (r < 0.5) block.add(list, `p${k}-${frame}-${i}`);
          else block.deleteOf(list, 0);
          if (frame >= WARM) kinds[r < 0.5 ? 'append' : 'delete'] += 1;
          continue;
        }
        if (r < 0.2) block.add(list, `p${k}-${frame}-${i}`);
        else if (r < 0.4) block.insertAt(list, at, `p${k}-${frame}-${i}`);
        else if (r < 0.8 && length > 0) block.deleteOf(list, at);
        else block.replace(list, at, `r${k}-${frame}-${i}`);
        if (frame >= WARM) kinds[r < 0.2 ? 'append' : r < 0.4 ? 'insert' : r < 0.8 ? 'delete' : 'replace'] += 1;
      }
      const edited = performance.now();
      engine.flush();
      const flushed = performance.now();
      starts[k] = started;
      edits[k] = edited - started;
      flushes[k] = flushed - edited;
      if (frame >= WARM) {
        for (const m of sent) bytes += m.bytes;
        messages += sent.length;
      }
    }
    for (let k = 0; k < PLAYERS; k += 1) {
      const started = performance.now();
      lobby.deliver(players[k]);
      const received = performance.now() - started;
      if (frame < WARM) continue;
      parts.edits.push(edits[k]);
      parts.flush.push(flushes[k]);
      parts.receive.push(received);
      parts.total.push(edits[k] + flushes[k] + received);
      windows.push([starts[k], starts[k] + edits[k] + flushes[k], started, started + received]);
    }
  }
  lobby.settle();
  lobby.check();
  const length = players[0].list.value.length;
  await tick();
  const clean = parts.total.filter((_, i) => {
    const [a, b, c, d] = windows[i];
    return !hitByGc(a, b) && !hitByGc(c, d);
  });
  const s = Object.fromEntries(Object.entries(parts).map(([k, v]) => [k, stats(v)]));
  s.totalWithoutGcPause = stats(clean);
  log(
    `\nMerged list (1${mix === 'log' ? 'b' : 'a'}): ${PLAYERS} players × ${EDITS} edits per frame on a 10,000-item list (${mix === 'log' ? 'a log: appends, and the oldest item deleted, ≈ 50/50 %' : 'append/insert/delete/replace ≈ 20/20/40/20 %, random places'}), every message delivered each frame; ${MEASURED} frames after ${WARM} warm-up (${s.total.n} player-frames)`,
  );
  log(`  per player per frame                     p50       p99       max`);
  const line = (label, x) => log(`  ${label.padEnd(34)} ${us(x.p50)} ${us(x.p99)} ${us(x.max)}`);
  line('its 25 edits (block + detect)', s.edits);
  line('flush (acks, gc, encode, send)', s.flush);
  line('receive 75 edits (decode+apply+patch)', s.receive);
  line('total', s.total);
  line(`total, the ${s.total.n - clean.length} hit by a V8 GC left out`, s.totalWithoutGcPause);
  const perMessage = bytes / messages;
  log(
    `  wire: ${(messages / MEASURED / PLAYERS).toFixed(2)} messages per player per frame, ${perMessage.toFixed(0)} B per message (${(bytes / MEASURED / PLAYERS / (PLAYERS - 1) / EDITS).toFixed(1)} B per edit per peer); list ends with ${length} items`,
  );
  log(`  target ≤ 1 ms p99: ${s.total.p99 <= 1 ? 'met' : 'MISSED'}`);
  results[mix === 'log' ? 'mergedPerFrameLog' : 'mergedPerFrame'] = {
    players: PLAYERS,
    editsPerPlayer: EDITS,
    frames: MEASURED,
    ...s,
    messages,
    bytes,
    bytesPerMessage: perMessage,
    kinds,
    finalLength: length,
  };
}

// (2) One edit on 1,000 / 10,000 / 100,000 items: sender, receiver, bytes.
function singleEdits() {
  const REPS = 1000;
  const WARM = 100;
  const cases = [
    ['append', (list, i) => block.add(list, `new ${i}`)],
    ['front insert', (list, i) => block.insertAt(list, 0, `new ${i}`)],
    ['front delete', (list) => block.deleteOf(list, 0)],
  ];
  log(
    `\nMerged list (2): one edit per frame, 2 players (sender, receiver); ${REPS} frames after ${WARM} warm-up (front delete on 1,000 items: ${1000 / 2 - WARM}). Sender: the block's edit + detect (listen → diff → op) + flush (encode); receiver: decode + receive + patch into its array. Both flush every frame (acks every 30 frames, then gc, are in the sender's figures).`,
  );
  log(`  ${'items'.padStart(7)} ${'edit'.padEnd(13)} sender p50    p99      max  | receiver p50    p99      max  | bytes per edit`);
  const out = [];
  for (const n of [1_000, 10_000, 100_000]) {
    for (const [label, edit] of cases) {
      const lobby = lobbyWithList(n, 1);
      const [sender, receiver] = lobby.players.values();
      const reps = label === 'front delete' ? Math.min(REPS + WARM, n / 2) : REPS + WARM;
      // Control: the same block on an unbound list of the same length (what Scratch costs without sync).
      const bareList = scratchList(
        'bare',
        Array.from({ length: n }, (_, i) => `item ${i}`),
      );
      const bare = [];
      const send = [];
      const detect = [];
      const receive = [];
      const editBytes = [];
      for (let i = 0; i < reps; i += 1) {
        sender.sent.length = 0;
        const started = performance.now();
        edit(sender.list, i);
        const edited = performance.now();
        sender.engine.flush();
        const flushed = performance.now();
        const inbox = lobby.inboxes.get(receiver.id);
        // A message holding the edit only (frames with an ack carry two packets).
        for (const m of sender.sent) if (m.packets === 1) editBytes.push(m.bytes);
        const received0 = performance.now();
        lobby.deliver(receiver);
        const received = performance.now() - received0;
        if (inbox.length) throw new Error('undelivered');
        receiver.engine.flush();
        lobby.deliver(sender);
        const bare0 = performance.now();
        edit(bareList, i);
        const bareMs = performance.now() - bare0;
        if (i < WARM) continue;
        bare.push(bareMs);
        send.push(flushed - started);
        detect.push(edited - started);
        receive.push(received);
      }
      lobby.check();
      const s = stats(send);
      const d = stats(detect);
      const r = stats(receive);
      const c = stats(bare);
      const b = { min: Math.min(...editBytes), max: Math.max(...editBytes) };
      out.push({ items: n, edit: label, sender: s, senderEditAndDetect: d, scratchEditAlone: c, receiver: r, bytesPerEdit: b });
      log(
        `  ${n.toLocaleString('en').padStart(7)} ${label.padEnd(13)} ${us(s.p50)} ${us(s.p99)} ${us(s.max)} | ${us(r.p50)} ${us(r.p99)} ${us(r.max)} | ${b.min === b.max ? b.min : `${b.min}–${b.max}`} B   (block + detect p50 ${us(d.p50).trim()}, the block alone on an unbound list ${us(c.p50).trim()})`,
      );
    }
  }
  const at100k = out.filter((x) => x.items === 100_000);
  const worst = Math.max(...at100k.map((x) => Math.max(x.sender.p99, x.receiver.p99)));
  // Ids and clocks are numbers: 10× the items adds a digit to each seq in the packet (≤ 2 per 10×).
  const independent = cases.every(([label]) => {
    const sizes = out.filter((x) => x.edit === label).map((x) => x.bytesPerEdit.max);
    return Math.max(...sizes) - Math.min(...sizes) <= 6;
  });
  log(
    `  targets: bytes independent of length — ${independent ? 'met' : 'MISSED'} (sizes differ only by the digits of seq numbers); ≤ 0.5 ms at 100,000 (p99, sender and receiver) — ${worst <= 0.5 ? 'met' : 'MISSED'} (worst p99 ${us(worst).trim()})`,
  );
  results.mergedSingleEdits = out;
}

// (3) A late joiner's catch-up of a 100,000-item list.
function lateJoiner() {
  const N = 100_000;
  log(`\nMerged list (3): late joiner catch-up of a ${N.toLocaleString('en')}-item list (items "item 0"…; UUID instance ids)`);
  const out = [];
  for (const [label, others, edits] of [
    ['host alone, items appended by it', 0, 0],
    ['4 players, 2,000 edits made by them since', 3, 500],
  ]) {
    const runs = [];
    for (let run = 0; run < 3; run += 1) {
      const lobby = lobbyWithList(N, others);
      const players = [...lobby.players.values()];
      const random = prng(run + 1);
      for (let i = 0; i < edits; i += 1) {
        for (const [k, p] of players.entries()) {
          const at = Math.floor(random() * p.list.value.length);
          if (i % 2 === 0) block.replace(p.list, at, `r${k}-${i}`);
          else block.insertAt(p.list, at, `i${k}-${i}`);
        }
        if (i % 25 === 24) lobby.settle();
      }
      lobby.settle();
      lobby.idle(61);
      lobby.check();
      const length = players[0].list.value.length;
      for (const p of players) p.sent.length = 0;
      // The joiner's links open: everyone here queues a state for it, sent by their next flush.
      const late = lobby.join(`late-${run}`);
      const encode = [];
      for (const p of players) {
        const started = performance.now();
        p.engine.flush();
        encode.push(performance.now() - started);
      }
      const inbox = lobby.inboxes.get(late.id);
      const sizes = inbox.map((m) => bytesOf(m.text));
      const hostMessages = inbox.filter((m) => m.from === players[0].id).length;
      // The joiner decodes and receives message by message: when is its list whole, and how long is everything?
      let untilFull = null;
      let slowest = 0;
      const started = performance.now();
      for (const { from, text } of inbox) {
        const one = performance.now();
        for (const packet of decodePeerMessage(text)) late.engine.receive(from, packet);
        const now = performance.now();
        slowest = Math.max(slowest, now - one);
        if (untilFull === null && late.list.value.length === length) untilFull = now - started;
      }
      const all = performance.now() - started;
      inbox.length = 0;
      if (untilFull === null) throw new Error(`the joiner has ${late.list.value.length} of ${length} items`);
      lobby.settle();
      lobby.check(length);
      runs.push({
        length,
        senders: players.length,
        messages: sizes.length,
        messagesFromHost: hostMessages,
        bytes: sizes.reduce((a, b) => a + b, 0),
        maxMessageBytes: Math.max(...sizes),
        encodeHostMs: encode[0],
        encodeEachMaxMs: Math.max(...encode),
        joinerUntilFullMs: untilFull,
        joinerAllMs: all,
        joinerSlowestMessageMs: slowest,
      });
    }
    const median = (key) => runs.map((r) => r[key]).sort((a, b) => a - b)[1];
    const timed = ['encodeHostMs', 'encodeEachMaxMs', 'joinerUntilFullMs', 'joinerAllMs', 'joinerSlowestMessageMs'];
    const r = { scenario: label, ...runs[0], ...Object.fromEntries(timed.map((key) => [key, median(key)])) };
    out.push(r);
    log(`  ${label} (${r.length.toLocaleString('en')} items; median of 3 joins):`);
    log(
      `    joiner receives ${r.messages} messages (${r.messagesFromHost} from the host, from ${r.senders} sender(s)), ${(r.bytes / 1024).toFixed(0)} KiB in all (${(r.bytes / r.length / r.senders).toFixed(1)} B/item per sender), largest ${(r.maxMessageBytes / 1024).toFixed(1)} KiB (limit ${MAX_IN_BAND_BYTES / 1024} KiB: ${r.maxMessageBytes <= MAX_IN_BAND_BYTES ? 'met' : 'MISSED'})`,
    );
    log(
      `    sender encode (its flush: state + chunks + encodePeerMessage): host ${r.encodeHostMs.toFixed(0)} ms${r.senders > 1 ? `, slowest sender ${r.encodeEachMaxMs.toFixed(0)} ms` : ''}; joiner decode + receive until its list is whole ${r.joinerUntilFullMs.toFixed(0)} ms, all messages ${r.joinerAllMs.toFixed(0)} ms (slowest one message ${r.joinerSlowestMessageMs.toFixed(0)} ms)`,
    );
  }
  results.mergedLateJoiner = out;
}

// (4) Counters.
function counters() {
  const lobby = new Lobby();
  const players = Array.from({ length: 10 }, (_, i) => lobby.join(`c${i}`, { list: false }));
  lobby.settle();
  for (const p of players) p.sent.length = 0;
  players[3].score.change(1);
  players[3].engine.flush();
  const change = [...players[3].sent];
  const changeBytes = change[0].bytes;
  if (change.length !== 9 || change.some((m) => m.bytes !== changeBytes || m.packets !== 1)) throw new Error('unexpected change packets');
  lobby.settle();
  // Everyone changes it (one also resets it), so the state has 10 entries and a set.
  for (const [k, p] of players.entries()) for (let i = 0; i <= k; i += 1) p.score.change(1);
  lobby.settle();
  players[0].score.reset(1000);
  lobby.settle();
  for (const [k, p] of players.entries()) p.score.change(k + 1);
  lobby.settle();
  for (const p of players) p.sent.length = 0;
  const late = lobby.join('c-late', { list: false });
  for (const p of players) p.engine.flush();
  const inbox = lobby.inboxes.get(late.id);
  const sizes = inbox.map((m) => bytesOf(m.text));
  lobby.settle();
  if (late.score.value !== players[0].score.value) throw new Error('the joiner has another total');
  const out = {
    changeBy1Bytes: changeBytes,
    changeBy1PerPeers: `${change.length} messages (one per peer)`,
    catchUp10: { messages: sizes.length, bytes: sizes.reduce((a, b) => a + b, 0), perMessage: Math.max(...sizes) },
  };
  log(`\nCounter (10 players, UUID ids): "change by 1" = one packet of ${changeBytes} B per peer (sent to each of the ${change.length} peers)`);
  log(
    `  late joiner catch-up of a counter 10 players changed (one reset): ${out.catchUp10.messages} state messages (one per player), ${out.catchUp10.perMessage} B each at most, ${out.catchUp10.bytes} B in all`,
  );
  results.counter = out;
}

if (run('lww')) lwwFigures();
if (run('frame')) {
  await perFrameMerged('random');
  await perFrameMerged('log');
}
if (run('edits')) singleEdits();
if (run('join')) lateJoiner();
if (run('counter')) counters();

if (run('lww')) {
  const file = readFileSync(new URL('../dist/cloudlink5.js', import.meta.url));
  const size = { minifiedKiB: file.length / 1024, gzippedKiB: gzipSync(file, { level: 9 }).length / 1024 };
  log(`\nExtension dist/cloudlink5.js: ${size.minifiedKiB.toFixed(1)} KiB minified, ${size.gzippedKiB.toFixed(1)} KiB gzipped (target ≤ 150 KiB minified)`);
  results.extension = size;
}
if (JSON_OUT) console.log(JSON.stringify(results, null, 2));
