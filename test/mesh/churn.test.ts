// The churn proof (issue 16): an open mesh lobby of three honest players linked over real WebRTC
// (@roamhq/wrtc), and a churner (a raw `ws` client) joining and leaving at 5 joins a second for 10 s.
// Each landed join makes every member open a link to the churner (an offer and its ICE candidates
// through the server), dropped again when it leaves. No honest member may be rate-limited or
// disconnected, and they stay meshed: with the server's default limits (the churner is refused at its
// source, with the reason), and with every join let through against members whose own rate limit is
// tight (the signals they owe each newcomer are credited to it: signal-credit.ts).
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type RunningServer, type ServerOptions } from '../../src/server/server.js';
import { LOBBY_CHURN_ALLOWED } from '../helpers/churn-limits.js';
import { silentLogger } from '../helpers/logger.js';
import { RawClient } from '../server/helpers.js';
import { fullyMeshed, lobby, type Player, player } from './players.js';
import { until } from '../helpers/until.js';
import { closeAll } from '../helpers/disconnect-all.js';

const JOINS_PER_SECOND = 5;
const CHURN_SECONDS = 10;

let server: RunningServer;
let honest: Player[] = [];
let churner: RawClient | undefined;

afterEach(async () => {
  churner?.close();
  await closeAll(honest);
  honest = [];
  await server.close();
});

interface Watched extends Player {
  warnings: string[];
  closed: boolean;
}

async function team(): Promise<Watched[]> {
  const made = await Promise.all(['ann', 'bob', 'cat'].map((name) => player(server.wsUrl, name)));
  honest = made;
  return made.map((p) => {
    const watched = Object.assign(p, { warnings: [] as string[], closed: false });
    p.session.on('WARNING', (text: string) => watched.warnings.push(text));
    p.session.on('close', () => {
      watched.closed = true;
    });
    return watched;
  });
}

/** Joins and leaves `room` at JOINS_PER_SECOND for CHURN_SECONDS; what each join was answered. */
async function churn(): Promise<string[]> {
  churner = await RawClient.open(`${server.wsUrl}?ugi=mesh`);
  await churner.request('INIT', { username: 'churner' }, 'INIT_OK');
  const answers: string[] = [];
  const started = Date.now();
  for (let i = 0; i < JOINS_PER_SECOND * CHURN_SECONDS; i += 1) {
    const slot = started + (i * 1000) / JOINS_PER_SECOND - Date.now();
    if (slot > 0) await new Promise((resolve) => setTimeout(resolve, slot));
    // Its answer, or a WARNING with its listener (the churner's own rate limit).
    const answer = String((await churner.request('JOIN_LOBBY', { name: 'room', password: '' })).payload);
    answers.push(answer);
    if (answer !== 'ok') continue;
    // Long enough for the members' offers to be on their way, short enough to leave mid-negotiation.
    await new Promise((resolve) => setTimeout(resolve, 100));
    await churner.request('LEAVE_LOBBY', undefined);
  }
  return answers;
}

async function stillMeshed(players: Watched[]): Promise<void> {
  await until(fullyMeshed(players), 'the honest mesh after the churn', 20_000);
  for (const p of players) p.mesh.broadcast(`still here: ${p.name}`);
  await until(
    () => players.every((q) => players.every((p) => p === q || q.messages.some((m) => m.from === p.id && m.payload === `still here: ${p.name}`))),
    'a broadcast round',
  );
  for (const p of players) {
    expect(p.closed).toBe(false);
    expect(p.session.connected).toBe(true);
    // "peer invalid" answers a candidate a member trickled to the churner after it had left: harmless, and no limit.
    expect(p.warnings.filter((text) => text !== 'peer invalid')).toEqual([]);
  }
}

describe('join/leave churn at 5 joins a second on an open mesh lobby', () => {
  it('with the default limits: the churner is refused with the reason; no honest member is limited or dropped', async () => {
    server = await startServer({ port: 0, logger: silentLogger });
    const players = await team();
    await lobby(players);
    const answers = await churn();
    const refused = answers.filter((answer) => answer !== 'ok');
    expect(answers.filter((answer) => answer === 'ok').length).toBeGreaterThan(0);
    expect(refused.length).toBeGreaterThan(answers.length / 2);
    for (const reason of refused) expect(reason).toMatch(/^(joining too often|too many lobby changes): try again in \d+ s$/);
    await stillMeshed(players);
  }, 90_000);

  it('every join let through, members on a tight rate limit: the signals they owe newcomers are not counted against them', async () => {
    const tight: ServerOptions = {
      // A member signalling 5 newcomers a second (an offer and its candidates each) would be far over
      // this on its own budget; the churner's 10 packets a second are within it.
      rateLimit: { perSecond: 12, burst: 24, strikesBeforeViolation: 3 },
      ...LOBBY_CHURN_ALLOWED,
      addressRateLimit: { perSecond: 1_000_000, burst: 1_000_000 },
    };
    server = await startServer({ port: 0, logger: silentLogger, ...tight });
    const players = await team();
    await lobby(players);
    const answers = await churn();
    expect(answers).toEqual(answers.map(() => 'ok'));
    await stillMeshed(players);
  }, 90_000);
});
