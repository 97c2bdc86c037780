// Browser players running the lobby project: connect, then host or join.
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { broadcastTo, eventually, setVariable, valueIn, type Harness } from './harness.js';

/** `project` is a project the harness serves that has the lobby project's connect/host/join scripts and variables. */
export async function browserPlayer(harness: Harness, name: string, role: 'host' | 'join', project = 'lobby.sb3'): Promise<{ page: Page; id: string }> {
  const page = await harness.open(project);
  await setVariable(page, 'server', harness.signalling.wsUrl);
  await setVariable(page, 'name', name);
  await broadcastTo(page, 'connect');
  const id = String(
    await eventually(
      () => valueIn(page, 'myid'),
      (v) => typeof v === 'string' && v.length > 0,
      `${name} connected`,
    ),
  );
  // One connect block run, one WebSocket, to the test's own server.
  expect(harness.player(page).sockets).toEqual([`${harness.signalling.wsUrl}?ugi=browser`]);
  await broadcastTo(page, role);
  await eventually(
    () => valueIn(page, 'mode'),
    (mode) => mode === (role === 'host' ? 'host' : 'peer'),
    `${name} in the lobby`,
  );
  return { page, id };
}
