// Many connections crossing a limit at once are cut a few per event-loop turn (paced-cuts.ts), each
// still told why. The server runs in this process so that the test can count the turns: a setImmediate
// chain ticks once per turn, and the logger notes the tick at which each cut was made. Attackers are
// raw TCP sockets on 127.0.0.1 writing frames by hand (bench/lib/raw-ws.mjs).
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { clientFrame, open, type RawWsClient, unfinishedFragment } from '../../bench/lib/raw-ws.mjs';
import { DESTROYS_PER_TURN } from '../../src/server/drop.js';
import { type RunningServer, startServer } from '../../src/server/server.js';
import { waitFor } from '../helpers/server-process.js';
import { RawClient } from './helpers.js';

const FRAGMENT = Buffer.alloc(60 * 1024, 0x61);
const CUTS_PER_TURN = 4;
const ATTACKERS = 60;

let server: RunningServer | undefined;
let clients: RawWsClient[] = [];
let stopTicking = (): void => {};
afterEach(async () => {
  stopTicking();
  for (const client of clients) client.close();
  clients = [];
  await server?.close();
  server = undefined;
});

/** Counts event-loop turns: one tick per turn (an immediate scheduled by an immediate runs in the next turn). */
function turnCounter(): { now: () => number } {
  let turn = 0;
  let ticking = true;
  const tick = (): void => {
    turn += 1;
    if (ticking) setImmediate(tick);
  };
  setImmediate(tick);
  stopTicking = () => (ticking = false);
  return { now: () => turn };
}

/** A server whose log records the turn of every violation it cuts. */
async function pacedServer(options: Parameters<typeof startServer>[0]) {
  const turns = turnCounter();
  const cutAt = new Map<string, number[]>();
  server = await startServer({
    port: 0,
    cutsPerTurn: CUTS_PER_TURN,
    pingIntervalMs: 60_000,
    logger: (_level, event) => {
      if (event.startsWith('violation.')) cutAt.set(event, [...(cutAt.get(event) ?? []), turns.now()]);
    },
    ...options,
    // Every attacker is 127.0.0.1: the rate of new connections per address (and its cost of each cut) would refuse them.
    admission: { connectionsPerSecond: 0, ...options?.admission },
  });
  return { port: server.port, cutAt, turns };
}

/** `count` raw connections that never INIT; the server's close frame and what it sent are kept on each. */
async function attackers(port: number, count: number): Promise<RawWsClient[]> {
  const all = await Promise.all(Array.from({ length: count }, () => open(port, '/?ugi=attack')));
  for (const client of all) client.socket.on('error', () => {});
  clients.push(...all);
  return all;
}

/** The cuts (the turn of each) were `count` when given, and at most CUTS_PER_TURN were made in one turn. */
function expectPaced(turns: number[] | undefined, what: string, count?: number): void {
  const perTurn = new Map<number, number>();
  for (const turn of turns ?? []) perTurn.set(turn, (perTurn.get(turn) ?? 0) + 1);
  const busiest = Math.max(...perTurn.values());
  console.log(`${turns?.length ?? 0} ${what}: cut in ${perTurn.size} turns, at most ${busiest} a turn`);
  if (count !== undefined) expect(turns).toHaveLength(count);
  expect(busiest).toBeLessThanOrEqual(CUTS_PER_TURN);
}

const closed = (all: RawWsClient[]) => (all.every((client) => client.closeFrame) ? true : undefined);

describe('violations cut a few per turn', () => {
  it(`${ATTACKERS} frames over the size limit at once: at most ${CUTS_PER_TURN} cut per turn, each told (VIOLATION, 1009)`, async () => {
    const { port, cutAt } = await pacedServer({});
    const all = await attackers(port, ATTACKERS);
    // Two 60 KiB fragments of one message: over the 64 KiB limit as the second one's header arrives.
    const over = Buffer.concat([unfinishedFragment(FRAGMENT, true), unfinishedFragment(FRAGMENT, false)]);
    for (const client of all) client.write(over);
    await waitFor(() => closed(all), 'every attacker told', 20_000);
    for (const client of all) {
      expect(client.closeFrame!.code).toBe(1009);
      expect(client.inbox).toContain(JSON.stringify({ opcode: 'VIOLATION', payload: 'frame too large: over 65536 bytes' }));
    }
    expectPaced(cutAt.get('violation.size'), 'oversized', ATTACKERS);
  }, 60_000);

  it(`${ATTACKERS} sockets missing the INIT deadline together: at most ${CUTS_PER_TURN} cut per turn, each told (VIOLATION, 1008)`, async () => {
    const { port, cutAt } = await pacedServer({ admission: { initDeadlineMs: 300 } });
    const all = await attackers(port, ATTACKERS);
    await waitFor(() => closed(all), 'every socket told', 20_000);
    for (const client of all) expect(client.closeFrame).toEqual({ code: 1008, reason: 'no INIT within 0.3 s' });
    expectPaced(cutAt.get('violation.no_init'), 'without INIT', ATTACKERS);
  }, 60_000);

  it(`${ATTACKERS} connections over the rate limit together: at most ${CUTS_PER_TURN} cut per turn, each told (VIOLATION, 1008)`, async () => {
    const { port, cutAt } = await pacedServer({
      rateLimit: { perSecond: 1, burst: 1, strikesBeforeViolation: 3 },
      addressRateLimit: { perSecond: 1_000_000, burst: 1_000_000 },
      packetsPerAddressPerTurn: 0,
    });
    const all = await attackers(port, ATTACKERS);
    const flood = Buffer.concat(Array.from({ length: 10 }, () => clientFrame('{"opcode":"KEEPALIVE"}')));
    for (const client of all) client.write(flood);
    await waitFor(() => closed(all), 'every flooder told', 20_000);
    for (const client of all) {
      expect(client.closeFrame!.code).toBe(1008);
      expect(client.inbox).toContain(JSON.stringify({ opcode: 'VIOLATION', payload: 'too many packets: rate limit exceeded repeatedly' }));
    }
    expectPaced(cutAt.get('violation.rate'), 'over the rate limit', ATTACKERS);
  }, 60_000);

  const FLOODERS = 160;
  it(`violators cut in one turn are let go of at their close deadline ${DESTROYS_PER_TURN} a turn, not all at once`, async () => {
    // Cut within a few turns (no pacing of cuts here), so their deadlines fall within a few ms: ws's own close
    // timers let 23–25 go in one turn.
    const { port, turns } = await pacedServer({
      cutsPerTurn: FLOODERS,
      rateLimit: { perSecond: 1, burst: 1, strikesBeforeViolation: 3 },
      addressRateLimit: { perSecond: 1_000_000, burst: 1_000_000 },
      packetsPerAddressPerTurn: 0,
    });
    const all = await attackers(port, FLOODERS);
    for (const [i, client] of all.entries()) client.send(JSON.stringify({ opcode: 'INIT', payload: { username: `flooder${i}` } }));
    // The server reads them no further, so it never sees their answer: each of its sockets goes at its deadline.
    const endedAt: number[] = [];
    const sockets = await waitFor(() => {
      const players = server!.connections('attack');
      return players.length === FLOODERS ? players.map((player) => (player.socket as unknown as { _socket: Socket })._socket) : undefined;
    }, 'the attackers connected');
    for (const socket of sockets) socket.on('close', () => endedAt.push(turns.now()));
    const flood = Buffer.concat(Array.from({ length: 10 }, () => clientFrame('{"opcode":"KEEPALIVE"}')));
    for (const client of all) client.write(flood);
    await waitFor(() => closed(all), 'every flooder told', 20_000);
    await waitFor(() => (endedAt.length === FLOODERS ? true : undefined), 'every socket let go of', 20_000);
    const perTurn = new Map<number, number>();
    for (const turn of endedAt) perTurn.set(turn, (perTurn.get(turn) ?? 0) + 1);
    console.log(`${FLOODERS} sockets let go of in ${perTurn.size} turns, at most ${Math.max(...perTurn.values())} a turn`);
    expect(Math.max(...perTurn.values())).toBeLessThanOrEqual(DESTROYS_PER_TURN);
  }, 60_000);

  it('the incoming budget sheds holders a few per turn, each told (VIOLATION, 1013); a player elsewhere is served meanwhile', async () => {
    // 256 KiB of unfinished messages in all: 60 holders of 60 KiB each are ~14 over it.
    const { port, cutAt } = await pacedServer({ incoming: { maxBytes: 256 * 1024, deadlineMs: 0 } });
    const honest = await RawClient.open(`ws://127.0.0.1:${port}/?ugi=other`);
    await honest.request('INIT', { username: 'honest' }, 'INIT_OK');
    const all = await attackers(port, ATTACKERS);
    for (const client of all) client.write(unfinishedFragment(FRAGMENT, true));
    // Shedding stops once a quarter of the budget is free again: most holders are cut, the last few hold on.
    await waitFor(() => ((cutAt.get('violation.incoming')?.length ?? 0) >= ATTACKERS - 4 ? true : undefined), 'holders shed', 20_000);
    expect((await honest.sync()).opcode).toBe('KEEPALIVE_ACK');
    const logged = cutAt.get('violation.incoming')!.length;
    const shed = await waitFor(
      () => {
        const told = all.filter((client) => client.closeFrame);
        return told.length >= logged ? told : undefined;
      },
      'the shed told',
      10_000,
    );
    for (const client of shed) {
      expect(client.closeFrame!.code).toBe(1013);
      expect(client.closeFrame!.reason).toContain('unfinished message was dropped');
      expect(client.inbox.some((text) => text.includes('"VIOLATION"'))).toBe(true);
    }
    expectPaced(cutAt.get('violation.incoming'), `of ${ATTACKERS} holders shed`);
    honest.close();
  }, 60_000);
});
