// Packets of one address handled per event-loop turn (turn-share.ts): the rest wait, in order, with
// their sockets paused, so another address is answered between them. First TurnShare on its own
// (counted per turn, deterministic), then on a real server: many connections of 127.0.0.1 flooding
// KEEPALIVEs at once, every one answered in order, and a player on 127.0.0.2 answered long before the
// flood's last answer.
import type { WebSocket } from 'ws';
import { describe, expect, it } from 'vitest';
import { TurnShare } from '../../src/server/turn-share.js';
import { waitFor } from '../helpers/server-process.js';
import { serverPerTest } from '../helpers/served.js';

/** A stand-in socket: counts pauses and resumes. */
function socket(): WebSocket & { pauses: number; resumes: number } {
  const fake = { OPEN: 1, readyState: 1, pauses: 0, resumes: 0, pause: () => (fake.pauses += 1), resume: () => (fake.resumes += 1) };
  return fake as unknown as WebSocket & { pauses: number; resumes: number };
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('TurnShare', () => {
  it('handles at most N packets of an address per turn, keeps each connection in order, pauses and resumes', async () => {
    const handled: string[][] = [[]];
    const share = new TurnShare(3, (_ws, data) => handled.at(-1)!.push(data.toString()));
    const [a, b, other] = [socket(), socket(), socket()];
    for (let i = 0; i < 4; i += 1) share.offer(a, 'flood', Buffer.from(`a${i}`), false);
    for (let i = 0; i < 3; i += 1) share.offer(b, 'flood', Buffer.from(`b${i}`), false);
    share.offer(other, 'elsewhere', Buffer.from('x'), false);
    expect(handled[0]).toEqual(['a0', 'a1', 'a2', 'x']); // the other address is not held back
    expect([a.pauses, b.pauses, other.pauses]).toEqual([1, 1, 0]);
    for (let turn = 1; turn < 5 && share.paused > 0; turn += 1) {
      handled.push([]);
      await nextTurn();
    }
    expect(handled.slice(1, 3)).toEqual([['a3', 'b0', 'b1'], ['b2']]);
    expect(share.paused).toBe(0);
    expect([a.resumes, b.resumes]).toEqual([1, 1]);
    share.stop();
  });

  it('a packet arriving while its connection waits goes behind the waiting ones; a closed connection is dropped', async () => {
    const handled: string[] = [];
    const share = new TurnShare(1, (_ws, data) => handled.push(data.toString()));
    const [a, b] = [socket(), socket()];
    share.offer(a, 'one', Buffer.from('a0'), false);
    share.offer(a, 'one', Buffer.from('a1'), false);
    share.offer(b, 'one', Buffer.from('b0'), false);
    share.forget(b);
    share.offer(a, 'one', Buffer.from('a2'), false);
    for (let turn = 0; turn < 5 && share.paused > 0; turn += 1) await nextTurn();
    expect(handled).toEqual(['a0', 'a1', 'a2']);
    expect(b.resumes).toBe(0);
    share.stop();
  });

  it('0: no share, everything handled at once', () => {
    let handled = 0;
    const share = new TurnShare(0, () => (handled += 1));
    const a = socket();
    for (let i = 0; i < 1000; i += 1) share.offer(a, 'one', Buffer.from('p'), false);
    expect([handled, a.pauses]).toEqual([1000, 0]);
    share.stop();
  });
});

describe('on a real server', () => {
  const served = serverPerTest({
    packetsPerAddressPerTurn: 8,
    rateLimit: { perSecond: 1_000_000, burst: 1_000_000 },
    addressRateLimit: { perSecond: 1_000_000, burst: 1_000_000 },
  });

  it('20 connections of one address sending 50 KEEPALIVEs each at once: all answered in order; another address answered first', async () => {
    await served.serve();
    const flooders = await Promise.all(Array.from({ length: 20 }, () => served.open('?ugi=flood')));
    for (const [i, client] of flooders.entries()) await client.request('INIT', { username: `f${i}` }, 'INIT_OK');
    const bystander = await served.open('?ugi=calm', { localAddress: '127.0.0.2' });
    await bystander.request('INIT', { username: 'calm' }, 'INIT_OK');

    const answered = (client: (typeof flooders)[number]) => client.received.filter((p) => p.opcode === 'KEEPALIVE_ACK').length;
    for (const client of flooders) for (let n = 0; n < 50; n += 1) client.send({ opcode: 'KEEPALIVE', listener: String(n) });
    const reply = await bystander.request('KEEPALIVE', undefined, 'KEEPALIVE_ACK');
    const floodAnsweredThen = flooders.reduce((sum, client) => sum + answered(client), 0);
    expect(reply.opcode).toBe('KEEPALIVE_ACK');
    // 1,000 packets at 8 a turn take 125 turns; the bystander's one waited for a few of them, not all.
    expect(floodAnsweredThen).toBeLessThan(1000);

    await waitFor(() => (flooders.every((client) => answered(client) === 50) ? true : undefined), 'every KEEPALIVE answered', 20_000);
    for (const client of flooders) {
      const listeners = client.received.filter((p) => p.opcode === 'KEEPALIVE_ACK').map((p) => p.listener);
      expect(listeners).toEqual(Array.from({ length: 50 }, (_, n) => String(n)));
    }
  });
});
