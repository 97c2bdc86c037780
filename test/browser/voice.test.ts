// Voice between Chromium pages with the fake microphone: rings / answered / declined / hung up on
// the right sides, the Web Audio graph's volume and 3-D position, audio really arriving, and the
// renegotiation going between the two callers only (never through the lobby host).
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { broadcastTo, eventually, expectClean, setVariable, startHarness, valueIn, type Harness } from './harness.js';
import { lobbyProject } from './lobby-project.js';
import { browserPlayer } from './players.js';

let harness: Harness;
let host: { page: Page; id: string }, bob: { page: Page; id: string }, cat: { page: Page; id: string };
const hostSignals: string[] = [];

const calls = async (page: Page) => (await valueIn(page, 'calls', 'list')) as string[];
/** Runs "voiceinfo" and reads one of the variables it sets: asked again on every poll, so the reading is fresh. */
const fresh = (page: Page, name: string) => async () => {
  await broadcastTo(page, 'voiceinfo');
  return valueIn(page, name);
};

beforeAll(async () => {
  harness = await startHarness();
  harness.serve('lobby.sb3', lobbyProject());
  host = await browserPlayer(harness, 'host', 'host');
  bob = await browserPlayer(harness, 'bob', 'join');
  cat = await browserPlayer(harness, 'cat', 'join');
  for (const p of [host, bob, cat])
    await eventually(
      () => valueIn(p.page, 'links'),
      (n) => n === 2,
      'full mesh',
    );
  // Tap every signal the server relays to or from the host from now on.
  for (const player of harness.signalling.connections('browser')) {
    player.socket.on('message', (data) => {
      const packet = JSON.parse(String(data)) as { opcode: string; recipient?: string };
      if (['MAKE_OFFER', 'MAKE_ANSWER', 'ICE'].includes(packet.opcode) && (player.id === host.id || packet.recipient === host.id))
        hostSignals.push(packet.opcode);
    });
  }
  for (const p of [bob, cat]) {
    await broadcastTo(p.page, 'mic');
    await eventually(
      () => valueIn(p.page, 'mic'),
      (v) => v === true,
      'microphone granted',
    );
  }
}, 60_000);

afterAll(async () => {
  await harness?.close();
});

describe('voice calls in the browser', () => {
  it('rings the callee and tells the caller when it is answered; audio flows into Web Audio', async () => {
    await setVariable(bob.page, 'target', cat.id);
    await setVariable(cat.page, 'target', bob.id);
    await broadcastTo(bob.page, 'call');
    await eventually(
      () => calls(cat.page),
      (c) => c.includes(`ringing:${bob.id}`),
      'cat rings',
    );
    await eventually(fresh(cat.page, 'state'), (s) => s === 'ringing', 'cat sees a ringing call');

    await broadcastTo(cat.page, 'answer');
    await eventually(
      () => calls(bob.page),
      (c) => c.includes(`answered:${cat.id}`),
      'bob hears it was answered',
    );
    for (const p of [bob, cat]) {
      await eventually(fresh(p.page, 'state'), (s) => s === 'in call', 'in call on both sides');
    }
    // The fake microphone plays a tone: the remote voice is audible (non-zero RMS) on both sides.
    for (const p of [bob, cat]) {
      await eventually(fresh(p.page, 'vloud'), (loudness) => Number(loudness) > 0.001, 'audio frames arriving');
    }
  });

  it('applies per-player volume and x/y/z position to the audio graph', async () => {
    await broadcastTo(bob.page, 'voicesettings');
    // Both scripts may run in one frame, "voiceinfo" first: ask again until it reads the new graph.
    await eventually(fresh(bob.page, 'vvol'), (v) => v === 35, 'gain 0.35');
    expect([await valueIn(bob.page, 'vx'), await valueIn(bob.page, 'vy'), await valueIn(bob.page, 'vz')]).toEqual([10, -5, 2]);
  });

  it('hangs up on both sides', async () => {
    await broadcastTo(bob.page, 'hangup');
    await eventually(
      () => calls(bob.page),
      (c) => c.includes(`hungup:${cat.id}`),
      'bob hung up',
    );
    await eventually(
      () => calls(cat.page),
      (c) => c.includes(`hungup:${bob.id}`),
      'cat sees the hang-up',
    );
    await eventually(fresh(cat.page, 'state'), (s) => s === 'idle', 'idle again');
  });

  it('tells the caller when the call is declined', async () => {
    await broadcastTo(bob.page, 'call');
    await eventually(
      () => calls(cat.page),
      (c) => c.filter((e) => e === `ringing:${bob.id}`).length === 2,
      'rings again',
    );
    await broadcastTo(cat.page, 'decline');
    await eventually(
      () => calls(bob.page),
      (c) => c.includes(`declined:${cat.id}`),
      'bob hears the decline',
    );
  });

  it('never needed the lobby host for the renegotiations', () => {
    expect(hostSignals).toEqual([]);
  });

  it('ends with every page clean: nothing blocked, no page error, no last error', async () => {
    for (const p of [host, bob, cat]) await expectClean(harness.player(p.page));
  });
});
