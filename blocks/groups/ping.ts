// Ping: round-trip times to the server and to each player (src/client/ping.ts). Reading one is what
// measures it, about once a second while a project keeps reading; -1 until an answer is in.
import type { BlockContext } from '../context.js';
import { text, type BlockGroup } from '../spec.js';

export function pingBlocks(ctx: BlockContext): BlockGroup {
  const { Scratch, client, t } = ctx;
  const { REPORTER } = Scratch.BlockType;
  const { STRING } = Scratch.ArgumentType;

  return {
    label: t('label.ping', 'Ping'),
    blocks: [
      { info: { opcode: 'serverPing', blockType: REPORTER, text: t('serverPing', 'ping to server (ms)') }, run: () => client.serverPing() },
      {
        info: {
          opcode: 'playerPing',
          blockType: REPORTER,
          text: t('playerPing', 'ping to player [PLAYER] (ms)'),
          arguments: { PLAYER: { type: STRING, defaultValue: '' } },
        },
        run: ({ PLAYER }) => client.playerPing(text(PLAYER)),
      },
    ],
  };
}
