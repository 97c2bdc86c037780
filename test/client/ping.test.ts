// Ping (src/client/ping.ts) against the real server with real WebRTC (@roamhq/wrtc): round-trip
// times to the server and to each linked player appear, are real measurements, keep coming while
// read, at most once a period, and nothing is sent for a target nobody reads (counted, not timed).
// A player that never answers is given up on after three PINGs; through a relay lobby the relay
// carries PING and PONG.
import { wrtc } from '../helpers/wrtc.js';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { CloudLinkClient } from '../../src/client/cloudlink.js';
import type { PingOptions } from '../../src/client/ping.js';
import type { WebSocketConstructor } from '../../src/client/websocket.js';
import { webRtcRelay, type WebRtcRelayProvider } from '../../src/server/relay/relay-provider.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { silentLogger } from '../helpers/logger.js';
import { drained, pingsReceived } from '../helpers/pings.js';
import { taskPerMessageWebSocket } from '../helpers/task-per-message-ws.js';
import { player as meshPlayer, type Player as MeshPlayer } from '../mesh/players.js';
import { until } from '../helpers/until.js';
import { disconnectAll } from '../helpers/disconnect-all.js';

const PERIOD_MS = 100;
const GAME = 'mesh'; // the game id of test/mesh/players.ts, so its players can join ours

interface Pinger {
  name: string;
  client: CloudLinkClient;
  /** KEEPALIVEs this client sent. */
  keepalives: number;
  /** PINGs this client received, from one sender id. */
  pingsFrom: (from: string) => number;
  errors: string[];
}

let server: RunningServer;
let pingers: Pinger[] = [];
let others: MeshPlayer[] = [];
let relays: WebRtcRelayProvider[] = [];
let stops: (() => void)[] = [];

afterEach(async () => {
  for (const stop of stops) stop();
  stops = [];
  await disconnectAll(
    pingers.map((p) => p.client),
    { players: others, relays },
  );
  pingers = [];
  others = [];
  relays = [];
  await server.close();
});

/** A client whose socket counts the KEEPALIVEs it sends; `Base` may delay what the server sends. */
async function pinger(name: string, options: { ping?: PingOptions; Base?: new (url: string) => WebSocket } = {}): Promise<Pinger> {
  const Base = (options.Base ?? WebSocket) as typeof WebSocket;
  const result: Pinger = { name, client: undefined as unknown as CloudLinkClient, keepalives: 0, pingsFrom: () => 0, errors: [] };
  class Counting extends Base {
    constructor(url: string) {
      super(url);
      const send = this.send.bind(this);
      this.send = ((data: string) => {
        if ((JSON.parse(data) as { opcode: string }).opcode === 'KEEPALIVE') result.keepalives += 1;
        send(data);
      }) as WebSocket['send'];
    }
  }
  result.client = new CloudLinkClient({
    WebSocket: Counting as unknown as WebSocketConstructor,
    wrtc,
    keepaliveMs: 0, // no background keepalive: every KEEPALIVE counted is a ping
    ping: { periodMs: PERIOD_MS, ...options.ping },
  });
  result.client.on('error', (error) => result.errors.push(`${error.code}: ${error.message}`));
  await result.client.connect({ url: server.wsUrl, username: name, ugi: GAME });
  result.pingsFrom = pingsReceived(result.client);
  pingers.push(result);
  return result;
}

const pingsFrom = (receiver: Pinger, sender: Pinger) => receiver.pingsFrom(sender.client.myId);

/** Reads like a Scratch script in a forever loop: every 16 ms, until stopped. */
function reading(read: () => void): () => void {
  read();
  const timer = setInterval(read, 16);
  const stop = () => clearInterval(timer);
  stops.push(stop);
  return stop;
}

const linked = (a: Pinger, b: Pinger) => a.client.isPeerConnected(b.client.myId) && b.client.isPeerConnected(a.client.myId);

async function lobbyOf(host: Pinger, ...rest: Pinger[]): Promise<void> {
  await host.client.createLobby({ name: 'room' });
  for (const p of rest) await p.client.joinLobby('room');
  const all = [host, ...rest];
  await until(() => all.every((a) => all.every((b) => a === b || linked(a, b))), 'everyone linked');
}

describe('ping', () => {
  it('gives -1 when it cannot be known: not connected, nobody of that id, myself', async () => {
    server = await startServer({ port: 0, logger: silentLogger });
    const idle = new CloudLinkClient({ WebSocket: WebSocket as unknown as WebSocketConstructor, wrtc, keepaliveMs: 0 });
    expect([idle.serverPing(), idle.playerPing('anyone')]).toEqual([-1, -1]);
    const ann = await pinger('ann');
    expect(ann.client.playerPing('nobody')).toBe(-1);
    expect(ann.client.playerPing(ann.client.myId)).toBe(-1);
    expect(ann.client.playerPing('')).toBe(-1);
    expect(ann.errors).toEqual([]);
  });

  it('measures the server and every linked player, keeps measuring at most once a period while read, and sends nothing for what is not read', async () => {
    server = await startServer({ port: 0, logger: silentLogger });
    const [ann, bob, cat] = await Promise.all([pinger('ann'), pinger('bob'), pinger('cat')]);
    await lobbyOf(ann!, bob!, cat!);
    const values = { server: -1, bob: -1, cat: -1 };

    // Everything read, every frame.
    const started = performance.now();
    let stop = reading(() => {
      values.server = ann!.client.serverPing();
      values.bob = ann!.client.playerPing(bob!.client.myId);
      values.cat = ann!.client.playerPing(cat!.client.myId);
    });
    await until(() => values.server >= 0 && values.bob >= 0 && values.cat >= 0, 'every ping known');
    for (const value of Object.values(values)) expect(value).toBeLessThan(1000); // loopback
    // It goes on: more answers come (each PING answered: the values stay known).
    await until(() => ann!.keepalives >= 5 && pingsFrom(bob!, ann!) >= 5 && pingsFrom(cat!, ann!) >= 5, 'five probes of each');
    stop();
    const elapsed = performance.now() - started;
    // At most one probe per period, however often it is read (a read every 16 ms).
    for (const count of [ann!.keepalives, pingsFrom(bob!, ann!), pingsFrom(cat!, ann!)]) expect(count).toBeLessThanOrEqual(elapsed / PERIOD_MS + 1);

    // Only bob read: the server and cat get nothing more while bob's PINGs go on.
    await drained(ann!.client, cat!.client);
    const before = { keepalives: ann!.keepalives, cat: pingsFrom(cat!, ann!), bob: pingsFrom(bob!, ann!) };
    stop = reading(() => {
      values.bob = ann!.client.playerPing(bob!.client.myId);
    });
    values.bob = -1;
    await until(() => pingsFrom(bob!, ann!) >= before.bob + 5 && values.bob >= 0, 'five more PINGs to bob, answered');
    stop();
    await drained(ann!.client, cat!.client);
    expect(ann!.keepalives).toBe(before.keepalives);
    expect(pingsFrom(cat!, ann!)).toBe(before.cat);

    // Nothing read: nothing sent, while bob's own reads of his ping to ann (answered by ann) go on.
    await drained(ann!.client, bob!.client);
    const idle = { keepalives: ann!.keepalives, bob: pingsFrom(bob!, ann!), cat: pingsFrom(cat!, ann!), annGot: pingsFrom(ann!, bob!) };
    let bobToAnn = -1;
    reading(() => {
      bobToAnn = bob!.client.playerPing(ann!.client.myId);
    });
    await until(() => pingsFrom(ann!, bob!) >= idle.annGot + 5 && bobToAnn >= 0, 'five PINGs from bob, answered');
    await drained(ann!.client, bob!.client);
    await drained(ann!.client, cat!.client);
    expect([ann!.keepalives, pingsFrom(bob!, ann!), pingsFrom(cat!, ann!)]).toEqual([idle.keepalives, idle.bob, idle.cat]);
    for (const p of [ann!, bob!, cat!]) expect(p.errors).toEqual([]);
  }, 30_000);

  it('measures the real round trip: a server 150 ms away reads at least 150', async () => {
    server = await startServer({ port: 0, logger: silentLogger });
    const far = await pinger('far', { Base: taskPerMessageWebSocket({ latencyMs: 150 }) });
    let value = -1;
    reading(() => {
      value = far.client.serverPing();
    });
    await until(() => far.keepalives >= 3 && value >= 0, 'three server pings, one answered');
    expect(value).toBeGreaterThanOrEqual(150);
    expect(value).toBeLessThan(5000); // the default timeout: a slower answer would count as lost
  });

  it('ignores an answer that comes after its probe was given up on: a server slower than the timeout stays unknown', async () => {
    server = await startServer({ port: 0, logger: silentLogger });
    const slow = await pinger('slow', { Base: taskPerMessageWebSocket({ latencyMs: 400 }), ping: { timeoutMs: 200 } });
    const seen = new Set<number>();
    const started = performance.now();
    const stop = reading(() => seen.add(slow.client.serverPing()));
    // Every KEEPALIVE_ACK comes 400 ms after its KEEPALIVE, long after the next probe (200 ms) replaced it.
    await until(() => slow.keepalives >= 6, 'six probes');
    stop();
    const elapsed = performance.now() - started;
    expect([...seen]).toEqual([-1]);
    // One probe in flight: a new one only once the last was given up on.
    expect(slow.keepalives).toBeLessThanOrEqual(elapsed / 200 + 1);
    expect(slow.errors).toEqual([]);
  });

  it('gives up on a player that answers none of its first three PINGs (a client without ping); a closed link reads -1', async () => {
    server = await startServer({ port: 0, logger: silentLogger });
    const ann = await pinger('ann', { ping: { timeoutMs: 500 } });
    const bob = await pinger('bob');
    await lobbyOf(ann, bob);
    // A player on the same server and WebRTC, but with no ping module: it never answers.
    const old = await meshPlayer(server.wsUrl, 'old');
    others.push(old);
    let oldPings = 0;
    old.mesh.on('packet', (_from, _channel, packet) => {
      if (packet.opcode === 'PING') oldPings += 1;
    });
    await old.session.joinLobby('room');
    await until(() => ann.client.isPeerConnected(old.id) && old.mesh.isConnected(ann.client.myId), 'ann linked to old');

    const values = { old: 0, bob: -1 };
    reading(() => {
      values.old = ann.client.playerPing(old.id);
      values.bob = ann.client.playerPing(bob.client.myId);
    });
    await until(() => oldPings === 3, 'three PINGs at old');
    // Time passes (bob's PINGs go on, answered), and old gets no fourth.
    const bobBefore = pingsFrom(bob, ann);
    values.bob = -1;
    await until(() => pingsFrom(bob, ann) >= bobBefore + 10 && values.bob >= 0, 'ten more PINGs to bob, answered');
    expect(oldPings).toBe(3);
    expect(values.old).toBe(-1);
    expect(old.errors).toEqual([]);

    // A closed link forgets the player: -1 at once.
    ann.client.disconnectPeer(bob.client.myId);
    expect(ann.client.playerPing(bob.client.myId)).toBe(-1);
  }, 20_000);

  it('goes through the relay in a relay lobby: PING and PONG are forwarded like any packet', async () => {
    const relayed: string[] = [];
    const relay = webRtcRelay({ wrtc, log: () => {}, observe: (_from, _channel, text) => relayed.push(text) });
    relays.push(relay);
    server = await startServer({ port: 0, logger: silentLogger, relay });
    const [ann, bob] = await Promise.all([pinger('ann'), pinger('bob')]);
    await ann!.client.createLobby({ name: 'relayed', enableRelay: true });
    await until(() => ann!.client.mesh?.relayId !== null, 'RELAY for the host');
    await bob!.client.joinLobby('relayed');
    await until(() => linked(ann!, bob!), 'ann and bob reachable through the relay');
    const values = { ann: -1, bob: -1 };
    reading(() => {
      values.bob = ann!.client.playerPing(bob!.client.myId);
      values.ann = bob!.client.playerPing(ann!.client.myId);
    });
    await until(() => values.ann >= 0 && values.bob >= 0 && pingsFrom(bob!, ann!) >= 3 && pingsFrom(ann!, bob!) >= 3, 'both pings known, three PINGs each way');
    expect(ann!.client.mesh!.link(bob!.client.myId)).toBeUndefined(); // no direct link: it went through the relay
    const opcodes = relayed.map((text) => (JSON.parse(text) as { opcode?: string }).opcode);
    expect(opcodes).toContain('PING');
    expect(opcodes).toContain('PONG');
    for (const p of [ann!, bob!]) expect(p.errors).toEqual([]);
  }, 20_000);
});
