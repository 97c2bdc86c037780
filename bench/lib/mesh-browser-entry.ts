// What bench/mesh-browser.mjs imports from our TypeScript sources: the browser test harness and its lobby project.
export { resolveChromium } from '../../test/setup/chromium.js';
export { broadcastTo, connectPage, eventually, setVariable, startHarness, valueIn } from '../../test/browser/harness.js';
export { lobbyProject } from '../../test/browser/lobby-project.js';
