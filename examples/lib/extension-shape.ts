// The CloudLink 5 blocks' shapes (arguments, menus), read from the extension itself so projects
// written with the builder always match what the extension declares.
import { CloudLinkClient } from '../../src/client/cloudlink.js';
import { createExtension } from '../../blocks/extension.js';
import type { BlockInfo, MenuInfo, ScratchApi, ScratchRuntime } from '../../blocks/scratch.js';
import type { ExtensionShape } from './project.js';
import { ScratchVmCast } from './scratch-cast.js';

/** The constants Scratch's extension API defines (same strings in Scratch and TurboWarp). */
export const ArgumentType = { STRING: 'string', NUMBER: 'number', BOOLEAN: 'Boolean' } as const;
export const BlockType = { COMMAND: 'command', REPORTER: 'reporter', BOOLEAN: 'Boolean', HAT: 'hat', EVENT: 'event' } as const;

/** A `Scratch` object for running the extension outside TurboWarp (vanilla scratch-vm in Node). */
export function nodeScratch(runtime: ScratchRuntime): ScratchApi {
  return {
    extensions: { unsandboxed: true, register: () => {} },
    vm: { runtime },
    Cast: ScratchVmCast,
    ArgumentType,
    BlockType,
  };
}

/** What the CloudLink 5 extension's getInfo() says: its id, its blocks (labels left out) and menus. */
export interface CloudlinkInfo {
  id: string;
  blocks: BlockInfo[];
  menus: Record<string, MenuInfo>;
}

export function cloudlinkInfo(): CloudlinkInfo {
  const runtime = { startHats: () => [], _step() {} } as ScratchRuntime;
  const info = createExtension(nodeScratch(runtime), new CloudLinkClient()).getInfo() as {
    id: string;
    blocks: (BlockInfo | string | { opcode?: undefined })[];
    menus: Record<string, MenuInfo>;
  };
  return { id: info.id, menus: info.menus, blocks: info.blocks.filter((b): b is BlockInfo => typeof b === 'object' && typeof b.opcode === 'string') };
}

export function cloudlinkShape(): ExtensionShape {
  const { id, menus, blocks } = cloudlinkInfo();
  return { id, menus, blocks: blocks.map(({ opcode, arguments: args }) => ({ opcode, ...(args ? { arguments: args } : {}) })) };
}
