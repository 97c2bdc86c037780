// Players: who is in my lobby, join/leave events, names, and my links to them.
import type { BlockContext } from '../context.js';
import { eventHat } from '../event-hat.js';
import type { BlockGroup, BlockSpec } from '../spec.js';
import type { Text } from '../translate.js';

type PlayerHat = 'whenPlayerJoins' | 'whenPlayerLeaves' | 'whenPlayerConnected' | 'whenLinkLost' | 'whenLinkBack';

export function playerBlocks(ctx: BlockContext): BlockGroup {
  const { client, hats } = ctx;
  const { text } = ctx.cast;
  const { COMMAND, REPORTER, BOOLEAN } = ctx.Scratch.BlockType;
  const { STRING } = ctx.Scratch.ArgumentType;
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
  const playerOf = (opcode: string, label: Text, hat: PlayerHat): BlockSpec => ({
    info: { opcode, blockType: REPORTER, text: label },
    run: (_args, util) => hats.eventOf(util, hat)?.id ?? latest[hat] ?? '',
  });

  return {
    label: () => Scratch.translate('Players'),
    blocks: [
      eventHat(ctx, 'whenPlayerJoins', () => Scratch.translate('when a player joins my lobby')),
      eventHat(ctx, 'whenPlayerLeaves', () => Scratch.translate('when a player leaves my lobby')),
      eventHat(ctx, 'whenPlayerConnected', () => Scratch.translate('when my link to a player opens')),
      playerOf('joinedPlayer', () => Scratch.translate('player who joined'), 'whenPlayerJoins'),
      playerOf('leftPlayer', () => Scratch.translate('player who left'), 'whenPlayerLeaves'),
      playerOf('connectedPlayer', () => Scratch.translate('player whose link opened'), 'whenPlayerConnected'),
      eventHat(ctx, 'whenLinkLost', () => Scratch.translate('when my link to a player is lost')),
      eventHat(ctx, 'whenLinkBack', () => Scratch.translate('when my link to a player is back')),
      playerOf('lostPlayer', () => Scratch.translate('player whose link was lost'), 'whenLinkLost'),
      playerOf('backPlayer', () => Scratch.translate('player whose link is back'), 'whenLinkBack'),
      {
        info: { opcode: 'players', blockType: REPORTER, text: () => Scratch.translate('players in my lobby (JSON)') },
        run: () => JSON.stringify(client.players()),
      },
      { info: { opcode: 'playerCount', blockType: REPORTER, text: () => Scratch.translate('number of other players') }, run: () => client.players().length },
      {
        info: {
          opcode: 'usernameOf',
          blockType: REPORTER,
          text: () => Scratch.translate('username of player [PLAYER]'),
          arguments: { PLAYER: { type: STRING, defaultValue: '' } },
        },
        run: ({ PLAYER }) => client.usernameOf(text(PLAYER)),
      },
      {
        info: {
          opcode: 'playerWithName',
          blockType: REPORTER,
          text: () => Scratch.translate('player id of [USERNAME]'),
          arguments: { USERNAME: { type: STRING, defaultValue: 'player' } },
        },
        run: ({ USERNAME }) => client.players().find((id) => client.usernameOf(id) === text(USERNAME)) ?? '',
      },
      {
        info: {
          opcode: 'isPlayerConnected',
          blockType: BOOLEAN,
          text: () => Scratch.translate('link to player [PLAYER] open?'),
          arguments: { PLAYER: { type: STRING, defaultValue: '' } },
        },
        run: ({ PLAYER }) => client.isPeerConnected(text(PLAYER)),
      },
      {
        info: {
          opcode: 'disconnectPlayer',
          blockType: COMMAND,
          text: () => Scratch.translate('close my link to player [PLAYER]'),
          arguments: { PLAYER: { type: STRING, defaultValue: '' } },
        },
        run: ({ PLAYER }) => client.disconnectPeer(text(PLAYER)),
      },
    ],
  };
}
