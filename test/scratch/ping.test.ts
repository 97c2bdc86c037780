// The ping blocks in the real Scratch VM, through the real server and real WebRTC: a project reads
// "ping to server (ms)" and "ping to player [PLAYER] (ms)" in a forever loop (every frame). The values
// appear as numbers, PINGs go out about once a second however often the blocks run, and none once the
// script stops reading.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cl5 } from '../../examples/lib/define.js';
import { cloudlinkShape } from '../../examples/lib/extension-shape.js';
import { equals, forever, ifThen, ProjectBuilder, setVar, variable, whenReceived } from '../../examples/lib/project.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { silentLogger } from '../helpers/logger.js';
import { drained, pingsReceived } from '../helpers/pings.js';
import { VmPlayer } from './vm-player.js';
import { until } from '../helpers/until.js';
import { closeAll } from '../helpers/disconnect-all.js';

function pingProject(): object {
  const project = new ProjectBuilder(cloudlinkShape());
  const { stage } = project;
  stage.variable('server', '').variable('name', '').variable('other', '').variable('reading', 0).variable('toServer', 'none').variable('toOther', 'none');
  stage
    .script(whenReceived('connect'), cl5('setGameId', { UGI: 'ping' }), cl5('connect', { URL: variable('server'), USERNAME: variable('name') }))
    .script(whenReceived('host'), cl5('createLobby', { NAME: 'room', MAX: -1, PASSWORD: '', LOCKED: 'no', HIDDEN: 'no', RELAY: 'no' }))
    .script(whenReceived('join'), cl5('joinLobby', { NAME: 'room', PASSWORD: '' }))
    .script(
      whenReceived('ping'),
      forever([
        ifThen(equals(variable('reading'), 1), [setVar('toServer', cl5('serverPing')), setVar('toOther', cl5('playerPing', { PLAYER: variable('other') }))]),
      ]),
    );
  return project.toJSON();
}

let server: RunningServer;
const players: VmPlayer[] = [];
/** PINGs each player received, by sender id. */
const pings = new Map<VmPlayer, (from: string) => number>();
const project = pingProject();

async function join(name: string, host = false): Promise<VmPlayer> {
  const player = new VmPlayer(name);
  players.push(player);
  await player.load(project, { server: server.wsUrl, name });
  player.broadcast('connect');
  await until(() => player.client.connected, `${name} connected`);
  pings.set(player, pingsReceived(player.client));
  player.broadcast(host ? 'host' : 'join');
  await until(() => player.client.lobby === 'room', `${name} in the lobby`);
  return player;
}

const pingsAt = (to: VmPlayer, from: VmPlayer) => pings.get(to)!(from.client.myId);
const value = (player: VmPlayer, name: string) => player.stageVariable(name).value;

beforeAll(async () => {
  server = await startServer({ port: 0, logger: silentLogger });
  await join('ann', true);
  await join('bob');
  await until(
    () => players[0]!.client.isPeerConnected(players[1]!.client.myId) && players[1]!.client.isPeerConnected(players[0]!.client.myId),
    'ann and bob linked',
  );
}, 30_000);

afterAll(async () => {
  await closeAll(players);
  await server.close();
});

describe('ping blocks in the Scratch VM', () => {
  it('read -1 for no player, then the round trips as numbers; about one PING a second while read, none after', async () => {
    const [ann, bob] = players as [VmPlayer, VmPlayer];
    for (const p of players) {
      p.stageVariable('reading').value = 1;
      p.broadcast('ping');
    }
    // "other" is still empty: no such player.
    await until(() => players.every((p) => value(p, 'toOther') === -1 && typeof value(p, 'toServer') === 'number'), 'a ping of nobody reads -1');

    const started = performance.now();
    ann.stageVariable('other').value = bob.client.myId;
    bob.stageVariable('other').value = ann.client.myId;
    const known = (p: VmPlayer) => (value(p, 'toServer') as number) >= 0 && (value(p, 'toOther') as number) >= 0;
    await until(() => players.every(known), 'every ping known');
    for (const p of players) {
      expect(value(p, 'toServer')).toBeLessThan(1000);
      expect(value(p, 'toOther')).toBeLessThan(1000);
    }
    await until(() => pingsAt(bob, ann) >= 3, 'three PINGs from ann');
    // The script runs the block every frame (30 a second); one PING a second at most leaves.
    expect(pingsAt(bob, ann)).toBeLessThanOrEqual((performance.now() - started) / 1000 + 1);

    // Ann's script stops reading: no more PINGs from her, while bob's go on (and ann answers them).
    ann.stageVariable('reading').value = 0;
    await drained(ann.client, bob.client);
    const stopped = pingsAt(bob, ann);
    const bobSent = pingsAt(ann, bob);
    await until(() => pingsAt(ann, bob) >= bobSent + 2, 'two more PINGs from bob');
    await drained(ann.client, bob.client);
    expect(pingsAt(bob, ann)).toBe(stopped);
    expect(value(bob, 'toOther')).toBeGreaterThanOrEqual(0);
  }, 20_000);
});
