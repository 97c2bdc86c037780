// Runs functions once per frame, after the scripts ran.
//
// Verified (see docs/sync.md): TurboWarp's runtime emits BEFORE_EXECUTE / AFTER_EXECUTE around
// `sequencer.stepThreads()` in every `_step` (its Runtime class has static AFTER_EXECUTE); vanilla
// scratch-vm (npm 5.0.x) emits neither, so there the runtime's `_step` is wrapped instead.
// One hook per runtime is shared by every caller: hooks can be removed in any order without
// undoing each other's wrappers.
import { hasOwn } from '../../src/protocol/has-own.js';
import type { ScratchRuntime } from '../scratch.js';

interface Hook {
  callbacks: Set<() => void>;
  uninstall: () => void;
}

const hooks = new WeakMap<ScratchRuntime, Hook>();

/** True if the runtime emits AFTER_EXECUTE every frame (TurboWarp). */
export function emitsFrameEvents(runtime: ScratchRuntime): boolean {
  const statics = runtime.constructor as { AFTER_EXECUTE?: unknown } | undefined;
  if (statics?.AFTER_EXECUTE === 'AFTER_EXECUTE') return true;
  return typeof (runtime as { compilerOptions?: unknown }).compilerOptions === 'object' && typeof runtime.on === 'function';
}

/** Calls `each` after every frame until the returned function is called. */
export function onEveryFrame(runtime: ScratchRuntime, each: () => void): () => void {
  let hook = hooks.get(runtime);
  if (!hook) {
    hook = install(runtime);
    hooks.set(runtime, hook);
  }
  const callbacks = hook.callbacks;
  // A distinct function per registration, so registering the same callback twice runs it twice.
  const entry = () => each();
  callbacks.add(entry);
  return () => {
    if (!callbacks.delete(entry) || callbacks.size > 0) return;
    hooks.get(runtime)?.uninstall();
    hooks.delete(runtime);
  };
}

function install(runtime: ScratchRuntime): Hook {
  const callbacks = new Set<() => void>();
  const run = () => {
    for (const callback of [...callbacks]) {
      try {
        callback();
      } catch (error) {
        console.error('CloudLink 5: frame hook failed', error);
      }
    }
  };
  if (emitsFrameEvents(runtime)) {
    runtime.on!('AFTER_EXECUTE', run);
    const events = runtime as unknown as { off?(event: string, fn: () => void): void; removeListener?(event: string, fn: () => void): void };
    return { callbacks, uninstall: () => (events.off ?? events.removeListener)?.call(runtime, 'AFTER_EXECUTE', run) };
  }
  const hadOwn = hasOwn(runtime, '_step');
  const step = runtime._step;
  const wrapped = function (this: ScratchRuntime) {
    step.call(this);
    run();
  };
  runtime._step = wrapped;
  return {
    callbacks,
    uninstall: () => {
      if (runtime._step !== wrapped) return; // someone wrapped it after us: leave their wrapper, ours is then a no-op
      if (hadOwn) runtime._step = step;
      else delete (runtime as { _step?: unknown })._step;
    },
  };
}
