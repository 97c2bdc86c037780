// Players: who is in my lobby, join/leave events, names, and my links to them.
import type { BlockContext } from '../context.js';
import { eventHat } from '../event-hat.js';
import { text, type BlockGroup, type BlockSpec } from '../spec.js';

type PlayerHat = 'whenPlayerJoins' | 'whenPlayerLeaves' | 'whenPlayerConnected' | 'whenLinkLost' | 'whenLinkBack';

export function playerBlocks(ctx: BlockContext): BlockGroup {
  const { Scratch, client, hats, t } = ctx;
  const { COMMAND, REPORTER, BOOLEAN } = Scratch.BlockType;
  const { STRING } = Scratch.ArgumentType;
  /** The latest player of each player event, for a reporter read outside that event's script. */
  const latest: Partial<Record<PlayerHat, string>> = {};
  const fire = (hat: PlayerHat, id: string) => {
    latest[hat] = id;
    hats.fire(hat, { id });
  };
  client.on('peer-join', (user) => fire('whenPlayerJoins', user.instance_id));
  client.on('peer-leave', (id) => fire('whenPlayerLeaves', id));
  client.on('peer-connected', (id) => fire('whenPlayerConnected', id));
  client.on('link-lost', (id) => fire('whenLinkLost', id));
  client.on('link-back', (id) => fire('whenLinkBack', id));

  /** A reporter of the player the hat started this script for, else the latest one. */
  const playerOf = (opcode: string, english: string, hat: PlayerHat): BlockSpec => ({
    info: { opcode, blockType: REPORTER, text: t(opcode, english) },
    run: (_args, util) => hats.eventOf(util, hat)?.id ?? latest[hat] ?? '',
  });

  return {
    label: t('label.players', 'Players'),
    blocks: [
      eventHat(ctx, 'whenPlayerJoins', 'when a player joins my lobby'),
      eventHat(ctx, 'whenPlayerLeaves', 'when a player leaves my lobby'),
      eventHat(ctx, 'whenPlayerConnected', 'when my link to a player opens'),
      playerOf('joinedPlayer', 'player who joined', 'whenPlayerJoins'),
      playerOf('leftPlayer', 'player who left', 'whenPlayerLeaves'),
      playerOf('connectedPlayer', 'player whose link opened', 'whenPlayerConnected'),
      eventHat(ctx, 'whenLinkLost', 'when my link to a player is lost'),
      eventHat(ctx, 'whenLinkBack', 'when my link to a player is back'),
      playerOf('lostPlayer', 'player whose link was lost', 'whenLinkLost'),
      playerOf('backPlayer', 'player whose link is back', 'whenLinkBack'),
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
