// Scratch variables and lists as sync stores. Change detection must be cheap every frame:
// variables compare their value; lists are only looked at when marked dirty. Both Scratch's
// interpreter and TurboWarp's compiler set `list._monitorUpToDate = false` on every list edit,
// so an accessor on that property marks the list; "delete all" replaces `list.value` with a new
// array, caught by an identity check (verified in scratch-vm's scratch3_data.js and TurboWarp's
// compiler: "delete all" assigns `list.value = []` without touching the flag).
// As a safety net for code that edits a list in place without the flag (another extension, say),
// every list is also compared in full once every AUDIT_FRAMES frames, staggered across lists; that
// compare walks the items without copying them.
import type { ListStore, VariableStore } from '../../src/client/sync/engine.js';
import type { ScratchValue } from '../../src/client/sync/list-diff.js';
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

/** Frames between two full compares of an unflagged list. */
export const AUDIT_FRAMES = 60;
let nextAuditPhase = 0;

/** The accessor on one list's `_monitorUpToDate`, shared by every store bound to that list. */
interface Watch {
  upToDate: boolean;
  writing: boolean;
  /** One dirty mark per store. */
  marks: Set<{ dirty: boolean }>;
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
      if (!value && !created.writing) for (const mark of created.marks) mark.dirty = true;
    },
  });
  watches.set(list, created);
  return created;
}

export function listStore(list: ScratchVariable): ScratchListStore {
  nextAuditPhase = (nextAuditPhase + 7) % AUDIT_FRAMES;
  let frame = nextAuditPhase;
  const w = watch(list);
  const mark = { dirty: false };
  w.marks.add(mark);
  let seen = list.value as ScratchValue[];
  let seenLength = seen.length;

  return {
    kind: 'list',
    read: () => list.value as ScratchValue[],
    changed() {
      const items = list.value as ScratchValue[];
      frame = frame + 1 === AUDIT_FRAMES ? 0 : frame + 1;
      const changed = mark.dirty || items !== seen || items.length !== seenLength || frame === 0;
      mark.dirty = false;
      seen = items;
      seenLength = items.length;
      return changed;
    },
    write(items) {
      w.writing = true;
      list.value = items;
      list._monitorUpToDate = false; // refresh the list monitor
      w.writing = false;
      seen = items;
      seenLength = items.length;
    },
    detach() {
      if (!w.marks.delete(mark) || w.marks.size > 0) return;
      watches.delete(list);
      delete (list as { _monitorUpToDate?: boolean })._monitorUpToDate;
      list._monitorUpToDate = w.upToDate;
    },
  };
}
