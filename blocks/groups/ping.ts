// Ping: round-trip times to the server and to each player (src/client/ping.ts). Reading one is what
// measures it, about once a second while a project keeps reading; -1 until an answer is in.
import type { BlockContext } from '../context.js';
import type { BlockGroup } from '../spec.js';

export function pingBlocks(ctx: BlockContext): BlockGroup {
  const { client } = ctx;
  const { text } = ctx.cast;
  const { REPORTER } = ctx.Scratch.BlockType;
  const { STRING } = ctx.Scratch.ArgumentType;

  return {
    label: () => Scratch.translate('Ping'),
    blocks: [
      { info: { opcode: 'serverPing', blockType: REPORTER, text: () => Scratch.translate('ping to server (ms)') }, run: () => client.serverPing() },
      {
        info: {
          opcode: 'playerPing',
          blockType: REPORTER,
          text: () => Scratch.translate('ping to player [PLAYER] (ms)'),
          arguments: { PLAYER: { type: STRING, defaultValue: '' } },
        },
        run: ({ PLAYER }) => client.playerPing(text(PLAYER)),
      },
    ],
  };
}
