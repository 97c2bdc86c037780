// Three players, each a Chromium page running TurboWarp's runtime (compiler on) with our built
// extension, in one lobby through the real server: messages, named channels, sync, host
// migration (the host's page closes) and kick — all over the browser's own WebRTC.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { broadcastTo, eventually, expectClean, setVariable, startHarness, valueIn, type Harness } from './harness.js';
import { lobbyProject } from './lobby-project.js';
import { browserPlayer } from './players.js';

let harness: Harness;
let ann: Page, bob: Page, cat: Page;
const ids: Record<string, string> = {};

async function player(name: string, role: 'host' | 'join'): Promise<Page> {
  const { page, id } = await browserPlayer(harness, name, role);
  ids[name] = id;
  await broadcastTo(page, 'sync');
  return page;
}

const inbox = async (page: Page) => ((await valueIn(page, 'inbox', 'list')) as string[]).slice().sort();
const synced = async (page: Page) => JSON.stringify([await valueIn(page, 'score'), await valueIn(page, 'log', 'list')]);

beforeAll(async () => {
  harness = await startHarness();
  harness.serve('lobby.sb3', lobbyProject());
  ann = await player('ann', 'host');
  bob = await player('bob', 'join');
  cat = await player('cat', 'join');
  for (const page of [ann, bob, cat])
    await eventually(
      () => valueIn(page, 'links'),
      (n) => n === 2,
      'a full mesh of three pages',
    );
}, 60_000);

afterAll(async () => {
  await harness?.close();
});

describe('three TurboWarp pages in one lobby', () => {
  it('delivers broadcasts on default and named ordered/fast channels, each to its own hat', async () => {
    await broadcastTo(ann, 'openchannels');
    // Every page opens both channels towards both others before anyone talks on them.
    for (const page of [ann, bob, cat]) await harness.player(page).waitForChannels(['chat', 'moves'], 2);
    await broadcastTo(bob, 'say');
    for (const page of [ann, cat]) {
      await eventually(
        () => inbox(page),
        (items) => items.length === 3,
        'three messages',
      );
      expect(await inbox(page)).toEqual(['chat:hi from bob', 'default:on default', 'moves:pos of bob']);
    }
    expect(await inbox(bob)).toEqual([]);
  });

  it("gives the links no ICE server: the test's server is on 127.0.0.1, so nothing goes to a public STUN server", async () => {
    for (const page of [ann, bob, cat]) {
      const servers = await harness.player(page).iceServers();
      expect(servers.length).toBeGreaterThanOrEqual(2);
      expect(servers.filter((list) => list.length > 0)).toEqual([]);
    }
  });

  it('delivers a private message to its one recipient, with the sender', async () => {
    await setVariable(ann, 'target', ids.cat!);
    await broadcastTo(ann, 'dm');
    await eventually(
      () => inbox(cat),
      (items) => items.some((i) => i.startsWith('dm:')),
      'the private message',
    );
    expect((await inbox(cat)).filter((i) => i.startsWith('dm:'))).toEqual([`dm:secret from ann<${ids.ann}>`]);
    expect((await inbox(bob)).filter((i) => i.startsWith('dm:'))).toEqual([]);
  });

  it('keeps a networked variable and list in sync, through edits and a 100-edit burst', async () => {
    await broadcastTo(bob, 'edits');
    await eventually(
      () => synced(cat),
      (s) => s === JSON.stringify([15, ['first', 'second']]),
      'edits on cat',
    );
    await broadcastTo(cat, 'burst');
    const expected = JSON.stringify([115, ['first', 'second', ...Array(100).fill('cat-x')]]);
    for (const page of [ann, bob, cat])
      await eventually(
        () => synced(page),
        (s) => s === expected,
        'burst everywhere',
      );
  });

  it('migrates the host when the host page closes; the others keep talking', async () => {
    await ann.close();
    await eventually(
      () => valueIn(bob, 'mode'),
      (mode) => mode === 'host',
      'bob becomes host',
    );
    await eventually(
      () => valueIn(cat, 'hostid'),
      (id) => id === ids.bob,
      'cat learns the new host',
    );
    // PEER_LEFT follows NEW_HOST; its hat's script runs in a frame of its own.
    await eventually(
      () => valueIn(cat, 'left'),
      (n) => n === 1,
      'cat sees the old host leave',
    );
    await setVariable(bob, 'target', ids.cat!);
    await broadcastTo(bob, 'dm');
    await eventually(
      () => inbox(cat),
      (items) => items.includes(`dm:secret from bob<${ids.bob}>`),
      'a message after migration',
    );
    // The host leaving is no error for the others.
    for (const page of [bob, cat]) await expectClean(harness.player(page));
  });

  it('kicks a player: they leave the lobby, the host sees them go', async () => {
    await setVariable(bob, 'target', ids.cat!);
    await broadcastTo(bob, 'kick');
    await eventually(
      () => valueIn(cat, 'mode'),
      (mode) => mode === 'none',
      'cat kicked',
    );
    await eventually(
      () => valueIn(bob, 'left'),
      (n) => n === 2,
      'bob sees cat leave',
    );
    // Being kicked is the one error here, and only on cat's page.
    await expectClean(harness.player(bob));
    await expectClean(harness.player(cat), { lastError: /kicked/ });
  });
});
