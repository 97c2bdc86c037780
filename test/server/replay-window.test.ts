// The replay window keeps the newest frames within its byte bound, in a ring of bytes: checked against a
// plain list of strings over many random records (as text or as bytes), limit changes and reads
// (wrapping, multi-byte text, frames larger than the window).
import { describe, expect, it, vi } from 'vitest';
import { ReplayWindow } from '../../src/server/replay-window.js';

/** The same rules on an array of strings. */
class Reference {
  frames: string[] = [];
  count = 0;
  constructor(public limit: number) {}
  private get used(): number {
    return this.frames.reduce((sum, frame) => sum + 4 + Buffer.byteLength(frame), 0);
  }
  record(frame: string): void {
    this.count += 1;
    const need = 4 + Buffer.byteLength(frame);
    if (need > this.limit) this.frames = [];
    else {
      while (this.used + need > this.limit) this.frames.shift();
      this.frames.push(frame);
    }
  }
  setLimit(limit: number): void {
    this.limit = limit;
    while (this.used > limit) this.frames.shift();
  }
  after(received: number): string[] | null {
    const oldestKept = this.count - this.frames.length + 1;
    if (!Number.isInteger(received) || received > this.count || received < oldestKept - 1) return null;
    return this.frames.slice(received - (oldestKept - 1));
  }
}

/** A small seeded generator (mulberry32): the same run every time. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = ['a', 'é', '€', '🎮', '{"opcode":"ICE"}', 'x'.repeat(40)];

describe('ReplayWindow', () => {
  // The larger bound is past the size where a busy player's ring stops doubling and jumps to its usual bound
  // (and beyond it, away); `msPerGrowth` is how long each growth comes after the last (busy: under 10 s).
  it.each([
    { bound: 300, limits: [40, 300, 1200, 5000], msPerGrowth: 1 },
    { bound: 20_000, limits: [3000, 20_000, 50_000], msPerGrowth: 1 },
    { bound: 20_000, limits: [3000, 20_000, 50_000], msPerGrowth: 60_000 },
  ])(
    'keeps what a list of strings with the same byte bound keeps, through wraps, growth and limit changes (bound $bound, a growth every $msPerGrowth ms)',
    ({ bound, limits, msPerGrowth }) => {
      for (const seed of [1, 2, 3, 4, 5]) {
        const next = random(seed);
        let clock = 0;
        const window = new ReplayWindow(bound, () => (clock += msPerGrowth));
        const reference = new Reference(bound);
        for (let step = 0; step < 3000; step += 1) {
          const roll = next();
          if (roll < 0.8) {
            const head = `${step}:`;
            let tail = '';
            const pieces = Math.floor(next() * (next() < 0.05 ? 40 : 8));
            for (let i = 0; i < pieces; i += 1) tail += PIECES[Math.floor(next() * PIECES.length)];
            const frame = head + tail;
            // As text, or as the bytes of a head (followed by bytes not part of it) and a tail, as a relayed signal is.
            if (next() < 0.5) window.record(frame);
            else window.recordJoined(Buffer.from(`${head}}🎮`), Buffer.byteLength(head), Buffer.from(tail));
            reference.record(frame);
            // The newest frame's bytes, as the outbox copies them (pushHeld), at an offset of the target.
            const bytes = Buffer.from(frame);
            if (4 + bytes.length > reference.limit) expect(window.newestSize).toBe(-1);
            else {
              expect(window.newestSize).toBe(bytes.length);
              const target = Buffer.alloc(bytes.length + 3);
              window.copyNewest(target, 3);
              expect(target.subarray(3).equals(bytes), `seed ${seed} step ${step} copyNewest`).toBe(true);
            }
          } else if (roll < 0.83) {
            const limit = limits[Math.floor(next() * limits.length)]!;
            window.setLimit(limit);
            reference.setLimit(limit);
          } else {
            const received = reference.count - Math.floor(next() * 30);
            expect(window.after(received), `seed ${seed} step ${step} after(${received})`).toEqual(reference.after(received));
          }
          expect(window.recorded).toBe(reference.count);
        }
      }
    },
  );

  /** The sizes of the rings `window` allocates while it records 300 frames of 500 bytes (150 KB: the full ring wraps twice), `tick()` after each. */
  function ringsWhileRecording(window: ReplayWindow, tick: () => void): number[] {
    const sizes: number[] = [];
    const allocUnsafe = vi.spyOn(Buffer, 'allocUnsafe').mockImplementation((size: number) => {
      sizes.push(size);
      return Buffer.alloc(size);
    });
    try {
      for (let i = 0; i < 300; i += 1) {
        window.record('x'.repeat(496)); // 500 bytes with its length
        tick();
      }
    } finally {
      allocUnsafe.mockRestore();
    }
    // Rings only (a frame length across the ring's end takes a 4-byte scratch buffer).
    return sizes.filter((size) => size > 4);
  }

  it("doubles a busy player's ring up to 8 KiB, then takes its whole usual bound at once", () => {
    let clock = 0;
    const window = new ReplayWindow(64 * 1024, () => clock);
    expect(ringsWhileRecording(window, () => (clock += 100))).toEqual([512, 1024, 2048, 4096, 8192, 64 * 1024]);
    expect(window.after(300 - 131)).toHaveLength(131); // 131 frames of 500 bytes fit in 64 KiB
  });

  it('keeps doubling the ring of a player whose frames come slowly (an idle one)', () => {
    let clock = 0;
    const window = new ReplayWindow(64 * 1024, () => clock);
    expect(ringsWhileRecording(window, () => (clock += 5000))).toEqual([512, 1024, 2048, 4096, 8192, 16_384, 32_768, 64 * 1024]);
    expect(window.after(300 - 131)).toHaveLength(131);
  });

  it('refuses an impossible count and answers an empty list when nothing was missed', () => {
    const window = new ReplayWindow(1024);
    expect(window.after(0)).toEqual([]);
    window.record('one');
    window.record('two');
    expect(window.after(0)).toEqual(['one', 'two']);
    expect(window.after(2)).toEqual([]);
    expect(window.after(3)).toBeNull();
    expect(window.after(1.5)).toBeNull();
    expect(window.after(-1)).toBeNull();
  });

  it('has a gap (null) once a frame larger than the whole window went by', () => {
    const window = new ReplayWindow(64);
    window.record('small');
    window.record('x'.repeat(100));
    expect(window.after(0)).toBeNull();
    expect(window.after(1)).toBeNull();
    expect(window.after(2)).toEqual([]);
    window.record('after');
    expect(window.after(2)).toEqual(['after']);
  });
});
