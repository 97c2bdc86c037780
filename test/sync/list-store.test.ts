// The Scratch list store's safety net: a list edited without setting `_monitorUpToDate` (another
// extension, say) is still found, by a full compare every AUDIT_FRAMES frames — frames, not calls.
import { describe, expect, it } from 'vitest';
import type { ScratchVariable } from '../../blocks/scratch.js';
import { AUDIT_FRAMES, mergedListStore } from '../../blocks/sync/stores.js';

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
