// TURN end to end: a real coturn on 127.0.0.1 (test/helpers/coturn.ts) shares a secret with a real
// CL5 server, which hands every player short-lived credentials at INIT. Players with the relay-only
// ICE policy and no ICE servers of their own link through it: every selected candidate pair is
// relay-to-relay (WebRTC's own stats) and coturn logged each player's allocation under its
// credential. With a wrong secret the relay-only link never opens, and the failure says why.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { ReceivedMessage } from '../../src/client/api.js';
import { CloudLinkClient } from '../../src/client/cloudlink.js';
import type { CloudLinkError } from '../../src/client/errors.js';
import type { WebSocketConstructor } from '../../src/client/websocket.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { startCoturn, type Coturn } from '../helpers/coturn.js';
import { silentLogger } from '../helpers/logger.js';
import { recordingWrtc, type RecordingWrtc } from '../helpers/recording-wrtc.js';
import { until } from '../helpers/until.js';
import { disconnectAll } from '../helpers/disconnect-all.js';

const SECRET = 'cl5-turn-test-secret';

interface Player {
  name: string;
  client: CloudLinkClient;
  recorded: RecordingWrtc;
  messages: ReceivedMessage[];
  errors: CloudLinkError[];
}

let coturn: Coturn;
const servers: RunningServer[] = [];
let players: Player[] = [];

/** A CL5 server whose players get credentials for the test's coturn, made with `secret`. */
async function serverWithTurn(secret: string): Promise<RunningServer> {
  const server = await startServer({ port: 0, logger: silentLogger, turn: { urls: [coturn.url], secret, ttlSeconds: 600 } });
  servers.push(server);
  return server;
}

/** A client with the relay-only policy and no ICE servers of its own: only the server's TURN can link it. */
async function relayOnlyPlayer(server: RunningServer, name: string, connectTimeoutMs = 10_000): Promise<Player> {
  const recorded = recordingWrtc();
  const client = new CloudLinkClient({ WebSocket: WebSocket as unknown as WebSocketConstructor, wrtc: recorded.wrtc, keepaliveMs: 0, connectTimeoutMs });
  const player: Player = { name, client, recorded, messages: [], errors: [] };
  client.on('message', (message) => player.messages.push(message));
  client.on('error', (error) => player.errors.push(error));
  client.setRelayOnly(true);
  await client.connect({ url: server.wsUrl, username: name, ugi: 'turn' });
  players.push(player);
  return player;
}

/** The local and remote candidates of the pair a peer connection is using now (WebRTC stats). */
async function selectedPair(pc: RTCPeerConnection): Promise<{ local: Record<string, unknown>; remote: Record<string, unknown>; bytesSent: number }> {
  const stats = [...(await pc.getStats()).values()] as Record<string, unknown>[];
  const byId = new Map(stats.map((entry) => [entry.id as string, entry]));
  const transport = stats.find((entry) => entry.type === 'transport' && entry.selectedCandidatePairId);
  const pair = byId.get(transport?.selectedCandidatePairId as string);
  if (!pair) throw new Error(`no selected candidate pair in ${JSON.stringify(stats.map((entry) => entry.type))}`);
  return { local: byId.get(pair.localCandidateId as string)!, remote: byId.get(pair.remoteCandidateId as string)!, bytesSent: pair.bytesSent as number };
}

beforeAll(async () => {
  // Installs coturn with apt first when it is missing (then this takes a while).
  coturn = await startCoturn({ secret: SECRET });
}, 330_000);

afterEach(async () => {
  await disconnectAll(players.map((player) => player.client));
  players = [];
  for (const server of servers.splice(0)) await server.close();
});

afterAll(async () => {
  await coturn?.stop();
});

describe('TURN from the CL5 server', () => {
  it('links relay-only players through the TURN server it names, with its short-lived credentials', async () => {
    const server = await serverWithTurn(SECRET);
    const [ann, bob, cat] = [await relayOnlyPlayer(server, 'ann'), await relayOnlyPlayer(server, 'bob'), await relayOnlyPlayer(server, 'cat')];
    await ann!.client.createLobby({ name: 'relayed' });
    await bob!.client.joinLobby('relayed');
    await cat!.client.joinLobby('relayed');
    await until(() => players.every((p) => players.every((q) => p === q || p.client.isPeerConnected(q.client.myId))), 'a full mesh through TURN', 20_000);

    // Messages flow, each exactly once.
    for (const p of players) p.client.broadcast(`hello from ${p.name}`);
    ann!.client.sendPrivate(cat!.client.myId, 'for cat only');
    const heard = (p: Player) => p.messages.map((m) => `${m.kind} ${m.payload}`).sort();
    await until(() => players.every((p) => p.messages.length === (p === cat ? 3 : 2)), 'every message');
    expect(heard(ann!)).toEqual(['broadcast hello from bob', 'broadcast hello from cat']);
    expect(heard(bob!)).toEqual(['broadcast hello from ann', 'broadcast hello from cat']);
    expect(heard(cat!)).toEqual(['broadcast hello from ann', 'broadcast hello from bob', 'private for cat only']);

    for (const p of players) {
      const open = p.recorded.made.filter(({ pc }) => pc.connectionState === 'connected');
      expect(open).toHaveLength(2);
      for (const { pc, config } of open) {
        // The project set no ICE servers and its server is on loopback: only the server's TURN, with this player's credential.
        expect(config.iceTransportPolicy).toBe('relay');
        expect(config.iceServers).toEqual([
          { urls: [coturn.url], username: expect.stringMatching(new RegExp(`^\\d+:${p.client.myId}$`)), credential: expect.any(String) },
        ]);
        // The route WebRTC chose: from a relay address coturn allocated to one it allocated to the peer.
        const { local, remote, bytesSent } = await selectedPair(pc);
        expect(local).toMatchObject({ candidateType: 'relay', address: '127.0.0.1', url: expect.stringContaining(coturn.url) });
        expect(remote).toMatchObject({ candidateType: 'relay', address: '127.0.0.1' });
        expect(bytesSent).toBeGreaterThan(0);
      }
      // coturn checked the credential the server minted for this player, and allocated a relay for it.
      expect(coturn.log()).toMatch(new RegExp(`user <\\d+:${p.client.myId}>: incoming packet ALLOCATE processed, success`));
    }
    for (const p of players) expect(p.errors).toEqual([]);
  });

  it('with a wrong secret the relay-only link never opens, and the failure names the refusal', async () => {
    const server = await serverWithTurn('not-the-secret');
    const ann = await relayOnlyPlayer(server, 'ann', 1500);
    const bob = await relayOnlyPlayer(server, 'bob', 1500);
    await ann.client.createLobby({ name: 'refused' });
    await bob.client.joinLobby('refused');
    // The link opener (ann) tries a bounded number of times, then gives up: its last failure says no retry follows.
    const finalFailure = () => ann.errors.find((error) => error.code === 'link-failed' && !error.message.endsWith('retrying'));
    await until(() => finalFailure() !== undefined, "ann's last link failure", 20_000);
    expect(finalFailure()!.message).toMatch(
      new RegExp(`^link to ${bob.client.myId} failed: connect timeout \\(TURN server ${coturn.url}\\S* answered 401 Unauthorized\\)$`),
    );
    expect(finalFailure()!.peer).toBe(bob.client.myId);
    expect(bob.errors.some((error) => error.code === 'link-failed' && error.message.includes('401 Unauthorized'))).toBe(true);
    expect(ann.client.isPeerConnected(bob.client.myId)).toBe(false);
    // The lobby itself is unharmed.
    expect(ann.client.players()).toEqual([bob.client.myId]);
    expect(bob.client.hostId).toBe(ann.client.myId);
    // coturn saw the credential and refused it; nothing was allocated for either player.
    for (const p of [ann, bob]) expect(coturn.log()).not.toMatch(new RegExp(`user <\\d+:${p.client.myId}>: incoming packet ALLOCATE processed, success`));
    expect(coturn.log()).toMatch(new RegExp(`<\\d+:(${ann.client.myId}|${bob.client.myId})>`));
  });
});
