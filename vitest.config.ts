import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Chooses the browser tests' Chromium once per run and prints which one (test/setup/chromium.ts).
    globalSetup: ['test/setup/chromium.ts'],
    // Names a file whose test process died mid-run, which vitest itself does not (the reporter's file).
    reporters: ['default', './test/setup/dead-worker-reporter.ts'],
    // Native WebRTC (@roamhq/wrtc) and real sockets are happier in child processes than in worker threads.
    pool: 'forks',
    // One file at a time: WebRTC peers, Scratch VMs and Chromium pages share two cores, and timing
    // assertions should not depend on what another file happens to be doing.
    maxWorkers: 1,
    testTimeout: 30_000,
    hookTimeout: 30_000,
    teardownTimeout: 10_000,
  },
});
