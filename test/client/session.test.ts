// The real session client against the real signaling server on 127.0.0.1.
import WebSocket from 'ws';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Session } from '../../src/client/session.js';
import type { WebSocketConstructor } from '../../src/client/websocket.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { silentLogger } from '../helpers/logger.js';

let server: RunningServer;
const sessions: Session[] = [];

beforeEach(async () => {
  server = await startServer({ host: '127.0.0.1', port: 0, logger: silentLogger });
});
afterEach(async () => {
  for (const session of sessions.splice(0)) session.close();
  await server.close();
});

async function connect(username?: string, ugi = 'game', autoReconnect = true): Promise<Session> {
  const session = await Session.connect({
    url: server.wsUrl,
    ugi,
    WebSocket: WebSocket as unknown as WebSocketConstructor,
    keepaliveMs: 0,
    autoReconnect: () => autoReconnect,
  });
  sessions.push(session);
  if (username) await session.init(username);
  return session;
}

/** Resolves with the next emission of `event` (bounded). */
function next<T extends unknown[]>(session: Session, event: Parameters<Session['on']>[0], timeoutMs = 3000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${String(event)} within ${timeoutMs} ms`)), timeoutMs);
    const off = session.on(event, ((...args: T) => {
      clearTimeout(timer);
      off();
      resolve(args);
    }) as never);
  });
}

describe('Session', () => {
  it('connects, initialises and learns its identity', async () => {
    const ann = await connect();
    const me = await ann.init('ann');
    expect(me.username).toBe('ann');
    expect(me.instance_id).toMatch(/.{8,}/);
    expect(ann.me).toEqual(me);
    expect(await ann.keepalive()).toBeGreaterThanOrEqual(0);
  });

  it('rejects with the server reason: username taken, already initialized', async () => {
    await connect('ann');
    const other = await connect();
    await expect(other.init('ann')).rejects.toMatchObject({ code: 'username-taken', opcode: 'INIT' });
    await expect(other.init('bob')).resolves.toMatchObject({ username: 'bob' });
    await expect(other.init('bob2')).rejects.toMatchObject({ code: 'already-initialized' });
  });

  it('a WARNING answering a request rejects that request only: it is not also a WARNING event', async () => {
    const ann = await connect('ann');
    const warnings: string[] = [];
    ann.on('WARNING', (text) => warnings.push(text));
    await expect(ann.createLobby({ name: 'zero', maxPlayers: 0 })).rejects.toMatchObject({
      code: 'invalid',
      opcode: 'CREATE_LOBBY',
      message: expect.stringContaining('max_players'),
    });
    // The server answers in order: once this reply is in, the CREATE_ACK that followed the WARNING is too.
    expect(await ann.listLobbies()).toEqual([]);
    expect(warnings).toEqual([]);
  });

  it('validates requests locally before sending', async () => {
    const ann = await connect();
    await expect(ann.init('x'.repeat(65))).rejects.toMatchObject({ code: 'invalid', message: expect.stringContaining('payload.username') });
  });

  it('rejects a connection it cannot make', async () => {
    await expect(Session.connect({ url: 'ws://127.0.0.1:1/', WebSocket: WebSocket as unknown as WebSocketConstructor })).rejects.toMatchObject({
      code: 'unreachable',
    });
    await expect(Session.connect({ url: 'ftp://x', WebSocket: WebSocket as unknown as WebSocketConstructor })).rejects.toMatchObject({ code: 'invalid' });
  });

  it('creates, lists, finds, joins and leaves lobbies, tracking host and peers', async () => {
    const ann = await connect('ann');
    const bob = await connect('bob');
    const lobbyNews = next<[string]>(bob, 'NEW_LOBBY');
    const annHost = next(ann, 'NEW_HOST');
    await ann.createLobby({ name: 'room', maxPlayers: 4, password: 'pw' });
    expect(await lobbyNews).toEqual(['room']);
    await annHost;
    expect(ann.mode).toBe('host');
    expect(ann.isHost).toBe(true);
    expect(await bob.listLobbies()).toEqual(['room']);
    expect(await bob.findLobby('room')).toMatchObject({ name: 'room', max_players: 4, current_players: 1, password_required: true });
    expect(await bob.findLobby('nope')).toBeNull();

    await expect(bob.joinLobby('room', 'wrong')).rejects.toMatchObject({ code: 'password' });
    await expect(bob.joinLobby('nope')).rejects.toMatchObject({
      code: 'not-found',
      message: 'cannot join lobby "nope": there is no lobby with that name',
      opcode: 'JOIN_LOBBY',
    });
    const newPeer = next<[{ username: string }]>(ann, 'NEW_PEER');
    const hostKnown = next(bob, 'NEW_HOST');
    await bob.joinLobby('room', 'pw');
    await hostKnown;
    expect((await newPeer)[0].username).toBe('bob');
    expect(bob.mode).toBe('peer');
    expect(bob.host?.username).toBe('ann');
    expect([...bob.peers.values()].map((u) => u.username)).toEqual(['ann']);
    expect([...ann.peers.values()].map((u) => u.username)).toEqual(['bob']);

    const left = next<[string]>(ann, 'PEER_LEFT');
    await bob.leaveLobby();
    expect(await left).toEqual([bob.me!.instance_id]);
    expect(bob.mode).toBe('');
    expect(bob.lobby).toBeNull();
    expect(ann.peers.size).toBe(0);
    await expect(bob.leaveLobby()).rejects.toMatchObject({ code: 'not-in-lobby' });
  });

  it('manages the lobby as host and is refused as a peer', async () => {
    const ann = await connect('ann');
    const bob = await connect('bob');
    const cat = await connect('cat');
    await ann.createLobby({ name: 'room' });
    await bob.joinLobby('room');
    await cat.joinLobby('room');
    await expect(bob.manage('lock')).rejects.toMatchObject({ code: 'unauthorized' });
    await ann.manage('lock');
    expect((await cat.findLobby('room'))?.currently_locked).toBe(true);
    await ann.manage('unlock');

    const catLeft = next<[string]>(bob, 'PEER_LEFT');
    const catOut = next<[string]>(cat, 'TRANSITION');
    await ann.manage('kick', cat.me!.instance_id);
    expect(await catOut).toEqual(['']);
    expect(await catLeft).toEqual([cat.me!.instance_id]);
    expect(cat.lobby).toBeNull();

    const bobHost = next<[string]>(bob, 'TRANSITION');
    const annNewHost = next(ann, 'NEW_HOST');
    await ann.manage('transfer_ownership', bob.me!.instance_id);
    expect(await bobHost).toEqual(['host']);
    expect(bob.isHost).toBe(true);
    await annNewHost;
    expect(ann.mode).toBe('peer');
    expect(ann.host?.instance_id).toBe(bob.me!.instance_id);

    const closed = next<[string]>(ann, 'LOBBY_CLOSED');
    await bob.manage('close_lobby');
    expect(await closed).toEqual(['room']);
    expect(ann.lobby).toBeNull();
    expect(await ann.listLobbies()).toEqual([]);
  });

  it('follows host migration when the host disconnects', async () => {
    const ann = await connect('ann');
    const bob = await connect('bob');
    const cat = await connect('cat');
    await ann.createLobby({ name: 'room' });
    await bob.joinLobby('room');
    await cat.joinLobby('room');
    const bobRole = next<[string]>(bob, 'TRANSITION');
    const catHost = next<[{ username: string }]>(cat, 'NEW_HOST');
    const catLeft = next<[string]>(cat, 'PEER_LEFT');
    const annId = ann.me!.instance_id;
    ann.close();
    expect(await bobRole).toEqual(['host']);
    expect((await catHost)[0].username).toBe('bob');
    expect(await catLeft).toEqual([annId]);
    expect(cat.host?.username).toBe('bob');
    expect([...cat.peers.values()].map((u) => u.username)).toEqual(['bob']);
  });

  it('rejects pending requests and reports close when the server goes away (reconnecting off)', async () => {
    const ann = await connect('ann', 'game', false);
    const closed = next<[{ code: number }]>(ann, 'close');
    await server.close();
    await closed;
    expect(ann.connected).toBe(false);
    await expect(ann.listLobbies()).rejects.toMatchObject({ code: 'not-connected' });
    server = await startServer({ host: '127.0.0.1', port: 0, logger: silentLogger });
  });

  it('relays signals with the origin stamped by the server', async () => {
    const ann = await connect('ann');
    const bob = await connect('bob');
    await ann.createLobby({ name: 'room' });
    await bob.joinLobby('room');
    const offer = next<[unknown, { instance_id: string; username: string }]>(bob, 'MAKE_OFFER');
    ann.sendSignal('MAKE_OFFER', bob.me!.instance_id, { type: 0, contents: { type: 'offer', sdp: 'v=0' } });
    const [payload, origin] = await offer;
    expect(payload).toEqual({ type: 0, contents: { type: 'offer', sdp: 'v=0' } });
    expect(origin).toEqual({ instance_id: ann.me!.instance_id, user_id: ann.me!.user_id, username: 'ann' });
  });
});
