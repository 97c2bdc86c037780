// Three (then four) real Scratch VMs, each running a project that uses the extension's blocks,
// connected through the real server with real WebRTC: networked variables and lists converge.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { silentLogger } from '../helpers/logger.js';
import { syncProject } from './sync-project.js';
import { VmPlayer } from './vm-player.js';
import { until } from '../helpers/until.js';
import { closeAll } from '../helpers/disconnect-all.js';

let server: RunningServer;
const players: VmPlayer[] = [];
const project = syncProject();

async function join(name: string, host = false): Promise<VmPlayer> {
  const player = new VmPlayer(name);
  players.push(player);
  await player.load(project, { server: server.wsUrl, name });
  player.broadcast('connect');
  await until(() => player.client.connected, `${name} connected`);
  player.broadcast(host ? 'host' : 'join');
  await until(() => player.client.lobby === 'room', `${name} in the lobby`);
  player.broadcast('sync');
  return player;
}

const meshed = () => players.every((p) => players.every((q) => q === p || p.client.isPeerConnected(q.client.myId)));
const values = (p: VmPlayer) => ({
  score: p.value(p.stage, 'score'),
  log: p.value(p.stage, 'log', 'list'),
  hp: p.value(p.sprite('Player'), 'hp'),
  inv: p.value(p.sprite('Player'), 'inv', 'list'),
});
const converged = () => players.every((p) => JSON.stringify(values(p)) === JSON.stringify(values(players[0]!)));

beforeAll(async () => {
  server = await startServer({ port: 0, logger: silentLogger });
  await join('ann', true);
  await join('bob');
  await join('cat');
  await until(meshed, 'a full mesh of three VMs');
}, 30_000);

afterAll(async () => {
  await closeAll(players);
  await server.close();
});

describe('networked variables and lists in the Scratch VM', () => {
  it('converges after scripted edits with every list block, global and sprite-local', async () => {
    const [ann] = players;
    ann!.broadcast('edits');
    await until(() => converged() && values(players[2]!).score === 15, 'edits everywhere');
    // "set hp to 50" stores the text "50", exactly as Scratch holds it.
    expect(values(players[1]!)).toEqual({ score: 15, log: ['first', 'second'], hp: '50', inv: ['bow'] });
  });

  it('converges after a burst of 100 edits in one frame', async () => {
    const bob = players[1]!;
    bob.broadcast('burst');
    await until(() => converged() && (values(players[0]!).log as string[]).length === 102, 'burst everywhere');
    expect(values(players[2]!).score).toBe(115);
    expect((values(players[2]!).log as string[]).slice(2)).toEqual(Array(100).fill('bob-x'));
  });

  it('converges when two players edit the same list and variable at the same time', async () => {
    const [ann, , cat] = players;
    ann!.broadcast('burst');
    cat!.broadcast('burst');
    await until(() => converged() && (values(players[1]!).log as string[]).length >= 202, 'simultaneous bursts settled', 15_000);
    // Everyone holds the same value: the higher version won, per docs/sync.md.
    for (const p of players) expect(values(p)).toEqual(values(ann!));
  });

  it('fires "when I get a broadcast on channel [C]" only for C, with the data and sender', async () => {
    const [ann, bob, cat] = players;
    ann!.broadcast('openchat');
    // Talk once 'chat' is open between every pair (both ends of each link).
    await until(
      () => players.every((p) => players.every((q) => q === p || p.client.openChannels(q.client.myId).includes('chat'))),
      'chat open between every pair',
    );
    bob!.broadcast('say');
    await until(() => [ann, cat].every((p) => (p!.value(p!.stage, 'inbox', 'list') as string[]).length === 2), 'two hats fired on each receiver');
    for (const p of [ann, cat]) {
      expect((p!.value(p!.stage, 'inbox', 'list') as string[]).sort()).toEqual([`chat:hi from bob<${bob!.client.myId}>`, 'default:on default']);
    }
    expect(bob!.value(bob!.stage, 'inbox', 'list')).toEqual([]);
  });

  it('gives a late joiner the current values', async () => {
    const dan = await join('dan');
    await until(meshed, 'dan in the mesh');
    await until(converged, 'dan has the current values');
    expect(values(dan)).toEqual(values(players[0]!));
  });
});
