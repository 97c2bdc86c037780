// The HTTP side of the server: status page, health check, and the built extension with CORS
// so TurboWarp (another origin) can load it as a custom extension URL.
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { VERSION } from '../protocol/index.js';
import type { LobbyStore } from './store.js';

export const EXTENSION_PATH = '/cloudlink5.js';

interface GameStatus {
  game: string;
  players: number;
  lobbies: { name: string; players: number; hidden: boolean; locked: boolean }[];
}

export function status(store: LobbyStore): GameStatus[] {
  return store.games().map((game) => ({
    game,
    players: [...store.playersOf(game)].length,
    lobbies: [...store.lobbiesOf(game)].map((lobby) => ({
      name: lobby.name,
      players: lobby.members.length,
      hidden: lobby.settings.hidden,
      locked: lobby.settings.locked,
    })),
  }));
}

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function statusPage(games: GameStatus[], extensionUrl: string): string {
  const rows = games
    .map(
      (g) =>
        `<tr><td>${escapeHtml(g.game)}</td><td>${g.players}</td><td>${
          g.lobbies.map((l) => `${escapeHtml(l.name)} (${l.players}${l.hidden ? ', hidden' : ''}${l.locked ? ', locked' : ''})`).join('<br>') || '—'
        }</td></tr>`,
    )
    .join('');
  return `<!doctype html><html><head><meta charset="utf-8"><title>CloudLink 5 server</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;color:#222}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}code{background:#eee;padding:.1rem .3rem}</style></head>
<body><h1>CloudLink 5 server</h1><p>Version ${VERSION}. Extension URL for TurboWarp (load it unsandboxed): <code>${escapeHtml(extensionUrl)}</code></p>
<table><tr><th>game (ugi)</th><th>players</th><th>lobbies</th></tr>${rows || '<tr><td colspan="3">nobody connected</td></tr>'}</table></body></html>`;
}

export interface HttpOptions {
  store: LobbyStore;
  extensionFile: string;
  startedAt: number;
}

export function httpHandler({ store, extensionFile, startedAt }: HttpOptions) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const send = (code: number, type: string, body: string | Buffer, headers: Record<string, string> = {}) => {
      res.writeHead(code, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), ...headers });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { 'Access-Control-Allow-Origin': '*', 'Access-Control-Allow-Methods': 'GET, HEAD', 'Access-Control-Max-Age': '86400' });
      return void res.end();
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'text/plain', 'method not allowed', { Allow: 'GET, HEAD' });

    const games = status(store);
    switch (url.pathname) {
      case '/': {
        const extensionUrl = `http://${req.headers.host ?? 'localhost'}${EXTENSION_PATH}`;
        return send(200, 'text/html; charset=utf-8', statusPage(games, extensionUrl));
      }
      case '/healthz':
        return send(200, 'application/json', JSON.stringify({
          ok: true,
          version: VERSION,
          uptime: Math.round((Date.now() - startedAt) / 1000),
          players: games.reduce((n, g) => n + g.players, 0),
          lobbies: games.reduce((n, g) => n + g.lobbies.length, 0),
        }));
      case EXTENSION_PATH: {
        const body = await readFile(extensionFile).catch(() => null);
        if (!body) return send(404, 'text/plain', 'extension not built: run npm run build');
        return send(200, 'application/javascript; charset=utf-8', body, {
          'Access-Control-Allow-Origin': '*',
          'Cache-Control': 'no-cache',
        });
      }
      default:
        return send(404, 'text/plain', 'not found');
    }
  };
}
