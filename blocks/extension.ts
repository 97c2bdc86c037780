// The extension object TurboWarp registers: getInfo() from the block groups, and one method per
// block that calls the group's `run`. Failures never escape a block: they become "last error".
import type { CoreClient } from '../src/client/api.js';
import type { BlockContext } from './context.js';
import { connectionBlocks } from './groups/connection.js';
import { dataBlocks } from './groups/data.js';
import { lobbyBlocks } from './groups/lobbies.js';
import { messageBlocks } from './groups/messages.js';
import { playerBlocks } from './groups/players.js';
import { voiceBlocks } from './groups/voice.js';
import { EXTENSION_ID, HatEvents } from './hats.js';
import type { BlockUtil, ScratchApi, ScratchRuntime } from './scratch.js';
import type { BlockArgs, BlockGroup } from './spec.js';
import { NetworkedData } from './sync/networked-data.js';
import { translator } from './translate.js';

const ICON =
  'data:image/svg+xml;base64,' +
  btoa(
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 40 40"><circle cx="20" cy="20" r="19" fill="#0fbd8c"/>' +
      '<circle cx="12" cy="14" r="4" fill="#fff"/><circle cx="28" cy="14" r="4" fill="#fff"/><circle cx="20" cy="28" r="4" fill="#fff"/>' +
      '<path d="M12 14L28 14L20 28Z" fill="none" stroke="#fff" stroke-width="2"/></svg>',
  );

export type ExtensionObject = Record<string, unknown> & { getInfo(): object };

export function createExtension(Scratch: ScratchApi, client: CoreClient, runtime: ScratchRuntime | undefined = Scratch.vm?.runtime): ExtensionObject {
  if (!runtime) throw new Error('CloudLink 5 needs the Scratch VM (Scratch.vm.runtime)');
  const t = translator(Scratch);
  const context: BlockContext = {
    Scratch,
    client,
    hats: new HatEvents(runtime),
    data: new NetworkedData(runtime, client),
    t,
    attempt(run, fallback) {
      const failed = (error: unknown) => {
        client.reportError(error);
        return fallback;
      };
      try {
        const result = run();
        return result instanceof Promise ? result.catch(failed) : result;
      } catch (error) {
        return failed(error);
      }
    },
  };
  const groups: BlockGroup[] = [connectionBlocks, lobbyBlocks, playerBlocks, messageBlocks, dataBlocks, voiceBlocks].map((group) => group(context));

  const extension: ExtensionObject = {
    getInfo: () => ({
      id: EXTENSION_ID,
      name: 'CloudLink 5',
      color1: '#0fbd8c',
      color2: '#0da57a',
      color3: '#0b8e69',
      menuIconURI: ICON,
      blockIconURI: ICON,
      docsURI: 'https://github.com/cloudlink5/cloudlink5/blob/main/docs/blocks.md',
      // TurboWarp shows group labels; vanilla Scratch only knows separators.
      blocks: groups.flatMap((group) => [
        Scratch.BlockType.LABEL ? { blockType: Scratch.BlockType.LABEL, text: group.label } : '---',
        ...group.blocks.map((b) => b.info),
      ]),
      menus: Object.assign({}, ...groups.map((group) => group.menus ?? {})),
    }),
  };
  for (const group of groups) {
    for (const block of group.blocks) {
      extension[block.info.opcode] = (args: BlockArgs, util: BlockUtil) => {
        try {
          return block.run(args ?? {}, util);
        } catch (error) {
          // Reporters and hats must return something Scratch can show, never throw.
          client.reportError(error);
          return '';
        }
      };
    }
    for (const [name, items] of Object.entries(group.menuItems ?? {})) extension[name] = items;
  }
  return extension;
}
