// §5: "This also rescues players whose direct links fail (NAT)". Ann's direct WebRTC links to the
// other players cannot form: her ICE candidates never reach them and theirs never reach her (what a
// NAT without a usable path looks like to WebRTC: signalling works, connectivity does not). The
// server's relay peer stays reachable, as a public server is. In a mesh lobby her links fail, and
// after the fallback timeout her pairs go through the relay while bob and cat stay linked directly
// (a hybrid lobby); in a relay lobby the same players, with the same cut, all reach each other.
import { wrtc } from '../helpers/wrtc.js';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReceivedMessage } from '../../src/client/api.js';
import { CloudLinkClient } from '../../src/client/cloudlink.js';
import type { WebSocketConstructor } from '../../src/client/websocket.js';
import { webRtcRelay, type WebRtcRelayProvider } from '../../src/server/relay/relay-provider.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { cutCandidates } from '../helpers/cut-candidates.js';
import { silentLogger } from '../helpers/logger.js';
import { until } from '../helpers/until.js';
import { MemoryVariable } from '../sync/memory.js';
import { disconnectAll } from '../helpers/disconnect-all.js';

interface Player {
  client: CloudLinkClient;
  messages: ReceivedMessage[];
  errors: string[];
  score: MemoryVariable;
  id: string;
}

/** Ann's signalling: no candidates between her and bob or cat. */
const annCut = cutCandidates();
let server: RunningServer;
let relay: WebRtcRelayProvider;
let frames: ReturnType<typeof setInterval>;
const players: Player[] = [];

async function connect(name: string, WebSocketClass: WebSocketConstructor): Promise<Player> {
  const client = new CloudLinkClient({ WebSocket: WebSocketClass, wrtc, keepaliveMs: 0, connectTimeoutMs: 1500, relayFallbackMs: 2000 });
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
  relay = webRtcRelay({ wrtc, log: silentLogger });
  server = await startServer({ port: 0, logger: silentLogger, relay });
  ann = await connect('ann', annCut.WebSocket);
  bob = await connect('bob', WebSocket as unknown as WebSocketConstructor);
  cat = await connect('cat', WebSocket as unknown as WebSocketConstructor);
  annCut.cutOff.add(bob.id).add(cat.id);
  frames = setInterval(() => {
    for (const p of players) p.client.flushSync();
  }, 16);
});

afterAll(async () => {
  clearInterval(frames);
  await disconnectAll(
    players.map((p) => p.client),
    { relays: [relay] },
  );
  await server.close();
});

describe('a player whose direct links fail', () => {
  it('in a mesh lobby: her links fail, then her pairs go through the relay while bob and cat stay direct', async () => {
    await ann.client.createLobby({ name: 'direct' });
    await bob.client.joinLobby('direct');
    await cat.client.joinLobby('direct');
    await until(() => bob.client.isPeerConnected(cat.id) && cat.client.isPeerConnected(bob.id), 'bob and cat linked directly');
    await until(() => players.every((p) => players.every((q) => q === p || p.client.isPeerConnected(q.id))), 'everyone reachable', 15_000);
    expect(annCut.dropped).toBeGreaterThan(0);
    const mesh = (p: Player) => p.client.mesh!;
    for (const p of [bob, cat]) {
      expect(mesh(ann).viaRelay(p.id) && mesh(p).viaRelay(ann.id)).toBe(true);
      expect(mesh(ann).link(p.id)).toBeUndefined();
    }
    expect(mesh(bob).viaRelay(cat.id) || mesh(cat).viaRelay(bob.id)).toBe(false);
    expect(mesh(bob).link(cat.id)?.connected).toBe(true);
    // Still a mesh lobby: no RELAY (the relay carries only the pairs that asked).
    expect(mesh(ann).relayId).toBeNull();

    ann.client.sendPrivate(bob.id, 'through the relay');
    ann.score.value = 3;
    await until(
      () => bob.messages.some((m) => m.from === ann.id && m.payload === 'through the relay') && [bob, cat].every((p) => p.score.value === 3),
      'a message and the variable through the relay',
    );
    // Failing to link before the fallback was reported (link-failed, retrying), nothing after it.
    expect(ann.errors.every((e) => /^link to .* failed: connect timeout, retrying$/.test(e))).toBe(true);

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
