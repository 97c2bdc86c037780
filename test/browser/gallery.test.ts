// dist's extension loaded the way TurboWarp loads a gallery extension: the built file's text as an
// unsandboxed URL extension (a <script> given TurboWarp's own `Scratch`) in TurboWarp's VM in
// Chromium, with the real signalling server on 127.0.0.1. It registers with the header's id and the
// docs link; the palette follows the editor's language (German shipped); connect asks
// Scratch.canFetch first and, refused, opens no WebSocket at all and says why; allowed, it connects
// and the server URL is saved in the project.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { cl5 } from '../../examples/lib/define.js';
import { cloudlinkShape } from '../../examples/lib/extension-shape.js';
import { ProjectBuilder, setVar, variable, whenReceived } from '../../examples/lib/project.js';
import { broadcastTo, eventually, type Harness, setVariable, startHarness, valueIn } from './harness.js';

function galleryProject(): Buffer {
  const project = new ProjectBuilder(cloudlinkShape());
  for (const name of ['server', 'name', 'myid', 'err']) project.stage.variable(name, '');
  project.stage
    .script(whenReceived('connect'), cl5('connect', { URL: variable('server'), USERNAME: variable('name') }), setVar('myid', cl5('myId')))
    .script(cl5('whenError'), setVar('err', cl5('lastErrorCode')))
    .script(
      whenReceived('settings'),
      cl5('setGameId', { UGI: 'gallery-game' }),
      cl5('setKeepalive', { SECONDS: 7 }),
      cl5('addIceServer', { URL: 'stun:127.0.0.1:9', USER: '', PASS: '' }),
    );
  return project.toSb3();
}

interface Palette {
  name: string;
  connect: string;
  onOff: string[];
  labels: string[];
  hasDocs: boolean;
}

/** The palette as TurboWarp holds it for the category (runtime._blockInfo), after setLocale(locale). */
function palette(page: Page, locale: string): Promise<Palette> {
  return page.evaluate(async (language) => {
    const vm = window.vm as unknown as {
      setLocale(locale: string, messages?: object): Promise<void>;
      runtime: {
        _blockInfo: {
          id: string;
          name: string;
          blocks: { info: { opcode?: string; text?: string; blockType: string } }[];
          menuInfo: Record<string, { items: { text: string }[] }>;
        }[];
      };
    };
    await vm.setLocale(language, {});
    const category = vm.runtime._blockInfo.find((c) => c.id === 'cloudlink5')!;
    return {
      name: category.name,
      connect: category.blocks.find((b) => b.info.opcode === 'connect')!.info.text!,
      onOff: category.menuInfo.onOff!.items.map((item) => item.text),
      labels: category.blocks.filter((b) => b.info.blockType === 'label').map((b) => b.info.text!),
      hasDocs: JSON.stringify(category).includes('docs/blocks.md'),
    };
  }, locale);
}

describe('dist/cloudlink5.js loaded as TurboWarp loads a gallery extension', () => {
  let harness: Harness;
  let page: Page;

  beforeAll(async () => {
    // The committed file itself (test/build/dist.test.ts keeps it equal to a fresh build).
    harness = await startHarness({ extensionPath: 'dist/cloudlink5.js' });
    harness.serve('gallery.sb3', galleryProject());
    page = await harness.open('gallery.sb3');
    await setVariable(page, 'server', harness.signalling.wsUrl);
    await setVariable(page, 'name', 'gallery');
  }, 60_000);

  afterAll(async () => {
    await harness?.close();
  });

  it("registers under the header's id, unsandboxed, with the docs link", async () => {
    const loaded = await page.evaluate(() => {
      const manager = window.vm.extensionManager as unknown as { isExtensionLoaded(id: string): boolean; getExtensionURLs(): Record<string, string> };
      return { loaded: manager.isExtensionLoaded('cloudlink5'), urls: manager.getExtensionURLs() };
    });
    expect(loaded.loaded).toBe(true);
    expect(loaded.urls.cloudlink5).toBe(`${harness.origin}/extension.js`);
    expect((await palette(page, 'en')).hasDocs).toBe(true);
  });

  it('shows German when the editor is German, English again after', async () => {
    const de = await palette(page, 'de');
    expect(de.connect).toBe('verbinde mit Server [URL] als [USERNAME]');
    expect(de.onOff).toEqual(['an', 'aus']);
    expect(de.labels).toContain('Verbindung');
    const en = await palette(page, 'en');
    expect(en.connect).toBe('connect to server [URL] as [USERNAME]');
    expect(en.onOff).toEqual(['on', 'off']);
    expect(en.name).toBe('CloudLink 5');
  });

  it('connect asks Scratch.canFetch: refused, no WebSocket opens and the error says not-allowed; allowed, it connects', async () => {
    const player = harness.player(page);
    await page.evaluate(() => {
      (window.vm as unknown as { securityManager: { canFetch(url: string): boolean } }).securityManager.canFetch = () => false;
    });
    await broadcastTo(page, 'connect');
    await eventually(
      () => valueIn(page, 'err'),
      (code) => code === 'not-allowed',
      'the error hat saw not-allowed',
    );
    expect(player.sockets).toEqual([]);
    expect(await valueIn(page, 'myid')).toBe('');

    await page.evaluate(() => {
      (window.vm as unknown as { securityManager: { canFetch(url: string): boolean } }).securityManager.canFetch = () => true;
    });
    await broadcastTo(page, 'connect');
    await eventually(
      () => valueIn(page, 'myid'),
      (id) => id !== '',
      'connected',
    );
    expect(player.sockets).toEqual([`${harness.signalling.wsUrl}?ugi=default`]);
    // The server URL is saved in the project, for whoever opens it next.
    const saved = await page.evaluate(() => JSON.parse((window.vm as unknown as { toJSON(): string }).toJSON()).extensionStorage);
    expect(saved).toEqual({ cloudlink5: { url: harness.signalling.wsUrl } });
  });

  it('a project saved as .sb3 and opened in a fresh page (the extension loading from the project) connects with its saved settings', async () => {
    await broadcastTo(page, 'settings');
    const expected = { url: harness.signalling.wsUrl, ugi: 'gallery-game', keepaliveSeconds: 7, iceServers: [{ urls: 'stun:127.0.0.1:9' }] };
    const stored = await eventually(
      () => page.evaluate(() => JSON.parse((window.vm as unknown as { toJSON(): string }).toJSON()).extensionStorage?.cloudlink5),
      (settings) => settings?.iceServers?.length === 1,
      'the settings in the project',
    );
    expect(stored).toEqual(expected);
    const sb3 = await page.evaluate(async () =>
      Array.from(new Uint8Array(await (window.vm as unknown as { saveProjectSb3(type: string): Promise<ArrayBuffer> }).saveProjectSb3('arraybuffer'))),
    );
    harness.serve('saved.sb3', Buffer.from(sb3));
    // Nothing loaded by the page: TurboWarp loads the extension the project names, after it has read
    // the project's extension storage.
    const reopened = await harness.open('saved.sb3', { extension: false, greenFlag: false });
    // The variables were saved too: empty the server (the URL can only come from the saved settings) and my id.
    await setVariable(reopened, 'server', '');
    await setVariable(reopened, 'myid', '');
    await broadcastTo(reopened, 'connect');
    await eventually(
      () => valueIn(reopened, 'myid'),
      (id) => id !== '',
      'the reopened project connected',
    );
    expect(harness.player(reopened).sockets).toEqual([`${harness.signalling.wsUrl}?ugi=gallery-game`]);
  });
});
