// A dropped signalling connection is a pause (issue 13): real server, real WebRTC (@roamhq/wrtc),
// each player's WebSocket through its own TCP proxy that the test cuts and restores.
import { wrtc } from '../helpers/wrtc.js';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { CloudLinkClient } from '../../src/client/cloudlink.js';
import type { WebSocketConstructor } from '../../src/client/websocket.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { silentLogger } from '../helpers/logger.js';
import { bundleServer, printedWsUrl, type ServerBundle } from '../helpers/server-process.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { until } from '../helpers/until.js';
import { MemoryCounter } from '../sync/memory.js';
import { disconnectAll } from '../helpers/disconnect-all.js';

let server: RunningServer | undefined;
let bundle: ServerBundle | undefined;
const proxies: TcpProxy[] = [];
const clients: CloudLinkClient[] = [];

afterEach(async () => {
  await disconnectAll(clients.splice(0));
  for (const proxy of proxies.splice(0)) await proxy.close();
  await server?.close();
  server = undefined;
  bundle?.dispose();
  bundle = undefined;
});

/** What a test sees of one player: its client and everything it was told. */
interface Player {
  name: string;
  client: CloudLinkClient;
  proxy: TcpProxy;
  score: MemoryCounter;
  events: string[];
  /** Reliable messages received, per sender: the sequence numbers in arrival order. */
  reliable: Map<string, number[]>;
  fast: number;
  errors: string[];
}

async function player(name: string, serverPort: number, options: { connect?: boolean } = {}): Promise<Player> {
  const proxy = await TcpProxy.start(serverPort);
  proxies.push(proxy);
  const client = new CloudLinkClient({
    WebSocket: WebSocket as unknown as WebSocketConstructor,
    wrtc,
    keepaliveMs: 1000,
    reconnect: { firstDelayMs: 50, maxDelayMs: 400 },
  });
  clients.push(client);
  const p: Player = { name, client, proxy, score: new MemoryCounter(), events: [], reliable: new Map(), fast: 0, errors: [] };
  for (const event of ['reconnecting', 'reconnected', 'disconnected', 'peer-leave'] as const) {
    client.on(event, (arg?: unknown) => p.events.push(arg === undefined ? event : `${event} ${String(arg)}`));
  }
  client.on('error', (error) => p.errors.push(`${error.code}: ${error.message}`));
  client.on('message', (message) => {
    if (message.fast) {
      p.fast += 1;
      return;
    }
    const { seq } = message.payload as { seq: number };
    const seen = p.reliable.get(message.from) ?? [];
    seen.push(seq);
    p.reliable.set(message.from, seen);
  });
  client.bindNetworked('score', null, p.score);
  if (options.connect !== false) await client.connect({ url: proxy.url, username: name, ugi: 'resume' });
  return p;
}

async function meshLobby(players: Player[]): Promise<void> {
  const [host, ...rest] = players;
  await host!.client.createLobby({ name: 'room' });
  for (const p of rest) await p.client.joinLobby('room');
  await until(() => players.every((p) => p.client.players().every((peer) => p.client.isPeerConnected(peer))), 'a full mesh', 20_000);
}

/** Every player sends, each tick, one reliable and one fast broadcast and a counter change, until stopped. */
function stream(players: Player[]) {
  const sent = new Map(players.map((p) => [p.name, 0]));
  let running = true;
  const ticks = (async () => {
    for (let tick = 0; running && tick < 10_000; tick += 1) {
      for (const p of players) {
        const seq = sent.get(p.name)! + 1;
        p.client.broadcast({ seq });
        sent.set(p.name, seq);
        p.client.broadcast({ seq }, 'fast');
        p.score.change(1);
        p.client.flushSync();
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  })();
  return {
    sent,
    async stop() {
      running = false;
      await ticks;
    },
  };
}

const connectionStates = (players: Player[]) => players.map((p) => p.client.connectionState);

describe('resuming after a dropped signalling connection', () => {
  it('keeps the game going through a 10 s cut of every player: messages exactly once and in order, no PEER_LEFT, same ids and host, networked data equal', async () => {
    server = await startServer({ port: 0, logger: silentLogger });
    const players = [await player('ann', server.port), await player('bob', server.port), await player('cat', server.port)];
    await meshLobby(players);
    players[0]!.client.openChannel('fast', false);
    await until(() => players.every((p) => p.client.players().every((peer) => p.client.openChannels(peer).includes('fast'))), 'the fast channel open');
    const ids = players.map((p) => p.client.myId);
    const host = players[0]!.client.hostId;

    const streaming = stream(players);
    await until(() => players.every((p) => p.reliable.size === 2), 'streaming under way');
    for (const p of players) p.proxy.cut();
    await until(() => connectionStates(players).every((s) => s === 'reconnecting'), 'every player reconnecting');
    const receivedBefore = players.map((p) => [...p.reliable.values()].reduce((n, seqs) => n + seqs.length, 0));
    // The outage: game data keeps flowing peer to peer meanwhile.
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    const receivedDuring = players.map((p) => [...p.reliable.values()].reduce((n, seqs) => n + seqs.length, 0));
    expect(connectionStates(players)).toEqual(['reconnecting', 'reconnecting', 'reconnecting']);
    for (const [i, during] of receivedDuring.entries()) expect(during).toBeGreaterThan(receivedBefore[i]! + 100);
    for (const p of players) p.proxy.restore();
    await until(() => connectionStates(players).every((s) => s === 'connected'), 'every player resumed', 15_000);
    await streaming.stop();

    // Every reliable message arrived exactly once, in order, from every other player.
    for (const p of players) {
      for (const other of players.filter((o) => o !== p)) {
        const expected = Array.from({ length: streaming.sent.get(other.name)! }, (_, i) => i + 1);
        await until(() => (p.reliable.get(other.client.myId)?.length ?? 0) >= expected.length, `${p.name} has all of ${other.name}'s messages`);
        expect(p.reliable.get(other.client.myId)).toEqual(expected);
      }
      expect(p.fast).toBeGreaterThan(0);
    }
    // The lobby never noticed; the networked counter is the same sum everywhere.
    const total = [...streaming.sent.values()].reduce((a, b) => a + b, 0);
    for (const p of players) p.client.flushSync();
    await until(() => players.every((p) => p.score.value === total), `score ${total} everywhere`);
    for (const p of players) {
      expect(p.events.filter((e) => !e.startsWith('reconnect'))).toEqual([]);
      expect(p.events).toContain('reconnected');
      expect(p.errors).toEqual([]);
    }
    expect(players.map((p) => p.client.myId)).toEqual(ids);
    expect(players.map((p) => p.client.hostId)).toEqual([host, host, host]);
    // And the server is usable again: lobby requests work on the resumed sessions.
    await players[0]!.client.lockLobby();
    expect((await players[1]!.client.findLobby('room'))?.currently_locked).toBe(true);
  }, 60_000);

  it('releases a host away longer than the grace period: the lobby migrates, the player is told its session is lost and can join again', async () => {
    server = await startServer({ port: 0, logger: silentLogger, resumeGraceMs: 1000 });
    const [ann, bob, cat] = [await player('ann', server.port), await player('bob', server.port), await player('cat', server.port)];
    await meshLobby([ann!, bob!, cat!]);
    const annId = ann!.client.myId;
    ann!.proxy.cut();
    await until(() => bob!.events.includes(`peer-leave ${annId}`) && cat!.events.includes(`peer-leave ${annId}`), 'the others told ann left', 10_000);
    expect(bob!.client.isHost).toBe(true);
    expect(cat!.client.hostId).toBe(bob!.client.myId);
    ann!.proxy.restore();
    await until(() => ann!.client.connectionState === 'disconnected', 'ann told her session is lost', 10_000);
    expect(ann!.events.find((e) => e.startsWith('disconnected'))).toMatch(/session lost/);
    expect(ann!.client.lastError?.code).toBe('session-lost');
    // The project connects again and joins the lobby it was in: a new player there.
    await ann!.client.connect({ url: ann!.proxy.url, username: 'ann', ugi: 'resume' });
    await ann!.client.joinLobby('room');
    expect(ann!.client.myId).not.toBe(annId);
    await until(() => ann!.client.players().length === 2 && ann!.client.players().every((peer) => ann!.client.isPeerConnected(peer)), 'ann linked again');
  }, 30_000);

  it('does not reconnect when the project turned it off: a drop ends the session at once, as before', async () => {
    server = await startServer({ port: 0, logger: silentLogger });
    const [ann, bob] = [await player('ann', server.port), await player('bob', server.port)];
    await meshLobby([ann!, bob!]);
    ann!.client.setAutoReconnect(false);
    ann!.proxy.cut();
    await until(() => ann!.client.connectionState === 'disconnected', 'ann disconnected');
    expect(ann!.events.filter((e) => e.startsWith('reconnecting'))).toEqual([]);
    // The server holds her seat (it cannot tell a drop from a drop), until the grace period ends.
    expect(bob!.events).toEqual([]);
  });

  it('survives kill -9 of the server: clients retry, and once it is back without their seats they hear "session lost" and can start again', async () => {
    bundle = await bundleServer();
    const first = bundle.run(['--host', '127.0.0.1', '--port', '0', '--log-level', 'error']);
    const port = Number(new URL(await printedWsUrl(first)).port);
    const [ann, bob] = [await player('ann', port), await player('bob', port)];
    await meshLobby([ann!, bob!]);
    first.child.kill('SIGKILL');
    await first.exited;
    await until(() => ann!.client.connectionState === 'reconnecting' && bob!.client.connectionState === 'reconnecting', 'both reconnecting');
    // Retries against nothing listening: the proxies see the attempts.
    const attempts = ann!.proxy.accepted;
    await until(() => ann!.proxy.accepted >= attempts + 3, 'ann retrying');
    const second = bundle.run(['--host', '127.0.0.1', '--port', String(port), '--log-level', 'error']);
    await printedWsUrl(second);
    for (const p of [ann!, bob!]) {
      await until(() => p.client.connectionState === 'disconnected', `${p.name} told the session is lost`, 15_000);
      expect(p.client.lastError?.code).toBe('session-lost');
    }
    await ann!.client.connect({ url: ann!.proxy.url, username: 'ann', ugi: 'resume' });
    await bob!.client.connect({ url: bob!.proxy.url, username: 'bob', ugi: 'resume' });
    await meshLobby([ann!, bob!]);
    second.child.kill('SIGKILL');
    await second.exited;
  }, 60_000);
});
