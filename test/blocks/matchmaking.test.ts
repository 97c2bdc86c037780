// The Matchmaking blocks on the real core client against the real server on 127.0.0.1: each block as a
// project runs it (the extension's own methods, arguments as Scratch passes them), two players.
import { wrtc } from '../helpers/wrtc.js';
import WebSocket from 'ws';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createExtension, type ExtensionObject } from '../../blocks/extension.js';
import { metadataArgument, metadataValue } from '../../blocks/groups/matchmaking.js';
import type { BlockUtil } from '../../blocks/scratch.js';
import { CloudLinkClient } from '../../src/client/cloudlink.js';
import type { WebSocketConstructor } from '../../src/client/websocket.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { silentLogger } from '../helpers/logger.js';
import { until } from '../helpers/until.js';
import { fakeRuntime, fakeScratch, fakeSync, type InstalledHat } from './fakes.js';
import { disconnectAll } from '../helpers/disconnect-all.js';

interface Project {
  client: CloudLinkClient;
  run: (opcode: string, args?: Record<string, unknown>) => unknown;
  hat: (opcode: string) => InstalledHat;
  info: () => { blocks: ({ opcode?: string; text?: string } | string)[]; menus: Record<string, unknown> };
}

let server: RunningServer;
let projects: Project[];

async function project(username: string): Promise<Project> {
  const client = new CloudLinkClient({ WebSocket: WebSocket as unknown as WebSocketConstructor, wrtc, keepaliveMs: 0 });
  let extension: ExtensionObject | undefined;
  const runtime = fakeRuntime(() => extension!);
  extension = createExtension(fakeScratch(runtime), client, fakeSync(), runtime);
  const util = { target: {}, thread: {} } as unknown as BlockUtil;
  const made: Project = {
    client,
    run: (opcode, args = {}) => (extension![opcode] as (a: object, u: BlockUtil) => unknown)(args, util),
    hat: (opcode) => {
      const installed: InstalledHat = { opcode, args: {}, fired: [] };
      runtime.hats.push(installed);
      return installed;
    },
    info: () => extension!.getInfo() as ReturnType<Project['info']>,
  };
  projects.push(made);
  await made.run('connect', { URL: server.wsUrl, USERNAME: username });
  await until(() => client.connected, `${username} connected`);
  return made;
}

beforeEach(async () => {
  server = await startServer({ host: '127.0.0.1', port: 0, logger: silentLogger });
  projects = [];
});
afterEach(async () => {
  await disconnectAll(projects.map((each) => each.client));
  await server.close();
});

describe('Matchmaking blocks', () => {
  it('are in the palette under their own label, after Lobbies', async () => {
    const { blocks } = (await project('ann')).info();
    const labels = blocks.filter((b): b is { text: string } => typeof b === 'object' && (b as { blockType?: string }).blockType === 'label').map((b) => b.text);
    expect(labels.indexOf('Matchmaking')).toBe(labels.indexOf('Lobbies') + 1);
    const opcodes = blocks.map((b) => (typeof b === 'object' ? b.opcode : undefined));
    for (const opcode of [
      'createLobbyWithMetadata',
      'setLobbyMetadata',
      'removeLobbyMetadata',
      'lobbyMetadata',
      'searchLobbies',
      'foundLobbies',
      'foundLobbyCount',
      'foundLobbyField',
      'foundLobbyMetadata',
      'quickJoin',
      'quickJoinCreated',
      'whenMatched',
    ]) {
      expect(opcodes).toContain(opcode);
    }
  });

  it('create with metadata, set and remove a key, read it back; a search finds it and its fields', async () => {
    const ann = await project('ann');
    const bob = await project('bob');
    await ann.run('createLobbyWithMetadata', { NAME: 'dunes', MAX: 4, METADATA: '{"map": "desert", "mode": "ctf"}' });
    await ann.run('setLobbyMetadata', { KEY: 'round', VALUE: '3' });
    await ann.run('removeLobbyMetadata', { KEY: 'mode' });
    expect(await ann.run('lobbyMetadata', { KEY: 'round' })).toBe(3);
    expect(await ann.run('lobbyMetadata', { KEY: 'mode' })).toBe('');
    // A number typed as text finds the lobby set with "3" (Scratch's "3" = 3).
    await bob.run('searchLobbies', { FILTER: '{"round": "3"}', FREE: 'yes', NO_PASSWORD: 'yes' });
    expect(bob.run('foundLobbies')).toBe('["dunes"]');
    expect(bob.run('foundLobbyCount')).toBe(1);
    expect([bob.run('foundLobbyName', { INDEX: 1 }), bob.run('foundLobbyName', { INDEX: '2' })]).toEqual(['dunes', '']);
    expect(bob.run('foundLobbyField', { FIELD: 'players', NAME: 'dunes' })).toBe(1);
    expect(bob.run('foundLobbyField', { FIELD: 'max players', NAME: 'dunes' })).toBe(4);
    expect(bob.run('foundLobbyField', { FIELD: 'metadata (JSON)', NAME: 'dunes' })).toBe('{"map":"desert","round":3}');
    expect(bob.run('foundLobbyMetadata', { KEY: 'map', NAME: 'dunes' })).toBe('desert');
    expect(bob.run('foundLobbyMetadata', { KEY: 'map', NAME: 'elsewhere' })).toBe('');
    await bob.run('searchLobbies', { FILTER: '{"map": "jungle"}', FREE: 'no', NO_PASSWORD: 'no' });
    expect(bob.run('foundLobbies')).toBe('[]');
    // An empty filter lists every visible lobby.
    await bob.run('searchLobbies', { FILTER: '', FREE: 'no', NO_PASSWORD: 'no' });
    expect(bob.run('foundLobbyCount')).toBe(1);
  });

  it('quick join: the first creates (host), the second joins it (peer); the hat fires and "did quick join create" tells which', async () => {
    const ann = await project('ann');
    const bob = await project('bob');
    const [annHat, bobHat] = [ann.hat('whenMatched'), bob.hat('whenMatched')];
    await ann.run('quickJoin', { FILTER: '{"mode": "duel"}', MAX: 2 });
    await bob.run('quickJoin', { FILTER: '{"mode": "duel"}', MAX: 2 });
    await until(() => annHat.fired.length === 1 && bobHat.fired.length === 1, 'both quick-join hats');
    expect([ann.run('quickJoinCreated'), bob.run('quickJoinCreated')]).toEqual([true, false]);
    expect([ann.run('myMode'), bob.run('myMode')]).toEqual(['host', 'peer']);
    expect(bob.run('myLobby')).toBe(ann.run('myLobby'));
    expect(await bob.run('lobbyMetadata', { KEY: 'mode' })).toBe('duel');
  });

  it('bad input: a visible empty result and "last error" with the reason, never a throw', async () => {
    const ann = await project('ann');
    await ann.run('createLobbyWithMetadata', { NAME: 'x', MAX: 4, METADATA: 'map=desert' });
    expect(ann.run('lastErrorCode')).toBe('invalid');
    expect(ann.run('lastError')).toContain('must be a JSON object like');
    expect(await ann.run('lobbyMetadata', { KEY: 'map' })).toBe('');
    expect(ann.run('lastErrorCode')).toBe('not-in-lobby');
    await ann.run('createLobbyWithMetadata', { NAME: 'x', MAX: 4, METADATA: '{}' });
    await ann.run('setLobbyMetadata', { KEY: 'k', VALUE: 'v'.repeat(200) });
    expect(ann.run('lastErrorCode')).toBe('invalid');
    expect(ann.run('lastError')).toContain('0–128 characters');
  });
});

describe('metadata arguments as Scratch passes them', () => {
  it('numbers spelled as Scratch writes them become numbers; other text stays text', () => {
    expect(['3', '-2.5', 3, '007', '1e3', '', ' 3', 'desert'].map(metadataValue)).toEqual([3, -2.5, 3, '007', '1e3', '', ' 3', 'desert']);
    expect(metadataArgument('{"round": "3", "map": "desert", "n": 2}', 'x')).toEqual({ round: 3, map: 'desert', n: 2 });
    expect(metadataArgument('  ', 'x')).toEqual({});
    expect(() => metadataArgument('[1]', 'the filter')).toThrow(/the filter must be a JSON object/);
    expect(() => metadataArgument('{"a": {"b": 1}}', 'the filter')).toThrow(/"a" must be text or a number/);
  });
});
