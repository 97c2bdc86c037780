// vitest reporter: names the test file whose process died. When a fork exits mid-file (a native crash,
// e.g. of @roamhq/wrtc: docs/architecture.md, "Native WebRTC crashes in Node"), vitest prints only
// "Worker exited unexpectedly" and leaves the file out of its counts; this says which file it was and
// which tests had no result, so a CI log's tail is enough to know where to look.
import type { Reporter, TestModule } from 'vitest/node';

/** The lines to print for files that never finished: none when every file did. */
export function unfinishedFiles(modules: ReadonlyArray<TestModule>): string[] {
  const lines: string[] = [];
  for (const module of modules) {
    const state = module.state();
    if (state !== 'pending' && state !== 'queued') continue;
    const unfinished = [...module.children.allTests()].filter((test) => test.result().state === 'pending');
    // Results reach vitest in batches, so the process died in the first test without one or later.
    const where = unfinished[0] ? ` during or after "${unfinished[0].fullName}"` : '';
    lines.push(`${module.relativeModuleId}: its test process died${where}; ${unfinished.length} test(s) have no result`);
  }
  return lines;
}

export default class DeadWorkerReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    for (const line of unfinishedFiles(modules)) console.error(`\n${line}`);
  }
}
