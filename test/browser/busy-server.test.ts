// The connect block against a server that refuses for now, in Chromium (TurboWarp's VM, dist's
// extension): the browser's own WebSocket reads the 1013 close and its "try again in N s" after the
// socket opened, and sees a bare HTTP 429 only as a failed connection. Either way the block tries
// again on its own and connects, with no error for the project (src/client/first-connect.ts).
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cl5 } from '../../examples/lib/define.js';
import { cloudlinkShape } from '../../examples/lib/extension-shape.js';
import { ProjectBuilder, setVar, variable, whenReceived } from '../../examples/lib/project.js';
import { refuseNext } from '../helpers/refusals.js';
import type { RawClient } from '../server/helpers.js';
import { broadcastTo, eventually, type Harness, setVariable, startHarness, valueIn } from './harness.js';

function connectProject(): Buffer {
  const project = new ProjectBuilder(cloudlinkShape());
  for (const name of ['server', 'name', 'myid', 'err']) project.stage.variable(name, '');
  project.stage
    .script(whenReceived('connect'), cl5('connect', { URL: variable('server'), USERNAME: variable('name') }), setVar('myid', cl5('myId')))
    .script(cl5('whenError'), setVar('err', cl5('lastErrorCode')));
  return project.toSb3();
}

describe('connect, with the server refusing new connections from this address for now', () => {
  let harness: Harness;
  const raws: RawClient[] = [];

  beforeAll(async () => {
    // One new connection a second per address (the pages and this test are all 127.0.0.1).
    harness = await startHarness({ extensionPath: 'dist/cloudlink5.js', server: { admission: { connectionsPerSecond: 1, connectionBurst: 1 } } });
    harness.serve('connect.sb3', connectProject());
  }, 60_000);

  afterAll(async () => {
    for (const raw of raws) raw.close();
    await harness?.close();
  });

  async function page(name: string): Promise<Page> {
    const opened = await harness.open('connect.sb3');
    await setVariable(opened, 'server', harness.signalling.wsUrl);
    await setVariable(opened, 'name', name);
    return opened;
  }

  const connected = (p: Page) =>
    eventually(
      () => valueIn(p, 'myid'),
      (id) => id !== '',
      'connected',
    );

  it('told "try again in 1 s" (1013 after the socket opened): tries again and connects, no error', async () => {
    const ann = await page('ann');
    await refuseNext(harness.signalling.wsUrl, 'told', raws);
    await broadcastTo(ann, 'connect');
    await connected(ann);
    expect(harness.player(ann).sockets.length).toBe(2);
    expect(await valueIn(ann, 'err')).toBe('');
  });

  it('refused with a bare HTTP 429 (past the refusals it is told of): tries again and connects, no error', async () => {
    // bob's first attempt follows a bare 429 at once: it is refused the same way (unless a second passed, then told).
    const bob = await page('bob');
    await refuseNext(harness.signalling.wsUrl, 'bare', raws);
    await broadcastTo(bob, 'connect');
    await connected(bob);
    expect(harness.player(bob).sockets.length).toBeGreaterThanOrEqual(2);
    expect(await valueIn(bob, 'err')).toBe('');
  });
});
