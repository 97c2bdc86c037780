// Real browsers for the tests: Debian's Chromium driven by playwright-core (never a downloaded
// browser), each page running TurboWarp's runtime with our built extension, players connected
// through the real signalling server on 127.0.0.1.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { silentLogger } from '../../src/server/log.js';
import { startServer, type RunningServer } from '../../src/server/server.js';

const root = path.resolve(import.meta.dirname, '../..');
export const CHROMIUM = '/usr/bin/chromium';

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--autoplay-policy=no-user-gesture-required',
];

export interface Harness {
  /** Page URL base (static files, projects, extension). */
  base: string;
  signalling: RunningServer;
  context: BrowserContext;
  /** Opens a player page running `project` (a name given to `serve`). */
  open(project: string, options?: { extension?: boolean }): Promise<Page>;
  serve(name: string, sb3: Buffer): void;
  close(): Promise<void>;
}

export async function startHarness(): Promise<Harness> {
  const projects = new Map<string, Buffer>();
  const files: Record<string, [string, string]> = {
    '/player.html': [path.join(root, 'test/browser/player.html'), 'text/html'],
    '/scaffolding-min.js': [path.join(root, 'node_modules/@turbowarp/packager/dist/scaffolding/scaffolding-min.js'), 'application/javascript'],
    '/cloudlink5.js': [path.join(root, 'dist/cloudlink5.js'), 'application/javascript'],
  };
  const http: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const project = url.pathname.startsWith('/projects/') ? projects.get(url.pathname.slice('/projects/'.length)) : undefined;
    const file = files[url.pathname];
    if (project) {
      res.writeHead(200, { 'Content-Type': 'application/octet-stream' }).end(project);
    } else if (file) {
      res.writeHead(200, { 'Content-Type': file[1] }).end(readFileSync(file[0]));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const address = http.address();
  const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const signalling = await startServer({ port: 0, logger: silentLogger, rateLimit: { perSecond: 500, burst: 2000 } });
  const profile = mkdtempSync(path.join(tmpdir(), 'cl5-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 480, height: 360 },
  });
  return {
    base,
    signalling,
    context,
    serve: (name, sb3) => void projects.set(name, sb3),
    async open(project, options = {}) {
      const page = await context.newPage();
      page.on('pageerror', (error) => console.error(`[page ${project}]`, error.message));
      await page.goto(`${base}/player.html`);
      const result = await page.evaluate(
        ([projectUrl, extensionUrl]) => (window as unknown as { boot(p: string, e?: string): Promise<{ compiler: boolean }> }).boot(projectUrl!, extensionUrl),
        [`${base}/projects/${project}`, options.extension === false ? undefined : `${base}/cloudlink5.js`],
      );
      if (!result.compiler) throw new Error('the TurboWarp compiler is off');
      return page;
    },
    async close() {
      await context.close().catch(() => {});
      await signalling.close();
      await new Promise((resolve) => http.close(resolve));
      http.closeAllConnections();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

// ── page helpers ───────────────────────────────────────────────────────────────────────────
type TestApi = { value(name: string, type?: string, sprite?: string): unknown; set(name: string, value: unknown, sprite?: string): void; broadcast(message: string): void };

export const valueOf = (page: Page, name: string, type: '' | 'list' = '', sprite?: string): Promise<unknown> =>
  page.evaluate(([n, t, s]) => (window as unknown as { cl5test: TestApi }).cl5test.value(n!, t, s), [name, type, sprite] as const);

export const setVariable = (page: Page, name: string, value: string | number): Promise<void> =>
  page.evaluate(([n, v]) => (window as unknown as { cl5test: TestApi }).cl5test.set(n as string, v), [name, value] as const);

export const broadcastTo = (page: Page, message: string): Promise<void> =>
  page.evaluate((m) => void (window as unknown as { cl5test: TestApi }).cl5test.broadcast(m), message);

/** Polls `read` until `accept` holds (bounded). */
export async function eventually<T>(read: () => Promise<T>, accept: (value: T) => boolean, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await read();
    if (accept(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(last)}`);
}
