// The client's matchmaking API against the real server on 127.0.0.1 (real WebRTC between the players a
// quick join puts together): lobby metadata, filtered search, quick join and its 'matched' event, and
// connecting with a token and no username.
import { wrtc } from '../helpers/wrtc.js';
import WebSocket from 'ws';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CloudLinkClient } from '../../src/client/cloudlink.js';
import type { CloudLinkError } from '../../src/client/errors.js';
import type { WebSocketConstructor } from '../../src/client/websocket.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { silentLogger } from '../helpers/logger.js';
import { until } from '../helpers/until.js';
import { disconnectAll } from '../helpers/disconnect-all.js';

let server: RunningServer;
let clients: CloudLinkClient[];
let errors: CloudLinkError[];

async function connected(username: string, token?: string): Promise<CloudLinkClient> {
  const client = new CloudLinkClient({ WebSocket: WebSocket as unknown as WebSocketConstructor, wrtc, keepaliveMs: 0 });
  client.on('error', (error) => errors.push(error));
  clients.push(client);
  await client.connect({ url: server.wsUrl, username, ugi: 'mm', ...(token ? { token } : {}) });
  return client;
}

beforeEach(async () => {
  server = await startServer({ host: '127.0.0.1', port: 0, logger: silentLogger });
  clients = [];
  errors = [];
});
afterEach(async () => {
  await disconnectAll(clients);
  await server.close();
});

describe('lobby metadata', () => {
  it('is set at create, changed by the host (null removes), read back, and searched on', async () => {
    const ann = await connected('ann');
    const bob = await connected('bob');
    await ann.createLobby({ name: 'desert ctf', maxPlayers: 4, metadata: { map: 'desert', mode: 'ctf' } });
    expect(await ann.lobbyMetadata()).toEqual({ map: 'desert', mode: 'ctf' });
    await ann.setLobbyMetadata({ mode: null, round: 2 });
    expect(await ann.lobbyMetadata()).toEqual({ map: 'desert', round: 2 });
    expect((await bob.findLobby('desert ctf'))?.metadata).toEqual({ map: 'desert', round: 2 });
    expect(await bob.findLobbies({ metadata: { map: 'desert' }, freeSeats: true, noPassword: true })).toEqual([
      { name: 'desert ctf', metadata: { map: 'desert', round: 2 }, current_players: 1, max_players: 4, locked: false, password_required: false },
    ]);
    expect(await bob.findLobbies({ metadata: { map: 'jungle' } })).toEqual([]);
    // The upstream reply is still there for the old call.
    expect(await bob.listLobbies()).toEqual(['desert ctf']);
  });

  it('fails with a clear error: bad metadata before it is sent, a peer changing it, no lobby', async () => {
    const ann = await connected('ann');
    const bob = await connected('bob');
    await expect(bob.lobbyMetadata()).rejects.toMatchObject({ code: 'not-in-lobby' });
    await expect(ann.createLobby({ name: 'room', metadata: { nested: { no: 1 } } as never })).rejects.toMatchObject({
      code: 'invalid',
      message: expect.stringContaining('payload.metadata.nested must be a string or a number'),
    });
    await ann.createLobby({ name: 'room' });
    await bob.joinLobby('room');
    await expect(bob.setLobbyMetadata({ map: 'x' })).rejects.toMatchObject({
      code: 'unauthorized',
      message: 'cannot set the lobby metadata: only the host can do that',
    });
    await expect(
      ann.setLobbyMetadata({
        big: 'x'.repeat(128),
        more: 'y'.repeat(128),
        again: 'z'.repeat(128),
        four: 'w'.repeat(128),
        five: 'v'.repeat(128),
        six: 'u'.repeat(128),
        seven: 't'.repeat(128),
        eight: 's'.repeat(128),
      }),
    ).rejects.toMatchObject({
      code: 'invalid',
      message: expect.stringContaining('must be at most 1024 bytes'),
    });
    expect(errors.map((error) => error.code)).toEqual(['not-in-lobby', 'invalid', 'unauthorized', 'invalid']);
  });
});

describe('quick join', () => {
  it('four players, lobbies of two: two lobbies, each with a host who created it and a peer linked to it', async () => {
    const players = await Promise.all(['ann', 'bob', 'cat', 'dan'].map((name) => connected(name)));
    const matched: [string, boolean][] = [];
    for (const each of players) each.on('matched', (lobby, created) => matched.push([lobby, created]));
    const results = [];
    // One after another, so who creates is known: 1st and 3rd.
    for (const each of players) results.push(await each.quickJoin({ filter: { metadata: { mode: 'duel' } }, maxPlayers: 2, metadata: { map: 'arena' } }));
    expect(results.map((result) => result.created)).toEqual([true, false, true, false]);
    expect(results[1]!.name).toBe(results[0]!.name);
    expect(results[3]!.name).toBe(results[2]!.name);
    expect(results[2]!.name).not.toBe(results[0]!.name);
    expect(matched).toEqual(results.map((result) => [result.name, result.created]));
    expect(players.map((each) => [each.mode, each.lobby])).toEqual(results.map((result) => [result.created ? 'host' : 'peer', result.name]));
    expect(await players[1]!.lobbyMetadata()).toEqual({ map: 'arena', mode: 'duel' });
    // Real links: each pair is meshed.
    await until(() => players[0]!.isPeerConnected(players[1]!.myId) && players[2]!.isPeerConnected(players[3]!.myId), 'the pairs linked');
    await expect(players[0]!.quickJoin({ maxPlayers: 2 })).rejects.toMatchObject({ code: 'already-in-lobby' });
  });
});

describe('connect with a token and no username', () => {
  it('gets a guest name from a server without a token verifier', async () => {
    const guest = await connected('', 'some-token');
    expect(guest.myUsername).toMatch(/^Guest \d{4,}$/);
    await until(() => errors.length > 0, 'the notice');
    expect(errors.map((error) => error.message)).toEqual([expect.stringContaining('server: token not checked')]);
  });
});
