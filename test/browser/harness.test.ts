// The browser harness itself, on a stand-in extension (fixtures/probe-extension.js): TurboWarp's VM
// in Chromium loads an unsandboxed URL extension and a generated project with the compiler on, runs
// the extension's command, reporter, boolean and hat blocks, and the test helpers read, write and
// broadcast; a project with the extension embedded as a data: URL loads alone; the fake microphone
// works; a screenshot shows the stage rendered; a page reaches only the WebSockets the test allows;
// everything is closed and removed afterwards.
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { validateProject } from '../../examples/lib/validate.js';
import { readZip } from '../../examples/lib/unzip.js';
import { probeProject, probeProjectBuilder, probeProjectEmbedded, PROBE_PATH } from './fixtures/probe-project.js';
import { expectClean, openPlayers, type Players } from './turbowarp.js';

// docs/images/harness-stage.png is refreshed only on request (CL5_UPDATE_SCREENSHOTS=1).
const DOCS_SCREENSHOT = fileURLToPath(new URL('../../docs/images/harness-stage.png', import.meta.url));

describe('the generated project', () => {
  it('is byte-identical when built twice, and its blocks are well linked', () => {
    expect(probeProject().equals(probeProject())).toBe(true);
    expect(probeProjectEmbedded().equals(probeProjectEmbedded())).toBe(true);
    const json = probeProjectBuilder().toJSON('data:application/javascript;base64,AA==') as { extensionURLs: Record<string, string> };
    expect(validateProject(json)).toEqual([]);
    expect(json.extensionURLs).toEqual({ probe: 'data:application/javascript;base64,AA==' });
    const files = readZip(probeProject());
    expect(files.map((f) => f.name)).toEqual(['project.json', expect.stringMatching(/^[0-9a-f]{32}\.svg$/)]);
  });
});

describe('TurboWarp in Chromium', () => {
  let players: Players;

  beforeAll(async () => {
    players = await openPlayers(2, { extensionPath: PROBE_PATH, project: probeProject(), usernames: ['ann', 'bob'] });
  }, 60_000);

  afterAll(async () => {
    await players?.close();
  });

  it('runs the unsandboxed extension with the compiler on', async () => {
    for (const player of players.pages) {
      expect(await player.evaluate(() => window.vm.runtime.compilerOptions.enabled, null)).toBe(true);
      await player.waitForVar('out', 'hello world');
      expect(await player.getVar('doubled')).toBe(42);
      expect(await player.getVar('unsandboxed')).toBe(true);
      expect(await player.getVar('where')).toBe(players.origin);
      expect(await player.getList('events')).toEqual(['flag']);
      // The forever loop runs compiled, frame after frame.
      await player.waitForVar('ticks', (ticks) => Number(ticks) > 5);
      expect(
        await player.evaluate(
          () => window.vm.runtime.threads.length > 0 && window.vm.runtime.threads.every((t: { isCompiled: boolean }) => t.isCompiled),
          null,
        ),
      ).toBe(true);
      expect(await player.evaluate(() => window.vm.extensionManager.getExtensionURLs(), null)).toEqual({ probe: `${players.origin}/extension.js` });
      await expectClean(player, { lastError: null });
    }
  });

  it('broadcasts, starts an extension hat with its field matched, and reads and writes variables per page', async () => {
    const [ann, bob] = players.pages as [NonNullable<Players['pages'][number]>, NonNullable<Players['pages'][number]>];
    expect(await ann.broadcast('poke')).toBe(1);
    await ann.waitForList('events', ['flag', 'poked a']);
    await ann.setVar('fromTest', 'ping');
    await ann.broadcast('echo');
    await ann.waitForList('events', ['flag', 'poked a', 'echo:ping']);
    await ann.setList('events', ['x', 'y']);
    expect(await ann.getList('events')).toEqual(['x', 'y']);
    // The other page has its own VM.
    expect(await bob.getList('events')).toEqual(['flag']);
    expect((await bob.snapshot()).Stage).toMatchObject({ out: 'hello world', doubled: 42, events: ['flag'] });
    await ann.waitFor((n) => window.vm.runtime.ioDevices.userData.getUsername() === n, 'ann', 'the username');
    await expect(ann.waitForVar('out', 'never', { timeoutMs: 200 })).rejects.toThrow(/Stage.out is "hello world" after 200 ms/);
  });

  it('gives pages the fake microphone, with sound on it', async () => {
    const [ann] = players.pages;
    const result = await ann!.evaluate(async () => {
      const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
      const track = stream.getAudioTracks()[0]!;
      const context = new AudioContext();
      const analyser = context.createAnalyser();
      context.createMediaStreamSource(stream).connect(analyser);
      const samples = new Float32Array(analyser.fftSize);
      let peak = 0;
      for (let i = 0; i < 40 && peak === 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        analyser.getFloatTimeDomainData(samples);
        for (const s of samples) peak = Math.max(peak, Math.abs(s));
      }
      const info = { tracks: stream.getAudioTracks().length, state: track.readyState, label: track.label, peak };
      track.stop();
      await context.close();
      return info;
    }, null);
    expect(result.tracks).toBe(1);
    expect(result.state).toBe('live');
    expect(result.peak).toBeGreaterThan(0);
  });

  it('renders the stage (screenshot in docs/images/)', async () => {
    const png = await players.pages[0]!.screenshot(process.env.CL5_UPDATE_SCREENSHOTS === '1' ? DOCS_SCREENSHOT : join(players.tempDir, 'stage.png'));
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    // The scaled-up green sprite is there: some pixel is the costume's colour.
    const green = await players.pages[0]!.evaluate(async () => {
      // The renderer's own snapshot of the stage, read back through a 2-D canvas.
      const url = await new Promise<string>((resolve) => window.vm.renderer.requestSnapshot(resolve));
      const image = new Image();
      image.src = url;
      await image.decode();
      const canvas = document.createElement('canvas');
      canvas.width = image.width;
      canvas.height = image.height;
      const context = canvas.getContext('2d')!;
      context.drawImage(image, 0, 0);
      const { data } = context.getImageData(0, 0, canvas.width, canvas.height);
      let count = 0;
      for (let i = 0; i < data.length; i += 4) if (data[i]! < 60 && data[i + 1]! > 150 && data[i + 2]! > 100 && data[i + 2]! < 180) count++;
      return count;
    }, null);
    expect(green).toBeGreaterThan(1000);
  });

  it('loads a project whose extension is embedded as a data: URL, with nothing loaded first', async () => {
    const embedded = await openPlayers(1, { project: probeProjectEmbedded(), loadExtension: 'project' });
    try {
      const [player] = embedded.pages;
      await player!.waitForVar('out', 'hello world');
      expect(await player!.getVar('unsandboxed')).toBe(true);
      const urls = await player!.evaluate(() => window.vm.extensionManager.getExtensionURLs(), null);
      expect(urls.probe).toMatch(/^data:application\/javascript;base64,/);
      await expectClean(player!, { lastError: null });
    } finally {
      await embedded.close();
    }
    expect(existsSync(embedded.tempDir)).toBe(false);
  }, 60_000);

  it('lets a page open WebSockets only to the URLs the test allows; any other is refused before the network and listed', async () => {
    const allowed = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    const other = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    const reached = { allowed: 0, other: 0 };
    allowed.on('connection', () => {
      reached.allowed += 1;
    });
    other.on('connection', () => {
      reached.other += 1;
    });
    await Promise.all([allowed, other].map((server) => new Promise((done) => server.once('listening', done))));
    const url = (server: WebSocketServer) => `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const guarded = await openPlayers(1, { extensionPath: PROBE_PATH, project: probeProject(), webSockets: [url(allowed)] });
    try {
      const [player] = guarded.pages;
      const outcome = (target: string) =>
        player!.evaluate(
          (to) =>
            new Promise<string>((resolve) => {
              const socket = new WebSocket(to);
              socket.onopen = () => {
                socket.close();
                resolve('open');
              };
              socket.onclose = (event) => resolve(`closed ${event.code}`);
            }),
          target,
        );
      expect(await outcome(`${url(allowed)}?ugi=x`)).toBe('open');
      expect(await outcome(url(other))).toBe('closed 1006');
      expect(await outcome('ws://127.0.0.1:3000/')).toBe('closed 1006');
      expect(player!.blocked).toEqual([url(other), 'ws://127.0.0.1:3000/']);
      expect(player!.sockets).toEqual([`${url(allowed)}?ugi=x`]);
      expect(reached).toEqual({ allowed: 1, other: 0 });
      player!.blocked.length = 0;
      await expectClean(player!, { lastError: null });
    } finally {
      await guarded.close();
      for (const server of [allowed, other]) await new Promise((done) => server.close(done));
    }
  }, 60_000);

  it('ends with every page clean (nothing blocked, no page error, no CloudLink 5 on the probe pages)', async () => {
    for (const player of players.pages) await expectClean(player, { lastError: null });
  });

  it('closes everything it opened', async () => {
    const extra = await openPlayers(1, { extensionPath: PROBE_PATH, project: probeProject() });
    const { tempDir, origin, profileDir } = extra;
    expect(profileDir).toMatch(/playwright_chromiumdev_profile-/);
    expect(existsSync(profileDir!)).toBe(true);
    await extra.close();
    expect(existsSync(profileDir!)).toBe(false);
    expect(existsSync(tempDir)).toBe(false);
    expect(extra.browser.isConnected()).toBe(false);
    await expect(fetch(`${origin}/player.html`)).rejects.toThrow();
  }, 60_000);
});
