// The signals a lobby joining at once costs (issue 17): 8 players on real WebRTC (@roamhq/wrtc) join
// one lobby at the same moment. What the server relays is counted where it arrives (each receiver's
// session), and what the receivers' WebRTC refused where it is refused (addIceCandidate). Not timed:
// the assertions hold however busy the machine is.
import wrtc from '@roamhq/wrtc';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { silentLogger } from '../helpers/logger.js';
import { fullyMeshed, type Player, player } from './players.js';
import { until } from '../helpers/until.js';
import { closeAll } from '../helpers/disconnect-all.js';

const SIZE = 8;
const LINKS = (SIZE * (SIZE - 1)) / 2;

let server: RunningServer;
let players: Player[] = [];

beforeEach(async () => {
  server = await startServer({ port: 0, logger: silentLogger });
});
afterEach(async () => {
  await closeAll(players);
  players = [];
  await server.close();
});

/** @roamhq/wrtc whose connections count the remote candidates they refused. */
function countingWrtc(refused: string[]): object {
  const Native = wrtc.RTCPeerConnection;
  class Counting extends Native {
    override addIceCandidate(candidate: RTCIceCandidateInit): Promise<void> {
      return super.addIceCandidate(candidate).catch((error: Error) => {
        refused.push(`${candidate.candidate}: ${error.message}`);
        throw error;
      });
    }
  }
  return { ...wrtc, RTCPeerConnection: Counting };
}

describe('signals while a lobby joins at once', () => {
  it(`${SIZE} players: a full mesh with no TCP candidate relayed, each candidate once per link, none refused, no retry, ≤ 15 signals per link`, async () => {
    const refused: string[] = [];
    players = await Promise.all(Array.from({ length: SIZE }, (_, i) => player(server.wsUrl, `p${i}`, { wrtc: countingWrtc(refused), relayFallbackMs: 0 })));
    // What the server relayed, as each receiver got it: [from, to, opcode, candidate line].
    const relayed: [string, string, string, string][] = [];
    for (const p of players)
      for (const opcode of ['MAKE_OFFER', 'MAKE_ANSWER', 'ICE'] as const)
        p.session.on(opcode, (payload, origin) => {
          const contents = payload.contents as { candidate?: { candidate?: string } };
          relayed.push([origin.instance_id, p.id, opcode, contents.candidate?.candidate ?? '']);
        });
    const [host, ...rest] = players;
    await host!.session.createLobby({ name: 'all-at-once' });
    await Promise.all(rest.map((p) => p.session.joinLobby('all-at-once')));
    await until(fullyMeshed(players), `a full mesh of ${SIZE}`, 60_000);

    const candidates = relayed.filter(([, , opcode]) => opcode === 'ICE').map(([from, to, , line]) => `${from}>${to} ${line}`);
    expect(candidates.filter((c) => / tcp /i.test(c))).toEqual([]);
    expect(candidates.length).toBeGreaterThan(0);
    expect(new Set(candidates).size).toBe(candidates.length);
    expect(refused).toEqual([]);
    // One offer per link: no link was timed out and opened again.
    expect(relayed.filter(([, , opcode]) => opcode === 'MAKE_OFFER')).toHaveLength(LINKS);
    expect(players.flatMap((p) => p.errors)).toEqual([]);
    expect(relayed.length / LINKS).toBeLessThanOrEqual(15);
  }, 90_000);
});
