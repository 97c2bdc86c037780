// A real server on 127.0.0.1, real sessions, real WebRTC (@roamhq/wrtc) between in-process players.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MeshMessage } from '../../src/client/mesh/mesh.js';
import type { PeerLink } from '../../src/peer/link.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { silentLogger } from '../helpers/logger.js';
import { fullyMeshed, lobby, type Player, player } from './players.js';
import { until } from '../helpers/until.js';
import { closeAll } from '../helpers/disconnect-all.js';

let server: RunningServer;
let players: Player[] = [];

beforeEach(async () => {
  server = await startServer({ port: 0, logger: silentLogger });
});
afterEach(async () => {
  await closeAll(players);
  players = [];
  await server.close();
});

async function team(...names: string[]): Promise<Player[]> {
  players = await Promise.all(names.map((name) => player(server.wsUrl, name)));
  return players;
}

const received = (p: Player, channel: string) => p.messages.filter((m) => m.channel === channel);

let barriers = 0;
/**
 * Barrier on `default` (ordered, reliable): every player broadcasts a marker and waits until every
 * other has every marker. Sound because a channel delivers in order: once q has p's marker, nothing p
 * sent q on it before can still be in flight (nor a reaction q had to anything it received before).
 * The markers are then taken out of `messages` (one each: a duplicated marker would stay and be seen).
 */
async function barrier(group: Player[]): Promise<void> {
  const marker = `barrier ${++barriers}`;
  for (const p of group) p.mesh.broadcast(marker);
  const isMarker = (from: Player) => (m: MeshMessage) => m.from === from.id && m.channel === 'default' && m.opcode === 'G_MSG' && m.payload === marker;
  await until(() => group.every((q) => group.every((p) => p === q || q.messages.some(isMarker(p)))), `${marker} at every player`);
  for (const q of group) for (const p of group) if (p !== q) q.messages.splice(q.messages.findIndex(isMarker(p)), 1);
}

/**
 * The data channels `link` creates from now on, each with whether its close event has been dispatched
 * (wrtc dispatches it to addEventListener listeners and `onclose`, the link's handler, in one go).
 * Through simple-peer's `_pc` (see test/contracts/simple-peer.test.ts).
 */
function channelsCreated(link: PeerLink): { channel: RTCDataChannel; closed: boolean }[] {
  const created: { channel: RTCDataChannel; closed: boolean }[] = [];
  const pc = (link.peer as unknown as { _pc: RTCPeerConnection })._pc;
  const create = pc.createDataChannel.bind(pc);
  pc.createDataChannel = (label, init) => {
    const entry = { channel: create(label, init), closed: false };
    entry.channel.addEventListener('close', () => {
      entry.closed = true;
    });
    created.push(entry);
    return entry.channel;
  };
  return created;
}

describe('mesh', () => {
  it('forms a full mesh of 4 and delivers G_MSG / P_MSG exactly once with the right sender', async () => {
    const [ann, bob, cat, dan] = await team('ann', 'bob', 'cat', 'dan');
    await lobby([ann!, bob!, cat!, dan!]);
    for (const p of players)
      expect(p.mesh.connectedPeers().sort()).toEqual(
        players
          .filter((o) => o !== p)
          .map((o) => o.id)
          .sort(),
      );

    bob!.mesh.broadcast({ hello: 'all' });
    cat!.mesh.sendPrivate(dan!.id, 'just for dan');
    await until(() => [ann, cat, dan].every((p) => p!.messages.some((m) => m.opcode === 'G_MSG')), 'broadcast');
    await until(() => dan!.messages.some((m) => m.opcode === 'P_MSG'), 'private message');
    await barrier(players);
    for (const p of [ann, cat, dan]) {
      expect(p!.messages.filter((m) => m.opcode === 'G_MSG')).toEqual([{ from: bob!.id, channel: 'default', opcode: 'G_MSG', payload: { hello: 'all' } }]);
    }
    expect(bob!.messages).toEqual([]);
    expect(dan!.messages.filter((m) => m.opcode === 'P_MSG')).toEqual([{ from: cat!.id, channel: 'default', opcode: 'P_MSG', payload: 'just for dan' }]);
    expect([ann, bob].flatMap((p) => p!.messages.filter((m) => m.opcode === 'P_MSG'))).toEqual([]);
  });

  it('opens named ordered and unordered channels on both sides and routes messages by channel', async () => {
    const [ann, bob, cat] = await team('ann', 'bob', 'cat');
    await lobby([ann!, bob!, cat!]);
    const opened: string[] = [];
    for (const p of players) p.mesh.on('channel-open', (_peer, label) => opened.push(`${p.name}:${label}`));
    ann!.mesh.openChannel('chat', true);
    bob!.mesh.openChannel('moves', false);
    const everywhere = (label: string) => () => players.every((p) => p.mesh.connectedPeers().every((id) => p.mesh.openChannels(id).includes(label)));
    await until(() => everywhere('chat')() && everywhere('moves')(), 'both channels on every link, both sides');
    // Every side saw an open event for every link and label (more where a simultaneous open was resolved).
    for (const p of players) for (const label of ['chat', 'moves']) expect(opened.filter((o) => o === `${p.name}:${label}`).length).toBeGreaterThanOrEqual(2);
    // Both ends of a link come to agree on each channel's id (a simultaneous open settles on the lower).
    const agreed = () =>
      players.every((p) =>
        players.every((q) => p === q || ['chat', 'moves'].every((label) => p.mesh.link(q.id)!.channelId(label) === q.mesh.link(p.id)!.channelId(label))),
      );
    await until(agreed, 'channel ids agreed on both ends');
    expect(bob!.mesh.channels().sort()).toEqual(['chat', 'default', 'moves']);
    expect(bob!.mesh.openChannels(ann!.id).sort()).toEqual(['chat', 'default', 'moves']);
    expect(bob!.mesh.openChannels('nobody')).toEqual([]);
    const ch = (label: string) => ann!.mesh.link(bob!.id)!.channels.get(label)!;
    expect(ch('chat').ordered).toBe(true);
    expect(ch('moves').ordered).toBe(false);
    expect(ch('moves').maxRetransmits).toBe(0);

    ann!.mesh.broadcast('on chat', 'chat');
    cat!.mesh.sendPrivate(ann!.id, { x: 1 }, 'moves');
    await until(() => received(bob!, 'chat').length === 1 && received(cat!, 'chat').length === 1 && received(ann!, 'moves').length === 1, 'channel messages');
    expect(received(bob!, 'chat')[0]).toEqual({ from: ann!.id, channel: 'chat', opcode: 'G_MSG', payload: 'on chat' });
    expect(received(ann!, 'moves')[0]).toEqual({ from: cat!.id, channel: 'moves', opcode: 'P_MSG', payload: { x: 1 } });
    expect(received(bob!, 'default')).toEqual([]);

    // A newcomer gets the lobby's channels too.
    const dan = await player(server.wsUrl, 'dan');
    players.push(dan);
    await dan.session.joinLobby('room');
    await until(fullyMeshed(players), 'dan in the mesh');
    // Open on both ends of each of dan's links: a message on a fast channel the receiver has not opened yet is lost.
    await until(() => everywhere('chat')() && everywhere('moves')(), 'channels to dan, on both ends');
    dan.mesh.broadcast('dan on moves', 'moves');
    await until(() => received(ann!, 'moves').length === 2, 'dan on moves');

    const closedLabels: string[] = [];
    bob!.mesh.on('channel-close', (_peer, label) => closedLabels.push(label));
    ann!.mesh.closeChannel('chat');
    await until(() => closedLabels.includes('chat'), 'chat closed at bob');
    expect(() => ann!.mesh.broadcast('x', 'chat')).toThrow('no channel named "chat"');
  });

  it('resolves two players opening the same label at once to one channel id', async () => {
    const [ann, bob] = await team('ann', 'bob');
    await lobby([ann!, bob!]);
    ann!.mesh.openChannel('same', true);
    bob!.mesh.openChannel('same', true);
    await until(() => ann!.mesh.link(bob!.id)!.channels.has('same') && bob!.mesh.link(ann!.id)!.channels.has('same'), 'same channel');
    // Each NEW_CHAN went on `default` before the marker: both have been applied.
    await barrier([ann!, bob!]);
    const a = ann!.mesh.link(bob!.id)!.channelId('same');
    expect(a).toBe(bob!.mesh.link(ann!.id)!.channelId('same'));
    bob!.mesh.broadcast('via same', 'same');
    await until(() => received(ann!, 'same').length === 1, 'message on the shared channel');
  });

  it('a loser of a simultaneous open sees no close event; a channel closed by the other side can be re-opened', async () => {
    const [ann, bob] = await team('ann', 'bob');
    await lobby([ann!, bob!]);
    const events: string[] = [];
    for (const p of [ann!, bob!]) {
      p.mesh.on('channel-open', (_peer, label) => events.push(`${p.name} open ${label}`));
      p.mesh.on('channel-close', (_peer, label) => events.push(`${p.name} close ${label}`));
    }
    const annLink = ann!.mesh.link(bob!.id)!;
    const bobLink = bob!.mesh.link(ann!.id)!;
    const created = [channelsCreated(annLink), channelsCreated(bobLink)];
    ann!.mesh.openChannel('chat');
    bob!.mesh.openChannel('chat');
    await until(() => annLink.channels.has('chat') && bobLink.channels.has('chat'), 'chat both sides');
    // Both NEW_CHANs applied (they went on `default` before the markers); then the one replaced
    // channel (the higher id, on one side) has finished closing: its close event was dispatched.
    await barrier([ann!, bob!]);
    const chat = created.flat().filter((c) => c.channel.label === 'chat');
    const lowest = Math.min(...chat.map((c) => c.channel.id ?? Number.POSITIVE_INFINITY));
    const replaced = chat.filter((c) => c.channel.id !== lowest);
    expect(replaced).toHaveLength(1);
    await until(() => replaced.every((c) => c.closed), 'the replaced channel closed');
    expect(events.filter((e) => e.includes('close'))).toEqual([]);

    bob!.mesh.closeChannel('chat');
    await until(() => events.includes('ann close chat') && events.includes('bob close chat'), 'chat closed on both ends');
    // A send that cannot leave fails one way, whatever the route: thrown to the caller with code 'not-open', not also emitted.
    const errorsBefore = ann!.errors.length;
    expect(() => ann!.mesh.broadcast('lost?', 'chat')).toThrow(
      expect.objectContaining({ code: 'not-open', message: `channel "chat" is not open to ${bob!.id}` }),
    );
    expect(() => ann!.mesh.sendPrivate(bob!.id, 'lost?', 'chat')).toThrow(expect.objectContaining({ code: 'not-open', peer: bob!.id }));
    expect(ann!.mesh.failedSends).toBe(2);
    expect(ann!.errors.length).toBe(errorsBefore);
    // Ann still wants "chat": opening it again re-creates it on both ends (and bob wants it again).
    ann!.mesh.openChannel('chat');
    await until(() => bob!.mesh.link(ann!.id)!.channels.has('chat') && ann!.mesh.link(bob!.id)!.channels.has('chat'), 'chat re-opened');
    expect(bob!.mesh.channels()).toContain('chat');
    bob!.mesh.sendPrivate(ann!.id, 'back', 'chat');
    await until(() => received(ann!, 'chat').some((m) => m.payload === 'back'), 'message on the re-opened channel');
  });

  it('drops invalid inbound messages with an error event and never throws', async () => {
    const [ann, bob] = await team('ann', 'bob');
    await lobby([ann!, bob!]);
    bob!.mesh.openChannel('side');
    await until(() => ann!.mesh.link(bob!.id)!.channels.has('side') && bob!.mesh.link(ann!.id)!.channels.has('side'), 'side channel');
    const raw = bob!.mesh.link(ann!.id)!;
    const sideId = raw.channelId('side')!;
    raw.send('default', 'not json');
    raw.send('default', JSON.stringify({ opcode: 'NOPE', payload: 1 }));
    raw.send('default', JSON.stringify({ opcode: 'NEW_CHAN', payload: { id: sideId, label: 'other', ordered: true } }));
    raw.send('default', JSON.stringify({ opcode: 'NEW_CHAN', payload: { id: 5000, label: 'big', ordered: true } }));
    raw.send('side', JSON.stringify({ opcode: 'NEW_CHAN', payload: { id: 900, label: 'x', ordered: true } }));
    raw.send(
      'default',
      JSON.stringify([
        { opcode: 'G_MSG', payload: 'one' },
        { opcode: 'P_MSG', payload: 'two' },
      ]),
    );
    await until(() => ann!.messages.length === 2, 'the valid batch');
    expect(ann!.messages.map((m) => [m.from, m.opcode, m.payload])).toEqual([
      [bob!.id, 'G_MSG', 'one'],
      [bob!.id, 'P_MSG', 'two'],
    ]);
    expect(ann!.errors.length).toBe(5);
    expect(ann!.errors.some((e) => e.includes('already used by "side"'))).toBe(true);
    expect(ann!.errors.some((e) => e.includes('only valid on "default"'))).toBe(true);
    expect(ann!.mesh.channels().sort()).toEqual(['default', 'side']);
    expect(ann!.mesh.isConnected(bob!.id)).toBe(true);
  });

  it('fails loudly on a missing channel or an unknown peer', async () => {
    const [ann, bob] = await team('ann', 'bob');
    await lobby([ann!, bob!]);
    expect(() => ann!.mesh.broadcast('x', 'nope')).toThrow('no channel named "nope"');
    expect(() => ann!.mesh.sendPrivate('someone-else', 'x')).toThrow(expect.objectContaining({ code: 'unknown-peer', message: 'unknown peer someone-else' }));
    expect(() => ann!.mesh.openChannel('bad\nlabel')).toThrow('printable');
    expect(ann!.mesh.failedSends).toBe(0);
  });

  it('keeps the surviving links through host migration', async () => {
    const [ann, bob, cat] = await team('ann', 'bob', 'cat');
    await lobby([ann!, bob!, cat!]);
    const bobToCat = bob!.mesh.link(cat!.id);
    ann!.close();
    await until(() => bob!.session.isHost && cat!.session.host?.instance_id === bob!.id, 'migration');
    await until(() => !bob!.mesh.isConnected(ann!.id), 'link to the old host closed');
    expect(bob!.mesh.link(cat!.id)).toBe(bobToCat);
    bob!.mesh.sendPrivate(cat!.id, 'still here');
    await until(() => cat!.messages.some((m) => m.payload === 'still here'), 'message after migration');
    expect(cat!.mesh.connectedPeers()).toEqual([bob!.id]);
  });

  it("tears down exactly the kicked / leaving player's links", async () => {
    const [ann, bob, cat, dan] = await team('ann', 'bob', 'cat', 'dan');
    await lobby([ann!, bob!, cat!, dan!]);
    const keep = bob!.mesh.link(dan!.id);
    await ann!.session.manage('kick', cat!.id);
    await until(() => cat!.mesh.connectedPeers().length === 0, 'cat has no links');
    await until(() => [ann, bob, dan].every((p) => !p!.mesh.isConnected(cat!.id)), 'nobody links to cat');
    await dan!.session.leaveLobby();
    await until(() => dan!.mesh.connectedPeers().length === 0 && !ann!.mesh.isConnected(dan!.id) && !bob!.mesh.isConnected(dan!.id), 'dan gone');
    expect(keep?.closed).toBe(true);
    expect(ann!.mesh.connectedPeers()).toEqual([bob!.id]);
    expect(bob!.mesh.connectedPeers()).toEqual([ann!.id]);
    ann!.mesh.broadcast('two of us');
    await until(() => bob!.messages.some((m) => m.payload === 'two of us'), 'message between the two left');
  });
});
