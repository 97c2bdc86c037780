// Full WebRTC meshes and a relay lobby with their players spread over two server nodes sharing a real
// redis-server: every link is negotiated through signals routed between the nodes (real @roamhq/wrtc).
import { wrtc } from '../helpers/wrtc.js';
import WebSocket from 'ws';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ReceivedMessage } from '../../src/client/api.js';
import { CloudLinkClient } from '../../src/client/cloudlink.js';
import type { WebSocketConstructor } from '../../src/client/websocket.js';
import { webRtcRelay, type WebRtcRelayProvider } from '../../src/server/relay/relay-provider.js';
import { type Node, startNodes } from '../helpers/cluster-nodes.js';
import { silentLogger } from '../helpers/logger.js';
import { redisForTests } from '../helpers/redis.js';
import { fullyMeshed, lobby, player, type Player } from '../mesh/players.js';
import { until } from '../helpers/until.js';
import { RawClient } from '../server/helpers.js';
import { disconnectAll } from '../helpers/disconnect-all.js';

const redis = redisForTests();
let nodes: Node[];
let relays: WebRtcRelayProvider[];
let meshPlayers: Player[] = [];
const clients: CloudLinkClient[] = [];
const raws: RawClient[] = [];

beforeEach(async () => {
  relays = [];
  nodes = await startNodes(redis.url, 2, () => {
    const relay = webRtcRelay({ wrtc, log: silentLogger });
    relays.push(relay);
    return { relay };
  });
});
afterEach(async () => {
  await disconnectAll(clients.splice(0), { players: meshPlayers, relays });
  meshPlayers = [];
  for (const raw of raws.splice(0)) raw.close();
  await Promise.all(nodes.map((node) => node.close()));
});

describe('a mesh lobby over two nodes', () => {
  it('links every pair across nodes and carries every broadcast exactly once', async () => {
    const names = ['ann', 'bob', 'cat', 'dan'];
    meshPlayers = await Promise.all(names.map((name, i) => player(nodes[i % 2]!.server.wsUrl, name)));
    await lobby(meshPlayers);
    expect(nodes.map((node) => node.server.connections('mesh').length)).toEqual([2, 2]);
    for (const p of meshPlayers) for (let i = 0; i < 20; i += 1) p.mesh.broadcast(`${p.name} ${i}`);
    const total = (p: Player) => p.messages.filter((m) => m.opcode === 'G_MSG').length;
    await until(() => meshPlayers.every((p) => total(p) === 60), 'every broadcast at every player');
    for (const p of meshPlayers) {
      for (const q of meshPlayers.filter((other) => other !== p)) {
        const fromQ = p.messages.filter((m) => m.from === q.id).map((m) => m.payload);
        expect(fromQ).toEqual(Array.from({ length: 20 }, (_, i) => `${q.name} ${i}`));
      }
    }
    expect(meshPlayers.flatMap((p) => p.errors)).toEqual([]);
  }, 40_000);

  it('a host leaving on one node migrates the lobby for the players on the other; the rest stay linked', async () => {
    meshPlayers = await Promise.all(['ann', 'bob', 'cat'].map((name, i) => player(nodes[i % 2]!.server.wsUrl, name)));
    await lobby(meshPlayers);
    const [ann, bob, cat] = meshPlayers as [Player, Player, Player];
    await ann.session.leaveLobby();
    await until(() => bob.session.isHost && cat.session.host?.instance_id === bob.id, 'bob (node 1) host everywhere');
    await until(fullyMeshed([bob, cat]), 'bob and cat still linked');
    expect(bob.session.peers.has(ann.id) || cat.session.peers.has(ann.id)).toBe(false);
  }, 40_000);
});

describe('a relay lobby over two nodes', () => {
  it('members on the other node reach the relay peer, which runs on one node only', async () => {
    const messages = new Map<string, ReceivedMessage[]>();
    const connect = async (name: string, node: Node) => {
      const client = new CloudLinkClient({ WebSocket: WebSocket as unknown as WebSocketConstructor, wrtc, keepaliveMs: 0 });
      clients.push(client);
      messages.set(name, []);
      client.on('message', (m) => messages.get(name)!.push(m));
      await client.connect({ url: node.server.wsUrl, username: name, ugi: 'relay' });
      return client;
    };
    const ann = await connect('ann', nodes[0]!);
    const bob = await connect('bob', nodes[1]!);
    const cat = await connect('cat', nodes[1]!);
    await ann.createLobby({ name: 'relayed', enableRelay: true });
    await until(() => ann.mesh?.relayId !== null, 'RELAY for the host');
    await bob.joinLobby('relayed');
    await cat.joinLobby('relayed');
    // As soon as ann (node 0) knows cat, she writes to cat through the relay (node 0), before cat (node 1)
    // has linked to it: the relay holds it for cat, because cat's node told it cat joined.
    await until(() => ann.isPeerConnected(cat.myId), 'ann reaching cat through the relay');
    ann.sendPrivate(cat.myId, 'early');
    const all = [ann, bob, cat];
    await until(() => all.every((p) => all.every((q) => q === p || p.isPeerConnected(q.myId))), 'everyone reachable', 20_000);
    expect(relays.map((relay) => relay.peers.size)).toEqual([1, 0]);
    expect([...relays[0]!.peers.values()][0]!.memberLinks).toBe(3);

    cat.broadcast('from node 1');
    ann.sendPrivate(bob.myId, 'to bob');
    await until(() => messages.get('cat')!.some((m) => m.payload === 'early'), 'the early message at cat');
    expect(messages.get('cat')).toEqual([{ from: ann.myId, channel: 'default', kind: 'private', payload: 'early' }]);
    await until(() => messages.get('ann')!.length === 1 && messages.get('bob')!.length === 2, 'the messages');
    expect(messages.get('ann')).toEqual([{ from: cat.myId, channel: 'default', kind: 'broadcast', payload: 'from node 1' }]);
    expect(messages.get('bob')).toContainEqual({ from: ann.myId, channel: 'default', kind: 'private', payload: 'to bob' });

    // A member of node 1 that never signals (a raw client) is known to the relay on node 0 all the same, so
    // packets addressed to it are held for it rather than dropped; once it leaves, it is not.
    const relayLobby = [...relays[0]!.peers.keys()][0]!;
    const dan = (await RawClient.open(`${nodes[1]!.server.wsUrl}?ugi=relay`)) as RawClient;
    raws.push(dan);
    const danId = ((await dan.request('INIT', { username: 'dan' }, 'INIT_OK')).payload as { instance_id: string }).instance_id;
    expect(relayLobby.isMember(danId)).toBe(false);
    await dan.request('JOIN_LOBBY', { name: 'relayed', password: '' }, 'JOIN_ACK');
    await until(() => relayLobby.isMember(danId), 'the relay knowing dan');
    await dan.request('LEAVE_LOBBY', undefined, 'LEAVE_ACK');
    await until(() => !relayLobby.isMember(danId), 'the relay forgetting dan');

    // cat leaves from node 1: the relay (node 0) drops its link; the host closes: the relay stops.
    await cat.leaveLobby();
    await until(() => [...relays[0]!.peers.values()][0]?.memberLinks === 2, 'the relay dropped cat');
    await ann.closeLobby();
    await until(() => relays[0]!.peers.size === 0, 'the relay stopped');
  }, 60_000);
});

describe('the relay for one pair (hybrid lobby) over three players on two nodes', () => {
  it('USE_RELAY from either node gets the one relay peer, which runs on the node that started it', async () => {
    const raw = async (node: Node, username: string) => {
      const client = (await RawClient.open(`${node.server.wsUrl}?ugi=h`)) as RawClient & { id: string };
      raws.push(client);
      client.id = ((await client.request('INIT', { username }, 'INIT_OK')).payload as { instance_id: string }).instance_id;
      return client;
    };
    const ann = await raw(nodes[0]!, 'ann');
    const bob = await raw(nodes[1]!, 'bob');
    const cat = await raw(nodes[1]!, 'cat');
    await ann.request('CREATE_LOBBY', { name: 'mix', max_players: -1, password: '', locked: false, enable_relay: false }, 'CREATE_ACK');
    for (const p of [bob, cat]) await p.request('JOIN_LOBBY', { name: 'mix', password: '' }, 'JOIN_ACK');
    // ann (node 0) asks to be relayed with bob (node 1): node 0 starts the relay; bob hears of it through Redis.
    const first = (await ann.request('USE_RELAY', bob.id, 'RELAY_PAIR')).payload as { relay: string; peer: string };
    expect(first.peer).toBe(bob.id);
    expect((await bob.next('RELAY_PAIR', 5000)).payload).toEqual({ relay: first.relay, peer: ann.id });
    // cat (node 1) asks for a pair with ann (node 0): the same relay peer, still only on node 0.
    const second = (await cat.request('USE_RELAY', ann.id, 'RELAY_PAIR')).payload as { relay: string; peer: string };
    expect(second.relay).toBe(first.relay);
    expect((await ann.next('RELAY_PAIR', 5000)).payload).toEqual({ relay: first.relay, peer: cat.id });
    expect(relays.map((relay) => relay.peers.size)).toEqual([1, 0]);
    // A player in no lobby cannot be named.
    const eve = await raw(nodes[1]!, 'eve');
    expect((await ann.request('USE_RELAY', eve.id, 'WARNING')).payload).toBe('peer invalid');
  }, 30_000);
});
