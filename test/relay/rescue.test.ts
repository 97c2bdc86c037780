// §5: "This also rescues players whose direct links fail (NAT)". Ann's direct WebRTC links to the
// other players cannot form: her ICE candidates never reach them and theirs never reach her (what a
// NAT without a usable path looks like to WebRTC: signalling works, connectivity does not). The
// server's relay peer stays reachable, as a public server is. In a mesh lobby her links fail and she
// reaches nobody; in a relay lobby the same players, with the same cut, all reach each other.
import wrtc from '@roamhq/wrtc';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReceivedMessage } from '../../src/client/api.js';
import { CloudLinkClient } from '../../src/client/cloudlink.js';
import type { WebSocketConstructor, WebSocketLike } from '../../src/client/websocket.js';
import { webRtcRelay } from '../../src/server/relay/relay-provider.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { silentLogger } from '../helpers/logger.js';
import { until } from '../mesh/players.js';
import { MemoryVariable } from '../sync/memory.js';

/** Instance ids Ann's ICE candidates cannot travel to or from. */
const cutOff = new Set<string>();
let droppedCandidates = 0;

type Packet = { opcode?: string; recipient?: string; origin?: { instance_id?: string }; payload?: { contents?: { sdp?: string } } };

/**
 * A signal between Ann and a cut-off player without its ICE candidates: ICE messages are dropped,
 * and candidate lines are taken out of offers and answers (libwebrtc puts the ones it already
 * gathered in the SDP). Returns the frame to pass on, or null.
 */
function cut(text: string, peer: (packet: Packet) => string | undefined): string | null {
  const packet = JSON.parse(text) as Packet;
  const id = peer(packet);
  if (id === undefined || !cutOff.has(id)) return text;
  if (packet.opcode === 'ICE') {
    droppedCandidates += 1;
    return null;
  }
  const sdp = packet.payload?.contents?.sdp;
  if (sdp === undefined) return text;
  const lines = sdp.split('\r\n');
  const kept = lines.filter((line) => !line.startsWith('a=candidate') && !line.startsWith('a=end-of-candidates'));
  droppedCandidates += lines.length - kept.length;
  packet.payload!.contents!.sdp = kept.join('\r\n');
  return JSON.stringify(packet);
}

/** Ann's WebSocket: a `ws` socket that drops ICE candidates between her and the players in `cutOff`, both ways. */
class CutOffWebSocket implements WebSocketLike {
  private readonly ws: WebSocket;
  onopen: WebSocketLike['onopen'] = null;
  onmessage: WebSocketLike['onmessage'] = null;
  onclose: WebSocketLike['onclose'] = null;
  onerror: WebSocketLike['onerror'] = null;

  constructor(url: string) {
    this.ws = new WebSocket(url);
    this.ws.onopen = (event) => this.onopen?.(event);
    this.ws.onclose = (event) => this.onclose?.(event);
    this.ws.onerror = (event) => this.onerror?.(event);
    this.ws.onmessage = (event) => {
      const data = cut(String(event.data), (packet) => packet.origin?.instance_id);
      if (data !== null) this.onmessage?.({ data });
    };
  }

  get readyState(): number {
    return this.ws.readyState;
  }

  send(data: string): void {
    const kept = cut(data, (packet) => packet.recipient);
    if (kept !== null) this.ws.send(kept);
  }

  close(code?: number, reason?: string): void {
    this.ws.close(code, reason);
  }
}

interface Player {
  client: CloudLinkClient;
  messages: ReceivedMessage[];
  errors: string[];
  score: MemoryVariable;
  id: string;
}

let server: RunningServer;
let frames: ReturnType<typeof setInterval>;
const players: Player[] = [];

async function connect(name: string, WebSocketClass: WebSocketConstructor): Promise<Player> {
  const client = new CloudLinkClient({ WebSocket: WebSocketClass, wrtc, keepaliveMs: 0, connectTimeoutMs: 1500 });
  const player: Player = { client, messages: [], errors: [], score: new MemoryVariable(0), id: '' };
  client.on('message', (m) => player.messages.push(m));
  client.on('error', (e) => player.errors.push(e.message));
  await client.connect({ url: server.wsUrl, username: name, ugi: 'rescue' });
  client.bindNetworked('score', null, player.score);
  player.id = client.myId;
  players.push(player);
  return player;
}

let ann: Player;
let bob: Player;
let cat: Player;

beforeAll(async () => {
  server = await startServer({ port: 0, logger: silentLogger, relay: webRtcRelay({ wrtc, log: silentLogger }) });
  ann = await connect('ann', CutOffWebSocket);
  bob = await connect('bob', WebSocket as unknown as WebSocketConstructor);
  cat = await connect('cat', WebSocket as unknown as WebSocketConstructor);
  cutOff.add(bob.id).add(cat.id);
  frames = setInterval(() => {
    for (const p of players) p.client.flushSync();
  }, 16);
});

afterAll(async () => {
  clearInterval(frames);
  for (const p of players) p.client.disconnect();
  await server.close();
});

describe('a player whose direct links fail', () => {
  it('in a mesh lobby reaches nobody: her links fail and sends to those players throw', async () => {
    await ann.client.createLobby({ name: 'direct' });
    await bob.client.joinLobby('direct');
    await cat.client.joinLobby('direct');
    await until(() => bob.client.isPeerConnected(cat.id) && cat.client.isPeerConnected(bob.id), 'bob and cat linked directly');
    await until(() => [bob.id, cat.id].every((id) => ann.errors.some((e) => e.startsWith(`link to ${id} failed`))), 'ann told her links failed', 10_000);
    expect(droppedCandidates).toBeGreaterThan(0);
    expect(ann.client.isPeerConnected(bob.id)).toBe(false);
    expect(() => ann.client.sendPrivate(bob.id, 'hello?')).toThrow(/not connected/);
    expect(bob.messages).toEqual([]);

    for (const p of [cat, bob, ann]) await p.client.leaveLobby();
  });

  it('in a relay lobby reaches everyone through the relay, and everyone reaches her', async () => {
    await ann.client.createLobby({ name: 'rescued', enableRelay: true });
    await until(() => ann.client.mesh?.relayId !== null, 'RELAY for ann');
    await bob.client.joinLobby('rescued');
    await cat.client.joinLobby('rescued');
    await until(() => players.every((p) => players.every((q) => q === p || p.client.isPeerConnected(q.id))), 'everyone reachable', 15_000);

    ann.client.broadcast('from behind the NAT');
    bob.client.sendPrivate(ann.id, 'found you');
    ann.score.value = 7;
    await until(
      () =>
        [bob, cat].every((p) => p.messages.some((m) => m.from === ann.id && m.payload === 'from behind the NAT') && p.score.value === 7) &&
        ann.messages.some((m) => m.from === bob.id && m.kind === 'private' && m.payload === 'found you'),
      'messages and the variable through the relay',
    );
    // Still cut off: her only link is the one to the relay.
    expect(ann.client.mesh!.link(bob.id)).toBeUndefined();
    expect(ann.client.mesh!.link(ann.client.mesh!.relayId!)?.connected).toBe(true);
  });
});
