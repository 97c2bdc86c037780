// Scratch variables and lists as sync stores. Change detection must be cheap every frame:
// variables compare their value; lists are only looked at when marked dirty. Both Scratch's
// interpreter and TurboWarp's compiler set `list._monitorUpToDate = false` on every list edit,
// so an accessor on that property marks the list; "delete all" replaces `list.value` with a new
// array, caught by an identity check (verified in scratch-vm's scratch3_data.js and TurboWarp's
// compiler: "delete all" assigns `list.value = []` without touching the flag).
// A merged list is also told WHERE each edit is, so it never compares or copies the list: its array
// gets own `push`, `pop`, `shift`, `unshift` and `splice` methods that do the edit and report it.
// Every list block that inserts or deletes calls one of them on `list.value`, in scratch-vm and in
// TurboWarp's compiled code (which emits `.value.push(…)`, `.value.pop()` for "delete last",
// `.value.shift()` for "delete 1", `.value.unshift(…)` for "insert at 1", and `listInsert`/
// `listDelete` helpers that splice; test/contracts/vm-sync-internals.test.ts). "replace item" assigns
// an index, which nothing can observe: the flag that follows it, with no edit reported before it,
// is reported as an unseen change (the entry finds it walking in from both ends).
// As a safety net for code that edits a list in place without the flag (another extension, say),
// every list is also compared in full once every AUDIT_FRAMES frames, staggered across lists; that
// compare walks the items without copying them. (A merged list audits a slice each frame instead,
// against its sequence: merged-list-entry.ts.)
import type { ListListener, ListStore, MergedListStore, VariableStore } from '../../src/client/sync/engine.js';
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

interface Mark {
  dirty: boolean;
  listener: ListListener | null;
}

/** The accessor on one list's `_monitorUpToDate` and the edit methods on its array, shared by every store bound to that list. */
interface Watch {
  upToDate: boolean;
  /** A remote change is being written: not a local edit. */
  writing: boolean;
  /** An edit was reported since the last flag: the flag that ends its block reports nothing more. */
  reported: boolean;
  /** The array carrying the edit methods (only while a store listens). */
  hooked: ScratchValue[] | null;
  /** One dirty mark per store, and who to tell about each edit. */
  marks: Set<Mark>;
}
const watches = new WeakMap<ScratchVariable, Watch>();

function watch(list: ScratchVariable): Watch {
  const known = watches.get(list);
  if (known) return known;
  const w: Watch = { upToDate: list._monitorUpToDate ?? false, writing: false, reported: false, hooked: null, marks: new Set() };
  Object.defineProperty(list, '_monitorUpToDate', {
    configurable: true,
    enumerable: true,
    get: () => w.upToDate,
    set: (value: boolean) => {
      w.upToDate = value;
      if (value || w.writing) return;
      const reported = w.reported && list.value === w.hooked;
      w.reported = false;
      if (reported) return;
      hook(list, w);
      for (const mark of w.marks) {
        mark.dirty = true;
        mark.listener?.changed();
      }
    },
  });
  watches.set(list, w);
  return w;
}

const EDIT_METHODS = ['push', 'pop', 'shift', 'unshift', 'splice'] as const;
const NONE: readonly ScratchValue[] = [];
const arrays = Array.prototype;

/** Tells the marks that `removed` items went at `start` and `inserted` ones came in there. */
function report(w: Watch, start: number, removed: number, inserted: readonly ScratchValue[]): void {
  w.reported = true;
  for (const mark of w.marks) {
    const listener = mark.listener;
    if (!listener) mark.dirty = true;
    else {
      for (let i = 0; i < removed; i += 1) listener.deleted(start);
      for (let i = 0; i < inserted.length; i += 1) listener.inserted(start + i, inserted[i]!);
    }
  }
}

/** Gives the list's current array the edit methods (while a store listens), and takes them off the one before. */
function hook(list: ScratchVariable, w: Watch): void {
  const array = list.value as ScratchValue[];
  let wanted: ScratchValue[] | null = null;
  for (const mark of w.marks) if (mark.listener) wanted = array;
  if (w.hooked === wanted) return;
  if (w.hooked) for (const name of EDIT_METHODS) delete (w.hooked as unknown as Record<string, unknown>)[name];
  w.hooked = wanted;
  if (!wanted) return;
  /** Only the list's own array, edited by a script (not a remote patch being written), reports. */
  const told = (self: ScratchValue[]) => !w.writing && self === list.value;
  // Every method but push (the most common, which may also carry many items) is a splice, so one
  // place works out what an edit did.
  const methods = {
    splice(this: ScratchValue[], ...args: [number, number, ...ScratchValue[]]) {
      const had = this.length;
      const removed = arrays.splice.apply(this, args as never) as ScratchValue[];
      if (told(this)) {
        // Where the spec's splice starts: a negative start counts from the end, both are clamped.
        const relative = Math.trunc(Number(args[0])) || 0;
        const start = relative < 0 ? Math.max(had + relative, 0) : Math.min(relative, had);
        report(w, start, removed.length, args.length > 2 ? args.slice(2) : NONE);
      }
      return removed;
    },
    push(this: ScratchValue[], ...items: ScratchValue[]) {
      const at = this.length;
      arrays.push.apply(this, items);
      if (told(this)) report(w, at, 0, items);
      return this.length;
    },
    pop(this: ScratchValue[]) {
      return methods.splice.call(this, -1, 1)[0];
    },
    shift(this: ScratchValue[]) {
      return methods.splice.call(this, 0, 1)[0];
    },
    unshift(this: ScratchValue[], ...items: ScratchValue[]) {
      methods.splice.call(this, 0, 0, ...items);
      return this.length;
    },
  };
  for (const name of EDIT_METHODS) Object.defineProperty(wanted, name, { configurable: true, writable: true, value: methods[name] });
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
  const mark: Mark = { dirty: false, listener: null };
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
    hook(list, w);
  };

  return {
    read: () => list.value as ScratchValue[],
    changed(endOfFrame = false) {
      const items = list.value as ScratchValue[];
      if (endOfFrame) {
        frame = frame + 1 === AUDIT_FRAMES ? 0 : frame + 1;
        // Every block of the frame is done: an edit made without its flag (other code) must not swallow
        // the flag of a later frame's replace.
        w.reported = false;
      }
      // A listening store is told of every length change its array's methods make, and its entry audits
      // the list itself (merged-list-entry.ts): only the others count lengths and audit here.
      const watching = !mark.listener;
      const changed = mark.dirty || items !== seen || (watching && (items.length !== seenLength || (endOfFrame && frame === 0)));
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
    listen(listener) {
      mark.listener = listener;
      hook(list, w);
    },
    replaced() {
      const was = array;
      array = list.value as ScratchValue[];
      hook(list, w);
      return array !== was;
    },
    detach() {
      mark.listener = null;
      if (!w.marks.delete(mark)) return;
      hook(list, w);
      if (w.marks.size > 0) return;
      watches.delete(list);
      delete (list as { _monitorUpToDate?: boolean })._monitorUpToDate;
      list._monitorUpToDate = w.upToDate;
    },
  };
}
