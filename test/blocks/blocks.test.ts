// @vitest-environment jsdom
// Each block maps onto the right core call with correctly cast arguments; hats filter by their
// arguments; reporters give Scratch-friendly values; failures become "last error", never throws.
import { beforeEach, describe, expect, it } from 'vitest';
import { createExtension, type ExtensionObject } from '../../blocks/extension.js';
import type { BlockUtil } from '../../blocks/scratch.js';
import { fakeClient, fakeRuntime, fakeScratch, type InstalledHat } from './fakes.js';

let client: ReturnType<typeof fakeClient>;
let extension: ExtensionObject;
let runtime: ReturnType<typeof fakeRuntime>;
const util = { target: {}, thread: {} } as unknown as BlockUtil;
const run = (opcode: string, args: Record<string, unknown> = {}) => (extension[opcode] as (a: object, u: BlockUtil) => unknown)(args, util);
const hat = (opcode: string, args: Record<string, unknown> = {}): InstalledHat => {
  const installed = { opcode, args, fired: [] };
  runtime.hats.push(installed);
  return installed;
};

beforeEach(() => {
  client = fakeClient();
  runtime = fakeRuntime(() => extension);
  extension = createExtension(fakeScratch(runtime), client, runtime);
});

interface Info {
  id: string;
  blocks: ({ opcode: string; text: string; blockType: string; arguments?: Record<string, { menu?: string }> } | string | { blockType: 'label' })[];
  menus: Record<string, { items: unknown }>;
}
const info = () => extension.getInfo() as Info;
const blocks = () => info().blocks.filter((b): b is Exclude<Info['blocks'][number], string | { blockType: 'label' }> => typeof b === 'object' && 'opcode' in b);

describe('getInfo', () => {
  it('is well formed: unique opcodes, [ARGS] match arguments, menus exist, a method per block', () => {
    const all = blocks();
    expect(all.length).toBeGreaterThanOrEqual(70);
    expect(new Set(all.map((b) => b.opcode)).size).toBe(all.length);
    for (const block of all) {
      const inText = [...block.text.matchAll(/\[([A-Z_0-9]+)\]/g)].map((m) => m[1]).sort();
      expect(inText, block.opcode).toEqual(Object.keys(block.arguments ?? {}).sort());
      for (const argument of Object.values(block.arguments ?? {})) if (argument.menu) expect(info().menus[argument.menu], `${block.opcode} menu`).toBeDefined();
      expect(typeof extension[block.opcode]).toBe('function');
    }
    for (const menu of Object.values(info().menus)) if (typeof menu.items === 'string') expect(typeof extension[menu.items]).toBe('function');
  });

  it('covers every capability group of protocol.md §8', () => {
    const opcodes = new Set(blocks().map((b) => b.opcode));
    for (const needed of [
      'connect', 'disconnect', 'isConnected', 'myId', 'myUsername', 'myMode', 'lastError', 'setToken', 'setKeepalive', 'addIceServer', 'setRelayOnly', 'setEncryption',
      'whenConnected', 'whenDisconnected', 'whenError', 'whenModeChanges',
      'createLobby', 'joinLobby', 'leaveLobby', 'listLobbies', 'lobbyInfo', 'isHost', 'hostId', 'manageLobby', 'setMaxPlayers', 'setLobbyPassword', 'kickPlayer', 'transferHost',
      'whenPlayerJoins', 'whenPlayerLeaves', 'players', 'usernameOf', 'isPlayerConnected', 'disconnectPlayer',
      'openChannel', 'closeChannel', 'whenChannelOpens', 'whenChannelCloses', 'broadcastData', 'sendPrivate', 'whenBroadcast', 'whenPrivate', 'lastData', 'lastSender',
      'syncVariable', 'syncVariableWith', 'syncList', 'syncListWith', 'stopSyncing',
      'requestMicrophone', 'callPlayer', 'answerCall', 'declineCall', 'hangUp', 'muteFor', 'whenCall', 'setVoiceVolume', 'setVoicePosition',
    ]) expect(opcodes.has(needed), needed).toBe(true);
  });

  it('passes every text through Scratch.translate', () => {
    const translated = createExtension(fakeScratch(runtime, { translate: true }), client, runtime).getInfo() as Info;
    const texts = translated.blocks.filter((b) => typeof b === 'object').map((b) => (b as { text: string }).text);
    expect(texts.every((t) => t.startsWith('T('))).toBe(true);
  });
});

describe('block → core mapping', () => {
  it('connects with the settings blocks applied', async () => {
    run('setGameId', { UGI: 'space-race' });
    run('setToken', { TOKEN: 'tok' });
    run('setEncryption', { ONOFF: 'on' });
    run('setKeepalive', { SECONDS: '5' });
    await run('connect', { URL: 'ws://127.0.0.1:3000/', USERNAME: 42 });
    expect(client.calls.at(-1)).toEqual(['connect', { url: 'ws://127.0.0.1:3000/', username: '42', ugi: 'space-race', token: 'tok', encryption: true, keepaliveSeconds: 5 }]);
  });

  it('builds the ICE server list and the relay-only policy', () => {
    run('addIceServer', { URL: 'turn:turn.example:3478', USER: 'u', PASS: 'p' });
    run('addIceServer', { URL: 'stun:stun.example:3478', USER: '', PASS: '' });
    expect(client.calls.at(-1)).toEqual(['setIceServers', [{ urls: 'turn:turn.example:3478', username: 'u', credential: 'p' }, { urls: 'stun:stun.example:3478' }]]);
    run('clearIceServers');
    expect(client.calls.at(-1)).toEqual(['setIceServers', []]);
    run('setRelayOnly', { ONOFF: 'on' });
    expect(client.calls.at(-1)).toEqual(['setRelayOnly', true]);
  });

  it('casts lobby arguments', async () => {
    await run('createLobby', { NAME: 7, MAX: '4.9', PASSWORD: 'pw', LOCKED: 'yes', HIDDEN: 'no', RELAY: 'true' });
    expect(client.calls.at(-1)).toEqual(['createLobby', { name: '7', maxPlayers: 4, password: 'pw', locked: true, hidden: false, enableRelay: true }]);
    await run('joinLobby', { NAME: 'room', PASSWORD: '' });
    expect(client.calls.at(-1)).toEqual(['joinLobby', 'room', '']);
    await run('setMaxPlayers', { MAX: 'abc' });
    expect(client.calls.at(-1)).toEqual(['setMaxPlayers', 0]);
    for (const [action, method] of [['lock', 'lockLobby'], ['unlock', 'unlockLobby'], ['hide', 'hideLobby'], ['show', 'showLobby'], ['close', 'closeLobby']]) {
      await run('manageLobby', { ACTION: action });
      expect(client.calls.at(-1)).toEqual([method]);
    }
    await run('kickPlayer', { PLAYER: 'p-2' });
    expect(client.calls.at(-1)).toEqual(['kick', 'p-2']);
    await run('transferHost', { PLAYER: 'p-3' });
    expect(client.calls.at(-1)).toEqual(['transferHost', 'p-3']);
  });

  it('reports lobbies and lobby info as Scratch values', async () => {
    expect(await run('listLobbies')).toBe('["room","other"]');
    expect(await run('lobbyInfo', { FIELD: 'players', NAME: 'room' })).toBe(2);
    expect(await run('lobbyInfo', { FIELD: 'host', NAME: 'room' })).toBe('ann');
    expect(await run('lobbyInfo', { FIELD: 'password required', NAME: 'room' })).toBe(true);
    expect(JSON.parse((await run('lobbyInfo', { FIELD: 'all (JSON)', NAME: 'room' })) as string)).toMatchObject({ max_players: 4 });
    expect(await run('lobbyExists', { NAME: 'room' })).toBe(true);
    expect(run('players')).toBe('["p-2","p-3"]');
    expect(run('usernameOf', { PLAYER: 'p-3' })).toBe('cat');
    expect(run('playerWithName', { USERNAME: 'bob' })).toBe('p-2');
    expect(run('isPlayerConnected', { PLAYER: 'p-2' })).toBe(true);
  });

  it('sends messages, turning JSON text into the value it spells', () => {
    run('broadcastData', { DATA: '{"x": 1, "y": [2]}', CHANNEL: 'chat' });
    expect(client.calls.at(-1)).toEqual(['broadcast', { x: 1, y: [2] }, 'chat']);
    run('sendPrivate', { DATA: 'plain text', PLAYER: 'p-2', CHANNEL: 'default' });
    expect(client.calls.at(-1)).toEqual(['sendPrivate', 'p-2', 'plain text', 'default']);
    run('openChannel', { CHANNEL: 'moves', MODE: 'fast' });
    expect(client.calls.at(-1)).toEqual(['openChannel', 'moves', false]);
  });

  it('maps the voice blocks', async () => {
    await run('callPlayer', { PLAYER: 'p-2' });
    run('muteFor', { ACTION: 'mute', PLAYER: 'p-2' });
    run('setVoiceVolume', { PLAYER: 'p-2', VOLUME: '35' });
    run('setVoicePosition', { PLAYER: 'p-2', X: 1, Y: '-2', Z: 'x' });
    expect(client.calls.slice(-4)).toEqual([['call', 'p-2'], ['setMuted', 'p-2', true], ['setVolume', 'p-2', 35], ['setVoicePosition', 'p-2', 1, -2, 0]]);
  });
});

describe('errors', () => {
  it('a failing command becomes last error and never throws or rejects', async () => {
    client.failNext('joinLobby', 'full');
    await expect(run('joinLobby', { NAME: 'room', PASSWORD: '' })).resolves.toBeUndefined();
    expect(client.errors).toEqual(['full']);
    client.failNext('broadcast', 'no channel named "x": open it first');
    expect(() => run('broadcastData', { DATA: 'a', CHANNEL: 'x' })).not.toThrow();
    expect(run('lastError')).toBe('no channel named "x": open it first');
  });

  it('a failing reporter returns a visible empty value', async () => {
    client.failNext('listLobbies', 'not connected');
    expect(await run('listLobbies')).toBe('[]');
    client.failNext('findLobby', 'not connected');
    expect(await run('lobbyExists', { NAME: 'room' })).toBe(false);
  });

  it('a sync block naming a missing variable reports it', () => {
    const target = { lookupVariableByNameAndType: () => null };
    (extension.syncVariable as (a: object, u: object) => unknown)({ VAR: 'nope', ID: 'x' }, { target, thread: {} });
    expect(client.errors).toEqual(['no variable named "nope"']);
  });

  it('refuses to load sandboxed, with a clear message', async () => {
    const scratch = fakeScratch(runtime, { unsandboxed: false });
    (globalThis as { Scratch?: unknown }).Scratch = scratch;
    await expect(import('../../blocks/index.js?sandboxed' as string)).rejects.toThrow('must run unsandboxed');
    expect(scratch.registered).toEqual([]);
    delete (globalThis as { Scratch?: unknown }).Scratch;
  });
});

describe('hats filter by their arguments', () => {
  it('broadcast hats fire only for their channel, and reporters see the message that started them', () => {
    const chat = hat('whenBroadcast', { CHANNEL: 'chat' });
    const other = hat('whenBroadcast', { CHANNEL: 'other' });
    const privateChat = hat('whenPrivate', { CHANNEL: 'chat' });
    const fromBob = hat('whenMessageFrom', { PLAYER: 'p-2' });
    client.emitter.emit('message', { from: 'p-2', channel: 'chat', kind: 'broadcast', payload: { hi: 1 } });
    client.emitter.emit('message', { from: 'p-3', channel: 'chat', kind: 'broadcast', payload: 'second' });
    expect(chat.fired.length).toBe(2);
    expect(other.fired.length).toBe(0);
    expect(privateChat.fired.length).toBe(0);
    expect(fromBob.fired.length).toBe(1);
    // Each script sees its own message, even though a newer one arrived.
    const first = { target: {}, thread: chat.fired[0] } as unknown as BlockUtil;
    expect((extension.lastData as (a: object, u: BlockUtil) => unknown)({ KIND: 'broadcast', CHANNEL: 'chat' }, first)).toBe('{"hi":1}');
    expect((extension.lastSender as (a: object, u: BlockUtil) => unknown)({ KIND: 'broadcast', CHANNEL: 'chat' }, first)).toBe('p-2');
    // Outside a hat: the latest.
    expect(run('lastData', { KIND: 'broadcast', CHANNEL: 'chat' })).toBe('second');
    expect(run('lastData', { KIND: 'private', CHANNEL: 'chat' })).toBe('');
  });

  it('mode, channel and call hats compare their menu value', () => {
    const host = hat('whenModeChanges', { MODE: 'host' });
    const peer = hat('whenModeChanges', { MODE: 'peer' });
    client.emitter.emit('mode', 'peer');
    expect([host.fired.length, peer.fired.length]).toEqual([0, 1]);
    const opens = hat('whenChannelOpens', { CHANNEL: 'moves' });
    client.emitter.emit('channel-open', 'p-2', 'chat');
    client.emitter.emit('channel-open', 'p-2', 'moves');
    expect(opens.fired.length).toBe(1);
    const rings = hat('whenCall', { EVENT: 'ringing' });
    const answered = hat('whenCall', { EVENT: 'answered' });
    client.emitter.emit('voice', 'answered', 'p-3');
    expect([rings.fired.length, answered.fired.length]).toEqual([0, 1]);
    expect((extension.callPeer as (a: object, u: BlockUtil) => unknown)({}, { target: {}, thread: answered.fired[0] } as unknown as BlockUtil)).toBe('p-3');
  });

  it('event hats (no arguments) fire on their event', () => {
    const joins = hat('whenPlayerJoins');
    client.emitter.emit('peer-join', { instance_id: 'p-9', user_id: 'u', username: 'dan' });
    expect(joins.fired.length).toBe(1);
    expect((extension.joinedPlayer as (a: object, u: BlockUtil) => unknown)({}, { target: {}, thread: joins.fired[0] } as unknown as BlockUtil)).toBe('p-9');
  });
});

describe('docs/blocks.md', () => {
  it('describes every block, with its text as shown in Scratch', async () => {
    const { readFileSync } = await import('node:fs');
    const doc = readFileSync(`${import.meta.dirname}/../../docs/blocks.md`, 'utf8');
    const missing = blocks().filter((b) => !doc.includes(`\`${b.text}\``) && !doc.includes(`\`${b.text}\`,`));
    expect(missing.map((b) => b.text)).toEqual([]);
  });
});
