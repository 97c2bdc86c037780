// The announcer's cost rule on its own (src/server/lobby-announcer.ts): a batch waits past the interval
// until enough lobbies share the measured cost of the last one, or until its oldest lobby waited the
// stated delay; the writing is split into slices. Watchers here are stand-ins whose announce() burns a
// known amount of CPU, so that a batch's cost is known; the real server is tested in
// lobby-announcements.test.ts.
import { afterEach, describe, expect, it } from 'vitest';
import { type AnnouncerOptions, LobbyAnnouncer, type Watcher } from '../../src/server/lobby-announcer.js';
import { waitFor } from '../helpers/server-process.js';

/** Busy for `ms` of this process's CPU time (not wall time: a loaded machine must not change the cost). */
function burn(ms: number): void {
  const from = process.cpuUsage();
  for (;;) {
    const used = process.cpuUsage(from);
    if (used.user + used.system >= ms * 1000) return;
  }
}

interface Heard {
  names: string[];
  at: number;
}

/** The texts of unmasked, unfragmented text frames, as a client reads what the watcher was given (lengths to 64 KiB). */
function textFrames(bytes: Buffer): string[] {
  const texts: string[] = [];
  for (let at = 0; at < bytes.length; ) {
    expect(bytes[at], 'a final text frame').toBe(0x81);
    const short = bytes[at + 1]!;
    expect(short & 0x80, 'unmasked').toBe(0);
    const [length, header] = short === 126 ? [bytes.readUInt16BE(at + 2), 4] : [short, 2];
    texts.push(bytes.toString('utf8', at + header, at + header + length));
    at += header + length;
  }
  return texts;
}

function watchers(count: number, costMs: number): (Watcher & { batches: Heard[] })[] {
  return Array.from({ length: count }, () => {
    const batches: Heard[] = [];
    return {
      game: 'g',
      lobby: null,
      batches,
      announce(frames: Buffer) {
        batches.push({ names: textFrames(frames).map((text) => (JSON.parse(text) as { payload: string }).payload), at: Date.now() });
        burn(costMs);
      },
    };
  });
}

/** Polls until `condition` holds (bounded). */
const until = (condition: () => boolean, what: string, timeoutMs: number) => waitFor(() => condition() || undefined, what, timeoutMs);

let announcer: LobbyAnnouncer | undefined;
afterEach(() => announcer?.stop());

function start(options: Partial<AnnouncerOptions>, list: Watcher[]): LobbyAnnouncer {
  announcer = new LobbyAnnouncer({ intervalMs: 100, batchMax: 50, costPerLobbyMs: 1, maxDelayMs: 1500, sliceMs: 1, ...options }, () => list);
  return announcer;
}

const news = (name: string) => ({ game: 'g', name, created: 1 });

describe('LobbyAnnouncer: the cost rule', () => {
  it('holds a batch until enough lobbies share its expected cost (10 ms: 3 lobbies at 4 ms each), else until the stated delay', async () => {
    const list = watchers(10, 0.03);
    const a = start({ costPerLobbyMs: 4 }, list);
    a.add(news('first')); // the first batch leaves at once, and measures the cost
    await until(() => a.batches === 1, 'the first batch', 2000);
    // 10 × 0.03 ms of CPU, read on a loaded machine, and no more than 50 µs a write is believed.
    expect(a.lastCostMs).toBeGreaterThanOrEqual(0.3);
    expect(a.lastCostMs).toBeLessThanOrEqual(0.5);
    a.lastCostMs = 10; // the expected cost of the next batch, exactly, for what follows

    const held = Date.now();
    a.add(news('b'));
    a.add(news('c'));
    // Two lobbies do not pay for ~10 ms: nothing leaves at the interval's end (3 intervals here).
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(a.batches).toBe(1);
    a.add(news('d')); // a third does: all three leave together, now
    await until(() => a.batches === 2, 'the shared batch', 2000);
    expect(Date.now() - held).toBeLessThan(1500);
    for (const w of list) expect(w.batches.map((batch) => batch.names)).toEqual([['first'], ['b', 'c', 'd']]);

    // One lobby alone waits the stated delay, then leaves anyway.
    a.lastCostMs = 10;
    const alone = Date.now();
    a.add(news('alone'));
    await until(() => a.batches === 3, 'the lone lobby, after the stated delay', 4000);
    for (const w of list) {
      const last = w.batches.at(-1)!;
      expect(last.names).toEqual(['alone']);
      expect(last.at - alone).toBeGreaterThanOrEqual(1500 - 5);
    }
  }, 15_000);

  it('cost 0: never held past the interval', async () => {
    const list = watchers(10, 0.25);
    const a = start({ costPerLobbyMs: 0 }, list);
    a.add(news('first'));
    await until(() => a.batches === 1, 'the first batch', 2000);
    const added = Date.now();
    a.add(news('second'));
    await until(() => a.batches === 2, 'the second batch', 2000);
    expect(Date.now() - added).toBeLessThan(1000);
  });

  it('a held batch carries batchMax names for each interval it waited, oldest first', async () => {
    const list = watchers(4, 0.5);
    const a = start({ batchMax: 2, costPerLobbyMs: 0.001, maxDelayMs: 600 }, list);
    a.add(news('first'));
    await until(() => a.batches === 1, 'the first batch', 2000);
    for (let i = 0; i < 30; i += 1) a.add(news(`room${i}`));
    await until(() => a.batches === 2, 'the held batch', 3000);
    const [w] = list;
    const held = w!.batches[1]!.names;
    // Held ~600 ms = 6 intervals of 100 ms: 12 names at least (timers may be late: a few intervals more).
    expect(held.length).toBeGreaterThanOrEqual(12);
    expect(held.length).toBeLessThan(30);
    expect(held).toEqual(Array.from({ length: held.length }, (_, i) => `room${i}`));
  });

  it('writes a batch in slices: the event loop turns between them, and every watcher hears it once', async () => {
    const list = watchers(40, 0.2);
    const a = start({ sliceMs: 1 }, list);
    let turns = 0;
    const tick = setInterval(() => {
      turns += 1;
    }, 0);
    try {
      a.add(news('room'));
      await until(() => a.batches === 1, 'the batch', 5000);
    } finally {
      clearInterval(tick);
    }
    for (const w of list) expect(w.batches.map((batch) => batch.names)).toEqual([['room']]);
    // 40 × 0.2 ms in slices of 1 ms: the timer got its turn between them.
    expect(turns).toBeGreaterThanOrEqual(2);
  });
});
