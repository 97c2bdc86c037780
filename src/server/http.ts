// The HTTP side of the server: status page, liveness (/healthz), readiness (/readyz), Prometheus
// metrics (/metrics), and the built extension with CORS so TurboWarp (another origin) can load it as a
// custom extension URL.
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Registry } from 'prom-client';
import { VERSION } from '../protocol/index.js';
import type { HttpRate } from './http-rate.js';
import type { Logger } from './log.js';
import type { GameCounts, Listed, LobbyStore } from './store.js';
import { fromStore, type StoreAnswer } from './deadline.js';
import { VersionedReads } from './versioned-reads.js';

export const EXTENSION_PATH = '/cloudlink5.js';

/** The status page and /healthz read the store at most this often, whoever asks. */
const STATUS_MAX_AGE_MS = 1000;
/** Lobbies named per game on the status page, and games shown (most players first); the rest are counted. */
const PAGE_LOBBIES_PER_GAME = 20;
const PAGE_GAMES = 100;

interface ShownGame extends GameCounts {
  /** The oldest visible lobbies, at most PAGE_LOBBIES_PER_GAME, and how many are visible. */
  visible: Listed<{ name: string; players: number; locked: boolean }>;
}

interface Status {
  /** Every game with a player or a lobby, most players first. */
  games: GameCounts[];
  /** The first PAGE_GAMES of them, with their oldest visible lobbies. */
  shown: ShownGame[];
}

/** The games the status page shows, each with a page of its lobbies (the store reads pages, not games). */
const shownGames = (store: LobbyStore, games: GameCounts[]): Promise<ShownGame[]> =>
  Promise.all(
    games.slice(0, PAGE_GAMES).map(async (g) => {
      const visible = await store.listMatching(g.game, {}, PAGE_LOBBIES_PER_GAME);
      const first = visible.first.map((lobby) => ({ name: lobby.name, players: lobby.members.length, locked: lobby.settings.locked }));
      return { ...g, visible: { first, total: visible.total } };
    }),
  );

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The oldest visible lobbies by name, up to a few; the rest and the hidden ones only counted (the page is public, and hiding is a privacy choice). */
function lobbyCell({ lobbies, visible }: ShownGame): string {
  const cell = visible.first.map((l) => `${escapeHtml(l.name)} (${l.players}${l.locked ? ', locked' : ''})`);
  if (visible.total > visible.first.length) cell.push(`${visible.total - visible.first.length} more`);
  const hidden = lobbies - visible.total;
  if (hidden > 0) cell.push(`${hidden} hidden`);
  return cell.join('<br>') || '—';
}

function gamesTable({ games, shown }: Status): string {
  const more = games.length - shown.length;
  const rows =
    shown.map((g) => `<tr><td>${escapeHtml(g.game)}</td><td>${g.players}</td><td>${lobbyCell(g)}</td></tr>`).join('') +
    (more > 0 ? `<tr><td colspan="3">${more} more games</td></tr>` : '');
  return `<table><tr><th>game (ugi)</th><th>players</th><th>lobbies</th></tr>${rows || '<tr><td colspan="3">nobody connected</td></tr>'}</table>`;
}

/** The page; when the store gave no status, it says so instead of the games. */
function statusPage(status: StoreAnswer<Status>, extensionUrl: string): string {
  const games = 'value' in status ? gamesTable(status.value) : `<p>Players and lobbies are unknown: ${escapeHtml(status.unreachable)}.</p>`;
  return `<!doctype html><html><head><meta charset="utf-8"><title>CloudLink 5 server</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;color:#222}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}code{background:#eee;padding:.1rem .3rem}</style></head>
<body><h1>CloudLink 5 server</h1><p>Version ${VERSION}. Extension URL for TurboWarp (load it unsandboxed): <code>${escapeHtml(extensionUrl)}</code></p>
${games}</body></html>`;
}

export interface HttpOptions {
  store: LobbyStore;
  extensionFile: string;
  startedAt: number;
  log?: Logger;
  /** Served at /metrics. */
  metrics: Registry;
  /** False once the server stopped accepting connections (closing): /readyz answers 503. */
  accepting: () => boolean;
  /** Requests per address; past it, 429 with the wait. */
  requests: HttpRate;
  /** The address a request counts against (client-address.ts). */
  addressOf: (req: IncomingMessage) => string;
  /**
   * A refused request's connection is kept and not read until the wait is over, instead of closed
   * (false behind a proxy: its connection carries other clients' requests).
   */
  holdRefused: boolean;
}

/**
 * Reads nothing more from `socket` for `ms` (what its client sends meanwhile waits in the kernel): a
 * client that keeps asking on it costs the server nothing until then. Closed instead, a client that
 * reconnected at once cost the server an accept and a close ~4,500 times a second, half a core here
 * (bench/abuse.mjs http-flood); held, its 8 connections were refused ~34 times a second in all.
 */
function holdConnection(socket: Socket, ms: number): void {
  if (socket.destroyed) return;
  socket.pause(); // the HTTP server stops its handle reading (and starts it again on resume)
  setTimeout(() => {
    held.delete(socket);
    socket.resume();
  }, ms).unref();
}

/**
 * Connections refused a request, until their wait is over. Requests that were read with the refused one
 * (pipelined behind it) are parsed all the same: the first of them closes the connection unanswered, so
 * one read of a flood cannot buy hundreds of 429s.
 */
const held = new WeakSet<Socket>();

/** Null when ready, else why not. */
async function notReady(store: LobbyStore, accepting: () => boolean): Promise<string | null> {
  if (!accepting()) return 'not accepting connections: shutting down';
  const answer = await fromStore(store.ping());
  return 'unreachable' in answer ? answer.unreachable : null;
}

interface ExtensionFile {
  body: Buffer;
  etag: string;
  modified: string;
}

/**
 * The extension file with a validator, so browsers revalidate cheaply (304) instead of refetching. Read
 * and hashed again only when the file changed (a rebuild): a request costs a stat, not a read and a hash.
 */
function extensionLoader(file: string): () => Promise<ExtensionFile | null> {
  let kept: { mtimeMs: number; size: number; file: ExtensionFile } | null = null;
  return async () => {
    try {
      const info = await stat(file);
      if (kept?.mtimeMs === info.mtimeMs && kept.size === info.size) return kept.file;
      const body = await readFile(file);
      const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
      kept = { mtimeMs: info.mtimeMs, size: info.size, file: { body, etag, modified: info.mtime.toUTCString() } };
      return kept.file;
    } catch {
      return null;
    }
  };
}

/** On every response: no MIME sniffing, no referrer leaking a page's URL (it may carry a game id). */
const SECURITY_HEADERS = { 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer' };
/** The status page runs no script and loads nothing: only its inline style; never framed. */
const STATUS_PAGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** The request's path and query, or null when the target is not a URL path (`//`, `//host:port`, garbage). */
function requestUrl(target: string | undefined): URL | null {
  if (!target?.startsWith('/') || target.startsWith('//')) return null;
  try {
    return new URL(target, 'http://localhost');
  } catch {
    return null;
  }
}

export function httpHandler({ store, extensionFile, startedAt, log, metrics, accepting, requests, addressOf, holdRefused }: HttpOptions) {
  // Each kept under one key whose version never moves: read again only once it is STATUS_MAX_AGE_MS old.
  // /healthz needs the counts only; the status page, a page of lobbies for the games it shows too.
  const keptGames = new VersionedReads<GameCounts[]>(1, STATUS_MAX_AGE_MS);
  const keptShown = new VersionedReads<Status>(1, STATUS_MAX_AGE_MS);
  const counted = () => keptGames.get('games', '', async () => (await store.games()).sort((a, b) => b.players - a.players));
  const currentStatus = () =>
    keptShown.get('status', '', async () => {
      const games = await counted();
      return { games, shown: await shownGames(store, games) };
    });
  const extension = extensionLoader(extensionFile);
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const send = (code: number, type: string, body: string | Buffer, headers: Record<string, string> = {}) => {
      res.writeHead(code, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), ...SECURITY_HEADERS, ...headers });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (held.has(req.socket)) return void req.socket.destroy();
    const waitMs = requests.take(addressOf(req));
    if (waitMs > 0) {
      const seconds = Math.max(1, Math.ceil(waitMs / 1000));
      const retry = { 'Retry-After': String(seconds) };
      if (holdRefused) {
        held.add(req.socket);
        res.once('finish', () => holdConnection(req.socket, waitMs));
      }
      return send(429, 'text/plain', `too many requests: try again in ${seconds} s`, holdRefused ? retry : { ...retry, Connection: 'close' });
    }
    const url = requestUrl(req.url);
    if (!url) return send(400, 'text/plain', 'bad request: malformed URL');
    if (req.method === 'OPTIONS') {
      res.writeHead(204, {
        'Access-Control-Allow-Origin': '*',
        'Access-Control-Allow-Methods': 'GET, HEAD',
        'Access-Control-Max-Age': '86400',
        ...SECURITY_HEADERS,
      });
      return void res.end();
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'text/plain', 'method not allowed', { Allow: 'GET, HEAD' });

    switch (url.pathname) {
      case '/': {
        const extensionUrl = `http://${req.headers.host ?? 'localhost'}${EXTENSION_PATH}`;
        const status = await fromStore(currentStatus());
        return send('value' in status ? 200 : 503, 'text/html; charset=utf-8', statusPage(status, extensionUrl), {
          'Cache-Control': 'no-store',
          'Content-Security-Policy': STATUS_PAGE_POLICY,
          'X-Frame-Options': 'DENY',
        });
      }
      case '/healthz': {
        // Liveness is the process's: a store that does not answer leaves the counts unknown, not the node dead.
        const games = await fromStore(counted());
        const counts =
          'value' in games
            ? { players: games.value.reduce((n, g) => n + g.players, 0), lobbies: games.value.reduce((n, g) => n + g.lobbies, 0) }
            : { players: null, lobbies: null, store: games.unreachable };
        return send(
          200,
          'application/json',
          JSON.stringify({
            ok: true,
            version: VERSION,
            uptime: Math.round((Date.now() - startedAt) / 1000),
            ...counts,
            memory: { rss: process.memoryUsage.rss(), heapUsed: process.memoryUsage().heapUsed },
          }),
          { 'Cache-Control': 'no-store' },
        );
      }
      case '/readyz': {
        const reason = await notReady(store, accepting);
        const body = JSON.stringify(reason === null ? { ready: true } : { ready: false, reason });
        return send(reason === null ? 200 : 503, 'application/json', body, { 'Cache-Control': 'no-store' });
      }
      case '/metrics':
        return send(200, metrics.contentType, await metrics.metrics(), { 'Cache-Control': 'no-store' });
      case EXTENSION_PATH: {
        const file = await extension();
        if (!file) return send(404, 'text/plain', 'extension not built: run npm run build', { 'Access-Control-Allow-Origin': '*' });
        const headers = {
          'Access-Control-Allow-Origin': '*',
          // Always revalidate: a rebuilt extension must reach TurboWarp on the next load.
          'Cache-Control': 'no-cache',
          ETag: file.etag,
          'Last-Modified': file.modified,
        };
        if (req.headers['if-none-match'] === file.etag) {
          res.writeHead(304, { ...headers, ...SECURITY_HEADERS });
          return void res.end();
        }
        return send(200, 'application/javascript; charset=utf-8', file.body, headers);
      }
      default:
        return send(404, 'text/plain', 'not found');
    }
  };
  return (req: IncomingMessage, res: ServerResponse): void => {
    handle(req, res).catch((error: unknown) => {
      log?.('error', 'http.failed', { path: req.url, error: String(error) });
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain', ...SECURITY_HEADERS });
      res.end('internal error');
    });
  };
}
