// Real node processes (`node server.mjs --redis URL`) on a real redis-server, killed with SIGKILL:
// their players resume on another node with their seat (same instance id, lobby, host role) and every
// frame the dead node owed them, while P2P data keeps flowing; players who do not come back are
// released by the survivors after the grace period, by exactly one of them.
import { wrtc } from '../helpers/wrtc.js';
import WebSocket from 'ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ReceivedMessage } from '../../src/client/api.js';
import { CloudLinkClient } from '../../src/client/cloudlink.js';
import type { WebSocketConstructor } from '../../src/client/websocket.js';
import { Warning } from '../../src/protocol/index.js';
import { bundleServer, printedWsUrl, type ServerBundle, type ServerProcess, waitFor } from '../helpers/server-process.js';
import { type RedisServer, startRedis } from '../helpers/redis.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { cutCandidates } from '../helpers/cut-candidates.js';
import { RelayedPair } from '../helpers/relayed-pair.js';
import { lobby, player, type Player } from '../mesh/players.js';
import { until } from '../helpers/until.js';
import { RawClient } from '../server/helpers.js';
import { closeAll, disconnectAll } from '../helpers/disconnect-all.js';

let redis: RedisServer;
let bundle: ServerBundle;
let players: Player[] = [];
const raws: RawClient[] = [];
const relayClients: CloudLinkClient[] = [];

beforeAll(async () => {
  [redis, bundle] = await Promise.all([startRedis(), bundleServer()]);
}, 300_000);
afterAll(async () => {
  bundle?.dispose();
  await redis?.stop();
});
afterEach(async () => {
  await disconnectAll(relayClients.splice(0), { players });
  players = [];
  for (const raw of raws.splice(0)) raw.close();
});

const GRACE_SECONDS = 3;

/** A node process on a free port; resolves with its WebSocket URL. */
async function node(...extra: string[]): Promise<{ process: ServerProcess; url: string }> {
  const process = bundle.run(['--host', '127.0.0.1', '--port', '0', '--redis', redis.url, '--resume-grace', String(GRACE_SECONDS), ...extra]);
  return { process, url: await printedWsUrl(process) };
}

const logged = (node: { process: ServerProcess }, event: string) =>
  node.process
    .output()
    .split('\n')
    .filter((line) => line.includes(`"event":"${event}"`));

describe('a node killed with SIGKILL', () => {
  it('its players resume on the other node (same seat, host kept) while they stream P2P data: nothing lost, no one left', async () => {
    const a = await node();
    const b = await node();
    const urls = (own: string) => ({ session: { fallbackUrls: [own === a.url ? b.url : a.url], reconnect: { firstDelayMs: 50, maxDelayMs: 200 } } });
    players = [await player(a.url, 'ann', urls(a.url)), await player(a.url, 'bob', urls(a.url)), await player(b.url, 'cat', urls(b.url))];
    const [ann, bob, cat] = players as [Player, Player, Player];
    await lobby(players);
    const resumed = new Map<string, number>();
    const left: string[] = [];
    for (const p of players) {
      p.session.on('resumed', () => resumed.set(p.name, (resumed.get(p.name) ?? 0) + 1));
      p.session.on('PEER_LEFT', (id) => left.push(id));
    }

    // Every player streams numbered broadcasts every 10 ms, before, during and after the kill.
    const sent = new Map(players.map((p) => [p.name, 0]));
    const stream = setInterval(() => {
      for (const p of players) {
        const i = sent.get(p.name)!;
        p.mesh.broadcast(`${p.name} ${i}`);
        sent.set(p.name, i + 1);
      }
    }, 10);
    try {
      await until(() => sent.get('ann')! >= 20, 'some data before the kill');
      a.process.child.kill('SIGKILL');
      await a.process.exited;
      await until(() => resumed.get('ann') === 1 && resumed.get('bob') === 1, 'ann and bob resumed on node b', 20_000);
      const atResume = sent.get('ann')!;
      await until(() => sent.get('ann')! >= atResume + 20, 'some data after the resume');
    } finally {
      clearInterval(stream);
    }
    const expected = (from: Player) => Array.from({ length: sent.get(from.name)! }, (_, i) => `${from.name} ${i}`);
    const got = (to: Player, from: Player) => to.messages.filter((m) => m.from === from.id && m.opcode === 'G_MSG').map((m) => m.payload);
    await until(() => players.every((to) => players.every((from) => from === to || got(to, from).length === sent.get(from.name))), 'every broadcast');
    for (const to of players) for (const from of players) if (from !== to) expect(got(to, from)).toEqual(expected(from));

    // The seats were kept: same ids, same lobby, ann still host, and the lobby still answers requests.
    expect(ann.session.me?.instance_id).toBe(ann.id);
    expect(ann.session.isHost).toBe(true);
    expect(cat.session.host?.instance_id).toBe(ann.id);
    await ann.session.manage('lock');
    expect((await cat.session.findLobby('room'))?.currently_locked).toBe(true);
    // The survivor noticed node a dead and, after the grace period, found nobody of it left to release.
    await waitFor(() => (logged(b, 'cluster.node_forgotten').length > 0 ? true : undefined), 'node b forgetting node a', 15_000);
    expect(logged(b, 'cluster.release_orphan')).toEqual([]);
    expect(left).toEqual([]);
    expect([...bob.session.peers.keys()].sort()).toEqual([ann.id, cat.id].sort());
    for (const p of players) expect(p.errors).toEqual([]);
    b.process.child.kill('SIGTERM');
    await b.process.exited;
  }, 90_000);

  it('a frame sent to a player while its node is dead is replayed exactly on the node it resumes on; a resume with a gap is refused', async () => {
    const a = await node();
    const b = await node();
    const open = async (url: string) => {
      const client = await RawClient.open(`${url}?ugi=g`);
      raws.push(client);
      return client;
    };
    const init = async (client: RawClient, username: string) => {
      const ok = (await client.request('INIT', { username }, 'INIT_OK')).payload as { instance_id: string; resume_token: string };
      return ok;
    };
    const annSocket = await open(a.url);
    const ann = await init(annSocket, 'ann');
    const bobSocket = await open(b.url);
    const bob = await init(bobSocket, 'bob');
    const eveSocket = await open(a.url);
    const eve = await init(eveSocket, 'eve');
    await annSocket.request('CREATE_LOBBY', { name: 'room', max_players: -1, password: '', locked: false, enable_relay: false }, 'CREATE_ACK');
    await bobSocket.request('JOIN_LOBBY', { name: 'room', password: '' }, 'JOIN_ACK');
    await annSocket.next('NEW_PEER', 5000);
    await annSocket.sync();
    const received = annSocket.frames;

    a.process.child.kill('SIGKILL');
    await a.process.exited;
    for (let i = 0; i < 3; i += 1) bobSocket.send({ opcode: 'ICE', payload: { type: 0, contents: { i } }, recipient: ann.instance_id });
    await bobSocket.sync();

    const back = await open(b.url);
    const ok = await back.request('RESUME', { token: ann.resume_token, received }, 'RESUME_OK');
    expect(ok.payload).toMatchObject({ instance_id: ann.instance_id, username: 'ann' });
    for (let i = 0; i < 3; i += 1)
      expect(await back.next('ICE', 5000)).toMatchObject({ payload: { contents: { i } }, origin: { instance_id: bob.instance_id } });
    // Still host, on node b now: signals and requests work both ways.
    expect((await back.request('MANAGE_LOBBY', { method: 'lock', args: null }, 'MANAGE_ACK')).payload).toBe('ok');
    back.send({ opcode: 'MAKE_OFFER', payload: { type: 0, contents: 'o' }, recipient: bob.instance_id });
    expect(await bobSocket.next('MAKE_OFFER', 5000)).toMatchObject({ origin: { instance_id: ann.instance_id } });

    // eve claims to have received more than was ever sent to her: refused, and her seat released.
    const eveBack = await open(b.url);
    expect((await eveBack.request('RESUME', { token: eve.resume_token, received: 10_000 }, 'WARNING')).payload).toMatch(/^session expired/);
    expect((await bobSocket.request('FIND_LOBBY', 'room', 'FIND_ACK')).payload).toMatchObject({ current_players: 2 });
    const eveAgain = await open(b.url);
    expect((await eveAgain.request('INIT', { username: 'eve' })).opcode).toBe('INIT_OK');
    b.process.child.kill('SIGTERM');
    await b.process.exited;
  }, 60_000);

  it('players who do not come back are released after the grace period by exactly one survivor: the host migrates on every node', async () => {
    const [a, b, c] = [await node(), await node(), await node()];
    const raw = async (url: string, username: string) => {
      const client = (await RawClient.open(`${url}?ugi=g`)) as RawClient & { id: string };
      raws.push(client);
      client.id = ((await client.request('INIT', { username }, 'INIT_OK')).payload as { instance_id: string }).instance_id;
      return client;
    };
    const ann = await raw(a.url, 'ann');
    const dan = await raw(a.url, 'dan');
    const bob = await raw(b.url, 'bob');
    const cat = await raw(c.url, 'cat');
    const room = { name: 'room', max_players: -1, password: '', locked: false, enable_relay: false };
    await ann.request('CREATE_LOBBY', room, 'CREATE_ACK');
    for (const p of [bob, dan, cat]) await p.request('JOIN_LOBBY', { name: 'room', password: '' }, 'JOIN_ACK');
    await until(() => ann.received.filter((p) => p.opcode === 'NEW_PEER').length === 3, 'the joins');
    for (const p of [bob, cat]) p.received.length = 0;

    const killedAt = Date.now();
    a.process.child.kill('SIGKILL');
    await a.process.exited;
    const leaves = (p: RawClient) => p.received.filter((packet) => packet.opcode === 'PEER_LEFT').map((packet) => packet.payload);
    await until(() => leaves(bob).length === 2 && leaves(cat).length === 2, 'ann and dan released', 20_000);
    // Not before the grace period (a resume would still have found the seat).
    expect(Date.now() - killedAt).toBeGreaterThanOrEqual(GRACE_SECONDS * 1000);
    expect(bob.received.find((p) => p.opcode === 'TRANSITION')?.payload).toBe('host');
    expect(cat.received.find((p) => p.opcode === 'NEW_HOST')?.payload).toMatchObject({ instance_id: bob.id });
    expect((await cat.request('FIND_LOBBY', 'room', 'FIND_ACK')).payload).toMatchObject({ current_players: 2, host: { instance_id: bob.id } });
    // Each was released once: by one survivor, whichever claimed it; nobody saw a second PEER_LEFT.
    await bob.sync();
    await cat.sync();
    expect(leaves(bob).sort()).toEqual([ann.id, dan.id].sort());
    expect(leaves(cat).sort()).toEqual([ann.id, dan.id].sort());
    const releases = [...logged(b, 'cluster.release_orphan'), ...logged(c, 'cluster.release_orphan')];
    for (const id of [ann.id, dan.id]) expect(releases.filter((line) => line.includes(id)).length).toBe(1);
    // Their names are free again.
    const again = await raw(b.url, 'ann');
    expect(again.id).toBeTruthy();
    for (const n of [b, c]) n.process.child.kill('SIGTERM');
    await Promise.all([b.process.exited, c.process.exited]);
  }, 90_000);
});

describe("the node running a relay lobby's relay peer killed with SIGKILL", () => {
  it('a survivor starts a new relay peer for the lobby at once; every member links to it and messages flow again', async () => {
    const a = await node();
    const b = await node();
    const connect = async (name: string, own: string, other: string) => {
      const client = new CloudLinkClient({
        WebSocket: WebSocket as unknown as WebSocketConstructor,
        wrtc,
        keepaliveMs: 0,
        reconnect: { firstDelayMs: 50, maxDelayMs: 200 },
      });
      relayClients.push(client);
      const messages: ReceivedMessage[] = [];
      const errors: string[] = [];
      client.on('message', (m) => messages.push(m));
      client.on('error', (error) => errors.push(error.message));
      await client.connect({ url: own, username: name, ugi: 'relay', fallbackUrls: [other] });
      return { client, messages, errors };
    };
    const ann = await connect('ann', a.url, b.url);
    const bob = await connect('bob', b.url, a.url);
    const cat = await connect('cat', b.url, a.url);
    await ann.client.createLobby({ name: 'relayed', enableRelay: true });
    await until(() => ann.client.mesh?.relayId != null, 'RELAY for the host');
    await bob.client.joinLobby('relayed');
    await cat.client.joinLobby('relayed');
    const all = [ann, bob, cat];
    const reachable = () => all.every((p) => all.every((q) => q === p || p.client.isPeerConnected(q.client.myId)));
    await until(reachable, 'everyone reachable through the relay', 20_000);
    const deadRelay = ann.client.mesh!.relayId;

    a.process.child.kill('SIGKILL');
    await a.process.exited;
    await waitFor(() => (logged(b, 'relay.replaced').length > 0 ? true : undefined), 'node b replacing the relay', 15_000);
    await until(() => all.every((p) => p.client.mesh?.relayId != null && p.client.mesh.relayId !== deadRelay), 'everyone told the new relay', 15_000);
    await until(reachable, 'everyone reachable through the new relay', 30_000);
    cat.client.broadcast('after the failover');
    await until(() => [ann, bob].every((p) => p.messages.some((m) => m.payload === 'after the failover')), 'the broadcast through the new relay', 10_000);
    expect(ann.client.myId).toBeTruthy();
    expect(ann.client.isHost).toBe(true);
    // Each was told the relay was lost (as when a relay process dies), which a relay lobby's client only reports.
    for (const p of all) expect(p.errors).toContain(`server: ${Warning.relayLost}`);
    b.process.child.kill('SIGTERM');
    await b.process.exited;
  }, 90_000);
});

describe("the node running a hybrid lobby's relay peer killed with SIGKILL", () => {
  it('the pair it carried is told (on the surviving node, and on resuming from the dead one), asks again, and talks through a new relay peer on the survivor', async () => {
    // A longer grace: ann must still find her seat after the survivor told her lobby (she resumes only then).
    const a = await node('--resume-grace', '15');
    const b = await node('--resume-grace', '15');
    // ann's only way to node b, shut until node b has dealt with the dead relay peer.
    const toB = await TcpProxy.start(Number(new URL(b.url).port));
    toB.cut();
    const cut = cutCandidates();
    try {
      const reconnect = { firstDelayMs: 50, maxDelayMs: 200 };
      // Only ann asks for the relay at first (cat's own fallback would take a minute): its peer runs on node a.
      const ann = await player(a.url, 'ann', { relayFallbackMs: 1500, connectTimeoutMs: 5000, session: { fallbackUrls: [toB.url], reconnect } });
      const bob = await player(b.url, 'bob', { relayFallbackMs: 60_000, connectTimeoutMs: 5000 });
      const cat = await player(b.url, 'cat', { relayFallbackMs: 60_000, connectTimeoutMs: 5000, WebSocket: cut.WebSocket });
      players = [ann, bob, cat];
      cut.cutOff.add(ann.id);
      await lobby(players, 'hybrid');
      expect(ann.mesh.viaRelay(cat.id) && cat.mesh.viaRelay(ann.id)).toBe(true);
      expect(ann.mesh.viaRelay(bob.id) || cat.mesh.viaRelay(bob.id)).toBe(false);
      expect([logged(a, 'relay.start').length, logged(b, 'relay.start').length]).toEqual([1, 0]);
      const oldRelay = ann.session.relayId!;
      expect(cat.session.relayId).toBe(oldRelay);
      const bobLinks = [ann.mesh.link(bob.id), cat.mesh.link(bob.id)];
      const warned = new Map(players.map((p) => [p.name, [] as string[]]));
      for (const p of players) p.session.on('WARNING', (text) => warned.get(p.name)!.push(text));
      let resumed = 0;
      ann.session.on('resumed', () => (resumed += 1));

      // ann and cat talk through the relay all along.
      const pair = new RelayedPair(ann, cat);
      try {
        await pair.heard();
        a.process.child.kill('SIGKILL');
        await a.process.exited;
        // Node b notices node a dead, claims its relay peer and tells the lobby: cat, here, at once.
        await until(() => warned.get('cat')!.includes(Warning.relayLost), 'cat told the relay is lost', 20_000);
        expect(logged(b, 'cluster.release_orphan').filter((line) => line.includes('"kind":"relay"'))).toHaveLength(1);
        // ann, whose node died, is told when she resumes: the warning waited in her log.
        expect(resumed).toBe(0);
        toB.restore();
        await until(() => resumed === 1, 'ann resumed on node b', 20_000);
        await until(() => warned.get('ann')!.includes(Warning.relayLost), 'ann told the relay is lost', 10_000);
        const newRelay = await pair.moved(oldRelay, 20_000);
        expect(logged(b, 'relay.start').filter((line) => line.includes(newRelay))).toHaveLength(1);
      } finally {
        pair.stop();
      }
      await pair.expectEveryMessageOnceInOrder();
      // bob was told too (a member of the lobby), and his direct links never moved.
      expect(warned.get('bob')).toEqual([Warning.relayLost]);
      expect([ann.mesh.link(bob.id), cat.mesh.link(bob.id)]).toEqual(bobLinks);
      expect(players.flatMap((p) => p.errors)).toEqual([]);
    } finally {
      // Closed while node b runs, so their seats go now (the next test takes the same names): node b must have
      // released them all before it stops, or its drain holds their seats for the grace period.
      const ids = players.map((p) => p.id);
      await closeAll(players.splice(0));
      const released = () => ids.every((id) => logged(b, 'player.disconnect').some((line) => line.includes(id)));
      await waitFor(() => (released() ? true : undefined), 'node b releasing the players', 10_000).catch(() => undefined);
      await toB.close();
      b.process.child.kill('SIGTERM');
      await b.process.exited;
    }
  }, 120_000);
});

describe('a node drained with SIGTERM', () => {
  it('stops accepting, sends its players to another node with their seats (P2P data flowing), and exits within its bound', async () => {
    const a = await node('--drain-timeout', '2');
    const b = await node();
    const httpOf = (url: string) => url.replace('ws://', 'http://');
    const fallback = (own: string) => ({ session: { fallbackUrls: [own === a.url ? b.url : a.url], reconnect: { firstDelayMs: 50, maxDelayMs: 200 } } });
    players = [await player(a.url, 'ann', fallback(a.url)), await player(b.url, 'bob', fallback(b.url))];
    const [ann, bob] = players as [Player, Player];
    await lobby(players);
    // A player that will not resume: its seat must be held (not released by the drain), then released after the grace period.
    const idle = (await RawClient.open(`${a.url}?ugi=mesh`)) as RawClient;
    raws.push(idle);
    const idleId = ((await idle.request('INIT', { username: 'idle' }, 'INIT_OK')).payload as { instance_id: string }).instance_id;
    await idle.request('JOIN_LOBBY', { name: 'room', password: '' }, 'JOIN_ACK');
    let resumes = 0;
    ann.session.on('resumed', () => (resumes += 1));
    const left: string[] = [];
    bob.session.on('PEER_LEFT', (id) => left.push(id));

    let sent = 0;
    const stream = setInterval(() => ann.mesh.broadcast(`ann ${sent++}`), 10);
    const started = Date.now();
    try {
      await until(() => sent >= 10, 'some data before the drain');
      a.process.child.kill('SIGTERM');
      // While it waits for the idle player: /readyz says no and new connections are refused.
      await waitFor(() => (logged(a, 'server.draining').length > 0 ? true : undefined), 'the drain to start');
      const ready = await fetch(`${httpOf(a.url)}readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ ready: false });
      await expect(RawClient.open(`${a.url}?ugi=mesh`)).rejects.toThrow(/503/);
      await until(() => resumes === 1, 'ann resumed on node b', 10_000);
      expect(idle.closeInfo?.code ?? (await idle.closed()).code).toBe(1012);
      const atResume = sent;
      await until(() => sent >= atResume + 10, 'some data after the resume');
    } finally {
      clearInterval(stream);
    }
    // It waited for the idle player (its seat held: bob saw nobody leave) and exited by its bound.
    expect(await a.process.exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(2000 + 3000);
    expect(left).toEqual([]);
    expect(ann.session.isHost).toBe(true);
    const got = () => bob.messages.filter((m) => m.from === ann.id && m.opcode === 'G_MSG').map((m) => m.payload);
    await until(() => got().length === sent, 'every broadcast at bob');
    expect(got()).toEqual(Array.from({ length: sent }, (_, i) => `ann ${i}`));
    // The idle player's seat is released by node b once the grace period has passed since node a went.
    await until(() => left.includes(idleId), 'the idle player released', 15_000);
    expect(left).toEqual([idleId]);
    b.process.child.kill('SIGTERM');
    expect(await b.process.exited).toBe(0);
  }, 60_000);
});
