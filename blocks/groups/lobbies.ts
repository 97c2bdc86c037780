// Lobbies: create, join, leave, list, find, and the host's management blocks.
import { CloudLinkError } from '../../src/client/errors.js';
import type { LobbyInfo } from '../../src/protocol/index.js';
import type { BlockContext } from '../context.js';
import { eventHat } from '../event-hat.js';
import { reported, type BlockGroup } from '../spec.js';

function field(info: LobbyInfo, name: string): string | number | boolean {
  switch (name) {
    case 'host':
      return info.host.username;
    case 'host id':
      return info.host.instance_id;
    case 'players':
      return info.current_players;
    case 'max players':
      return info.max_players;
    case 'locked':
      return info.currently_locked;
    case 'password required':
      return info.password_required;
    case 'relay':
      return info.relay_enabled;
    case 'hidden':
      return info.hidden;
    default:
      return reported(info);
  }
}

export function lobbyBlocks(ctx: BlockContext): BlockGroup {
  const { client, hats } = ctx;
  const { choice, number, text } = ctx.cast;
  const { COMMAND, REPORTER, BOOLEAN } = ctx.Scratch.BlockType;
  const { STRING, NUMBER } = ctx.Scratch.ArgumentType;
  let newestLobby = '';

  client.on('lobby-new', (name) => {
    newestLobby = name;
    hats.fire('whenLobbyCreated', { name });
  });
  client.on('lobby-closed', (name) => hats.fire('whenLobbyClosed', { name }));
  client.on('host', (id) => hats.fire('whenHostChanges', { id }));

  const manage: Record<string, () => Promise<void>> = {
    lock: () => client.lockLobby(),
    unlock: () => client.unlockLobby(),
    hide: () => client.hideLobby(),
    show: () => client.showLobby(),
    close: () => client.closeLobby(),
  };

  return {
    label: () => Scratch.translate('Lobbies'),
    menus: {
      yesNo: {
        acceptReporters: true,
        items: [
          { text: () => Scratch.translate('yes'), value: 'yes' },
          { text: () => Scratch.translate('no'), value: 'no' },
        ],
      },
      manageActions: {
        acceptReporters: true,
        items: [
          { text: () => Scratch.translate('lock'), value: 'lock' },
          { text: () => Scratch.translate('unlock'), value: 'unlock' },
          { text: () => Scratch.translate('hide'), value: 'hide' },
          { text: () => Scratch.translate('show'), value: 'show' },
          { text: () => Scratch.translate('close'), value: 'close' },
        ],
      },
      lobbyFields: {
        acceptReporters: true,
        items: [
          { text: () => Scratch.translate('host'), value: 'host' },
          { text: () => Scratch.translate('host id'), value: 'host id' },
          { text: () => Scratch.translate('players'), value: 'players' },
          { text: () => Scratch.translate('max players'), value: 'max players' },
          { text: () => Scratch.translate('locked'), value: 'locked' },
          { text: () => Scratch.translate('password required'), value: 'password required' },
          { text: () => Scratch.translate('relay'), value: 'relay' },
          { text: () => Scratch.translate('hidden'), value: 'hidden' },
          { text: () => Scratch.translate('all (JSON)'), value: 'all (JSON)' },
        ],
      },
    },
    blocks: [
      {
        info: {
          opcode: 'createLobby',
          blockType: COMMAND,
          text: () => Scratch.translate('create lobby [NAME] for [MAX] players (-1 = any), password [PASSWORD] locked [LOCKED] hidden [HIDDEN] relay [RELAY]'),
          arguments: {
            NAME: { type: STRING, defaultValue: 'my lobby' },
            MAX: { type: NUMBER, defaultValue: -1 },
            PASSWORD: { type: STRING, defaultValue: '' },
            LOCKED: { type: STRING, menu: 'yesNo', defaultValue: 'no' },
            HIDDEN: { type: STRING, menu: 'yesNo', defaultValue: 'no' },
            RELAY: { type: STRING, menu: 'yesNo', defaultValue: 'no' },
          },
        },
        run: ({ NAME, MAX, PASSWORD, LOCKED, HIDDEN, RELAY }) =>
          client.createLobby({
            name: text(NAME),
            maxPlayers: Math.trunc(number(MAX)),
            password: text(PASSWORD),
            locked: choice(LOCKED, 'yes', 'no'),
            hidden: choice(HIDDEN, 'yes', 'no'),
            enableRelay: choice(RELAY, 'yes', 'no'),
          }),
      },
      {
        info: {
          opcode: 'joinLobby',
          blockType: COMMAND,
          text: () => Scratch.translate('join lobby [NAME] with password [PASSWORD]'),
          arguments: { NAME: { type: STRING, defaultValue: 'my lobby' }, PASSWORD: { type: STRING, defaultValue: '' } },
        },
        run: ({ NAME, PASSWORD }) => client.joinLobby(text(NAME), text(PASSWORD)),
      },
      { info: { opcode: 'leaveLobby', blockType: COMMAND, text: () => Scratch.translate('leave lobby') }, run: () => client.leaveLobby() },
      {
        info: { opcode: 'listLobbies', blockType: REPORTER, text: () => Scratch.translate('open lobbies (JSON)'), disableMonitor: true },
        run: async () => JSON.stringify(await client.listLobbies()),
        fallback: '[]',
      },
      {
        info: {
          opcode: 'lobbyInfo',
          blockType: REPORTER,
          text: () => Scratch.translate('[FIELD] of lobby [NAME]'),
          disableMonitor: true,
          arguments: { FIELD: { type: STRING, menu: 'lobbyFields', defaultValue: 'players' }, NAME: { type: STRING, defaultValue: 'my lobby' } },
        },
        run: async ({ FIELD, NAME }) => {
          const info = await client.findLobby(text(NAME));
          return info ? field(info, text(FIELD)) : '';
        },
      },
      {
        info: {
          opcode: 'lobbyExists',
          blockType: BOOLEAN,
          text: () => Scratch.translate('lobby [NAME] exists?'),
          arguments: { NAME: { type: STRING, defaultValue: 'my lobby' } },
        },
        run: async ({ NAME }) => (await client.findLobby(text(NAME))) !== null,
      },
      { info: { opcode: 'myLobby', blockType: REPORTER, text: () => Scratch.translate('my lobby') }, run: () => client.lobby },
      { info: { opcode: 'isHost', blockType: BOOLEAN, text: () => Scratch.translate('am I the host?') }, run: () => client.isHost },
      { info: { opcode: 'hostId', blockType: REPORTER, text: () => Scratch.translate('host id') }, run: () => client.hostId },
      {
        info: {
          opcode: 'manageLobby',
          blockType: COMMAND,
          text: () => Scratch.translate('[ACTION] my lobby'),
          arguments: { ACTION: { type: STRING, menu: 'manageActions', defaultValue: 'lock' } },
        },
        run: ({ ACTION }) => {
          const action = manage[text(ACTION)];
          if (!action) throw new CloudLinkError('invalid', `unknown lobby action "${text(ACTION)}"`);
          return action();
        },
      },
      {
        info: {
          opcode: 'setMaxPlayers',
          blockType: COMMAND,
          text: () => Scratch.translate('set player limit to [MAX]'),
          arguments: { MAX: { type: NUMBER, defaultValue: 8 } },
        },
        run: ({ MAX }) => client.setMaxPlayers(Math.trunc(number(MAX))),
      },
      {
        info: {
          opcode: 'setLobbyPassword',
          blockType: COMMAND,
          text: () => Scratch.translate('set lobby password to [PASSWORD]'),
          arguments: { PASSWORD: { type: STRING, defaultValue: '' } },
        },
        run: ({ PASSWORD }) => client.setPassword(text(PASSWORD)),
      },
      {
        info: {
          opcode: 'kickPlayer',
          blockType: COMMAND,
          text: () => Scratch.translate('kick player [PLAYER]'),
          arguments: { PLAYER: { type: STRING, defaultValue: '' } },
        },
        run: ({ PLAYER }) => client.kick(text(PLAYER)),
      },
      {
        info: {
          opcode: 'transferHost',
          blockType: COMMAND,
          text: () => Scratch.translate('make player [PLAYER] the host'),
          arguments: { PLAYER: { type: STRING, defaultValue: '' } },
        },
        run: ({ PLAYER }) => client.transferHost(text(PLAYER)),
      },
      { info: { opcode: 'newestLobby', blockType: REPORTER, text: () => Scratch.translate('newest lobby') }, run: () => newestLobby },
      eventHat(ctx, 'whenLobbyCreated', () => Scratch.translate('when a new lobby is created')),
      eventHat(ctx, 'whenLobbyClosed', () => Scratch.translate('when my lobby is closed')),
      eventHat(ctx, 'whenHostChanges', () => Scratch.translate('when the host changes')),
    ],
  };
}
