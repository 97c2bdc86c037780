// Links that fail, peers that die, and E2EE of the signals the server relays.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isSealed } from '../../src/client/e2ee.js';
import type { Links } from '../../src/client/mesh/links.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { silentLogger } from '../helpers/logger.js';
import { lobby, type Player, player } from './players.js';
import { until } from '../helpers/until.js';
import { closeAll } from '../helpers/disconnect-all.js';

let server: RunningServer;
let players: Player[] = [];
let children: ChildProcess[] = [];

beforeEach(async () => {
  server = await startServer({ port: 0, logger: silentLogger });
});
afterEach(async () => {
  for (const child of children) child.kill('SIGKILL');
  await closeAll(players);
  players = [];
  children = [];
  await server.close();
});

interface Tapped {
  from: string;
  to: string;
  contents: unknown;
}

/** Every relayed signal the server receives, tapped on its own sockets (ids mapped to usernames). */
function tapSignals(): Tapped[] {
  const seen: Tapped[] = [];
  const nameOf = (id: string | undefined) => server.connections('mesh').find((p) => p.id === id)?.user?.username ?? '?';
  for (const p of server.connections('mesh')) {
    p.socket.on('message', (data) => {
      const packet = JSON.parse(String(data)) as { opcode: string; recipient?: string; payload?: { contents?: unknown } };
      if (['MAKE_OFFER', 'MAKE_ANSWER', 'ICE'].includes(packet.opcode)) {
        seen.push({ from: p.user!.username, to: nameOf(packet.recipient), contents: packet.payload?.contents });
      }
    });
  }
  return seen;
}

/** Peers a player's mesh is still healing a link to (retrying, or waiting for the peer's fresh link). */
function pendingRetries(p: Player): number {
  return (p.mesh as unknown as { links: Links }).links.healing;
}

describe('link failures', () => {
  it('reports a link that cannot connect, retries a bounded number of times, then gives up', async () => {
    // Relay-only ICE with no TURN server can never connect.
    const ann = await player(server.wsUrl, 'ann', { relayOnly: true, connectTimeoutMs: 300, maxRetries: 2 });
    const bob = await player(server.wsUrl, 'bob', { relayOnly: true, connectTimeoutMs: 300, maxRetries: 2 });
    players = [ann, bob];
    await ann.session.createLobby({ name: 'room' });
    await bob.session.joinLobby('room');
    await until(() => ann.errors.some((e) => e.includes('connect timeout') && !e.includes('retrying')), 'giving up', 8000);
    const annErrors = ann.errors.filter((e) => e.includes(bob.id));
    expect(annErrors).toEqual([
      `link to ${bob.id} failed: connect timeout, retrying`,
      `link to ${bob.id} failed: connect timeout, retrying`,
      `link to ${bob.id} failed: connect timeout`,
    ]);
    // Nothing is left that could fail: neither side has a link to the other or a retry scheduled...
    const settled = (p: Player, q: Player) => p.mesh.link(q.id) === undefined && pendingRetries(p) === 0;
    await until(() => settled(ann, bob) && settled(bob, ann), 'no link and no retry on either side');
    // ...and every signal bob sent ann has arrived: a round trip on bob's socket, then on ann's (a
    // server replies to a socket's requests in order, after what it relayed from the earlier ones).
    await bob.session.keepalive();
    await ann.session.keepalive();
    expect(settled(ann, bob)).toBe(true);
    expect(ann.errors.length).toBe(3);
    expect(ann.mesh.connectedPeers()).toEqual([]);
  });

  it('re-opens a link that drops while both stay in the lobby (the initiator re-offers, the answerer accepts): a heal, not an error', async () => {
    const ann = await player(server.wsUrl, 'ann');
    const bob = await player(server.wsUrl, 'bob');
    const cat = await player(server.wsUrl, 'cat');
    players = [ann, bob, cat];
    await lobby([ann, bob, cat]);
    ann.mesh.openChannel('named');
    await until(() => bob.mesh.link(ann.id)?.channels.has('named') === true, 'named channel');
    const annToCat = ann.mesh.link(cat.id);
    const old = ann.mesh.link(bob.id)!;
    expect(old.initiator).toBe(true);
    const events: string[] = [];
    for (const [p, q] of [
      [ann, bob],
      [bob, ann],
    ] as const) {
      for (const event of ['peer-open', 'peer-close', 'link-lost', 'link-back'] as const)
        p.mesh.on(event, (peer: string, _reason?: string) => {
          if (peer === q.id) events.push(`${p.name} ${event}`);
        });
    }
    // Bob's side of the link dies abruptly (not a LEAVE): both notice, ann (the initiator) re-offers.
    bob.mesh.link(ann.id)!.peer.destroy();
    await until(
      () => ann.mesh.link(bob.id) !== undefined && ann.mesh.link(bob.id) !== old && ann.mesh.isConnected(bob.id) && bob.mesh.isConnected(ann.id),
      'link re-opened',
      8000,
    );
    await until(() => events.filter((e) => e.endsWith('link-back')).length === 2, 'link-back on both sides');
    expect(events.sort()).toEqual(['ann link-back', 'ann link-lost', 'bob link-back', 'bob link-lost']);
    expect([...ann.errors, ...bob.errors]).toEqual([]);
    expect(ann.mesh.link(cat.id)).toBe(annToCat);
    // The lobby's channels come back on the new link too.
    await until(() => bob.mesh.link(ann.id)?.channels.has('named') === true && ann.mesh.link(bob.id)?.channels.has('named') === true, 'named channel again');
    bob.mesh.sendPrivate(ann.id, 'after the drop', 'named');
    await until(() => ann.messages.some((m) => m.payload === 'after the drop' && m.from === bob.id), 'message on the new link');
  });

  it('notices a peer whose process dies, once the server stops holding its seat', async () => {
    // A dead process looks like a dropped connection: its seat is held for the grace period (short here).
    await server.close();
    server = await startServer({ port: 0, logger: silentLogger, resumeGraceMs: 500 });
    const ann = await player(server.wsUrl, 'ann');
    players = [ann];
    await ann.session.createLobby({ name: 'room' });
    const child = spawn(process.execPath, [path.join(import.meta.dirname, 'fixtures/player.mjs'), server.wsUrl, 'room', 'doomed'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(child);
    let out = '';
    child.stdout!.on('data', (chunk) => (out += chunk));
    await until(() => out.includes('open 1') && ann.mesh.connectedPeers().length === 1, 'the child in the mesh', 20_000);
    const doomed = ann.mesh.connectedPeers()[0]!;
    const closed: string[] = [];
    ann.mesh.on('peer-close', (peer, reason) => closed.push(`${peer}:${reason}`));
    child.kill('SIGKILL');
    await until(() => ann.session.peers.size === 0 && closed.length === 1, 'the dead peer released by the server', 5000);
    expect(closed).toEqual([`${doomed}:left the lobby`]);
    expect(ann.session.peers.size).toBe(0);
  });
});

describe('E2EE of signals', () => {
  it('the server only ever sees ciphertext between keyed players; mixed pairs connect in the clear', async () => {
    const ann = await player(server.wsUrl, 'ann', { encrypt: true });
    const bob = await player(server.wsUrl, 'bob', { encrypt: true });
    const cat = await player(server.wsUrl, 'cat');
    players = [ann, bob, cat];
    const seen = tapSignals();
    await lobby([ann, bob, cat]);
    expect(ann.mesh.encrypted(bob.id)).toBe(true);
    expect(cat.mesh.encrypted(ann.id)).toBe(false);

    const keyedPair = seen.filter((t) => [t.from, t.to].sort().join() === 'ann,bob');
    const withCat = seen.filter((t) => t.from === 'cat' || t.to === 'cat');
    expect(keyedPair.length + withCat.length).toBe(seen.length);
    // At least the offer and the answer, and every one of them sealed: no SDP or candidate reaches the server.
    expect(keyedPair.length).toBeGreaterThanOrEqual(2);
    for (const t of keyedPair) {
      expect(isSealed(t.contents)).toBe(true);
      // Base64 has no quotes: a quoted SDP or candidate field name would be plaintext.
      expect(JSON.stringify(t.contents)).not.toMatch(/"(sdp|candidate|type)"/);
    }
    // Pairs with a key missing on one side signal in the clear.
    expect(withCat.length).toBeGreaterThanOrEqual(4);
    for (const t of withCat) expect(isSealed(t.contents)).toBe(false);
    expect(withCat.some((t) => JSON.stringify(t.contents).includes('sdp'))).toBe(true);

    bob.mesh.sendPrivate(ann.id, 'secret channel works');
    cat.mesh.broadcast('clear link works');
    await until(() => ann.messages.some((m) => m.payload === 'secret channel works') && ann.messages.some((m) => m.payload === 'clear link works'), 'messages');
  });
});
