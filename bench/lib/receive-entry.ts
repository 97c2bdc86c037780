// What bench/receive.mjs imports from our TypeScript sources: the browser test harness and the streaming project.
export { resolveChromium } from '../../test/setup/chromium.js';
export { startHarness } from '../../test/browser/harness.js';
export { handled, stream, streamingLobby } from '../../test/browser/streaming.js';
