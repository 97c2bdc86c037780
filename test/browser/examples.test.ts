// The example projects in TurboWarp with the real extension and the real signalling server:
// examples/*.sb3 are what scripts/build-examples.mjs makes from examples/projects/ today, and
// lobby-chat works between two pages, also with the extension embedded in the project.
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProject, DEFAULT_EXTENSION_URL } from '../../examples/lib/define.js';
import { extensionFileDataURL } from '../../examples/lib/embed.js';
import { cloudlinkShape } from '../../examples/lib/extension-shape.js';
import { readZip } from '../../examples/lib/unzip.js';
import { validateProject } from '../../examples/lib/validate.js';
import dotGame from '../../examples/projects/dot-game.js';
import lobbyChat from '../../examples/projects/lobby-chat.js';
import { eventually, expectClean, startHarness, type Harness, type Player } from './harness.js';

describe('examples/*.sb3', () => {
  it.each([
    ['lobby-chat', lobbyChat],
    ['dot-game', dotGame],
  ])('%s.sb3 is up to date with its source (node scripts/build-examples.mjs rebuilds it)', (name, source) => {
    const built = buildProject(source, cloudlinkShape());
    expect(validateProject(built.toJSON(DEFAULT_EXTENSION_URL))).toEqual([]);
    // Compared unzipped: the bytes are reproducible with one zlib, but another Node's zlib may deflate differently.
    const onDisk = readZip(readFileSync(new URL(`../../examples/${name}.sb3`, import.meta.url)));
    expect(onDisk).toEqual(readZip(built.toSb3(DEFAULT_EXTENSION_URL)));
  });
});

describe('the examples in TurboWarp', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness();
    harness.serve('lobby-chat.sb3', readFileSync(new URL('../../examples/lobby-chat.sb3', import.meta.url)));
    harness.serve('lobby-chat.embedded.sb3', buildProject(lobbyChat, cloudlinkShape()).toSb3(extensionFileDataURL(harness.extensionPath)));
    harness.serve('dot-game.sb3', readFileSync(new URL('../../examples/dot-game.sb3', import.meta.url)));
  }, 60_000);

  afterAll(async () => {
    await harness?.close();
  });

  /** Loads a project without pressing the green flag, points it at the test's server, then presses the flag once. */
  async function join(project: string, name: string, loadExtension: 'url' | 'project'): Promise<Page> {
    const page = await harness.open(project, { username: name, greenFlag: false, loadExtension });
    const player = harness.player(page);
    // Nothing runs before the flag (no script started, so no connect to the project's default server).
    expect(await player.evaluate(() => window.harness.threadCount(), null)).toBe(0);
    expect(await player.getVar('status')).toBe('offline');
    await player.setVar('server', harness.signalling.wsUrl);
    await player.greenFlag();
    await player
      .waitForVar('status', (s) => String(s).startsWith('online'), { timeoutMs: 15_000 })
      .catch(async (error: Error) => {
        throw new Error(`${error.message}; the project's last error: ${JSON.stringify(await player.getVar('problem'))}`);
      });
    // One press of the green flag, one connect: exactly one WebSocket, to the test's server.
    expect(player.sockets).toEqual([expect.stringMatching(new RegExp(`^${harness.signalling.wsUrl}\\?`))]);
    return page;
  }

  /** The page ends clean, and the project's own copy of the last error (the `problem` variable) is empty too. */
  async function clean(player: Player): Promise<void> {
    await expectClean(player);
    expect(await player.getVar('problem')).toBe('');
  }

  it('hosts, joins, chats and shares the score (one page by URL, one with the extension embedded)', async () => {
    const ann = harness.player(await join('lobby-chat.sb3', 'ann', 'url'));
    const bob = harness.player(await join('lobby-chat.embedded.sb3', 'bob', 'project'));
    expect(await bob.evaluate(() => Object.values(window.vm.extensionManager.getExtensionURLs())[0], null)).toMatch(/^data:application\/javascript;base64,/);

    await ann.pressKey('h');
    await ann.waitForVar('status', 'hosting', { timeoutMs: 15_000 });
    await bob.pressKey('j');
    await bob.waitForVar('status', 'joined', { timeoutMs: 15_000 });

    // Both open the channel: talk once it is open on both sides.
    for (const player of [ann, bob]) await player.waitForChannels(['chat'], 1);
    await ann.pressKey(' ');
    await ann.waitFor(() => window.harness.questions.includes('Say something'), null, 'the question');
    await ann.answer('hello from ann');
    await ann.waitForList('chat', ['me: hello from ann']);
    await bob.waitForList('chat', ['ann: hello from ann'], { timeoutMs: 15_000 });

    await ann.pressKey('ArrowUp');
    await bob.waitForVar('score', 1, { timeoutMs: 15_000 });
    await bob.pressKey('ArrowDown');
    await bob.pressKey('ArrowDown');
    await ann.waitForVar('score', -1, { timeoutMs: 15_000 });

    if (process.env.CL5_UPDATE_SCREENSHOTS === '1') {
      await bob.screenshot(new URL('../../docs/images/lobby-chat-bob.png', import.meta.url).pathname, 'page');
    }
    for (const player of [ann, bob]) await clean(player);
  }, 90_000);

  it('dot-game: each player sees the other dot move; the high-score list is shared', async () => {
    const ann = harness.player(await join('dot-game.sb3', 'ann', 'url'));
    const bob = harness.player(await join('dot-game.sb3', 'bob', 'url'));
    await ann.pressKey('h');
    await ann.waitForVar('status', 'hosting', { timeoutMs: 15_000 });
    await bob.pressKey('j');
    await bob.waitForVar('status', 'joined', { timeoutMs: 15_000 });
    for (const player of [ann, bob]) await player.waitForChannels(['x', 'y'], 1);

    const themOn = (player: typeof ann) =>
      player.evaluate(() => {
        const them = window.vm.runtime.getSpriteTargetByName('Them')!;
        return [them.x, them.y];
      }, null);
    for (let i = 0; i < 3; i += 1) await ann.pressKey('ArrowRight');
    await bob.pressKey('ArrowDown');
    // Bob sees ann's dot, ann sees bob's.
    await eventually(
      async () => JSON.stringify([await themOn(bob), await themOn(ann)]),
      (seen) => seen === '[[-70,-80],[-100,-90]]',
      'the dots to follow',
    );

    await ann.pressKey(' ');
    await ann.pressKey(' ');
    await ann.waitForVar('points', 2);
    await ann.pressKey('s');
    await bob.waitForList('high scores', ['ann: 2'], { timeoutMs: 15_000 });
    if (process.env.CL5_UPDATE_SCREENSHOTS === '1') {
      await ann.screenshot(new URL('../../docs/images/dot-game-ann.png', import.meta.url).pathname, 'page');
      await bob.screenshot(new URL('../../docs/images/dot-game-bob.png', import.meta.url).pathname, 'page');
    }
    for (const player of [ann, bob]) await clean(player);
  }, 90_000);
});
