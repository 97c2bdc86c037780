// Runs functions just before and just after every step of a Scratch thread, by wrapping
// `runtime.sequencer.stepThread` once per runtime. Both VMs step each thread of a frame through that
// method (scratch-vm's and TurboWarp's `stepThreads` call `this.stepThread(thread)`), so a hat whose
// script just finished can be started again for its next event in the same tick: threads started
// during a tick are appended to `runtime.threads` and stepped before the tick ends.
// `sequencer.stepThread` is a VM internal: test/contracts/vm-threads.test.ts checks it in both VMs.
import type { ScratchRuntime, ScratchThread } from './scratch.js';

export interface StepHooks {
  before(thread: ScratchThread): void;
  after(thread: ScratchThread): void;
}

interface Sequencer {
  stepThread(thread: ScratchThread): void;
}

const installed = new WeakMap<Sequencer, Set<StepHooks>>();

/** Calls the hooks around every thread step until the returned function is called; a runtime without a sequencer gets none. */
export function onEveryStep(runtime: ScratchRuntime, hooks: StepHooks): () => void {
  const sequencer = (runtime as { sequencer?: Sequencer }).sequencer;
  if (typeof sequencer?.stepThread !== 'function') return () => {};
  let all = installed.get(sequencer);
  if (!all) {
    const each = new Set<StepHooks>();
    const step = sequencer.stepThread;
    sequencer.stepThread = function (this: Sequencer, thread: ScratchThread) {
      for (const hook of each) guarded(() => hook.before(thread));
      step.call(this, thread);
      for (const hook of each) guarded(() => hook.after(thread));
    };
    installed.set(sequencer, each);
    all = each;
  }
  const entry = { ...hooks };
  all.add(entry);
  return () => void all.delete(entry);
}

/** A failing hook must not stop the project's frame. */
function guarded(run: () => void): void {
  try {
    run();
  } catch (error) {
    console.error('CloudLink 5: thread hook failed', error);
  }
}
