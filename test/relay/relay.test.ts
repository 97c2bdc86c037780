// Relay lobbies (§5) with real WebRTC in Node: five players each keep ONE link (to the relay peer
// inside the server); messages, variables and lists arrive; private packets between two keyed
// players reach the relay only as ciphertext; the relay goes away with its lobby.
import { wrtc } from '../helpers/wrtc.js';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudLinkClient } from '../../src/client/cloudlink.js';
import type { ReceivedMessage } from '../../src/client/api.js';
import type { WebSocketConstructor } from '../../src/client/websocket.js';
import { webRtcRelay, type WebRtcRelayProvider } from '../../src/server/relay/relay-provider.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { silentLogger } from '../helpers/logger.js';
import { until } from '../helpers/until.js';
import { MemoryList, MemoryVariable } from '../sync/memory.js';
import { disconnectAll } from '../helpers/disconnect-all.js';

interface Player {
  name: string;
  client: CloudLinkClient;
  messages: ReceivedMessage[];
  score: MemoryVariable;
  log: MemoryList;
}

let server: RunningServer;
let relay: WebRtcRelayProvider;
const seen: { from: string; text: string }[] = [];
/** What the relay peer logged (through the server's logger). */
const relayLog: Record<string, unknown>[] = [];
const players: Player[] = [];
let frames: ReturnType<typeof setInterval>;
const by = (name: string) => players.find((p) => p.name === name)!;

let barriers = 0;
/**
 * Barrier on `default` (ordered, reliable): every player broadcasts a marker and waits until every
 * other has every marker. Sound because the relay forwards each member's messages in order on the same
 * channel and the client delivers them in order per sender: once q has p's marker, nothing p sent
 * before (nor a copy the relay made of it) can still be in flight to q. The markers are taken out of
 * `messages` again (one each: a duplicated marker would stay and be seen).
 */
async function barrier(): Promise<void> {
  const marker = `barrier ${++barriers}`;
  for (const p of players) p.client.broadcast(marker);
  const isMarker = (from: Player) => (m: ReceivedMessage) =>
    m.from === from.client.myId && m.channel === 'default' && m.kind === 'broadcast' && m.payload === marker;
  await until(() => players.every((q) => players.every((p) => p === q || q.messages.some(isMarker(p)))), `${marker} at every player`);
  for (const q of players) for (const p of players) if (p !== q) q.messages.splice(q.messages.findIndex(isMarker(p)), 1);
}

beforeAll(async () => {
  relay = webRtcRelay({
    wrtc,
    log: (_level, event, fields = {}) => relayLog.push({ event, ...fields }),
    observe: (from, _channel, text) => seen.push({ from, text }),
  });
  server = await startServer({ port: 0, logger: silentLogger, relay });
  for (const [name, encryption] of [
    ['ann', true],
    ['bob', true],
    ['cat', false],
    ['dan', false],
    ['eve', true],
  ] as const) {
    const client = new CloudLinkClient({ WebSocket: WebSocket as unknown as WebSocketConstructor, wrtc, keepaliveMs: 0 });
    const player: Player = { name, client, messages: [], score: new MemoryVariable(0), log: new MemoryList([]) };
    client.on('message', (m) => player.messages.push(m));
    await client.connect({ url: server.wsUrl, username: name, ugi: 'relay', encryption });
    client.bindNetworked('score', null, player.score);
    client.bindNetworked('log', null, player.log);
    players.push(player);
  }
  // The sync engines flush once per "frame".
  frames = setInterval(() => {
    for (const p of players) p.client.flushSync();
  }, 16);
  await by('ann').client.createLobby({ name: 'relayed', enableRelay: true });
  await until(() => by('ann').client.mesh?.relayId !== null, 'RELAY for the host');
  for (const p of players.slice(1)) await p.client.joinLobby('relayed');
  await until(() => players.every((p) => players.every((q) => q === p || p.client.isPeerConnected(q.client.myId))), 'everyone reachable', 20_000);
}, 40_000);

afterAll(async () => {
  clearInterval(frames);
  await disconnectAll(
    players.map((p) => p.client),
    { relays: [relay] },
  );
  await server.close();
});

describe('relay lobby', () => {
  it('keeps one data link per player, to the relay (and GET /metrics counts them)', async () => {
    const [peer] = relay.peers.values();
    expect(peer!.memberLinks).toBe(5);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const node = server.metrics.nodeId;
    expect(metrics).toContain(`cl5_relay_peers{node="${node}"} 1\n`);
    expect(metrics).toContain(`cl5_relay_links{node="${node}"} 5\n`);
    // Every link to the relay was negotiated through the server: at least an offer each.
    expect(Number(metrics.match(/^cl5_signals_relayed_total\{[^}]*\} (\d+)$/m)?.[1])).toBeGreaterThanOrEqual(5);
    for (const p of players) {
      const mesh = p.client.mesh!;
      expect(mesh.link(mesh.relayId!)?.connected).toBe(true);
      for (const q of players) if (q !== p) expect(mesh.link(q.client.myId)).toBeUndefined();
    }
  });

  it('fans broadcasts out to every other member, once, with the sender', async () => {
    by('cat').client.broadcast({ hello: 'everyone' });
    await until(() => players.filter((p) => p.name !== 'cat').every((p) => p.messages.some((m) => m.kind === 'broadcast')), 'the broadcast');
    await barrier();
    for (const p of players.filter((q) => q.name !== 'cat')) {
      expect(p.messages.filter((m) => m.kind === 'broadcast')).toEqual([
        { from: by('cat').client.myId, channel: 'default', kind: 'broadcast', payload: { hello: 'everyone' } },
      ]);
    }
    expect(by('cat').messages).toEqual([]);
  });

  it('forwards private messages to their target only; between keyed players the relay sees ciphertext', async () => {
    const ann = by('ann');
    const bob = by('bob');
    const before = seen.length;
    ann.client.sendPrivate(bob.client.myId, 'for bob, sealed');
    by('cat').client.sendPrivate(by('dan').client.myId, 'for dan, clear');
    await until(
      () => bob.messages.some((m) => m.payload === 'for bob, sealed') && by('dan').messages.some((m) => m.payload === 'for dan, clear'),
      'private messages',
    );
    expect(bob.messages.find((m) => m.kind === 'private')).toEqual({ from: ann.client.myId, channel: 'default', kind: 'private', payload: 'for bob, sealed' });
    for (const p of players.filter((q) => !['bob', 'dan'].includes(q.name))) expect(p.messages.filter((m) => m.kind === 'private')).toEqual([]);

    const fromAnn = seen
      .slice(before)
      .filter((s) => s.from === ann.client.myId)
      .map((s) => JSON.parse(s.text) as { opcode: string; sealed?: unknown; payload?: unknown });
    expect(fromAnn).toEqual([{ opcode: 'P_MSG', recipient: bob.client.myId, sealed: [expect.any(String), expect.any(String)] }]);
    expect(JSON.stringify(seen)).not.toContain('for bob, sealed');
    expect(JSON.stringify(seen)).toContain('for dan, clear');
  });

  it('syncs variables and lists through the relay', async () => {
    by('dan').score.value = 42;
    by('eve').log.edit((items) => items.push('from eve', 'again'));
    await until(() => players.every((p) => p.score.value === 42 && JSON.stringify(p.log.value) === '["from eve","again"]'), 'synced everywhere');
  });

  it('opens named channels through the relay', async () => {
    by('bob').client.openChannel('moves', false);
    await until(() => players.every((p) => p.client.mesh!.link(p.client.mesh!.relayId!)!.channels.has('moves')), 'moves on every relay link', 10_000);
    by('eve').client.broadcast('fast', 'moves');
    await until(
      () => players.filter((p) => p.name !== 'eve').every((p) => p.messages.some((m) => m.channel === 'moves' && m.payload === 'fast')),
      'message on moves',
    );
  });

  it("logs what goes wrong on a relay link through the server's logger, and refuses a NEW_CHAN reusing an id (the shared channel rule)", async () => {
    const ann = by('ann').client;
    const mesh = ann.mesh!;
    const link = mesh.link(mesh.relayId!)!;
    const movesId = link.channelId('moves')!;
    link.send('default', 'not json');
    link.send('default', JSON.stringify({ opcode: 'NEW_CHAN', payload: { id: movesId, label: 'other', ordered: true } }));
    const errors = () => relayLog.filter((entry) => entry.event === 'relay.error' && entry.member === ann.myId).map((entry) => String(entry.message));
    await until(() => errors().length === 2, 'two relay errors logged');
    expect(errors()[0]).toMatch(/^bad message: /);
    expect(errors()[1]).toBe(`NEW_CHAN from ${ann.myId}: id ${movesId} for "other" is already used by "moves"`);
  });

  it('refuses voice in a relay lobby with a clear error', async () => {
    await expect(by('ann').client.call(by('bob').client.myId)).rejects.toThrow('voice is not relayed');
  });

  it('stops the relay peer when the lobby closes', async () => {
    await by('ann').client.closeLobby();
    await until(() => relay.peers.size === 0, 'relay gone');
    await until(() => players.every((p) => !p.client.mesh?.relayId), 'clients left the relay');
  });
});
