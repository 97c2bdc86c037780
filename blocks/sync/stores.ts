// Scratch variables and lists as sync stores. Change detection must be cheap every frame:
// variables compare their value; lists are only looked at when marked dirty. Both Scratch's
// interpreter and TurboWarp's compiler set `list._monitorUpToDate = false` on every list edit,
// so an accessor on that property marks the list; "delete all" replaces `list.value` with a new
// array, caught by an identity check (verified in scratch-vm's scratch3_data.js and TurboWarp's
// compiler: "delete all" assigns `list.value = []` without touching the flag).
// As a safety net for code that edits a list in place without the flag (another extension, say),
// every list is also compared in full once every AUDIT_FRAMES frames, staggered across lists; that
// compare walks the items without copying them.
import type { ListStore, MergedListStore, VariableStore } from '../../src/client/sync/engine.js';
import { applyPatch } from '../../src/client/sync/sequence.js';
import type { ScratchValue } from '../../src/client/sync/stores.js';
import type { ScratchVariable } from '../scratch.js';

export function variableStore(variable: ScratchVariable): VariableStore {
  return {
    kind: 'var',
    read: () => variable.value as ScratchValue,
    write: (value) => {
      variable.value = value;
    },
  };
}

export interface ScratchListStore extends ListStore {
  /** Puts the list object back the way it was. */
  detach(): void;
}

export interface ScratchMergedListStore extends MergedListStore {
  detach(): void;
}

/** Frames between two full compares of an unflagged list. */
export const AUDIT_FRAMES = 60;
let nextAuditPhase = 0;

/** The accessor on one list's `_monitorUpToDate`, shared by every store bound to that list. */
interface Watch {
  upToDate: boolean;
  writing: boolean;
  /** One dirty mark per store, and who to tell about each edit. */
  marks: Set<{ dirty: boolean; edited: (() => void) | null }>;
}
const watches = new WeakMap<ScratchVariable, Watch>();

function watch(list: ScratchVariable): Watch {
  const known = watches.get(list);
  if (known) return known;
  const created: Watch = { upToDate: list._monitorUpToDate ?? false, writing: false, marks: new Set() };
  Object.defineProperty(list, '_monitorUpToDate', {
    configurable: true,
    enumerable: true,
    get: () => created.upToDate,
    set: (value: boolean) => {
      created.upToDate = value;
      if (value || created.writing) return;
      for (const mark of created.marks) {
        mark.dirty = true;
        mark.edited?.();
      }
    },
  });
  watches.set(list, created);
  return created;
}

/** A list synced as a whole (last writer wins). */
export function listStore(list: ScratchVariable): ScratchListStore {
  return { ...watchedList(list), kind: 'list' };
}

/** A list whose edits merge with everyone's: remote edits are applied to it in place. */
export function mergedListStore(list: ScratchVariable): ScratchMergedListStore {
  return { ...watchedList(list), kind: 'merged-list' };
}

function watchedList(list: ScratchVariable): Omit<ScratchMergedListStore, 'kind'> {
  nextAuditPhase = (nextAuditPhase + 7) % AUDIT_FRAMES;
  let frame = nextAuditPhase;
  const w = watch(list);
  const mark: { dirty: boolean; edited: (() => void) | null } = { dirty: false, edited: null };
  w.marks.add(mark);
  let seen = list.value as ScratchValue[];
  let seenLength = seen.length;
  /** The array `replaced()` last saw. */
  let array = seen;

  /** A remote change: not seen as a local one, and the list monitor redraws. */
  const writing = (change: () => void) => {
    w.writing = true;
    change();
    list._monitorUpToDate = false;
    w.writing = false;
    seen = list.value as ScratchValue[];
    seenLength = seen.length;
    array = seen;
  };

  return {
    read: () => list.value as ScratchValue[],
    changed(endOfFrame = false) {
      const items = list.value as ScratchValue[];
      if (endOfFrame) frame = frame + 1 === AUDIT_FRAMES ? 0 : frame + 1;
      const changed = mark.dirty || items !== seen || items.length !== seenLength || (endOfFrame && frame === 0);
      mark.dirty = false;
      seen = items;
      seenLength = items.length;
      return changed;
    },
    write(items) {
      writing(() => {
        list.value = items;
      });
    },
    patch(patches) {
      writing(() => {
        for (const patch of patches) applyPatch(list.value as ScratchValue[], patch);
      });
    },
    listen(edited) {
      mark.edited = edited;
    },
    replaced() {
      const was = array;
      array = list.value as ScratchValue[];
      return array !== was;
    },
    detach() {
      mark.edited = null;
      if (!w.marks.delete(mark) || w.marks.size > 0) return;
      watches.delete(list);
      delete (list as { _monitorUpToDate?: boolean })._monitorUpToDate;
      list._monitorUpToDate = w.upToDate;
    },
  };
}
