// Runs a function once per frame, after the scripts ran. TurboWarp's runtime emits AFTER_EXECUTE
// each frame; vanilla Scratch's does not, so there the runtime's `_step` is wrapped instead.
import type { ScratchRuntime } from '../scratch.js';

export function onEveryFrame(runtime: ScratchRuntime, each: () => void): () => void {
  const run = () => {
    try {
      each();
    } catch (error) {
      console.error('CloudLink 5: frame hook failed', error);
    }
  };
  const emitsFrames = typeof (runtime as { compilerOptions?: unknown }).compilerOptions === 'object';
  if (emitsFrames && runtime.on) {
    runtime.on('AFTER_EXECUTE', run);
    return () => (runtime as unknown as { off(event: string, fn: () => void): void }).off('AFTER_EXECUTE', run);
  }
  const step = runtime._step;
  runtime._step = function (this: ScratchRuntime) {
    step.call(this);
    run();
  };
  return () => {
    runtime._step = step;
  };
}
