// Packets handled and bytes read per address per event-loop turn (turn-share.ts): past either, all the
// address's connections stop reading until a later turn and its extra packets wait, in order, so another
// address is answered between them. First TurnShare on its own (counted per turn, deterministic), then on
// a real server: many connections of 127.0.0.1 flooding KEEPALIVEs, or each uploading 60 KiB, at once —
// what the server reads in one turn is bounded, every packet is answered in order, and a player on
// 127.0.0.2 is answered long before the flood's last answer.
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { describe, expect, it } from 'vitest';
import { STARTS_PER_TURN, TurnShare } from '../../src/server/turn-share.js';
import type { Socket } from 'node:net';
import { waitFor } from '../helpers/server-process.js';
import { type Served, serverPerTest } from '../helpers/served.js';

/** A stand-in socket: counts pauses and resumes. */
function socket(): WebSocket & { pauses: number; resumes: number } {
  const fake = { OPEN: 1, readyState: 1, pauses: 0, resumes: 0, pause: () => (fake.pauses += 1), resume: () => (fake.resumes += 1) };
  return fake as unknown as WebSocket & { pauses: number; resumes: number };
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
/** A stand-in raw socket: TurnShare listens to its 'data'. */
const rawSocket = () => new EventEmitter() as unknown as Duplex;
/** A TurnShare whose stopped connections count a pause; every connection watched from its address. */
function shareOf(
  packets: number,
  bytes: number,
  handle: (ws: WebSocket, data: Buffer) => void,
  connections: [WebSocket, string, Duplex?][],
  rate: { bytesPerSecond: number; now?: () => number } = { bytesPerSecond: 0 },
) {
  const share = new TurnShare(
    { packets, bytes, bytesPerSecond: rate.bytesPerSecond },
    handle,
    { stop: (ws) => ws.pause(), start: (ws) => ws.resume() },
    rate.now,
  );
  for (const [ws, address, raw] of connections) share.watch(ws, raw ?? rawSocket(), address);
  return share;
}

describe('TurnShare', () => {
  it('handles at most N packets of an address per turn, keeps each connection in order, stops and restarts all of its connections', async () => {
    const handled: string[][] = [[]];
    const [a, b, other] = [socket(), socket(), socket()];
    const share = shareOf(3, 0, (_ws, data) => handled.at(-1)!.push(data.toString()), [
      [a, 'flood'],
      [b, 'flood'],
      [other, 'elsewhere'],
    ]);
    for (let i = 0; i < 4; i += 1) share.offer(a, 'flood', Buffer.from(`a${i}`), false);
    for (let i = 0; i < 3; i += 1) share.offer(b, 'flood', Buffer.from(`b${i}`), false);
    share.offer(other, 'elsewhere', Buffer.from('x'), false);
    expect(handled[0]).toEqual(['a0', 'a1', 'a2', 'x']); // the other address is not held back
    // a went over: both connections of its address stop reading at once, not only a.
    expect([a.pauses, b.pauses, other.pauses]).toEqual([1, 1, 0]);
    for (let turn = 1; turn < 5 && share.paused > 0; turn += 1) {
      handled.push([]);
      await nextTurn();
    }
    expect(handled.slice(1, 3)).toEqual([['a3', 'b0', 'b1'], ['b2']]);
    expect(share.paused).toBe(0);
    // Stopped once, though still over after the first of those turns; read again once nothing waits.
    expect([a.pauses, b.pauses, a.resumes, b.resumes, other.resumes]).toEqual([1, 1, 1, 1, 0]);
    share.stop();
  });

  it('a packet arriving while its connection waits goes behind the waiting ones; a closed connection is dropped', async () => {
    const handled: string[] = [];
    const [a, b] = [socket(), socket()];
    const share = shareOf(1, 0, (_ws, data) => handled.push(data.toString()), [
      [a, 'one'],
      [b, 'one'],
    ]);
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
    const a = socket();
    const raw = rawSocket();
    const share = shareOf(0, 0, () => (handled += 1), [[a, 'one', raw]]);
    for (let i = 0; i < 1000; i += 1) share.offer(a, 'one', Buffer.from('p'), false);
    raw.emit('data', Buffer.alloc(10_000_000));
    expect([handled, a.pauses]).toEqual([1000, 0]);
    share.stop();
  });

  it('past B bytes read from an address in a turn, all its connections stop until the next turn', async () => {
    const [a, b, other] = [socket(), socket(), socket()];
    const [rawA, rawB, rawOther] = [rawSocket(), rawSocket(), rawSocket()];
    const share = shareOf(100, 1000, () => {}, [
      [a, 'flood', rawA],
      [b, 'flood', rawB],
      [other, 'elsewhere', rawOther],
    ]);
    rawA.emit('data', Buffer.alloc(600));
    rawOther.emit('data', Buffer.alloc(5000)); // its own share: a busy neighbour does not stop it, only itself
    expect([a.pauses, b.pauses]).toEqual([0, 0]);
    rawB.emit('data', Buffer.alloc(600));
    expect([a.pauses, b.pauses, other.pauses]).toEqual([1, 1, 1]);
    await nextTurn();
    expect([a.resumes, b.resumes, other.resumes]).toEqual([1, 1, 1]);
    rawA.emit('data', Buffer.alloc(600)); // a new turn: the share is whole again
    expect(a.pauses).toBe(1);
    share.forget(b);
    rawA.emit('data', Buffer.alloc(600));
    await nextTurn();
    expect([a.pauses, a.resumes, b.pauses, b.resumes]).toEqual([2, 2, 1, 1]); // a forgotten connection is never restarted
    share.stop();
  });

  it('stopped connections start again a few a turn, those stopped longest first', async () => {
    const many = Array.from({ length: STARTS_PER_TURN * 2 + 3 }, () => socket());
    const raws = many.map(() => rawSocket());
    const share = shareOf(
      100,
      1000,
      () => {},
      many.map((ws, i) => [ws, 'flood', raws[i]] as [WebSocket, string, Duplex]),
    );
    raws[0]!.emit('data', Buffer.alloc(1000));
    expect(many.every((ws) => ws.pauses === 1)).toBe(true);
    const started = [];
    for (let turn = 0; turn < 3; turn += 1) {
      await nextTurn();
      started.push(many.filter((ws) => ws.resumes === 1).length);
    }
    expect(started).toEqual([STARTS_PER_TURN, STARTS_PER_TURN * 2, STARTS_PER_TURN * 2 + 3]);
    expect(many.slice(0, STARTS_PER_TURN).every((ws) => ws.resumes === 1)).toBe(true);
    share.stop();
  });

  it('past its rate (a second of it at once), an address reads nothing more until the rate has paid for what it read', async () => {
    let clock = 1_000_000;
    let looked = 0; // times the share read the clock
    const [a, b, other] = [socket(), socket(), socket()];
    const [rawA, rawB, rawOther] = [rawSocket(), rawSocket(), rawSocket()];
    const share = shareOf(
      0,
      0,
      () => {},
      [
        [a, 'upload', rawA],
        [b, 'upload', rawB],
        [other, 'elsewhere', rawOther],
      ],
      {
        bytesPerSecond: 64 * 1024,
        now: () => {
          looked += 1;
          return clock;
        },
      },
    );
    rawA.emit('data', Buffer.alloc(48 * 1024));
    rawOther.emit('data', Buffer.alloc(60 * 1024));
    expect([a.pauses, b.pauses, other.pauses]).toEqual([0, 0, 0]); // each within its second's worth
    rawB.emit('data', Buffer.alloc(80 * 1024)); // 128 KiB: 64 KiB in debt, a second's worth
    expect([a.pauses, b.pauses, other.pauses]).toEqual([1, 1, 0]);
    await nextTurn();
    const lookedThen = looked;
    for (let turn = 0; turn < 3; turn += 1) await nextTurn();
    clock += 900;
    for (let turn = 0; turn < 3; turn += 1) await nextTurn();
    expect([a.resumes, b.resumes]).toEqual([0, 0]); // turns go by, the debt is not paid
    expect(looked).toBe(lookedThen); // and no turn of the share's ran meanwhile: it waits for a timer
    clock += 110; // paid: the timer's turn (in a second) starts them
    await waitFor(() => (a.resumes === 1 && b.resumes === 1 ? true : undefined), 'both read again', 5000);
    rawA.emit('data', Buffer.alloc(1024)); // the bucket is nearly empty: a little more and it is in debt again
    expect(a.pauses).toBe(2);
    clock += 1000;
    await waitFor(() => (a.resumes === 2 ? true : undefined), 'read again', 5000);
    rawA.emit('data', Buffer.alloc(60 * 1024)); // a second later the bucket is whole again
    expect(a.pauses).toBe(2);
    share.stop();
  });

  it('what is read past the share of a turn counts against the rate too', async () => {
    const a = socket();
    const rawA = rawSocket();
    const share = shareOf(0, 32 * 1024, () => {}, [[a, 'upload', rawA]], { bytesPerSecond: 64 * 1024, now: () => 1_000_000 });
    rawA.emit('data', Buffer.alloc(40 * 1024)); // over the turn's share: stopped until the next turn
    await nextTurn();
    expect([a.pauses, a.resumes]).toEqual([1, 1]);
    rawA.emit('data', Buffer.alloc(40 * 1024)); // 80 KiB this second: in debt, so the next turn leaves it stopped
    for (let turn = 0; turn < 3; turn += 1) await nextTurn();
    expect([a.pauses, a.resumes]).toEqual([2, 1]);
    share.stop();
  });

  it('an address with a small debt starts when it is paid, not when a larger debt elsewhere is', async () => {
    let clock = 1_000_000;
    const [a, b] = [socket(), socket()];
    const [rawA, rawB] = [rawSocket(), rawSocket()];
    const share = shareOf(
      0,
      0,
      () => {},
      [
        [a, 'far', rawA],
        [b, 'near', rawB],
      ],
      { bytesPerSecond: 64 * 1024, now: () => clock },
    );
    rawA.emit('data', Buffer.alloc(320 * 1024)); // 4 s in debt
    await nextTurn();
    rawB.emit('data', Buffer.alloc(70 * 1024)); // ~0.1 s in debt
    expect([a.pauses, b.pauses]).toEqual([1, 1]);
    await nextTurn(); // the share's turn: both still in debt
    clock += 150;
    await waitFor(() => (b.resumes === 1 ? true : undefined), 'the near one read again', 3000);
    expect(a.resumes).toBe(0);
    share.stop();
  });
});

/**
 * The most the server read from `game`'s connections in one event-loop turn (this process is the
 * server's: a setImmediate runs once per turn, after its poll phase read the sockets).
 */
function readsPerTurn(served: Served, game: string): { readonly max: number; readonly total: number; stop(): void } {
  const total = () =>
    served.server.connections(game).reduce((sum, player) => sum + ((player.socket as unknown as { _socket?: Socket })._socket?.bytesRead ?? 0), 0);
  let last = total();
  const seen = { max: 0, total: last };
  let timer = setImmediate(function tick() {
    seen.total = total();
    seen.max = Math.max(seen.max, seen.total - last);
    last = seen.total;
    timer = setImmediate(tick);
  });
  return {
    get max() {
      return seen.max;
    },
    get total() {
      return seen.total;
    },
    stop: () => clearImmediate(timer),
  };
}

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
    const reads = readsPerTurn(served, 'flood');
    const before = reads.total;
    for (const client of flooders) for (let n = 0; n < 50; n += 1) client.send({ opcode: 'KEEPALIVE', listener: String(n) });
    const reply = await bystander.request('KEEPALIVE', undefined, 'KEEPALIVE_ACK');
    const floodAnsweredThen = flooders.reduce((sum, client) => sum + answered(client), 0);
    expect(reply.opcode).toBe('KEEPALIVE_ACK');
    // 1,000 packets at 8 a turn take 125 turns; the bystander's one waited for a few of them, not all.
    expect(floodAnsweredThen).toBeLessThan(1000);

    await waitFor(() => (flooders.every((client) => answered(client) === 50) ? true : undefined), 'every KEEPALIVE answered', 20_000);
    reads.stop();
    // Each connection's 50 arrive together (~2.5 KB): once a connection spent the share, the others of
    // its address were not read in that turn. Without stopping them, all 20 were read in the first turn.
    const perConnection = (reads.total - before) / flooders.length;
    expect(reads.max).toBeLessThanOrEqual(4 * perConnection);
    for (const client of flooders) {
      const listeners = client.received.filter((p) => p.opcode === 'KEEPALIVE_ACK').map((p) => p.listener);
      expect(listeners).toEqual(Array.from({ length: 50 }, (_, n) => String(n)));
    }
  });

  it('12 connections of one address each uploading 60 KiB at once: at most the share (and a chunk) read in one turn', async () => {
    const share = 128 * 1024;
    await served.serve({ bytesPerAddressPerTurn: share });
    const uploaders = await Promise.all(Array.from({ length: 12 }, () => served.open('?ugi=upload')));
    for (const [i, client] of uploaders.entries()) await client.request('INIT', { username: `u${i}` }, 'INIT_OK');
    const reads = readsPerTurn(served, 'upload');
    const before = reads.total;
    // Fragments of a message never finished: held by the server, never answered.
    for (const client of uploaders) client.ws.send(Buffer.alloc(60 * 1024, 'a'), { fin: false, binary: false });
    await waitFor(() => (reads.total - before >= 12 * 60 * 1024 ? true : undefined), 'every fragment read', 10_000);
    reads.stop();
    // Without the share, all 720 KiB were read in one turn.
    expect(reads.max).toBeLessThanOrEqual(share + 64 * 1024 + 1024);
    expect(uploaders.every((client) => client.ws.readyState === client.ws.OPEN)).toBe(true);
  });

  it('an address uploading past its rate is read no faster than the rate, and stays connected; another address is answered meanwhile', async () => {
    const rate = 256 * 1024;
    await served.serve({ bytesPerAddressPerSecond: rate, bytesPerAddressPerTurn: 0 });
    const uploaders = await Promise.all(Array.from({ length: 12 }, () => served.open('?ugi=upload')));
    for (const [i, client] of uploaders.entries()) await client.request('INIT', { username: `u${i}` }, 'INIT_OK');
    const bystander = await served.open('?ugi=calm', { localAddress: '127.0.0.2' });
    await bystander.request('INIT', { username: 'calm' }, 'INIT_OK');
    const reads = readsPerTurn(served, 'upload');
    const before = reads.total;
    const sent = 12 * 60 * 1024;
    const started = performance.now();
    for (const client of uploaders) client.ws.send(Buffer.alloc(60 * 1024, 'a'), { fin: false, binary: false });
    const reply = await bystander.request('KEEPALIVE', undefined, 'KEEPALIVE_ACK');
    expect(reply.opcode).toBe('KEEPALIVE_ACK');
    expect(reads.total - before).toBeLessThan(sent); // answered while the upload was still being read
    await waitFor(() => (reads.total - before >= sent ? true : undefined), 'every fragment read', 20_000);
    const seconds = (performance.now() - started) / 1000;
    reads.stop();
    // A second's worth at once, then the rate: at most rate × (1 + t) + one 64 KiB read past it.
    // 720 KiB then take at least (720 − 256 − 64) / 256 ≈ 1.56 s; unlimited, a few milliseconds.
    expect(seconds).toBeGreaterThanOrEqual((sent - rate - 64 * 1024) / rate - 0.05);
    expect(uploaders.every((client) => client.ws.readyState === client.ws.OPEN)).toBe(true);
  });
});
