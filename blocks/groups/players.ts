// Players: who is in my lobby, join/leave events, names, and my links to them.
import type { BlockContext } from '../context.js';
import { eventHat } from '../event-hat.js';
import { text, type BlockGroup } from '../spec.js';

export function playerBlocks(ctx: BlockContext): BlockGroup {
  const { Scratch, client, hats, t } = ctx;
  const { COMMAND, REPORTER, BOOLEAN } = Scratch.BlockType;
  const { STRING } = Scratch.ArgumentType;
  const last = { joined: '', left: '', connected: '', lost: '', back: '' };

  client.on('peer-join', (user) => {
    last.joined = user.instance_id;
    hats.fire('whenPlayerJoins', { id: user.instance_id });
  });
  client.on('peer-leave', (id) => {
    last.left = id;
    hats.fire('whenPlayerLeaves', { id });
  });
  client.on('peer-connected', (id) => {
    last.connected = id;
    hats.fire('whenPlayerConnected', { id });
  });
  client.on('link-lost', (id) => {
    last.lost = id;
    hats.fire('whenLinkLost', { id });
  });
  client.on('link-back', (id) => {
    last.back = id;
    hats.fire('whenLinkBack', { id });
  });

  /** The player a hat started this script for, else the latest one. */
  const eventPlayer = (
    util: Parameters<typeof hats.eventOf>[0],
    hat: 'whenPlayerJoins' | 'whenPlayerLeaves' | 'whenPlayerConnected' | 'whenLinkLost' | 'whenLinkBack',
    fallback: string,
  ) => hats.eventOf(util, hat)?.id ?? fallback;

  return {
    label: t('label.players', 'Players'),
    blocks: [
      eventHat(ctx, 'whenPlayerJoins', 'when a player joins my lobby'),
      eventHat(ctx, 'whenPlayerLeaves', 'when a player leaves my lobby'),
      eventHat(ctx, 'whenPlayerConnected', 'when my link to a player opens'),
      {
        info: { opcode: 'joinedPlayer', blockType: REPORTER, text: t('joinedPlayer', 'player who joined') },
        run: (_args, util) => eventPlayer(util, 'whenPlayerJoins', last.joined),
      },
      {
        info: { opcode: 'leftPlayer', blockType: REPORTER, text: t('leftPlayer', 'player who left') },
        run: (_args, util) => eventPlayer(util, 'whenPlayerLeaves', last.left),
      },
      {
        info: { opcode: 'connectedPlayer', blockType: REPORTER, text: t('connectedPlayer', 'player whose link opened') },
        run: (_args, util) => eventPlayer(util, 'whenPlayerConnected', last.connected),
      },
      eventHat(ctx, 'whenLinkLost', 'when my link to a player is lost'),
      eventHat(ctx, 'whenLinkBack', 'when my link to a player is back'),
      {
        info: { opcode: 'lostPlayer', blockType: REPORTER, text: t('lostPlayer', 'player whose link was lost') },
        run: (_args, util) => eventPlayer(util, 'whenLinkLost', last.lost),
      },
      {
        info: { opcode: 'backPlayer', blockType: REPORTER, text: t('backPlayer', 'player whose link is back') },
        run: (_args, util) => eventPlayer(util, 'whenLinkBack', last.back),
      },
      { info: { opcode: 'players', blockType: REPORTER, text: t('players', 'players in my lobby (JSON)') }, run: () => JSON.stringify(client.players()) },
      { info: { opcode: 'playerCount', blockType: REPORTER, text: t('playerCount', 'number of other players') }, run: () => client.players().length },
      {
        info: {
          opcode: 'usernameOf',
          blockType: REPORTER,
          text: t('usernameOf', 'username of player [PLAYER]'),
          arguments: { PLAYER: { type: STRING, defaultValue: '' } },
        },
        run: ({ PLAYER }) => client.usernameOf(text(PLAYER)),
      },
      {
        info: {
          opcode: 'playerWithName',
          blockType: REPORTER,
          text: t('playerWithName', 'player id of [USERNAME]'),
          arguments: { USERNAME: { type: STRING, defaultValue: 'player' } },
        },
        run: ({ USERNAME }) => client.players().find((id) => client.usernameOf(id) === text(USERNAME)) ?? '',
      },
      {
        info: {
          opcode: 'isPlayerConnected',
          blockType: BOOLEAN,
          text: t('isPlayerConnected', 'link to player [PLAYER] open?'),
          arguments: { PLAYER: { type: STRING, defaultValue: '' } },
        },
        run: ({ PLAYER }) => client.isPeerConnected(text(PLAYER)),
      },
      {
        info: {
          opcode: 'disconnectPlayer',
          blockType: COMMAND,
          text: t('disconnectPlayer', 'close my link to player [PLAYER]'),
          arguments: { PLAYER: { type: STRING, defaultValue: '' } },
        },
        run: ({ PLAYER }) => client.disconnectPeer(text(PLAYER)),
      },
    ],
  };
}
