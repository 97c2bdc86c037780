// TurboWarp's VM (with its compiler on) in Node: @turbowarp/packager's scaffolding build evaluated
// in a jsdom window. Its renderer needs WebGL, which jsdom lacks, so `setup()` throws after it
// created the VM; the VM itself runs headless. Used by test/sync/turbowarp-vm.test.ts and
// test/contracts/vm-threads.test.ts.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterAll, beforeAll } from 'vitest';

interface JsdomWindow {
  eval(code: string): unknown;
  close(): void;
  performance: object;
}
interface Jsdom {
  window: JsdomWindow;
}
const require = createRequire(import.meta.url);
// jsdom ships no types; only this much of it is used.
const { JSDOM, VirtualConsole } = require('jsdom') as {
  JSDOM: new (html: string, options: object) => Jsdom;
  VirtualConsole: new () => object;
};
const scaffoldingPath = require.resolve('@turbowarp/packager/dist/scaffolding/scaffolding-full.js');

/** One jsdom window holding TurboWarp's scaffolding; `vm()` makes a new VM in it. */
export class TurboWarpWindow {
  private readonly dom: Jsdom;

  constructor() {
    // A silent virtual console: the VM's asset warnings and jsdom's "getContext not implemented".
    this.dom = new JSDOM('<!doctype html><body></body>', {
      runScripts: 'outside-only',
      pretendToBeVisual: true,
      url: 'http://127.0.0.1/',
      virtualConsole: new VirtualConsole(),
    });
    // jsdom's performance has no mark/measure, which the project loader calls.
    const perf = this.dom.window.performance as unknown as Record<string, unknown>;
    perf.mark ??= () => {};
    perf.measure ??= () => {};
    this.dom.window.eval(readFileSync(scaffoldingPath, 'utf8'));
  }

  vm<V>(): V {
    const Scaffolding = (this.dom.window as unknown as { Scaffolding: { Scaffolding: new () => { setup(): void; vm: V } } }).Scaffolding;
    const scaffolding = new Scaffolding.Scaffolding();
    try {
      scaffolding.setup();
    } catch (error) {
      if (!/WebGL/.test(String(error))) throw error;
    }
    return scaffolding.vm;
  }

  close(): void {
    this.dom.window.close();
  }
}

/** One window for a test file: made before its tests, closed after them. Returns a getter for it. */
export function turbowarpForFile(): () => TurboWarpWindow {
  let window: TurboWarpWindow | undefined;
  beforeAll(() => {
    window = new TurboWarpWindow();
  }, 30_000);
  afterAll(() => window?.close());
  return () => {
    if (!window) throw new Error("TurboWarp's window is made in beforeAll");
    return window;
  };
}
