// Fallback to the relay per pair (issue 13): in a mesh lobby on a server with a relay, a pair of
// players whose direct link does not open within the fallback timeout asks for the lobby's relay
// peer (USE_RELAY), and that pair talks through it while every other pair stays direct (a hybrid
// lobby). Real server on 127.0.0.1 with its WebRTC relay, real WebRTC between the players; one
// pair's signalling is cut (test/helpers/cut-candidates.ts), everything else is normal.
import { wrtc } from '../helpers/wrtc.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MeshMessage } from '../../src/client/mesh/mesh.js';
import { decodePeerMessage } from '../../src/protocol/index.js';
import { webRtcRelay, type WebRtcRelayProvider } from '../../src/server/relay/relay-provider.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { cutCandidates } from '../helpers/cut-candidates.js';
import { silentLogger } from '../helpers/logger.js';
import { lobby, player, type Player } from '../mesh/players.js';
import { until } from '../helpers/until.js';
import { disconnectAll } from '../helpers/disconnect-all.js';

const FALLBACK_MS = 1500;

let server: RunningServer;
let relay: WebRtcRelayProvider;
/** Every message a member sent to the relay peer. */
let seen: { from: string; channel: string; text: string }[];
/** What the relay peer logged (through the server's logger). */
let relayLog: string[];
let players: Player[];

beforeEach(async () => {
  seen = [];
  relayLog = [];
  players = [];
  relay = webRtcRelay({
    wrtc,
    log: (level, event, fields = {}) => relayLog.push(`${level} ${event} ${JSON.stringify(fields)}`),
    observe: (from, channel, text) => seen.push({ from, channel, text }),
  });
  server = await startServer({ host: '127.0.0.1', port: 0, logger: silentLogger, relay });
});
afterEach(async () => {
  await disconnectAll([], { players, relays: [relay] });
  await server.close();
});

const nameOf = (id: string) => players.find((p) => p.id === id)?.name ?? id;

/** Messages of one stream (payload `{s, n}`) a player got from `from` on `channel`, in arrival order. */
const stream = (p: Player, from: Player, channel: string, s: string) =>
  p.messages
    .filter((m: MeshMessage) => m.from === from.id && m.channel === channel && (m.payload as { s?: string }).s === s)
    .map((m) => (m.payload as { n: number }).n);

describe('a hybrid lobby', () => {
  it('4 players, one pair cannot link directly: that pair goes through the relay, the other five stay direct, every message arrives once', async () => {
    const cut = cutCandidates();
    const ann = await player(server.wsUrl, 'ann', { relayFallbackMs: FALLBACK_MS, encrypt: true });
    const bob = await player(server.wsUrl, 'bob', { relayFallbackMs: FALLBACK_MS, encrypt: true });
    const cat = await player(server.wsUrl, 'cat', { relayFallbackMs: FALLBACK_MS, WebSocket: cut.WebSocket });
    const dan = await player(server.wsUrl, 'dan', { relayFallbackMs: FALLBACK_MS });
    players = [ann, bob, cat, dan];
    cut.cutOff.add(dan.id);
    await lobby(players);
    expect(cut.dropped).toBeGreaterThan(0);

    // Which pairs are direct, which relayed, as both sides see it.
    const routes = players.flatMap((p) =>
      players.filter((q) => q !== p).map((q) => `${p.name}→${q.name} ${p.mesh.viaRelay(q.id) ? 'relay' : p.mesh.link(q.id)?.connected ? 'direct' : 'none'}`),
    );
    expect(routes.filter((r) => r.endsWith('relay')).sort()).toEqual(['cat→dan relay', 'dan→cat relay']);
    expect(routes.filter((r) => r.endsWith('direct'))).toHaveLength(10);
    expect(cat.mesh.link(dan.id)).toBeUndefined();
    expect(dan.mesh.link(cat.id)).toBeUndefined();
    // Only cat and dan keep a link to the relay peer; the lobby is still a mesh lobby.
    const [relayPeer] = relay.peers.values();
    expect(relayPeer!.memberLinks).toBe(2);
    for (const p of players) expect(p.mesh.relayId).toBeNull();

    ann.mesh.openChannel('chat');
    await until(() => players.every((p) => players.every((q) => p === q || p.mesh.openChannels(q.id).includes('chat'))), 'chat on every route');

    // Everyone broadcasts on both channels and sends privately to everyone, 20 rounds.
    const ROUNDS = 20;
    for (let n = 0; n < ROUNDS; n++) {
      for (const p of players) {
        p.mesh.broadcast({ s: 'all', n });
        p.mesh.broadcast({ s: 'all', n }, 'chat');
        for (const q of players) if (q !== p) p.mesh.sendPrivate(q.id, { s: 'private', n }, 'chat');
      }
    }
    const rounds = [...Array(ROUNDS).keys()];
    const everything = () =>
      players.every((q) =>
        players.every(
          (p) =>
            p === q ||
            (stream(q, p, 'default', 'all').length === ROUNDS &&
              stream(q, p, 'chat', 'all').length === ROUNDS &&
              stream(q, p, 'chat', 'private').length === ROUNDS),
        ),
      );
    await until(everything, 'every message', 15_000).catch(() => undefined);
    for (const q of players) {
      for (const p of players) {
        if (p === q) continue;
        expect(stream(q, p, 'default', 'all'), `${p.name} → ${q.name}, default`).toEqual(rounds);
        expect(stream(q, p, 'chat', 'all'), `${p.name} → ${q.name}, chat`).toEqual(rounds);
        expect(stream(q, p, 'chat', 'private'), `${p.name} → ${q.name}, private`).toEqual(rounds);
      }
      // Nothing else arrived: 3 streams of ROUNDS from each of the 3 others.
      expect(q.messages).toHaveLength(3 * 3 * ROUNDS);
    }

    // Through the relay went cat's and dan's traffic for each other only, every packet addressed.
    expect([...new Set(seen.map((s) => nameOf(s.from)))].sort()).toEqual(['cat', 'dan']);
    const packets = seen.flatMap((s) => decodePeerMessage(s.text).map((packet) => ({ from: s.from, packet })));
    const forwarded = packets.filter(({ packet }) => packet.opcode !== 'NEW_CHAN');
    expect(forwarded.length).toBeGreaterThanOrEqual(2 * 3 * ROUNDS);
    for (const { from, packet } of forwarded) expect(nameOf(packet.recipient!), JSON.stringify(packet)).toBe(from === cat.id ? 'dan' : 'cat');
    expect(relayLog.filter((line) => line.startsWith('warn') || line.startsWith('error'))).toEqual([]);
    expect(players.flatMap((p) => p.errors)).toEqual([]);
  }, 40_000);

  it('a link that cannot heal directly heals through the relay: what waited, and what the dead link swallowed, arrives once and in order', async () => {
    const cut = cutCandidates();
    const ann = await player(server.wsUrl, 'ann', { relayFallbackMs: FALLBACK_MS });
    const bob = await player(server.wsUrl, 'bob', { relayFallbackMs: FALLBACK_MS, WebSocket: cut.WebSocket });
    players = [ann, bob];
    await lobby(players);
    expect(ann.mesh.viaRelay(bob.id)).toBe(false);
    const events: string[] = [];
    for (const [p, q] of [
      [ann, bob],
      [bob, ann],
    ] as const) {
      for (const event of ['peer-open', 'peer-close', 'link-lost', 'link-back'] as const) {
        p.mesh.on(event, (peer: string, _reason?: string) => {
          if (peer === q.id) events.push(`${p.name} ${event}`);
        });
      }
    }
    ann.mesh.on('link-lost', () => {
      for (let n = 10; n < 15; n++) ann.mesh.sendPrivate(bob.id, { s: 'heal', n });
    });
    // From now on no fresh direct link can form between them.
    cut.cutOff.add(ann.id);
    // In one go: ten messages leave on the working link, then bob's side dies before he could take them.
    for (let n = 0; n < 10; n++) ann.mesh.sendPrivate(bob.id, { s: 'heal', n });
    bob.mesh.link(ann.id)!.peer.destroy();
    await until(() => events.filter((e) => e.endsWith('link-back')).length === 2, 'link back on both sides', 15_000);
    expect(ann.mesh.viaRelay(bob.id) && bob.mesh.viaRelay(ann.id)).toBe(true);
    expect(events.sort()).toEqual(['ann link-back', 'ann link-lost', 'bob link-back', 'bob link-lost']);
    await until(() => stream(bob, ann, 'default', 'heal').length === 15, 'every message');
    expect(stream(bob, ann, 'default', 'heal')).toEqual([...Array(15).keys()]);
    expect(ann.mesh.resent).toBe(10);
    expect(players.flatMap((p) => p.errors)).toEqual([]);
  }, 30_000);

  it('private messages between keyed players through the relay stay sealed; broadcasts reach relayed and direct players alike', async () => {
    const cut = cutCandidates({ everySignal: true });
    const eve = await player(server.wsUrl, 'eve', { relayFallbackMs: FALLBACK_MS, encrypt: true, WebSocket: cut.WebSocket });
    const fay = await player(server.wsUrl, 'fay', { relayFallbackMs: FALLBACK_MS, encrypt: true });
    const gus = await player(server.wsUrl, 'gus', { relayFallbackMs: FALLBACK_MS, encrypt: true });
    players = [eve, fay, gus];
    cut.cutOff.add(fay.id);
    await lobby(players);
    expect(eve.mesh.viaRelay(fay.id) && fay.mesh.viaRelay(eve.id)).toBe(true);
    expect(eve.mesh.encrypted(fay.id)).toBe(true);

    eve.mesh.sendPrivate(fay.id, 'for fay only');
    fay.mesh.sendPrivate(eve.id, 'for eve only');
    eve.mesh.broadcast('hello all');
    await until(
      () =>
        fay.messages.some((m) => m.payload === 'for fay only' && m.from === eve.id) &&
        eve.messages.some((m) => m.payload === 'for eve only' && m.from === fay.id) &&
        [fay, gus].every((p) => p.messages.some((m) => m.payload === 'hello all' && m.from === eve.id)),
      'messages',
    );
    const privates = seen.flatMap((s) => decodePeerMessage(s.text)).filter((packet) => packet.opcode === 'P_MSG');
    expect(privates).toEqual([
      { opcode: 'P_MSG', recipient: expect.any(String), sealed: [expect.any(String), expect.any(String)] },
      { opcode: 'P_MSG', recipient: expect.any(String), sealed: [expect.any(String), expect.any(String)] },
    ]);
    expect(JSON.stringify(seen)).not.toContain('only');
    // The broadcast went to fay through the relay (addressed), to gus over their own link.
    expect(seen.filter((s) => s.text.includes('hello all')).map((s) => nameOf(decodePeerMessage(s.text)[0]!.recipient!))).toEqual(['fay']);
    expect(eve.mesh.viaRelay(gus.id)).toBe(false);
    expect(eve.mesh.link(gus.id)?.connected).toBe(true);
    expect(players.flatMap((p) => p.errors)).toEqual([]);
  }, 30_000);
});
