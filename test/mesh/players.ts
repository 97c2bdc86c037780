// Test players: a real Session over `ws` plus a Mesh on real WebRTC (@roamhq/wrtc).
import { wrtc } from '../helpers/wrtc.js';
import WebSocket from 'ws';
import { KeyPair } from '../../src/client/e2ee.js';
import { Mesh, type MeshMessage, type MeshOptions } from '../../src/client/mesh/mesh.js';
import { Session, type SessionOptions } from '../../src/client/session.js';
import { nodeWrtc } from '../../src/peer/node-wrtc.js';
import type { WebSocketConstructor } from '../../src/client/websocket.js';
import { until } from '../helpers/until.js';

export interface Player {
  name: string;
  session: Session;
  mesh: Mesh;
  id: string;
  messages: MeshMessage[];
  errors: string[];
  /** Closes the mesh and the session; resolves once WebRTC has let go of every link (await it before the next). */
  close(): Promise<void>;
}

export async function player(
  wsUrl: string,
  name: string,
  options: MeshOptions & { encrypt?: boolean; WebSocket?: WebSocketConstructor; session?: Pick<SessionOptions, 'fallbackUrls' | 'reconnect'> } = {},
): Promise<Player> {
  const session = await Session.connect({
    url: wsUrl,
    ugi: 'mesh',
    WebSocket: options.WebSocket ?? (WebSocket as unknown as WebSocketConstructor),
    keepaliveMs: 0,
    ...options.session,
  });
  const keys = options.encrypt ? await KeyPair.generate() : null;
  const me = await session.init(name, keys ? { pubkey: keys.publicKey } : {});
  // wrtc made safe for Node, as the relay peer's is (node-wrtc.ts).
  const mesh = new Mesh(session, { connectTimeoutMs: 10_000, ...options, wrtc: nodeWrtc(options.wrtc ?? wrtc), keys });
  const result: Player = {
    name,
    session,
    mesh,
    id: me.instance_id,
    messages: [],
    errors: [],
    close() {
      const released = mesh.destroy();
      session.close();
      return released;
    },
  };
  mesh.on('message', (message) => result.messages.push(message));
  mesh.on('error', (error) => result.errors.push(error.message));
  return result;
}

export const fullyMeshed = (players: Player[]) => () => players.every((p) => p.mesh.connectedPeers().length === players.length - 1);

/** The host creates `name`, the others join in order; resolves when the mesh is complete. */
export async function lobby(players: Player[], name = 'room'): Promise<void> {
  const [host, ...rest] = players;
  await host!.session.createLobby({ name });
  for (const p of rest) await p.session.joinLobby(name);
  await until(fullyMeshed(players), `a full mesh of ${players.length}`);
}
