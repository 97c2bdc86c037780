// Scratch variables and lists as sync stores. Change detection must be cheap every frame:
// variables compare their value; lists are only looked at when marked dirty. Both Scratch's
// interpreter and TurboWarp's compiler set `list._monitorUpToDate = false` on every list edit,
// so an accessor on that property marks the list; "delete all" replaces `list.value` with a new
// array, caught by an identity check.
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

export function listStore(list: ScratchVariable): ScratchListStore {
  let upToDate = list._monitorUpToDate ?? false;
  let dirty = false;
  let writing = false;
  let seen = list.value as ScratchValue[];
  let seenLength = seen.length;

  Object.defineProperty(list, '_monitorUpToDate', {
    configurable: true,
    enumerable: true,
    get: () => upToDate,
    set: (value: boolean) => {
      upToDate = value;
      if (!value && !writing) dirty = true;
    },
  });

  return {
    kind: 'list',
    read: () => list.value as ScratchValue[],
    changed() {
      const items = list.value as ScratchValue[];
      const changed = dirty || items !== seen || items.length !== seenLength;
      dirty = false;
      seen = items;
      seenLength = items.length;
      return changed;
    },
    write(items) {
      writing = true;
      list.value = items;
      list._monitorUpToDate = false; // refresh the list monitor
      writing = false;
      seen = items;
      seenLength = items.length;
    },
    detach() {
      delete (list as { _monitorUpToDate?: boolean })._monitorUpToDate;
      list._monitorUpToDate = upToDate;
    },
  };
}
