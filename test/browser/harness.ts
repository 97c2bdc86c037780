// The browser test harness. The machinery (Chromium via playwright-core, TurboWarp's VM from the
// packager's scaffolding with the compiler on, an unsandboxed URL extension, a static server on
// 127.0.0.1) lives in ./turbowarp.ts and is re-exported here: `openPlayers(n, { extensionPath,
// project })`, `startBrowser()`, `Player` (getVar/setVar/getList/setList/broadcast/waitFor/
// waitForVar/screenshot).
//
// On top of it, the CloudLink 5 harness the lobby and voice tests use: the real signalling server
// (src/server) on 127.0.0.1, the extension built from the current source, and page-level helpers.
//
//   const harness = await startHarness();
//   harness.serve('lobby.sb3', sb3);
//   const page = await harness.open('lobby.sb3');
//   await setVariable(page, 'server', harness.signalling.wsUrl);
//   await broadcastTo(page, 'connect');
//   await eventually(() => valueIn(page, 'myid'), (id) => id !== '', 'connected');
//   await expectClean(harness.player(page));   // nothing blocked, no page error, no "last error"
//   await harness.close();
//
// A page may open a WebSocket to `signalling.wsUrl` only: any other is refused and listed in
// `player.blocked`, so a project default such as ws://127.0.0.1:3000/ can never reach a server
// the test did not start.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { silentLogger } from '../../src/server/log.js';
import { startServer, type RunningServer, type ServerOptions } from '../../src/server/server.js';
import { buildExtension, sleep, startBrowser, type Player } from './turbowarp.js';

export * from './turbowarp.js';

export interface Harness {
  /** The CloudLink 5 signalling server (ws://127.0.0.1:PORT/ is `signalling.wsUrl`). */
  readonly signalling: RunningServer;
  /** The static server's origin (http://127.0.0.1:PORT). */
  readonly origin: string;
  /** Same as origin. */
  readonly base: string;
  readonly browser: Browser;
  /** The extension file the pages load (built from the current source unless one was given). */
  readonly extensionPath: string;
  /** Every player opened so far. */
  readonly players: Player[];
  /** Serves a project under a name for open(). */
  serve(name: string, sb3: Buffer | Uint8Array): void;
  /** Opens a page (its own fresh browser context) running the named project, green flag pressed. */
  open(name: string, options?: OpenProjectOptions): Promise<Page>;
  /** The Player (helpers, logs) behind a page. */
  player(page: Page): Player;
  /** Closes pages, browser, static server, signalling server; removes the temporary build. */
  close(): Promise<void>;
}

export interface OpenProjectOptions {
  username?: string;
  /** Press the green flag once loaded (default true). */
  greenFlag?: boolean;
  /** 'url' (default): load the extension by URL first; 'project': only what the project names. */
  loadExtension?: 'url' | 'project';
  /** false: same as loadExtension 'project'. */
  extension?: boolean;
}

export interface HarnessOptions {
  /** Options for the signalling server (host and port are always 127.0.0.1 and 0). */
  server?: Omit<ServerOptions, 'host' | 'port'>;
  /** Use this extension file instead of building one from the current source. */
  extensionPath?: string;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const buildDir = mkdtempSync(join(tmpdir(), 'cl5-build-'));
  let signalling: RunningServer | undefined;
  try {
    const extensionPath = options.extensionPath ?? buildExtension(buildDir);
    // Tests send bursts (100 edits in a frame, three pages at once): a generous rate limit.
    signalling = await startServer({ logger: silentLogger, rateLimit: { perSecond: 500, burst: 2000 }, ...options.server, host: '127.0.0.1', port: 0 });
    // The pages may open WebSockets to this test's signalling server and nowhere else.
    const tw = await startBrowser({ extensionPath, webSockets: [signalling.wsUrl] });
    const running = signalling;
    return {
      signalling: running,
      origin: tw.origin,
      base: tw.origin,
      browser: tw.browser,
      extensionPath,
      players: tw.players,
      serve: (name, sb3) => void tw.serve(`/projects/${name}`, sb3, 'application/x.scratch.sb3'),
      open: async (name, { extension, loadExtension, ...settings } = {}) =>
        (await tw.open({ project: `/projects/${name}`, loadExtension: extension === false ? 'project' : loadExtension, ...settings })).page,
      player: (page) => {
        const found = tw.players.find((p) => p.page === page);
        if (!found) throw new Error('not a page of this harness');
        return found;
      },
      close: async () => {
        await tw.close();
        await running.close();
        rmSync(buildDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await signalling?.close().catch(() => {});
    rmSync(buildDir, { recursive: true, force: true });
    throw error;
  }
}

/** Starts the page's "when I receive [message]" scripts. */
export async function broadcastTo(page: Page, message: string): Promise<void> {
  await page.evaluate((m) => window.harness.broadcast(m), message);
}

/**
 * Connects a page whose project has the lobby projects' shape (stage variables `server`, `name`, `myid`;
 * "when I receive connect" connects and sets `myid`), and waits until it has its id.
 */
export async function connectPage(page: Page, serverUrl: string, name: string): Promise<void> {
  await setVariable(page, 'server', serverUrl);
  await setVariable(page, 'name', name);
  await broadcastTo(page, 'connect');
  await eventually(
    () => valueIn(page, 'myid'),
    (id) => typeof id === 'string' && id !== '',
    `${name} connected`,
  );
}

/** Sets a variable (stage, or the named sprite's). */
export async function setVariable(page: Page, name: string, value: string | number | boolean, sprite?: string): Promise<void> {
  await page.evaluate(([n, v, s]) => window.harness.setVar(s ?? 'Stage', n, v), [name, value, sprite] as const);
}

/** A variable's (type '') or list's (type 'list') value; undefined when there is none. */
export async function valueIn(page: Page, name: string, type: '' | 'list' = '', sprite?: string): Promise<unknown> {
  return page.evaluate(
    ([n, t, s]) => {
      const runtime = window.vm.runtime;
      const target = s ? runtime.getSpriteTargetByName(s) : runtime.getTargetForStage();
      const variable = target?.lookupVariableByNameAndType(n, t);
      if (!variable) return undefined;
      return Array.isArray(variable.value) ? variable.value.slice() : variable.value;
    },
    [name, type, sprite] as const,
  );
}

/** Polls `probe` until `accept` holds for its value (bounded); returns that value. */
export async function eventually<T>(probe: () => T | Promise<T>, accept: (value: T) => boolean, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastError: unknown;
  for (;;) {
    try {
      last = await probe();
      lastError = undefined;
      if (accept(last)) return last;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const detail = lastError ? `error: ${(lastError as Error).message}` : `last value ${JSON.stringify(last)}`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (${detail})`);
    }
    await sleep(50);
  }
}
