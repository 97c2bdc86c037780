// A send through a relay link that has just died, before its close event reached the sender: it is held
// for the heal, as on a direct link (sender.ts diedUnnoticed), instead of throwing 'not-open' to the
// project. Found by test/cluster/failover.test.ts under load (the relay's node killed while a pair
// talked through it). Real server, real relay peer, real WebRTC (@roamhq/wrtc).
import { wrtc } from '../helpers/wrtc.js';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReceivedMessage } from '../../src/client/api.js';
import { CloudLinkClient } from '../../src/client/cloudlink.js';
import type { WebSocketConstructor } from '../../src/client/websocket.js';
import { webRtcRelay, type WebRtcRelayProvider } from '../../src/server/relay/relay-provider.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { silentLogger } from '../helpers/logger.js';
import { until } from '../helpers/until.js';
import { disconnectAll } from '../helpers/disconnect-all.js';

let server: RunningServer;
let relay: WebRtcRelayProvider;
const clients: CloudLinkClient[] = [];

async function player(name: string): Promise<{ client: CloudLinkClient; messages: ReceivedMessage[]; errors: string[] }> {
  const client = new CloudLinkClient({ WebSocket: WebSocket as unknown as WebSocketConstructor, wrtc, keepaliveMs: 0 });
  clients.push(client);
  const messages: ReceivedMessage[] = [];
  const errors: string[] = [];
  client.on('message', (m) => messages.push(m));
  client.on('error', (e) => errors.push(`${e.code}: ${e.message}`));
  await client.connect({ url: server.wsUrl, username: name, ugi: 'race' });
  return { client, messages, errors };
}

beforeAll(async () => {
  relay = webRtcRelay({ wrtc, log: () => {} });
  server = await startServer({ port: 0, logger: silentLogger, relay });
});

afterAll(async () => {
  await disconnectAll(clients, { relays: [relay] });
  await server.close();
});

describe('a relay link that died unnoticed', () => {
  it('a send in the same turn is held and arrives once the link is back, with no error', async () => {
    const ann = await player('ann');
    const bob = await player('bob');
    await ann.client.createLobby({ name: 'relayed', enableRelay: true });
    await bob.client.joinLobby('relayed');
    const annId = ann.client.myId;
    const bobId = bob.client.myId;
    await until(() => ann.client.isPeerConnected(bobId) && bob.client.isPeerConnected(annId), 'both reachable through the relay', 20_000);
    ann.client.sendPrivate(bobId, { n: 0 });
    await until(() => bob.messages.length === 1, 'a first message through the relay');

    // ann's link to the relay dies (its channel closes, as when the other side went); the close event is
    // still on the way when she sends.
    const mesh = ann.client.mesh!;
    mesh.link(mesh.relayId!)!.channels.get('default')!.close();
    expect(() => ann.client.sendPrivate(bobId, { n: 1 })).not.toThrow();
    ann.client.sendPrivate(bobId, { n: 2 });

    await until(() => bob.messages.length === 3, 'the held messages, once the relay link is back', 30_000);
    expect(bob.messages.map((m) => (m.payload as { n: number }).n)).toEqual([0, 1, 2]);
    expect(ann.errors).toEqual([]);
  }, 60_000);
});
