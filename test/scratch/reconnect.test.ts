// The reconnect blocks in the real Scratch VM, through the real server and real WebRTC, with ann's
// WebSocket through a TCP proxy the test cuts and restores: "when the connection drops and
// reconnecting starts" and "when reconnected" run once per drop, "connection state" reads reconnecting
// then connected, messages between the players go on meanwhile, and with "reconnect by itself [off]"
// a drop is a disconnect.
import { afterEach, describe, expect, it } from 'vitest';
import { cl5 } from '../../examples/lib/define.js';
import { cloudlinkShape } from '../../examples/lib/extension-shape.js';
import { changeVar, forever, ProjectBuilder, setVar, variable, whenReceived } from '../../examples/lib/project.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { silentLogger } from '../helpers/logger.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { VmPlayer } from './vm-player.js';
import { until } from '../helpers/until.js';
import { closeAll } from '../helpers/disconnect-all.js';

function reconnectProject(): object {
  const project = new ProjectBuilder(cloudlinkShape());
  const { stage } = project;
  stage
    .variable('server', '')
    .variable('name', '')
    .variable('state', '')
    .variable('drops', 0)
    .variable('resumes', 0)
    .variable('disconnects', 0)
    .variable('heard', 0);
  stage
    .script(whenReceived('connect'), cl5('setGameId', { UGI: 'reconnect' }), cl5('connect', { URL: variable('server'), USERNAME: variable('name') }))
    .script(whenReceived('host'), cl5('createLobby', { NAME: 'room', MAX: -1, PASSWORD: '', LOCKED: 'no', HIDDEN: 'no', RELAY: 'no' }))
    .script(whenReceived('join'), cl5('joinLobby', { NAME: 'room', PASSWORD: '' }))
    .script(whenReceived('no reconnect'), cl5('setAutoReconnect', { ONOFF: 'off' }))
    .script(whenReceived('send'), cl5('broadcastData', { DATA: 'hello', CHANNEL: 'default' }))
    .script(whenReceived('watch'), forever([setVar('state', cl5('connectionState'))]))
    .script(cl5('whenReconnecting'), changeVar('drops', 1))
    .script(cl5('whenReconnected'), changeVar('resumes', 1))
    .script(cl5('whenDisconnected'), changeVar('disconnects', 1))
    .script(cl5('whenBroadcast', { CHANNEL: 'default' }), changeVar('heard', 1));
  return project.toJSON();
}

let server: RunningServer | undefined;
const players: VmPlayer[] = [];
const proxies: TcpProxy[] = [];

afterEach(async () => {
  await closeAll(players.splice(0));
  for (const proxy of proxies.splice(0)) await proxy.close();
  await server?.close();
  server = undefined;
});

async function join(name: string, host: boolean): Promise<{ player: VmPlayer; proxy: TcpProxy }> {
  const proxy = await TcpProxy.start(server!.port);
  proxies.push(proxy);
  const player = new VmPlayer(name, { reconnect: { firstDelayMs: 50, maxDelayMs: 400 } });
  players.push(player);
  await player.load(reconnectProject(), { server: proxy.url, name });
  player.broadcast('connect');
  await until(() => player.client.connected, `${name} connected`);
  player.broadcast(host ? 'host' : 'join');
  await until(() => player.client.lobby === 'room', `${name} in the lobby`);
  player.broadcast('watch');
  return { player, proxy };
}

const value = (player: VmPlayer, name: string) => player.stageVariable(name).value;

describe('reconnect blocks in scratch-vm', () => {
  it('run the reconnecting and reconnected hats once per drop, show the state, and keep messages flowing meanwhile', async () => {
    server = await startServer({ port: 0, logger: silentLogger });
    const { player: ann, proxy } = await join('ann', true);
    const { player: bob } = await join('bob', false);
    await until(() => ann.client.isPeerConnected(bob.client.myId) && bob.client.isPeerConnected(ann.client.myId), 'ann and bob linked');
    await until(() => value(ann, 'state') === 'connected', 'state connected');

    proxy.cut();
    await until(() => value(ann, 'state') === 'reconnecting' && value(ann, 'drops') === 1, 'ann reconnecting');
    ann.broadcast('send');
    await until(() => value(bob, 'heard') === 1, 'bob hears ann while her server connection is down');
    proxy.restore();
    await until(() => value(ann, 'state') === 'connected' && value(ann, 'resumes') === 1, 'ann resumed');
    expect([value(ann, 'drops'), value(ann, 'disconnects'), value(bob, 'drops')]).toEqual([1, 0, 0]);
  }, 30_000);

  it('with "reconnect by itself [off]", a drop is a disconnect', async () => {
    server = await startServer({ port: 0, logger: silentLogger });
    const { player: ann, proxy } = await join('ann', true);
    ann.broadcast('no reconnect');
    await until(() => value(ann, 'state') === 'connected', 'state connected');
    proxy.cut();
    await until(() => value(ann, 'state') === 'disconnected' && value(ann, 'disconnects') === 1, 'ann disconnected');
    expect(value(ann, 'drops')).toBe(0);
  }, 30_000);
});
