// The connection settings travel with the project: set them with the blocks in TurboWarp's VM, save
// the project (vm.toJSON(), the project.json inside the .sb3), load it into a fresh TurboWarp VM,
// and the settings are back (the client gets the STUN/TURN list and relay-only, "connect" uses the
// saved server, game id, encryption and keepalive). scratch-vm (npm), which has no extensionStorage,
// keeps them in memory and saves nothing.
import { afterAll, describe, expect, it } from 'vitest';
import { cl5 } from '../../examples/lib/define.js';
import { cloudlinkShape, nodeScratch } from '../../examples/lib/extension-shape.js';
import { block, ProjectBuilder } from '../../examples/lib/project.js';
import { createExtension } from '../../blocks/extension.js';
import type { BlockUtil, ScratchRuntime } from '../../blocks/scratch.js';
import { close, type ContractVm, load, registerExtension, vmVariants } from '../contracts/vms.js';
import { fakeClient, fakeSync } from '../blocks/fakes.js';
import { turbowarpForFile } from '../sync/turbowarp.js';

const turbowarp = turbowarpForFile();
const [scratchVm, turbowarpVm] = vmVariants;
const vms: ContractVm[] = [];
afterAll(() => vms.forEach(close));

/** A project that uses CloudLink 5 (TurboWarp saves extension storage only for extensions in use). */
function project(): object {
  const p = new ProjectBuilder(cloudlinkShape());
  p.stage.script(block('event_whenflagclicked'), cl5('connect', { URL: '', USERNAME: 'me' }));
  return p.toJSON();
}

function player(make: () => ContractVm) {
  const vm = make();
  vms.push(vm);
  const client = fakeClient();
  const extension = createExtension(nodeScratch(vm.runtime as unknown as ScratchRuntime), client, fakeSync());
  registerExtension(vm, extension as { getInfo(): { id: string } });
  const util = { target: vm.runtime.getTargetForStage(), thread: {} } as unknown as BlockUtil;
  const run = (opcode: string, args: object = {}) => (extension[opcode] as (a: object, u: BlockUtil) => unknown)(args, util);
  return { vm, client, run };
}

const saved = { url: 'ws://127.0.0.1:3000/', ugi: 'space-race', encryption: true, keepaliveSeconds: 5, relayOnly: true };
const turn = { urls: 'turn:turn.example:3478', username: 'u', credential: 'p' };

async function setEverything(author: ReturnType<typeof player>) {
  await load(author.vm, project());
  author.run('setGameId', { UGI: 'space-race' });
  author.run('setEncryption', { ONOFF: 'on' });
  author.run('setKeepalive', { SECONDS: 5 });
  author.run('addIceServer', { URL: 'turn:turn.example:3478', USER: 'u', PASS: 'p' });
  author.run('setRelayOnly', { ONOFF: 'on' });
  author.run('setToken', { TOKEN: 'secret' });
  await author.run('connect', { URL: 'ws://127.0.0.1:3000/', USERNAME: 'author' });
}

describe('connection settings saved in the project', () => {
  it(`${turbowarpVm!.name}: a fresh VM that loads the saved project connects with what its author set`, async () => {
    const author = player(() => turbowarpVm!.make(turbowarp()));
    await setEverything(author);
    const json = JSON.parse((author.vm as unknown as { toJSON(): string }).toJSON()) as { extensionStorage?: Record<string, unknown> };
    // In project.json, without the token (a player's secret).
    expect(json.extensionStorage?.cloudlink5).toEqual({ ...saved, iceServers: [turn] });

    const other = player(() => turbowarpVm!.make(turbowarp()));
    await load(other.vm, json);
    expect(other.client.calls).toContainEqual(['setIceServers', [turn]]);
    expect(other.client.calls).toContainEqual(['setRelayOnly', true]);
    await other.run('connect', { URL: '', USERNAME: 'player' });
    expect(other.client.calls.at(-1)).toEqual(['connect', { url: saved.url, username: 'player', ugi: 'space-race', encryption: true, keepaliveSeconds: 5 }]);

    // A project without saved settings brings the defaults back (nothing carries over between projects).
    await load(other.vm, project());
    expect(other.client.calls).toContainEqual(['setIceServers', null]);
    await other.run('connect', { URL: 'ws://127.0.0.1:4000/', USERNAME: 'player' });
    expect(other.client.calls.at(-1)).toEqual([
      'connect',
      { url: 'ws://127.0.0.1:4000/', username: 'player', ugi: 'default', encryption: false, keepaliveSeconds: 20 },
    ]);
  });

  it('a hand-edited project with bad settings gets the defaults for those fields', async () => {
    const edited = { ...project(), extensionStorage: { cloudlink5: { ugi: 42, keepaliveSeconds: -3, iceServers: [{ urls: 7 }], encryption: true } } };
    const other = player(() => turbowarpVm!.make(turbowarp()));
    await load(other.vm, edited);
    await other.run('connect', { URL: 'ws://127.0.0.1:3000/', USERNAME: 'p' });
    expect(other.client.calls.at(-1)).toEqual([
      'connect',
      { url: 'ws://127.0.0.1:3000/', username: 'p', ugi: 'default', encryption: true, keepaliveSeconds: 20 },
    ]);
    expect(other.client.calls.some(([method, list]) => method === 'setIceServers' && list !== null)).toBe(false);
  });

  it(`${scratchVm!.name}: no extensionStorage, the settings work in memory and nothing is saved`, async () => {
    const author = player(() => scratchVm!.make(turbowarp()));
    await setEverything(author);
    await author.run('connect', { URL: '', USERNAME: 'again' });
    expect(author.client.calls.at(-1)).toEqual([
      'connect',
      { url: saved.url, username: 'again', ugi: 'space-race', token: 'secret', encryption: true, keepaliveSeconds: 5 },
    ]);
    const json = JSON.parse((author.vm as unknown as { toJSON(): string }).toJSON()) as { extensionStorage?: unknown };
    expect(json.extensionStorage).toBeUndefined();
  });
});
