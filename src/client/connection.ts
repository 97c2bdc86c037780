// One connection to the server and what lives exactly as long as it: the session, the mesh of peer
// links, voice and ping. Opening it can be cancelled at any step, and then nothing stays open.
import type { ConnectOptions, IceServer } from './api.js';
import { KeyPair } from './e2ee.js';
import { iceServersFor } from './ice-servers.js';
import { Mesh } from './mesh/mesh.js';
import { Ping, type PingOptions } from './ping.js';
import { firstSession } from './first-connect.js';
import type { Session } from './session.js';
import { Voice } from './voice.js';
import type { ReconnectPolicy } from './reconnect-policy.js';
import type { WebSocketConstructor } from './websocket.js';

/** What a connection was opened with: connecting again with the same is the same connection. */
export interface ConnectionSettings {
  url: string;
  username: string;
  ugi: string;
}

export interface Connection {
  settings: ConnectionSettings;
  session: Session;
  mesh: Mesh;
  voice: Voice;
  ping: Ping;
  /** Removes the facade's listeners. */
  off: (() => void)[];
}

export interface ConnectionEnv {
  WebSocket?: WebSocketConstructor;
  wrtc?: object;
  keepaliveMs?: number;
  connectTimeoutMs?: number;
  ping?: PingOptions;
  /** See MeshOptions.relayFallbackMs. */
  relayFallbackMs?: number;
  /** ICE settings as they are when the mesh is built; `iceServers` null when the project set none. */
  ice: () => { iceServers: IceServer[] | null; relayOnly: boolean };
  /** Whether a drop is resumed (asked at each drop). */
  autoReconnect: () => boolean;
  reconnect?: Partial<ReconnectPolicy>;
}

export const settingsOf = (options: ConnectOptions): ConnectionSettings => ({ url: options.url, username: options.username, ugi: options.ugi ?? 'default' });

export const sameSettings = (a: ConnectionSettings, b: ConnectionSettings): boolean => a.url === b.url && a.username === b.username && a.ugi === b.ugi;

/** Opens the socket, identifies (INIT; both tried again while the server refuses for now: first-connect.ts) and builds the mesh, voice and ping on it. Aborting `signal` rejects with 'cancelled'. */
export async function openConnection(options: ConnectOptions, env: ConnectionEnv, signal: AbortSignal): Promise<Connection> {
  const keys = options.encryption ? await KeyPair.generate() : null;
  const session = await firstSession(
    {
      url: options.url,
      ugi: options.ugi ?? 'default',
      WebSocket: env.WebSocket,
      keepaliveMs: options.keepaliveSeconds !== undefined ? options.keepaliveSeconds * 1000 : env.keepaliveMs,
      signal,
      autoReconnect: env.autoReconnect,
      reconnect: env.reconnect,
      ...(options.fallbackUrls ? { fallbackUrls: options.fallbackUrls } : {}),
    },
    (opened) => opened.init(options.username, { token: options.token, pubkey: keys?.publicKey }),
  );
  const { iceServers, relayOnly } = env.ice();
  const mesh = new Mesh(session, {
    wrtc: env.wrtc,
    iceServers: iceServersFor(options.url, iceServers, session.iceServers),
    relayOnly,
    keys,
    connectTimeoutMs: env.connectTimeoutMs,
    relayFallbackMs: env.relayFallbackMs,
  });
  return { settings: settingsOf(options), session, mesh, voice: new Voice(mesh), ping: new Ping(session, mesh, env.ping), off: [] };
}
