// Minimal `process` for simple-peer's dependencies in the browser (they read env and call nextTick).
export const process = {
  env: {},
  browser: true,
  version: '',
  versions: {},
  nextTick: (fn, ...args) => queueMicrotask(() => fn(...args)),
};
