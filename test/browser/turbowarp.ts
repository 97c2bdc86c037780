// Real-browser test harness: Debian's Chromium (driven by playwright-core) runs TurboWarp's VM from
// @turbowarp/packager's scaffolding with the compiler on, an unsandboxed URL extension and a project,
// one isolated browser context (fresh profile: own storage, cookies, permissions) per player.
//
//   const players = await openPlayers(2, { extensionPath: buildExtension(dir), project: sb3Buffer });
//   try {
//     await players.pages[0].broadcast('connect');
//     await players.pages[1].waitForVar('status', 'connected');
//   } finally {
//     await players.close();
//   }
//
// Everything is served by a static HTTP server on 127.0.0.1 (port 0); each context aborts any
// request that is not for that server, data: or blob:, and refuses every WebSocket except to the
// URLs the test allows (its own signalling server): both kinds land in `player.blocked`. Waits are
// bounded. Which Chromium runs is decided once per run by test/setup/chromium.ts (vitest globalSetup).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type ConsoleMessage, type Page } from 'playwright-core';
import { expect, inject } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');

export const SCAFFOLDING_PATH = join(root, 'node_modules/@turbowarp/packager/dist/scaffolding/scaffolding-min.js');

/** The Chromium this run uses (chosen once by test/setup/chromium.ts); throws its one-line reason when there is none. */
export function chromiumPath(): string {
  // Outside vitest (bench/receive.mjs) the caller resolves Chromium itself and passes it in $CL5_CHROMIUM.
  if (!process.env.VITEST && process.env.CL5_CHROMIUM) return process.env.CL5_CHROMIUM;
  const found = inject('chromium');
  if (!found) throw new Error('no Chromium was chosen for this run: vitest.config.ts must list test/setup/chromium.ts in globalSetup');
  if (!found.path) throw new Error(found.error);
  return found.path;
}

export const CHROMIUM_ARGS = [
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
  // Several players share one browser: keep every page's timers and frames running at full speed.
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows',
  // WebGL (the renderer) without a GPU.
  '--enable-unsafe-swiftshader',
  // ICE host candidates as real addresses, not mDNS names nobody here can resolve.
  '--disable-features=WebRtcHideLocalIpsWithMdns',
];

export interface PlayerOptions extends BrowserOptions {
  /** The .sb3 every player loads: its bytes or a file path. */
  project: Buffer | Uint8Array | string;
  /** Per-player projects (overrides `project` for the players it covers). */
  projects?: (Buffer | Uint8Array | string)[];
  /** Per-player Scratch usernames. */
  usernames?: string[];
  /** Press the green flag after loading (default true). */
  greenFlag?: boolean;
}

export interface WaitOptions {
  timeoutMs?: number;
  /** The sprite holding the variable; default the stage. */
  target?: string;
}

const DEFAULT_WAIT_MS = 10_000;

/** A value to wait for (Scratch-loose: 5 equals "5"; lists compared item by item) or a predicate. */
export type Expected = string | number | boolean | (string | number | boolean)[] | ((value: unknown) => boolean);

/** One player: a page running TurboWarp with the project. */
export class Player {
  /** Console lines and page errors seen so far ("type: text"). */
  readonly logs: string[] = [];
  /** Requests aborted because they were not for the test's static server, and WebSockets refused because the test did not allow their URL. */
  readonly blocked: string[] = [];
  /** Every WebSocket the page opened to the network (only allowed URLs get there), by URL, in order. */
  readonly sockets: string[] = [];

  constructor(
    readonly index: number,
    readonly context: BrowserContext,
    readonly page: Page,
  ) {}

  getVar(name: string, target = 'Stage'): Promise<unknown> {
    return this.page.evaluate(([t, n]) => window.harness.getVar(t, n), [target, name] as const);
  }

  setVar(name: string, value: string | number | boolean, target = 'Stage'): Promise<void> {
    return this.page.evaluate(([t, n, v]) => window.harness.setVar(t, n, v), [target, name, value] as const);
  }

  getList(name: string, target = 'Stage'): Promise<unknown[]> {
    return this.page.evaluate(([t, n]) => window.harness.getList(t, n), [target, name] as const);
  }

  setList(name: string, items: (string | number | boolean)[], target = 'Stage'): Promise<void> {
    return this.page.evaluate(([t, n, v]) => window.harness.setList(t, n, v), [target, name, items] as const);
  }

  /** Starts the "when I receive [message]" scripts; resolves to the number of threads started. */
  broadcast(message: string): Promise<number> {
    return this.page.evaluate((m) => window.harness.broadcast(m), message);
  }

  /** Presses and releases a key (DOM key names: 'a', ' ', 'ArrowUp', 'Enter'). */
  pressKey(key: string, holdMs = 100): Promise<void> {
    return this.page.evaluate(([k, ms]) => window.harness.pressKey(k, ms), [key, holdMs] as const);
  }

  /** Answers the project's pending "ask and wait". */
  answer(text: string): Promise<void> {
    return this.page.evaluate((t) => window.harness.answer(t), text);
  }

  /** Presses the green flag. */
  greenFlag(): Promise<void> {
    return this.page.evaluate(() => window.harness.greenFlag());
  }

  /** All targets' variables and lists. */
  snapshot(): Promise<Record<string, Record<string, unknown>>> {
    return this.page.evaluate(() => window.harness.snapshot());
  }

  /** CloudLink 5's "last error" reporter, run as a script runs it (the VM's primitive for the block); null when the page has no CloudLink 5. */
  lastError(): Promise<string | null> {
    return this.page.evaluate(() => {
      const reporter = window.vm.runtime._primitives.cloudlink5_lastError;
      return reporter ? String(reporter({}, undefined)) : null;
    });
  }

  /** Errors the page caught (uncaught exceptions, rejections, failed loads). */
  pageErrors(): Promise<string[]> {
    return this.page.evaluate(() => window.harness.errors.slice());
  }

  /** Runs a function in the page (it sees `window.vm`, `window.harness`, `window.scaffolding`). */
  evaluate<R, A>(fn: (arg: A) => R | Promise<R>, arg: A): Promise<R> {
    return this.page.evaluate(fn as (arg: unknown) => R | Promise<R>, arg as unknown);
  }

  /** Waits until a function evaluated in the page returns a truthy value (polled every 25 ms). */
  async waitFor<A>(fn: (arg: A) => unknown, arg: A, what = 'page condition', timeoutMs = DEFAULT_WAIT_MS): Promise<void> {
    try {
      await this.page.waitForFunction(fn as (arg: unknown) => unknown, arg as unknown, { polling: 25, timeout: timeoutMs });
    } catch (error) {
      throw new Error(`player ${this.index}: timed out after ${timeoutMs} ms waiting for ${what}: ${(error as Error).message.split('\n')[0]}`);
    }
  }

  /** Waits until a variable equals `expected` (deep equality for lists) or satisfies a predicate. */
  async waitForVar(name: string, expected: Expected, options: WaitOptions & { list?: boolean } = {}): Promise<unknown> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_WAIT_MS;
    const target = options.target ?? 'Stage';
    const test = typeof expected === 'function' ? (expected as (value: unknown) => boolean) : (value: unknown) => sameValue(value, expected);
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    for (;;) {
      last = options.list ? await this.getList(name, target) : await this.getVar(name, target);
      if (test(last)) return last;
      if (Date.now() >= deadline) {
        const wanted = typeof expected === 'function' ? 'the predicate' : JSON.stringify(expected);
        throw new Error(`player ${this.index}: ${target}.${name} is ${JSON.stringify(last)} after ${timeoutMs} ms, waiting for ${wanted}`);
      }
      await sleep(25);
    }
  }

  waitForList(name: string, expected: Expected, options: WaitOptions = {}): Promise<unknown> {
    return this.waitForVar(name, expected, { ...options, list: true });
  }

  /** How many WebRTC data channels with each label are open in this page now. */
  openChannels(): Promise<Record<string, number>> {
    return this.page.evaluate(() => window.harness.openChannels());
  }

  /** The ICE servers each of this page's peer connections was given, oldest first. */
  iceServers(): Promise<RTCIceServer[][]> {
    return this.page.evaluate(() => window.harness.iceServers());
  }

  /** Waits until each of `labels` is open towards `peers` peers (a named channel is one data channel per peer). */
  waitForChannels(labels: string[], peers: number, timeoutMs = DEFAULT_WAIT_MS): Promise<void> {
    return this.waitFor(
      ([names, n]) => {
        const open = window.harness.openChannels();
        return names.every((name) => (open[name] ?? 0) >= n);
      },
      [labels, peers] as const,
      `channels ${labels.join(', ')} open towards ${peers} peer(s)`,
      timeoutMs,
    );
  }

  /** A PNG of the stage (or the whole page); written to `path` when given. */
  async screenshot(path?: string, what: 'stage' | 'page' = 'stage'): Promise<Buffer> {
    if (path) mkdirSync(dirname(path), { recursive: true });
    if (what === 'page') return this.page.screenshot({ path });
    return this.page.locator('#stage').screenshot({ path });
  }
}

export interface CleanOptions {
  /**
   * What CloudLink 5's "last error" must be at the end: '' (default: no error), the expected text or
   * a pattern; null for a page that has no CloudLink 5 extension (it must have none).
   */
  lastError?: string | RegExp | null;
}

/**
 * Asserts that a page ends clean: no request or WebSocket outside what the test started, no page
 * error, and CloudLink 5's "last error" empty unless the test expects one. Every browser test ends
 * with it for each page still open.
 */
export async function expectClean(player: Player, { lastError = '' }: CleanOptions = {}): Promise<void> {
  const who = `player ${player.index}`;
  expect(player.blocked, `${who}: requests or WebSockets to what the test did not start`).toEqual([]);
  expect(await player.pageErrors(), `${who}: page errors`).toEqual([]);
  const actual = await player.lastError();
  if (lastError instanceof RegExp) expect(actual, `${who}: CloudLink 5's last error`).toMatch(lastError);
  else expect(actual, `${who}: CloudLink 5's last error`).toBe(lastError);
}

export interface OpenOptions {
  /** A path served by `serve()`, or the project's bytes or file path. */
  project: string | Buffer | Uint8Array;
  /** The Scratch username ("username" block). */
  username?: string;
  /** Press the green flag after loading (default true). */
  greenFlag?: boolean;
  /** How the extension loads (default: the browser's `loadExtension`). */
  loadExtension?: 'url' | 'project';
}

export interface BrowserOptions {
  /** The extension's JavaScript file, served as /extension.js. */
  extensionPath?: string;
  /** Or its source text. */
  extensionSource?: string;
  /**
   * 'url' (default): the page calls `vm.extensionManager.loadExtensionURL(http://127.0.0.1:P/extension.js)`
   * before loading the project. 'project': the page loads nothing itself; the project's own
   * `extensionURLs` (e.g. an embedded data: URL) are used.
   */
  loadExtension?: 'url' | 'project';
  /** Extra files served at /files/NAME. */
  files?: Record<string, Buffer | string>;
  /**
   * URL prefixes the pages may open WebSockets to (the test's own servers, e.g. `signalling.wsUrl`).
   * Any other WebSocket is refused (closed before it reaches the network) and listed in `blocked`.
   */
  webSockets?: string[];
  /** Forward page console output to the test's stdout (also on with CL5_BROWSER_LOG=1). */
  echoConsole?: boolean;
  /** How long to wait for each page to load the extension and the project (default 30 s). */
  loadTimeoutMs?: number;
}

/** One Chromium, one static server; players opened on demand. */
export interface TurboWarpBrowser {
  /** http://127.0.0.1:PORT */
  readonly origin: string;
  /** The harness's temporary folder; removed by close(). */
  readonly tempDir: string;
  readonly browser: Browser;
  readonly players: Player[];
  /** The browser's temporary profile folder (Playwright's; removed when the browser closes), if found. */
  readonly profileDir: string | undefined;
  /** Serves bytes at a path (e.g. '/projects/lobby.sb3'); returns the path. */
  serve(path: string, body: Buffer | Uint8Array | string, type?: string): string;
  /** Opens a player: a new isolated context (fresh profile) and page, loaded and running. */
  open(options: OpenOptions): Promise<Player>;
  /** Closes every page, context, the browser, the HTTP server, and removes the temporary folder. */
  close(): Promise<void>;
}

/** Starts Chromium and the static server (nothing loaded yet). */
export async function startBrowser(options: BrowserOptions = {}): Promise<TurboWarpBrowser> {
  const tempDir = mkdtempSync(join(tmpdir(), 'cl5-browser-'));
  const files = new Map<string, { body: Buffer; type: string }>();
  const serve = (path: string, body: Buffer | Uint8Array | string, type = guessType(path)): string => {
    const normal = path.startsWith('/') ? path : `/${path}`;
    files.set(normal, { body: typeof body === 'string' ? Buffer.from(body) : Buffer.from(body), type });
    return normal;
  };
  serve('/player.html', readFileSync(join(here, 'page/player.html')));
  serve('/player.js', readFileSync(join(here, 'page/player.js')));
  serve('/scaffolding.js', readFileSync(SCAFFOLDING_PATH));
  const extension = options.extensionSource ?? (options.extensionPath ? readFileSync(resolve(root, options.extensionPath)) : undefined);
  if (extension !== undefined) serve('/extension.js', extension);
  for (const [name, body] of Object.entries(options.files ?? {})) serve(`/files/${name}`, body);

  let server: Server | undefined;
  let browser: Browser | undefined;
  const players: Player[] = [];
  let projectCount = 0;
  const close = async () => {
    for (const player of players) await player.context.close().catch(() => {});
    await browser?.close().catch(() => {});
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((done) => server!.close(() => done()));
    }
    rmSync(tempDir, { recursive: true, force: true });
  };

  try {
    server = createServer((request, response) => {
      const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
      const file = files.get(path === '/' ? '/player.html' : path);
      if (!file || (request.method !== 'GET' && request.method !== 'HEAD')) {
        response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
        return;
      }
      response.writeHead(200, { 'content-type': file.type, 'content-length': file.body.length, 'cache-control': 'no-store' });
      response.end(request.method === 'HEAD' ? undefined : file.body);
    });
    await new Promise<void>((done, fail) => {
      server!.once('error', fail);
      server!.listen(0, '127.0.0.1', () => done());
    });
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const before = new Set(chromiumChildren());
    browser = await chromium.launch({ executablePath: chromiumPath(), headless: true, args: CHROMIUM_ARGS, timeout: 30_000 });
    const profileDir = chromiumChildren().find((dir) => !before.has(dir));
    const echo = options.echoConsole ?? process.env.CL5_BROWSER_LOG === '1';
    const allowed = (options.webSockets ?? []).map((prefix) => prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    // Every URL that does not start with an allowed prefix.
    const refusedWebSockets = allowed.length ? new RegExp(`^(?!${allowed.join('|')})`) : /^/;

    const open = async (settings: OpenOptions): Promise<Player> => {
      const index = players.length;
      let projectPath: string;
      if (typeof settings.project === 'string' && files.has(settings.project.startsWith('/') ? settings.project : `/${settings.project}`)) {
        projectPath = settings.project.startsWith('/') ? settings.project : `/${settings.project}`;
      } else {
        const bytes = typeof settings.project === 'string' ? readFileSync(resolve(root, settings.project)) : Buffer.from(settings.project);
        writeFileSync(join(tempDir, `${projectCount}.sb3`), bytes);
        projectPath = serve(`/projects/${projectCount++}.sb3`, bytes, 'application/x.scratch.sb3');
      }
      // A new context is a fresh, isolated profile: own storage, cookies and permissions.
      // (Playwright's temporary user data dir for the browser is removed when the browser closes.)
      const context = await browser!.newContext({ viewport: { width: 480, height: 360 }, permissions: ['microphone'] });
      const page = await context.newPage();
      const player = new Player(index, context, page);
      players.push(player);
      await context.route('**/*', (route) => {
        const url = new URL(route.request().url());
        if (url.origin === origin || url.protocol === 'data:' || url.protocol === 'blob:') return route.continue();
        player.blocked.push(url.href);
        return route.abort('blockedbyclient');
      });
      // WebSockets to an allowed URL are not routed (they connect from the page as usual); every
      // other one is refused here: it closes (1006) without reaching the network.
      await context.routeWebSocket(refusedWebSockets, (socket) => {
        player.blocked.push(socket.url());
        return socket.close({ code: 1006, reason: 'refused by the test harness' });
      });
      page.on('websocket', (socket) => player.sockets.push(socket.url()));
      const record = (line: string) => {
        player.logs.push(line);
        if (echo) console.log(`[player ${index}] ${line}`);
      };
      page.on('console', (message: ConsoleMessage) => record(`${message.type()}: ${message.text()}`));
      page.on('pageerror', (error) => {
        record(`pageerror: ${error.stack ?? error.message}`);
        if (!echo) console.error(`[player ${index}] page error: ${error.message}`);
      });

      const query = new URLSearchParams();
      const how = settings.loadExtension ?? options.loadExtension ?? 'url';
      if (how === 'url' && extension !== undefined) query.set('extension', '/extension.js');
      query.set('project', projectPath);
      if (settings.username) query.set('username', settings.username);
      if (settings.greenFlag === false) query.set('greenFlag', '0');
      await page.goto(`${origin}/player.html?${query}`, { waitUntil: 'load', timeout: 30_000 });
      const loadTimeout = options.loadTimeoutMs ?? 30_000;
      const result = await Promise.race([
        page.evaluate(() => window.harness.ready),
        sleep(loadTimeout).then(() => ({ ok: false, error: `not loaded after ${loadTimeout} ms` })),
      ]);
      if (!result.ok) {
        const errors = await page.evaluate(() => window.harness.errors.slice()).catch(() => []);
        throw new Error(`player ${index} failed to load: ${result.error}\n${[...errors, ...player.logs].join('\n')}`);
      }
      return player;
    };
    return { origin, tempDir, browser, players, profileDir, serve, open, close };
  } catch (error) {
    await close();
    throw error;
  }
}

export interface Players {
  readonly pages: Player[];
  readonly origin: string;
  readonly tempDir: string;
  readonly browser: Browser;
  readonly profileDir: string | undefined;
  /** Opens one more player on the same server and browser (default: the same project). */
  open(options?: Partial<OpenOptions>): Promise<Player>;
  /** Closes every page, context, the browser, the HTTP server, and removes the temporary folder. */
  close(): Promise<void>;
}

/** Opens `n` players: one browser, one isolated context and page per player, all loaded and running. */
export async function openPlayers(n: number, options: PlayerOptions): Promise<Players> {
  const tw = await startBrowser(options);
  try {
    const project = tw.serve(
      '/projects/main.sb3',
      typeof options.project === 'string' ? readFileSync(resolve(root, options.project)) : options.project,
      'application/x.scratch.sb3',
    );
    const open = (settings: Partial<OpenOptions> = {}) => tw.open({ project, greenFlag: options.greenFlag, ...settings });
    for (let i = 0; i < n; i++) {
      await open({ username: options.usernames?.[i], ...(options.projects?.[i] ? { project: options.projects[i] } : {}) });
    }
    return { pages: tw.players, origin: tw.origin, tempDir: tw.tempDir, browser: tw.browser, profileDir: tw.profileDir, open, close: tw.close };
  } catch (error) {
    await tw.close();
    throw error;
  }
}

/**
 * Builds the CloudLink 5 extension from the current source (build.mjs, esbuild) into `outdir`
 * and returns the path of cloudlink5.js, so browser tests never run a stale dist/.
 */
export function buildExtension(outdir: string): string {
  execFileSync(process.execPath, ['build.mjs', '--outdir', outdir], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'], timeout: 60_000 });
  return join(outdir, 'cloudlink5.js');
}

/** The --user-data-dir of each Chromium this process started (Linux /proc; empty elsewhere). */
function chromiumChildren(): string[] {
  const dirs: string[] = [];
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return dirs;
  }
  for (const pid of entries) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== process.pid) continue;
      const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      const dir = args.find((arg) => arg.startsWith('--user-data-dir='));
      if (dir) dirs.push(dir.slice('--user-data-dir='.length));
    } catch {
      // The process ended meanwhile.
    }
  }
  return dirs;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

function sameValue(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, i) => sameValue(item, b[i]));
  // Scratch values are loosely typed: 5 and "5" are the same value.
  if ((typeof a === 'number' || typeof a === 'string') && (typeof b === 'number' || typeof b === 'string')) return String(a) === String(b);
  return a === b;
}

function guessType(name: string): string {
  if (name.endsWith('.js') || name.endsWith('.mjs')) return 'text/javascript; charset=utf-8';
  if (name.endsWith('.html')) return 'text/html; charset=utf-8';
  if (name.endsWith('.json')) return 'application/json';
  if (name.endsWith('.svg')) return 'image/svg+xml';
  if (name.endsWith('.png')) return 'image/png';
  if (name.endsWith('.wav')) return 'audio/wav';
  return 'application/octet-stream';
}

// What player.js puts on the page.
interface PageHarness {
  ready: Promise<{ ok: boolean; error?: string }>;
  errors: string[];
  /** Questions asked by "ask and wait", in order (null when one was cleared). */
  questions: (string | null)[];
  getVar(target: string, name: string): unknown;
  setVar(target: string, name: string, value: unknown): void;
  getList(target: string, name: string): unknown[];
  setList(target: string, name: string, items: unknown[]): void;
  broadcast(message: string): number;
  greenFlag(): void;
  pressKey(key: string, holdMs: number): Promise<void>;
  answer(text: string): void;
  stopAll(): void;
  snapshot(): Record<string, Record<string, unknown>>;
  threadCount(): number;
  openChannels(): Record<string, number>;
  iceServers(): RTCIceServer[][];
}

declare global {
  interface Window {
    harness: PageHarness;
    // biome-ignore lint/suspicious/noExplicitAny: TurboWarp's VM has no types; tests reach into it through evaluate().
    vm: any;
  }
}
