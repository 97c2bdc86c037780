// SlicedLoop (src/server/sliced-loop.ts): work over many items, at most a slice of time per event-loop
// turn. The announcer's use of it on a real server is tested in lobby-announcements.test.ts.
import { describe, expect, it } from 'vitest';
import { SlicedLoop } from '../../src/server/sliced-loop.js';

/** Resolves when `loop` calls done; the loop runs until then (bounded by the test's timeout). */
function run<T>(items: Iterator<T>, each: (item: T) => void, sliceMs: number): { loop: SlicedLoop<T>; finished: Promise<void> } {
  let loop!: SlicedLoop<T>;
  const finished = new Promise<void>((resolve) => {
    loop = new SlicedLoop(items, each, sliceMs, () => resolve());
  });
  loop.start();
  return { loop, finished };
}

describe('SlicedLoop', () => {
  it('visits every item once, over several turns when each slice is used up, and other callbacks run between', async () => {
    const seen: number[] = [];
    let immediates = 0;
    const between = () => {
      immediates += 1;
      if (seen.length < 100) setImmediate(between);
    };
    setImmediate(between);
    const { loop, finished } = run([...Array(100).keys()][Symbol.iterator](), (i) => seen.push(i), 0);
    expect(seen).toEqual([0]); // the first slice ran now, one item (a slice of 0 ms)
    await finished;
    expect(seen).toEqual([...Array(100).keys()]);
    expect(immediates).toBeGreaterThanOrEqual(50);
    expect(loop.spentMs).toBeGreaterThan(0);
  });

  it('reads a Map as it goes: an entry added behind is visited, one deleted before its turn is not', async () => {
    const map = new Map([...Array(10).keys()].map((i) => [i, i]));
    const seen: number[] = [];
    const { finished } = run(
      map.values(),
      (i) => {
        seen.push(i);
        if (i === 0) {
          map.delete(5);
          map.set(10, 10);
        }
      },
      0,
    );
    await finished;
    expect(seen).toEqual([0, 1, 2, 3, 4, 6, 7, 8, 9, 10]);
  });

  it('stopped (even by an item), it visits nothing more and never calls done', async () => {
    const seen: number[] = [];
    let done = false;
    const loop: SlicedLoop<number> = new SlicedLoop(
      [...Array(10).keys()][Symbol.iterator](),
      (i) => {
        seen.push(i);
        if (i === 3) loop.stop();
      },
      0,
      () => {
        done = true;
      },
    );
    loop.start();
    // Ten turns are more than the loop would need to finish.
    for (let turn = 0; turn < 10; turn += 1) await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toEqual([0, 1, 2, 3]);
    expect(done).toBe(false);
  });
});
