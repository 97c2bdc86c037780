// @vitest-environment jsdom
// Each block maps onto the right core call with correctly cast arguments; hats filter by their
// arguments; reporters give Scratch-friendly values; failures become "last error", never throws.
import { beforeEach, describe, expect, it } from 'vitest';
import { createExtension, type ExtensionObject } from '../../blocks/extension.js';
import { CloudLinkError } from '../../src/client/errors.js';
import type { BlockUtil } from '../../blocks/scratch.js';
import { fakeClient, fakeRuntime, fakeScratch, fakeSync, type InstalledHat } from './fakes.js';

let client: ReturnType<typeof fakeClient>;
let sync: ReturnType<typeof fakeSync>;
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
  sync = fakeSync();
  extension = createExtension(fakeScratch(runtime), client, sync, runtime);
});

interface Info {
  id: string;
  name: string;
  blocks: ({ opcode: string; text: string; blockType: string; arguments?: Record<string, { menu?: string }> } | string | { blockType: 'label' })[];
  menus: Record<string, { items: unknown }>;
}
const info = () => extension.getInfo() as Info;
const blocks = () => info().blocks.filter((b): b is Exclude<Info['blocks'][number], string | { blockType: 'label' }> => typeof b === 'object' && 'opcode' in b);

describe('getInfo', () => {
  it('is well formed: unique opcodes, [ARGS] match arguments, menus exist, a method per block', () => {
    const all = blocks();
    expect(all.length).toBeGreaterThanOrEqual(95);
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
      'connect',
      'disconnect',
      'isConnected',
      'myId',
      'myUsername',
      'myMode',
      'lastError',
      'setToken',
      'setKeepalive',
      'addIceServer',
      'setRelayOnly',
      'setEncryption',
      'whenConnected',
      'whenDisconnected',
      'whenError',
      'whenModeChanges',
      'whenReconnecting',
      'whenReconnected',
      'connectionState',
      'setAutoReconnect',
      'createLobby',
      'joinLobby',
      'leaveLobby',
      'listLobbies',
      'lobbyInfo',
      'isHost',
      'hostId',
      'manageLobby',
      'setMaxPlayers',
      'setLobbyPassword',
      'kickPlayer',
      'transferHost',
      'whenPlayerJoins',
      'whenPlayerLeaves',
      'players',
      'usernameOf',
      'isPlayerConnected',
      'disconnectPlayer',
      'openChannel',
      'closeChannel',
      'whenChannelOpens',
      'whenChannelCloses',
      'broadcastData',
      'sendPrivate',
      'whenBroadcast',
      'whenPrivate',
      'lastData',
      'lastSender',
      'syncVariable',
      'syncVariableWith',
      'syncList',
      'syncListWith',
      'stopSyncing',
      'requestMicrophone',
      'callPlayer',
      'answerCall',
      'declineCall',
      'hangUp',
      'muteFor',
      'whenCall',
      'setVoiceVolume',
      'setVoicePosition',
    ])
      expect(opcodes.has(needed), needed).toBe(true);
  });

  it('passes every block text, label and menu item through the global Scratch.translate, each time getInfo runs', () => {
    // Block text is translated by the GLOBAL Scratch (blocks/translate.ts), as in TurboWarp.
    const scope = globalThis as { Scratch?: unknown };
    const saved = scope.Scratch;
    let language = 'T';
    scope.Scratch = { translate: (m: string | { default: string }) => `${language}(${typeof m === 'string' ? m : m.default})` };
    try {
      const extension = createExtension(fakeScratch(runtime), client, sync, runtime);
      const texts = (info: Info) => [
        info.name,
        ...info.blocks.filter((b) => typeof b === 'object').map((b) => (b as { text: string }).text),
        ...Object.values(info.menus).flatMap((menu) => (Array.isArray(menu.items) ? menu.items.map((item: { text: string }) => item.text) : [])),
      ];
      const translated = texts(extension.getInfo() as Info);
      expect(translated.filter((t) => !t.startsWith('T('))).toEqual([]);
      language = 'D';
      expect(texts(extension.getInfo() as Info).filter((t) => t.startsWith('T('))).toEqual([]);
    } finally {
      scope.Scratch = saved;
    }
  });
});

describe('block → core mapping', () => {
  it('connects with the settings blocks applied', async () => {
    run('setGameId', { UGI: 'space-race' });
    run('setToken', { TOKEN: 'tok' });
    run('setEncryption', { ONOFF: 'on' });
    run('setKeepalive', { SECONDS: '5' });
    await run('connect', { URL: 'ws://127.0.0.1:3000/', USERNAME: 42 });
    expect(client.calls.at(-1)).toEqual([
      'connect',
      { url: 'ws://127.0.0.1:3000/', username: '42', ugi: 'space-race', token: 'tok', encryption: true, keepaliveSeconds: 5 },
    ]);
  });

  it('asks Scratch.canFetch before connecting; refused, it opens nothing and says why', async () => {
    const asked: string[] = [];
    let allow = false;
    const canFetch = (url: string) => {
      asked.push(url);
      return Promise.resolve(allow);
    };
    const scratch = { ...fakeScratch(runtime), canFetch };
    extension = createExtension(scratch, client, sync, runtime);
    const errorHat = hat('whenError');
    await run('connect', { URL: 'ws://127.0.0.1:3000/', USERNAME: 'ann' });
    expect(asked).toEqual(['ws://127.0.0.1:3000/']);
    expect(client.calls.some(([method]) => method === 'connect')).toBe(false);
    expect(await run('lastErrorCode')).toBe('not-allowed');
    expect(await run('lastError')).toMatch(/not allowed to connect to ws:\/\/127\.0\.0\.1:3000\/.*canFetch/);
    expect(errorHat.fired.length).toBe(1);
    allow = true;
    await run('connect', { URL: 'ws://127.0.0.1:3000/', USERNAME: 'ann' });
    expect(client.calls.at(-1)?.[0]).toBe('connect');
  });

  it('builds the ICE server list and the relay-only policy', () => {
    run('addIceServer', { URL: 'turn:turn.example:3478', USER: 'u', PASS: 'p' });
    run('addIceServer', { URL: 'stun:stun.example:3478', USER: '', PASS: '' });
    expect(client.calls.at(-1)).toEqual([
      'setIceServers',
      [{ urls: 'turn:turn.example:3478', username: 'u', credential: 'p' }, { urls: 'stun:stun.example:3478' }],
    ]);
    run('clearIceServers');
    expect(client.calls.at(-1)).toEqual(['setIceServers', []]);
    run('setRelayOnly', { ONOFF: 'on' });
    expect(client.calls.at(-1)).toEqual(['setRelayOnly', true]);
  });

  it("reads yes/no and on/off menus by their values, anything else as Scratch's Cast.toBoolean", async () => {
    const created = async (LOCKED: unknown) => {
      await run('createLobby', { NAME: 'r', MAX: 2, PASSWORD: '', LOCKED, HIDDEN: 'no', RELAY: 'no' });
      return (client.calls.at(-1)![1] as { locked: boolean }).locked;
    };
    // The menu's own values...
    expect(await created('yes')).toBe(true);
    expect(await created('no')).toBe(false);
    // ...and a reporter dropped in, read as Scratch reads it: only false, 0, '', '0', 'false' are false.
    for (const value of [true, 1, 'true', 'off', 'anything']) expect(await created(value), String(value)).toBe(true);
    for (const value of [false, 0, '', '0', 'false']) expect(await created(value), String(value)).toBe(false);
    run('setRelayOnly', { ONOFF: 'off' });
    expect(client.calls.at(-1)).toEqual(['setRelayOnly', false]);
    run('setRelayOnly', { ONOFF: true });
    expect(client.calls.at(-1)).toEqual(['setRelayOnly', true]);
    // Numbers: Cast.toNumber (' 7 ' is 7, text is 0), and no endless number.
    await run('setMaxPlayers', { MAX: ' 7 ' });
    expect(client.calls.at(-1)).toEqual(['setMaxPlayers', 7]);
    await run('setMaxPlayers', { MAX: 'Infinity' });
    expect(client.calls.at(-1)).toEqual(['setMaxPlayers', 0]);
  });

  it('casts lobby arguments', async () => {
    await run('createLobby', { NAME: 7, MAX: '4.9', PASSWORD: 'pw', LOCKED: 'yes', HIDDEN: 'no', RELAY: 'true' });
    expect(client.calls.at(-1)).toEqual(['createLobby', { name: '7', maxPlayers: 4, password: 'pw', locked: true, hidden: false, enableRelay: true }]);
    await run('joinLobby', { NAME: 'room', PASSWORD: '' });
    expect(client.calls.at(-1)).toEqual(['joinLobby', 'room', '']);
    await run('setMaxPlayers', { MAX: 'abc' });
    expect(client.calls.at(-1)).toEqual(['setMaxPlayers', 0]);
    for (const [action, method] of [
      ['lock', 'lockLobby'],
      ['unlock', 'unlockLobby'],
      ['hide', 'hideLobby'],
      ['show', 'showLobby'],
      ['close', 'closeLobby'],
    ]) {
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
    expect(client.calls.slice(-4)).toEqual([
      ['call', 'p-2'],
      ['setMuted', 'p-2', true],
      ['setVolume', 'p-2', 35],
      ['setVoicePosition', 'p-2', 1, -2, 0],
    ]);
  });

  it('reports the pings as numbers, for the player named by id', () => {
    expect(run('serverPing')).toBe(12);
    expect(run('playerPing', { PLAYER: 'p-2' })).toBe(34);
    expect(run('playerPing', { PLAYER: 7 })).toBe(-1);
    expect(client.calls.slice(-3)).toEqual([['serverPing'], ['playerPing', 'p-2'], ['playerPing', '7']]);
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

  it('each failure is reported once, with its code; inside "when an error happens" the reporters read that error', async () => {
    const errorHat = hat('whenError');
    client.failNext('createLobby', 'CREATE_LOBBY: full', 'full');
    await run('createLobby', { NAME: 'room', MAX: 2 });
    // The core reported it when the call failed; the block's own report of the same error does nothing.
    expect(client.errors).toEqual(['CREATE_LOBBY: full']);
    runtime._step(); // this fake core reports during the block: the hat starts once it is over
    expect(errorHat.fired.length).toBe(1);
    expect([run('lastError'), run('lastErrorCode')]).toEqual(['CREATE_LOBBY: full', 'full']);
    client.failNext('kick', 'not connected', 'not-connected');
    await run('kickPlayer', { PLAYER: 'p-2' });
    expect(run('lastErrorCode')).toBe('not-connected');
    expect([call('lastError', {}, inScript(errorHat, 0)), call('lastErrorCode', {}, inScript(errorHat, 0))]).toEqual(['CREATE_LOBBY: full', 'full']);
    // A failure from outside the core (the blocks' own argument check) is reported by the block, once.
    call('syncVariableWith', { VAR: 'score', PLAYER: '', ID: 'duel' }, { target: {}, thread: {} });
    expect(client.errors.at(-1)).toBe('which player? the player id is empty');
    expect(run('lastErrorCode')).toBe('invalid');
    runtime._step();
    expect(errorHat.fired.length).toBe(3);
  });

  it('a block that fails does not start hats while it runs: they start once it is over (here, at the end of the frame)', () => {
    const errorHat = hat('whenError');
    call('syncVariableWith', { VAR: 'score', PLAYER: '', ID: 'duel' }, { target: {}, thread: {} });
    expect(run('lastErrorCode')).toBe('invalid');
    expect(errorHat.fired.length).toBe(0);
    runtime._step();
    expect(errorHat.fired.length).toBe(1);
  });

  it('connect pressed again while connected (the core says "connected" at once) starts the hat after the block, in order with later events', () => {
    const base = fakeClient();
    const emitting = new Proxy(base, {
      get: (target, property) =>
        property === 'connect'
          ? () => {
              target.emitter.emit('connected');
              return Promise.resolve();
            }
          : Reflect.get(target, property),
    });
    runtime = fakeRuntime(() => extension);
    extension = createExtension(fakeScratch(runtime), emitting, sync, runtime);
    const connected = hat('whenConnected');
    const errors = hat('whenError');
    const order: string[] = [];
    const startHats = runtime.startHats.bind(runtime);
    runtime.startHats = (opcode, ...rest) => {
      order.push(opcode);
      return startHats(opcode, ...rest);
    };
    run('connect', { URL: 'ws://127.0.0.1:3000/', USERNAME: 'ann' });
    expect(connected.fired.length).toBe(0);
    // An event from outside any block while the first still waits: both start now, in order.
    base.emitter.emit('error', new CloudLinkError('timeout', 'late'));
    expect([connected.fired.length, errors.fired.length]).toEqual([1, 1]);
    runtime._step();
    expect([connected.fired.length, errors.fired.length]).toEqual([1, 1]);
    expect(order).toEqual(['cloudlink5_whenConnected', 'cloudlink5_whenError']);
  });

  it('a failing reporter returns a visible empty value', async () => {
    client.failNext('listLobbies', 'not connected');
    expect(await run('listLobbies')).toBe('[]');
    client.failNext('findLobby', 'not connected');
    expect(await run('lobbyExists', { NAME: 'room' })).toBe(false);
  });

  it('a sync block naming a missing variable reports it (real blocks/sync binding by default)', () => {
    const real = createExtension(fakeScratch(runtime), client);
    const target = { lookupVariableByNameAndType: () => null };
    (real.syncVariable as (a: object, u: object) => unknown)({ VAR: 'nope', ID: 'x' }, { target, thread: {} });
    expect(client.errors).toEqual(['no variable named "nope"']);
    expect(client.lastError?.code).toBe('invalid');
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
    const lost = hat('whenLinkLost');
    const back = hat('whenLinkBack');
    client.emitter.emit('link-lost', 'p-2');
    client.emitter.emit('link-lost', 'p-3');
    client.emitter.emit('link-back', 'p-2');
    expect([lost.fired.length, back.fired.length]).toEqual([2, 1]);
    const inside = (opcode: string, thread: unknown) =>
      (extension[opcode] as (a: object, u: BlockUtil) => unknown)({}, { target: {}, thread } as unknown as BlockUtil);
    expect(inside('lostPlayer', lost.fired[0])).toBe('p-2');
    expect(inside('backPlayer', back.fired[0])).toBe('p-2');
    // Outside a hat: the latest.
    expect(run('lostPlayer')).toBe('p-3');
    expect(run('backPlayer')).toBe('p-2');
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

const call = (opcode: string, args: Record<string, unknown>, u: unknown) => (extension[opcode] as (a: object, u: BlockUtil) => unknown)(args, u as BlockUtil);
const inScript = (installed: InstalledHat, index = 0) => ({ target: {}, thread: installed.fired[index] }) as unknown as BlockUtil;

describe('createExtension', () => {
  it('takes the data sync port as an object or a factory (given the runtime and the client)', () => {
    const made = fakeSync();
    let given: unknown[] = [];
    const ext = createExtension(fakeScratch(runtime), client, (rt, core) => {
      given = [rt, core];
      return made;
    });
    expect(given[0]).toBe(runtime);
    expect(given[1]).toBe(client);
    const target = { id: 't' };
    (ext.syncVariable as (a: object, u: object) => unknown)({ VAR: 'score', ID: 'score' }, { target, thread: {} });
    expect(made.calls).toEqual([['syncVariable', target, 'score', 'score', null]]);
  });

  it('defaults the runtime to Scratch.vm.runtime and refuses to work without one', () => {
    expect(() => createExtension(fakeScratch(runtime), client, sync)).not.toThrow();
    const noVm = { ...fakeScratch(runtime) };
    delete (noVm as { vm?: unknown }).vm;
    expect(() => createExtension(noVm, client, sync)).toThrow('Scratch.vm.runtime');
  });

  it('every hat is a non-edge-activated HAT; dynamic menus always give at least one item', () => {
    for (const block of blocks()) if (block.blockType === 'hat') expect((block as { isEdgeActivated?: boolean }).isEdgeActivated, block.opcode).toBe(false);
    for (const menu of Object.values(info().menus))
      if (typeof menu.items === 'string') expect((extension[menu.items] as () => unknown[])().length).toBeGreaterThan(0);
  });

  it('without Scratch.translate the English text is used as is', () => {
    expect(blocks().find((b) => b.opcode === 'connect')!.text).toBe('connect to server [URL] as [USERNAME]');
    expect(info().name).toBe('CloudLink 5');
  });
});

describe('networked data blocks', () => {
  it('map onto the DataSync port with the right target, name, id and scope', () => {
    const target = { id: 'sprite', isOriginal: true };
    call('syncVariable', { VAR: 'score', ID: 42 }, { target, thread: {} });
    call('syncVariableWith', { VAR: 'score', PLAYER: 'p-2', ID: 'duel' }, { target, thread: {} });
    call('syncList', { LISTNAME: 'scores', ID: 'scores' }, { target, thread: {} });
    call('syncListWith', { LISTNAME: 'hand', PLAYER: 'p-3', ID: 'cards' }, { target, thread: {} });
    run('stopSyncing', { ID: 'duel' });
    run('stopSyncingAll');
    expect(sync.calls).toEqual([
      ['syncVariable', target, 'score', '42', null],
      ['syncVariable', target, 'score', 'duel', 'p-2'],
      ['syncList', target, 'scores', 'scores', null],
      ['syncList', target, 'hand', 'cards', 'p-3'],
      ['stopSyncing', 'duel'],
      ['stopAll'],
    ]);
  });

  it('a clone binds the original sprite (sprite-local variables belong to it)', () => {
    const original = { id: 'original', isOriginal: true };
    const clone = { id: 'clone', isOriginal: false, sprite: { name: 'Ball', clones: [original] } };
    call('syncVariable', { VAR: 'x', ID: 'x' }, { target: clone, thread: {} });
    expect(sync.calls[0]![1]).toBe(original);
  });

  it('"with player" needs a player; port failures become last error + the error hat', () => {
    const errorHat = hat('whenError');
    call('syncVariableWith', { VAR: 'score', PLAYER: '', ID: 'duel' }, { target: {}, thread: {} });
    expect(sync.calls).toEqual([]);
    expect(client.errors).toEqual(['which player? the player id is empty']);
    const failing = fakeSync({ failWith: 'no list named "nope"' });
    const ext = createExtension(fakeScratch(runtime), client, failing, runtime);
    expect(() => (ext.syncList as (a: object, u: object) => unknown)({ LISTNAME: 'nope', ID: 'x' }, { target: {}, thread: {} })).not.toThrow();
    expect(client.lastError?.message).toBe('no list named "nope"');
    expect(errorHat.fired.length).toBe(2);
  });

  it('"when [ID] is changed by another player" runs only for its id and tells who changed it', () => {
    const score = hat('whenDataChanged', { ID: 'score' });
    const other = hat('whenDataChanged', { ID: 'lives' });
    sync.remoteChange('score', 'p-2');
    sync.remoteChange('score', 'p-3');
    expect([score.fired.length, other.fired.length]).toEqual([2, 0]);
    expect(call('dataChangedBy', {}, inScript(score, 0))).toBe('p-2');
    expect(run('dataChangedBy')).toBe('p-3');
  });

  it('the change hat is shown only when the port reports remote changes', () => {
    const quiet = createExtension(fakeScratch(runtime), client, fakeSync({ withEvents: false }), runtime).getInfo() as Info;
    const opcodes = quiet.blocks.filter((b): b is { opcode: string } & Info['blocks'][number] => typeof b === 'object' && 'opcode' in b).map((b) => b.opcode);
    expect(opcodes).toContain('syncVariable');
    expect(opcodes).not.toContain('whenDataChanged');
    expect(opcodes).not.toContain('dataChangedBy');
  });

  it("variable and list menus list the names the edited sprite can use (its own and the stage's)", () => {
    const editing = { getAllVariableNamesInScopeByType: (type: string) => (type === 'list' ? ['scores'] : ['score', 'lives']) };
    (runtime as { getEditingTarget?: () => unknown }).getEditingTarget = () => editing;
    const menus = info().menus;
    expect((extension[menus.variables!.items as string] as () => string[])()).toEqual(['lives', 'score']);
    expect((extension[menus.lists!.items as string] as () => string[])()).toEqual(['scores']);
    (runtime as { getEditingTarget?: () => unknown }).getEditingTarget = () => null;
    expect((extension[menus.lists!.items as string] as () => string[])()).toEqual(['']);
  });
});

describe('more hats and reporters', () => {
  it('"private message from player [P] on channel [C]" filters by both, with a per-player data reporter', () => {
    const bobChat = hat('whenPrivateFrom', { PLAYER: 'p-2', CHANNEL: 'chat' });
    const catChat = hat('whenPrivateFrom', { PLAYER: 'p-3', CHANNEL: 'chat' });
    client.emitter.emit('message', { from: 'p-2', channel: 'chat', kind: 'private', payload: 'hi from bob' });
    client.emitter.emit('message', { from: 'p-2', channel: 'game', kind: 'private', payload: [1, 2] });
    client.emitter.emit('message', { from: 'p-2', channel: 'chat', kind: 'broadcast', payload: 'to all' });
    expect([bobChat.fired.length, catChat.fired.length]).toEqual([1, 0]);
    expect(call('privateDataFrom', { PLAYER: 'p-2', CHANNEL: 'chat' }, inScript(bobChat))).toBe('hi from bob');
    expect(run('privateDataFrom', { PLAYER: 'p-2', CHANNEL: 'game' })).toBe('[1,2]');
    expect(run('privateDataFrom', { PLAYER: 'p-3', CHANNEL: 'chat' })).toBe('');
    // A player who left is forgotten.
    client.emitter.emit('peer-leave', 'p-2');
    expect(run('privateDataFrom', { PLAYER: 'p-2', CHANNEL: 'game' })).toBe('');
  });

  it('"when a call with player [P] [EVENT]" filters by player and event; "in a call with" reads the call state', () => {
    const bobRings = hat('whenCallWith', { PLAYER: 'p-2', EVENT: 'ringing' });
    const catRings = hat('whenCallWith', { PLAYER: 'p-3', EVENT: 'ringing' });
    client.emitter.emit('voice', 'ringing', 'p-2');
    client.emitter.emit('voice', 'hungup', 'p-3');
    expect([bobRings.fired.length, catRings.fired.length]).toEqual([1, 0]);
    expect(call('callPeer', {}, inScript(bobRings))).toBe('p-2');
    expect(run('inCallWith', { PLAYER: 'p-2' })).toBe(false);
    expect(client.calls.at(-1)).toEqual(['callState', 'p-2']);
  });

  it('an event reporter only reads the event of its own hat', () => {
    const leaves = hat('whenPlayerLeaves');
    client.emitter.emit('peer-join', { instance_id: 'p-9', user_id: 'u', username: 'dan' });
    client.emitter.emit('peer-leave', 'p-2');
    const leaveScript = inScript(leaves);
    expect(call('leftPlayer', {}, leaveScript)).toBe('p-2');
    expect(call('joinedPlayer', {}, leaveScript)).toBe('p-9'); // not the leaver: the latest joiner
  });

  it('connection hats and the disconnect reason', () => {
    const connected = hat('whenConnected');
    const disconnected = hat('whenDisconnected');
    client.emitter.emit('connected');
    client.emitter.emit('disconnected', 'server closed the connection');
    expect([connected.fired.length, disconnected.fired.length]).toEqual([1, 1]);
    expect(run('disconnectReason')).toBe('server closed the connection');
  });

  it('reconnect hats, the connection state and the automatic reconnect switch', () => {
    const reconnecting = hat('whenReconnecting');
    const reconnected = hat('whenReconnected');
    client.emitter.emit('reconnecting', 'connection closed');
    client.emitter.emit('reconnected');
    expect([reconnecting.fired.length, reconnected.fired.length]).toEqual([1, 1]);
    expect(run('connectionState')).toBe('connected');
    run('setAutoReconnect', { ONOFF: 'off' });
    run('setAutoReconnect', { ONOFF: 'on' });
    expect(client.calls.filter(([method]) => method === 'setAutoReconnect')).toEqual([
      ['setAutoReconnect', false],
      ['setAutoReconnect', true],
    ]);
  });

  it('channel hats tell which player the channel opened with', () => {
    const opens = hat('whenChannelOpens', { CHANNEL: 'moves' });
    client.emitter.emit('channel-open', 'p-3', 'moves');
    expect(call('channelPlayer', {}, inScript(opens))).toBe('p-3');
  });
});

describe("every failure gives a visible value of the block's type", () => {
  it('a throwing reporter gives "", a throwing boolean false, a rejecting command undefined; all become last error', async () => {
    const errorHat = hat('whenError');
    client.failNext('usernameOf', 'boom 1');
    expect(run('usernameOf', { PLAYER: 'p-2' })).toBe('');
    client.failNext('isPeerConnected', 'boom 2');
    expect(run('isPlayerConnected', { PLAYER: 'p-2' })).toBe(false);
    client.failNext('call', 'no microphone');
    await expect(run('callPlayer', { PLAYER: 'p-2' })).resolves.toBeUndefined();
    client.failNext('findLobby', 'not connected');
    await expect(run('lobbyInfo', { FIELD: 'players', NAME: 'room' })).resolves.toBe('');
    expect(client.errors).toEqual(['boom 1', 'boom 2', 'no microphone', 'not connected']);
    runtime._step(); // the hats start once the blocks are over
    expect(errorHat.fired.length).toBe(4);
    expect(run('lastError')).toBe('not connected');
  });

  it('voice, lobby and channel blocks map with cast arguments', async () => {
    await run('requestMicrophone');
    await run('answerCall', { PLAYER: 5 });
    run('declineCall', { PLAYER: 'p-3' });
    run('hangUp', { PLAYER: 'p-3' });
    run('muteFor', { ACTION: 'unmute', PLAYER: 'p-3' });
    run('closeChannel', { CHANNEL: 'moves' });
    run('openChannel', { CHANNEL: 'chat', MODE: 'ordered' });
    run('disconnectPlayer', { PLAYER: 'p-3' });
    await run('leaveLobby');
    await run('setLobbyPassword', { PASSWORD: 1234 });
    run('disconnect');
    expect(client.calls.slice(-11)).toEqual([
      ['requestMicrophone'],
      ['answer', '5'],
      ['decline', 'p-3'],
      ['hangup', 'p-3'],
      ['setMuted', 'p-3', false],
      ['closeChannel', 'moves'],
      ['openChannel', 'chat', true],
      ['disconnectPeer', 'p-3'],
      ['leaveLobby'],
      ['setPassword', '1234'],
      ['disconnect'],
    ]);
    expect([run('myId'), run('myUsername'), run('myMode'), run('isHost'), run('hostId'), run('myLobby'), run('isConnected')]).toEqual([
      'me-1',
      'ann',
      'host',
      true,
      'me-1',
      'room',
      true,
    ]);
    expect(run('channelList')).toBe('["default","chat"]');
    expect(run('playerCount')).toBe(2);
  });
});
