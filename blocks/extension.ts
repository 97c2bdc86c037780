// The extension object TurboWarp registers: getInfo() from the block groups, and one method per
// block that calls the group's `run`. Failures never escape a block: each is handed to the client's
// reportError (which makes it "last error" and runs the error hat, once, however many layers saw it),
// and the block gives a visible result of its type ('' / false / nothing).
import type { CoreClient } from '../src/client/api.js';
import type { BlockContext } from './context.js';
import { connectionBlocks } from './groups/connection.js';
import { dataBlocks } from './groups/data.js';
import { lobbyBlocks } from './groups/lobbies.js';
import { matchmakingBlocks } from './groups/matchmaking.js';
import { messageBlocks } from './groups/messages.js';
import { pingBlocks } from './groups/ping.js';
import { playerBlocks } from './groups/players.js';
import { voiceBlocks } from './groups/voice.js';
import { EXTENSION_ID, HatEvents } from './hats.js';
import { docsURI } from './metadata.json';
import type { DataSync, DataSyncFactory } from './ports.js';
import type { BlockInfo, BlockUtil, MenuInfo, ScratchApi, ScratchRuntime } from './scratch.js';
import { type BlockArgs, type BlockGroup, type BlockSpecInfo, castsOf, type MenuSpec } from './spec.js';
import { provideGlobalTranslate } from './translate.js';
import { createDataSync } from './wiring.js';

// A small cloud with three linked players (drawn for CL5).
const ICON =
  'data:image/svg+xml;base64,' +
  btoa(
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 40 40"><circle cx="20" cy="20" r="19" fill="#0fbd8c" stroke="#0b8e69" stroke-width="2"/>' +
      '<path d="M12 14L28 14L20 28Z" fill="none" stroke="#fff" stroke-width="2"/>' +
      '<circle cx="12" cy="14" r="4" fill="#fff"/><circle cx="28" cy="14" r="4" fill="#fff"/><circle cx="20" cy="28" r="4" fill="#fff"/></svg>',
  );

export type ExtensionObject = Record<string, unknown> & { getInfo(): object };

/**
 * Builds the CloudLink 5 extension object.
 * @param scratch the global `Scratch` (or a stand-in with `vm.runtime`, `BlockType`, `ArgumentType`)
 * @param client  the core client port (CloudLinkClient, or a fake in tests)
 * @param sync    the networked variable/list port, or a factory for it; defaults to blocks/sync/ (wiring.ts)
 * @param runtime the Scratch runtime; defaults to `scratch.vm.runtime`
 */
export function createExtension(
  scratch: ScratchApi,
  client: CoreClient,
  sync: DataSync | DataSyncFactory = createDataSync,
  runtime: ScratchRuntime | undefined = scratch.vm?.runtime,
): ExtensionObject {
  if (!runtime) throw new Error('CloudLink 5 needs the Scratch VM (Scratch.vm.runtime)');
  const data: DataSync = typeof sync === 'function' ? sync(runtime, client) : sync;

  const report = (error: unknown) => {
    try {
      client.reportError(error);
    } catch (failure) {
      console.error('CloudLink 5: could not record an error', error, failure);
    }
  };
  provideGlobalTranslate(scratch);
  const context: BlockContext = { Scratch: scratch, runtime, client, hats: new HatEvents(runtime), data, cast: castsOf(scratch.Cast) };
  const groups: BlockGroup[] = [connectionBlocks, lobbyBlocks, matchmakingBlocks, playerBlocks, pingBlocks, messageBlocks, dataBlocks, voiceBlocks].map(
    (group) => group(context),
  );
  const { BlockType } = scratch;
  const fallbackOf = (blockType: string): unknown =>
    blockType === BlockType.REPORTER ? '' : blockType === BlockType.BOOLEAN || blockType === BlockType.HAT || blockType === BlockType.EVENT ? false : undefined;

  const extension: ExtensionObject = {
    getInfo: () => ({
      id: EXTENSION_ID,
      name: Scratch.translate('CloudLink 5'),
      color1: '#0fbd8c',
      color2: '#0da57a',
      color3: '#0b8e69',
      docsURI,
      menuIconURI: ICON,
      blockIconURI: ICON,
      // TurboWarp shows group labels; vanilla Scratch only knows separators.
      blocks: groups.flatMap((group) => [
        BlockType.LABEL ? { blockType: BlockType.LABEL, text: group.label() } : '---',
        ...group.blocks.map((b) => infoOf(b.info)),
      ]),
      menus: Object.fromEntries(groups.flatMap((group) => Object.entries(group.menus ?? {}).map(([name, menu]) => [name, menuOf(menu)]))),
    }),
  };
  for (const group of groups) {
    for (const block of group.blocks) {
      const fallback = 'fallback' in block ? block.fallback : fallbackOf(block.info.blockType);
      extension[block.info.opcode] = (args: BlockArgs, util: BlockUtil) =>
        context.hats.duringBlock(() => {
          const failed = (error: unknown) => {
            report(error);
            return fallback;
          };
          try {
            const result = block.run(args ?? {}, util);
            // A promise that rejects would be an unhandled rejection in the VM: settle it here.
            return isThenable(result) ? Promise.resolve(result).catch(failed) : result;
          } catch (error) {
            return failed(error);
          }
        });
    }
    for (const [name, items] of Object.entries(group.menuItems ?? {})) {
      extension[name] = () => {
        try {
          const list = items();
          return list.length ? list : [''];
        } catch (error) {
          console.error('CloudLink 5: menu failed', error);
          return [''];
        }
      };
    }
  }
  return extension;
}

/** Texts are made now, in the editor's language (getInfo runs again when it changes). */
const infoOf = ({ text, ...info }: BlockSpecInfo): BlockInfo => ({ ...info, text: text() });
const menuOf = ({ acceptReporters, items }: MenuSpec): MenuInfo => ({
  acceptReporters,
  items: typeof items === 'string' ? items : items.map((item) => ({ text: item.text(), value: item.value })),
});

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}
