// KeyedLanes runs one task at a time per key, in arrival order, and refuses past its queue bound.
import { describe, expect, it } from 'vitest';
import { KeyedLanes } from '../../src/server/keyed-lanes.js';

function gate(): { open: () => void; passed: Promise<void> } {
  let open!: () => void;
  const passed = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, passed };
}

describe('KeyedLanes', () => {
  it('runs one task per key at a time, in order, while other keys run beside it', async () => {
    const lanes = new KeyedLanes(5);
    const order: string[] = [];
    const first = gate();
    const a1 = lanes.run('a', async () => {
      order.push('a1 start');
      await first.passed;
      order.push('a1 end');
    });
    const a2 = lanes.run('a', async () => {
      order.push('a2');
    });
    const b1 = lanes.run('b', async () => {
      order.push('b1');
    });
    await b1;
    expect(order).toEqual(['a1 start', 'b1']);
    first.open();
    await Promise.all([a1, a2]);
    expect(order).toEqual(['a1 start', 'b1', 'a1 end', 'a2']);
    expect(lanes.size).toBe(0);
  });

  it('refuses a task when the running one and maxQueued others are there, and takes more once they ran', async () => {
    const lanes = new KeyedLanes(2);
    const held = gate();
    const ran: number[] = [];
    const accepted = [0, 1, 2, 3, 4].map((i) =>
      lanes.run('k', async () => {
        await held.passed;
        ran.push(i);
      }),
    );
    expect(accepted.map((task) => task !== null)).toEqual([true, true, true, false, false]);
    held.open();
    await Promise.all(accepted);
    expect(ran).toEqual([0, 1, 2]);
    expect(lanes.size).toBe(0);
    expect(await lanes.run('k', async () => 'again')).toBe('again');
  });

  it('keeps going after a task that throws', async () => {
    const lanes = new KeyedLanes(2);
    const failed = lanes.run('k', async () => {
      throw new Error('boom');
    });
    const next = lanes.run('k', async () => 'next');
    await expect(failed).rejects.toThrow('boom');
    expect(await next).toBe('next');
  });
});
