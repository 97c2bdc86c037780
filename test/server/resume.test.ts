// Seats held after a drop (issue 13), on the real server with raw `ws` clients: a dropped player's
// seat (id, lobby, host role) waits for RESUME with its token; a goodbye releases it at once.
import { describe, expect, it } from 'vitest';
import { MAX_MISSED_BYTES } from '../../src/server/player.js';
import { serverPerTest } from '../helpers/served.js';
import { barrier, type RawClient } from './helpers.js';

const served = serverPerTest();
const { serve } = served;
const open = (ugi = 'g') => served.open(`?ugi=${ugi}`);

type Player = RawClient & { id: string; token: string };

async function player(username: string): Promise<Player> {
  const client = (await open()) as Player;
  const ok = (await client.request('INIT', { username }, 'INIT_OK')).payload as { instance_id: string; resume_token: string };
  client.id = ok.instance_id;
  client.token = ok.resume_token;
  return client;
}

/** A new connection taking `who`'s seat back; the reply (RESUME_OK or WARNING). */
async function resume(token: string, received: number, ugi = 'g'): Promise<{ client: RawClient; reply: { opcode: string; payload?: unknown } }> {
  const client = await open(ugi);
  const reply = await client.request('RESUME', { token, received });
  return { client, reply };
}

const lobby = { name: 'room', max_players: -1, password: '', locked: false, enable_relay: false };

async function lobbyOf(host: RawClient, ...members: RawClient[]): Promise<void> {
  await host.request('CREATE_LOBBY', lobby, 'CREATE_ACK');
  for (const member of members) await member.request('JOIN_LOBBY', { name: 'room', password: '' }, 'JOIN_ACK');
  await barrier(host, ...members);
  for (const client of [host, ...members]) client.received.length = 0;
}

/** ann hosts a lobby bob is in, and her connection drops (not a goodbye). */
async function hostDropped(): Promise<{ ann: Player; bob: Player }> {
  await serve();
  const ann = await player('ann');
  const bob = await player('bob');
  await lobbyOf(ann, bob);
  ann.close();
  await ann.closed();
  return { ann, bob };
}

describe('held seats', () => {
  it('hands out an unguessable token at INIT_OK, a different one for each player', async () => {
    await serve();
    const ann = await player('ann');
    const bob = await player('bob');
    expect(ann.token).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(bob.token).not.toBe(ann.token);
  });

  it('keeps a dropped host in its lobby: no PEER_LEFT, same id and host role after RESUME, missed packets after RESUME_OK in order', async () => {
    const { ann, bob } = await hostDropped();
    // While ann is away: bob signals her, and cat joins (ann, the host, is told of cat).
    bob.send({ opcode: 'ICE', payload: { type: 0, contents: { n: 1 } }, recipient: ann.id });
    const cat = await player('cat');
    await cat.request('JOIN_LOBBY', { name: 'room', password: '' }, 'JOIN_ACK');
    await barrier(bob, cat);
    expect(bob.opcodes()).not.toContain('PEER_LEFT');
    expect(bob.opcodes()).not.toContain('NEW_HOST');
    expect((await bob.request('FIND_LOBBY', 'room')).payload).toMatchObject({ host: { instance_id: ann.id }, current_players: 3 });

    const { client: again, reply } = await resume(ann.token, ann.frames);
    expect(reply.opcode).toBe('RESUME_OK');
    const ok = reply.payload as { instance_id: string; username: string; resume_token: string };
    expect(ok).toMatchObject({ instance_id: ann.id, username: 'ann' });
    expect(ok.resume_token).not.toBe(ann.token);
    await again.sync();
    // What she missed, in the order it was sent: bob's signal, then cat's arrival.
    expect(again.opcodes()).toEqual(['ICE', 'NEW_PEER']);
    expect(again.received[0]).toMatchObject({ payload: { contents: { n: 1 } }, origin: { instance_id: bob.id } });
    expect(again.received[1]).toMatchObject({ payload: { instance_id: cat.id } });
    // She is the host again, on the new connection: she can manage the lobby, and her signals reach bob.
    expect((await again.request('MANAGE_LOBBY', { method: 'lock', args: null }, 'MANAGE_ACK')).payload).toBe('ok');
    again.send({ opcode: 'ICE', payload: { type: 0, contents: { n: 2 } }, recipient: bob.id });
    expect((await bob.next('ICE')).origin).toMatchObject({ instance_id: ann.id });
    expect(bob.opcodes()).not.toContain('PEER_LEFT');
  });

  it('uses each token once: the old one is refused after a resume, the new one works after the next drop', async () => {
    await serve();
    const ann = await player('ann');
    ann.close();
    await ann.closed();
    const first = await resume(ann.token, ann.frames);
    const next = (first.reply.payload as { resume_token: string }).resume_token;
    expect((await resume(ann.token, ann.frames)).reply).toEqual(
      expect.objectContaining({ opcode: 'WARNING', payload: 'session expired: no seat is held for this token' }),
    );
    first.client.close();
    await first.client.closed();
    // It received ann's frames before the drop, and none on the new connection but RESUME_OK (not counted).
    expect(first.client.frames).toBe(1);
    expect((await resume(next, ann.frames)).reply).toMatchObject({ opcode: 'RESUME_OK', payload: { instance_id: ann.id } });
  });

  it('takes the seat from a connection that still looks open (the drop not noticed yet), replaying what that connection swallowed', async () => {
    await serve();
    const ann = await player('ann');
    const bob = await player('bob');
    await lobbyOf(ann, bob);
    bob.send({ opcode: 'ICE', payload: { type: 0, contents: { lost: true } }, recipient: ann.id });
    await ann.next('ICE');
    // As if that last frame had died with the connection: the client says it received one less.
    const { client: again, reply } = await resume(ann.token, ann.frames - 1);
    expect(reply).toMatchObject({ opcode: 'RESUME_OK', payload: { instance_id: ann.id } });
    expect(await again.next('ICE')).toMatchObject({ payload: { contents: { lost: true } }, origin: { instance_id: bob.id } });
    // The old connection is cut, and its close changes nothing for the lobby.
    await ann.closed();
    await barrier(again, bob);
    expect(bob.opcodes()).not.toContain('PEER_LEFT');
    bob.send({ opcode: 'ICE', payload: { type: 0, contents: {} }, recipient: ann.id });
    expect((await again.next('ICE')).origin).toMatchObject({ instance_id: bob.id });
  });

  it('releases the seat when the grace period ends: the lobby hears PEER_LEFT and a new host, the token is refused', async () => {
    await serve({ resumeGraceMs: 300 });
    const ann = await player('ann');
    const bob = await player('bob');
    await lobbyOf(ann, bob);
    ann.close();
    expect((await bob.next('TRANSITION', 3000)).payload).toBe('host');
    expect((await bob.next('PEER_LEFT')).payload).toBe(ann.id);
    expect((await resume(ann.token, ann.frames)).reply).toMatchObject({ opcode: 'WARNING', payload: 'session expired: no seat is held for this token' });
    // Her name is free again.
    expect((await player('ann')).id).not.toBe(ann.id);
  });

  it('releases the seat at once on a goodbye (a close frame), as before', async () => {
    await serve();
    const ann = await player('ann');
    const bob = await player('bob');
    await lobbyOf(ann, bob);
    ann.ws.close(1000);
    expect((await bob.next('PEER_LEFT')).payload).toBe(ann.id);
    expect((await resume(ann.token, ann.frames)).reply).toMatchObject({ opcode: 'WARNING' });
  });

  it('refuses RESUME on an initialised connection, from another game, or with a malformed token', async () => {
    await serve();
    const ann = await player('ann');
    const bob = await player('bob');
    expect((await bob.request('RESUME', { token: ann.token, received: 0 })).payload).toBe('already initialized');
    ann.close();
    await ann.closed();
    expect((await resume(ann.token, ann.frames, 'other-game')).reply).toMatchObject({
      opcode: 'WARNING',
      payload: 'session expired: no seat is held for this token',
    });
    const bad = await open();
    expect((await bad.request('RESUME', { token: '', received: 0 })).opcode).toBe('WARNING');
    expect((await bad.request('RESUME', { token: ann.token })).opcode).toBe('WARNING');
    // The failed tries did not use the token up: the seat is still there for its owner.
    expect((await resume(ann.token, ann.frames)).reply).toMatchObject({ opcode: 'RESUME_OK' });
  });

  it('refuses a resume claiming frames never sent, and keeps nothing for that seat', async () => {
    const { ann, bob } = await hostDropped();
    expect((await resume(ann.token, ann.frames + 5)).reply).toMatchObject({ opcode: 'WARNING', payload: 'session expired: no seat is held for this token' });
    expect((await bob.next('PEER_LEFT')).payload).toBe(ann.id);
  });

  it('releases a seat that missed more than it can keep, instead of resuming it with a gap', async () => {
    const { ann, bob } = await hostDropped();
    const contents = 'x'.repeat(60_000);
    const signals = Math.ceil(MAX_MISSED_BYTES / contents.length) + 1;
    for (let i = 0; i < signals; i += 1) {
      bob.send({ opcode: 'ICE', payload: { type: 0, contents }, recipient: ann.id });
      if (i % 50 === 49) await bob.sync(); // stay under the rate limit
    }
    await bob.sync();
    expect((await resume(ann.token, ann.frames)).reply).toMatchObject({ opcode: 'WARNING', payload: 'session expired: no seat is held for this token' });
    expect((await bob.next('PEER_LEFT')).payload).toBe(ann.id);
  });

  it('holds no seat when the operator turned holding off (grace 0): no token, PEER_LEFT at once', async () => {
    await serve({ resumeGraceMs: 0 });
    const ann = await player('ann');
    const bob = await player('bob');
    expect(ann.token).toBeUndefined();
    await lobbyOf(ann, bob);
    ann.close();
    expect((await bob.next('PEER_LEFT')).payload).toBe(ann.id);
  });
});
