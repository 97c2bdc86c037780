// Lobbies: create, join, leave, list, find, and the host's management blocks.
import { CloudLinkError } from '../../src/client/errors.js';
import type { LobbyInfo } from '../../src/protocol/index.js';
import type { BlockContext } from '../context.js';
import { eventHat } from '../event-hat.js';
import { flag, number, reported, text, type BlockGroup } from '../spec.js';

const INFO_FIELDS = ['host', 'host id', 'players', 'max players', 'locked', 'password required', 'relay', 'hidden'] as const;

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
  const { Scratch, client, hats, t } = ctx;
  const { COMMAND, REPORTER, BOOLEAN } = Scratch.BlockType;
  const { STRING, NUMBER } = Scratch.ArgumentType;
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
    label: t('label.lobbies', 'Lobbies'),
    menus: {
      yesNo: {
        acceptReporters: true,
        items: [
          { text: t('menu.yes', 'yes'), value: 'yes' },
          { text: t('menu.no', 'no'), value: 'no' },
        ],
      },
      manageActions: {
        acceptReporters: true,
        items: Object.keys(manage).map((value) => ({ text: t(`menu.${value}`, value), value })),
      },
      lobbyFields: { acceptReporters: true, items: [...INFO_FIELDS, 'all (JSON)'].map((value) => ({ text: t(`menu.field.${value}`, value), value })) },
    },
    blocks: [
      {
        info: {
          opcode: 'createLobby',
          blockType: COMMAND,
          text: t('createLobby', 'create lobby [NAME] for [MAX] players (-1 = any), password [PASSWORD] locked [LOCKED] hidden [HIDDEN] relay [RELAY]'),
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
            locked: flag(LOCKED),
            hidden: flag(HIDDEN),
            enableRelay: flag(RELAY),
          }),
      },
      {
        info: {
          opcode: 'joinLobby',
          blockType: COMMAND,
          text: t('joinLobby', 'join lobby [NAME] with password [PASSWORD]'),
          arguments: { NAME: { type: STRING, defaultValue: 'my lobby' }, PASSWORD: { type: STRING, defaultValue: '' } },
        },
        run: ({ NAME, PASSWORD }) => client.joinLobby(text(NAME), text(PASSWORD)),
      },
      { info: { opcode: 'leaveLobby', blockType: COMMAND, text: t('leaveLobby', 'leave lobby') }, run: () => client.leaveLobby() },
      {
        info: { opcode: 'listLobbies', blockType: REPORTER, text: t('listLobbies', 'open lobbies (JSON)'), disableMonitor: true },
        run: async () => JSON.stringify(await client.listLobbies()),
        fallback: '[]',
      },
      {
        info: {
          opcode: 'lobbyInfo',
          blockType: REPORTER,
          text: t('lobbyInfo', '[FIELD] of lobby [NAME]'),
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
          text: t('lobbyExists', 'lobby [NAME] exists?'),
          arguments: { NAME: { type: STRING, defaultValue: 'my lobby' } },
        },
        run: async ({ NAME }) => (await client.findLobby(text(NAME))) !== null,
      },
      { info: { opcode: 'myLobby', blockType: REPORTER, text: t('myLobby', 'my lobby') }, run: () => client.lobby },
      { info: { opcode: 'isHost', blockType: BOOLEAN, text: t('isHost', 'am I the host?') }, run: () => client.isHost },
      { info: { opcode: 'hostId', blockType: REPORTER, text: t('hostId', 'host id') }, run: () => client.hostId },
      {
        info: {
          opcode: 'manageLobby',
          blockType: COMMAND,
          text: t('manageLobby', '[ACTION] my lobby'),
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
          text: t('setMaxPlayers', 'set player limit to [MAX]'),
          arguments: { MAX: { type: NUMBER, defaultValue: 8 } },
        },
        run: ({ MAX }) => client.setMaxPlayers(Math.trunc(number(MAX))),
      },
      {
        info: {
          opcode: 'setLobbyPassword',
          blockType: COMMAND,
          text: t('setLobbyPassword', 'set lobby password to [PASSWORD]'),
          arguments: { PASSWORD: { type: STRING, defaultValue: '' } },
        },
        run: ({ PASSWORD }) => client.setPassword(text(PASSWORD)),
      },
      {
        info: {
          opcode: 'kickPlayer',
          blockType: COMMAND,
          text: t('kickPlayer', 'kick player [PLAYER]'),
          arguments: { PLAYER: { type: STRING, defaultValue: '' } },
        },
        run: ({ PLAYER }) => client.kick(text(PLAYER)),
      },
      {
        info: {
          opcode: 'transferHost',
          blockType: COMMAND,
          text: t('transferHost', 'make player [PLAYER] the host'),
          arguments: { PLAYER: { type: STRING, defaultValue: '' } },
        },
        run: ({ PLAYER }) => client.transferHost(text(PLAYER)),
      },
      { info: { opcode: 'newestLobby', blockType: REPORTER, text: t('newestLobby', 'newest lobby') }, run: () => newestLobby },
      eventHat(ctx, 'whenLobbyCreated', 'when a new lobby is created'),
      eventHat(ctx, 'whenLobbyClosed', 'when my lobby is closed'),
      eventHat(ctx, 'whenHostChanges', 'when the host changes'),
    ],
  };
}
