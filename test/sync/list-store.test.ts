// The Scratch list store's safety net: a list edited without setting `_monitorUpToDate` (another
// extension, say) is still found, by a full compare every AUDIT_FRAMES frames — frames, not calls.
import { describe, expect, it } from 'vitest';
import type { ScratchVariable } from '../../blocks/scratch.js';
import { AUDIT_FRAMES, mergedListStore } from '../../blocks/sync/stores.js';
import { AUDIT_ITEMS } from '../../src/client/sync/merged-list-entry.js';
import { MemoryNetwork } from './memory.js';

describe('list store audit', () => {
  it('reports an unflagged in-place edit within AUDIT_FRAMES end-of-frame looks, and not on other looks', () => {
    const list: ScratchVariable = { id: 'l', name: 'l', type: 'list', value: ['a', 'b'] };
    const store = mergedListStore(list);
    store.changed(); // binding's first look
    (list.value as string[])[0] = 'edited quietly'; // no flag, same array, same length
    // Looks that are not the frame's (after each block, before each remote packet) never audit.
    for (let i = 0; i < 3 * AUDIT_FRAMES; i += 1) expect(store.changed()).toBe(false);
    let frames = 0;
    while (!store.changed(true)) frames += 1;
    expect(frames).toBeLessThan(AUDIT_FRAMES);
    // Once per AUDIT_FRAMES frames, not every frame.
    let audits = 0;
    for (let i = 0; i < 3 * AUDIT_FRAMES; i += 1) if (store.changed(true)) audits += 1;
    expect(audits).toBe(3);
    store.detach();
  });
});

describe('merged list store: a block edit is sent where the block made it', () => {
  it('an insert among equal items goes exactly where the script put it, also against concurrent replaces', () => {
    // ann inserts "a" at 2 into [a, a, a] while bob replaces items 1 and 2. Found by comparing the
    // lists, the insert could be any of four places (all items are "a"), and a compare from the ends
    // puts it after the second item; the store reports the index the block used, after the first.
    const net = new MemoryNetwork();
    const scratch = (name: string): ScratchVariable => ({ id: name, name, type: 'list', value: [], _monitorUpToDate: false });
    const lists = { ann: scratch('ann'), bob: scratch('bob') };
    for (const [id, list] of Object.entries(lists)) net.join(id).bind('log', null, mergedListStore(list));
    net.settle();
    const edit = (list: ScratchVariable, change: (items: string[]) => void) => {
      change(list.value as string[]);
      list._monitorUpToDate = false; // what every Scratch list block does after its edit
    };
    for (let i = 0; i < 3; i += 1) edit(lists.ann, (items) => items.push('a'));
    net.settle();
    edit(lists.ann, (items) => items.splice(1, 0, 'a')); // "insert a at 2 of log"
    edit(lists.bob, (items) => {
      items[0] = 'P';
    });
    edit(lists.bob, (items) => {
      items[1] = 'Q';
    });
    net.settle();
    expect(lists.ann.value).toEqual(['P', 'a', 'Q', 'a']);
    expect(lists.bob.value).toEqual(lists.ann.value);
    expect(net.errors).toEqual([]);
  });
});

describe('merged list safety net: edits nobody reported', () => {
  const pair = (items = 3000) => {
    const net = new MemoryNetwork();
    const ann: ScratchVariable = { id: 'ann', name: 'log', type: 'list', value: [], _monitorUpToDate: false };
    const bob: ScratchVariable = { id: 'bob', name: 'log', type: 'list', value: [], _monitorUpToDate: false };
    net.join('ann').bind('log', null, mergedListStore(ann));
    net.join('bob').bind('log', null, mergedListStore(bob));
    net.settle();
    (ann.value as string[]).push(...Array.from({ length: items }, (_, i) => `item ${i}`));
    ann._monitorUpToDate = false;
    net.settle();
    return { net, ann, bob };
  };

  it(`an in-place write without the flag is found by the audit within length / ${AUDIT_ITEMS} frames`, () => {
    const { net, ann, bob } = pair();
    (ann.value as string[])[2500] = 'quiet'; // no flag, same array, same length: only the audit sees it
    let frames = 0;
    while ((bob.value as string[])[2500] !== 'quiet' && frames <= Math.ceil(3000 / AUDIT_ITEMS) + 1) {
      net.engines.get('ann')!.flush();
      net.settle();
      frames += 1;
    }
    expect(bob.value).toEqual(ann.value);
    expect(frames).toBeLessThanOrEqual(Math.ceil(3000 / AUDIT_ITEMS) + 1);
  });

  it("an edit reported without its flag (other code) does not swallow the next frame's replace", () => {
    // The audit covers 1,024 of 20,000 items a frame: twice in a row it would find the replace by luck 1 in 400.
    const { net, ann, bob } = pair(20_000);
    for (const at of [15_000, 5_000]) {
      (ann.value as string[]).push('pushed quietly'); // reported by the array, no flag after it
      net.settle(); // the frame ends
      (ann.value as string[])[at] = `replaced at ${at}`;
      ann._monitorUpToDate = false; // "replace item": the flag is all that tells
      net.engines.get('ann')!.flush();
      net.settle();
      expect((bob.value as string[])[at]).toBe(`replaced at ${at}`);
    }
    expect(bob.value).toEqual(ann.value);
  });

  it('a length change without the edit methods or the flag is found at the next look', () => {
    const { net, ann, bob } = pair();
    (ann.value as string[]).length = 10;
    net.settle();
    expect(bob.value).toEqual(ann.value);
    expect((bob.value as string[]).length).toBe(10);
  });
});
