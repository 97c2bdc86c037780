// TurboWarp's docs warn that runtime.startHats inside a block can break the running script. In real
// VMs (scratch-vm, TurboWarp's with the compiler on and off), with the real client and server: a
// repeated connect (the client says "connected" at once) and a block that fails at once (the error
// event) start their hats only after the block is over, and the hats still run.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cl5 } from '../../examples/lib/define.js';
import { cloudlinkShape } from '../../examples/lib/extension-shape.js';
import { changeVar, ProjectBuilder, variable, whenReceived } from '../../examples/lib/project.js';
import { silentLogger } from '../../src/server/log.js';
import { type RunningServer, startServer } from '../../src/server/server.js';
import { vmVariants } from '../contracts/vms.js';
import { TurboWarpWindow } from '../sync/turbowarp.js';
import { VmPlayer, type VirtualMachineLike } from './vm-player.js';
import { until } from '../helpers/until.js';

let server: RunningServer;
let turbowarp: TurboWarpWindow;
beforeAll(async () => {
  server = await startServer({ host: '127.0.0.1', port: 0, logger: silentLogger });
  turbowarp = new TurboWarpWindow();
});
afterAll(async () => {
  await server.close();
  turbowarp.close();
});

function project(): object {
  const p = new ProjectBuilder(cloudlinkShape());
  p.stage.variable('server', '').variable('name', '').variable('connects', 0).variable('errors', 0);
  p.stage
    .script(whenReceived('connect'), cl5('connect', { URL: variable('server'), USERNAME: variable('name') }))
    // Not in a lobby: fails inside the block, at once.
    .script(whenReceived('fail'), cl5('sendPrivate', { DATA: 'x', PLAYER: 'nobody', CHANNEL: 'default' }))
    .script(cl5('whenConnected'), changeVar('connects', 1))
    .script(cl5('whenError'), changeVar('errors', 1));
  return p.toJSON();
}

type Primitive = (...args: unknown[]) => unknown;

describe.each(vmVariants)('$name', (variant) => {
  let player: VmPlayer;
  /** CloudLink 5 hats started while a CloudLink 5 block was running. */
  const startedInsideABlock: string[] = [];
  /** CloudLink 5 blocks run through the wrappers (so a clean result is not a wrapper nobody called). */
  const blocksRun: string[] = [];

  beforeAll(async () => {
    const vm = variant.make(turbowarp) as unknown as VirtualMachineLike;
    player = new VmPlayer(`hats-${variant.turbowarp ? 'tw' : 'vm'}`, { vm });
    await player.load(project(), { server: server.wsUrl, name: `p${Math.random().toString(36).slice(2, 8)}` });
    // Wrap the VM's own entry points: each CloudLink 5 block function (after loading, which sets
    // them again; before any script runs, so the compiler takes the wrapped ones) and startHats.
    const runtime = vm.runtime as unknown as { _primitives: Record<string, Primitive>; startHats: Primitive };
    let blocksRunning = 0;
    for (const [opcode, run] of Object.entries(runtime._primitives)) {
      if (!opcode.startsWith('cloudlink5_')) continue;
      runtime._primitives[opcode] = function (this: unknown, ...args: unknown[]) {
        blocksRun.push(opcode);
        blocksRunning += 1;
        try {
          return run.apply(this, args);
        } finally {
          blocksRunning -= 1;
        }
      };
    }
    const startHats = runtime.startHats;
    runtime.startHats = function (this: unknown, ...args: unknown[]) {
      if (blocksRunning > 0 && String(args[0]).startsWith('cloudlink5_')) startedInsideABlock.push(String(args[0]));
      return startHats.apply(this, args);
    };
  }, 30_000);
  afterAll(() => player?.close());

  const count = (name: string) => Number(player.value(player.stage, name));

  it('connect again while connected: "when connected" runs again, started after the block', async () => {
    player.broadcast('connect');
    await until(() => count('connects') === 1, 'connected');
    player.broadcast('connect');
    await until(() => count('connects') === 2, '"when connected" again');
    expect(blocksRun.filter((o) => o === 'cloudlink5_connect')).toHaveLength(2);
    expect(startedInsideABlock).toEqual([]);
  });

  it('a block that fails at once: "when an error happens" runs, started after the block', async () => {
    player.broadcast('fail');
    await until(() => count('errors') === 1, 'the error hat');
    expect(player.client.lastError?.code).toBeTruthy();
    expect(blocksRun).toContain('cloudlink5_sendPrivate');
    expect(startedInsideABlock).toEqual([]);
  });
});
