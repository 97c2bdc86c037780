// Reads an extension's block shapes (ids, arguments, menus) from its JavaScript source, by running
// it against a stub `Scratch` that only records what `Scratch.extensions.register` is given. Good for
// small extensions that do nothing at load time beyond defining their class (test fixtures).
import { runInNewContext } from 'node:vm';
import type { ExtensionShape } from './project.js';

interface Info {
  id: string;
  blocks: (string | { opcode?: string; arguments?: Record<string, { type: string; menu?: string }> })[];
  menus?: Record<string, { acceptReporters?: boolean } | unknown[] | string>;
}

export function shapeFromSource(source: string): ExtensionShape {
  const registered: { getInfo(): Info }[] = [];
  const Scratch = {
    extensions: { unsandboxed: true, register: (extension: { getInfo(): Info }) => registered.push(extension) },
    ArgumentType: { STRING: 'string', NUMBER: 'number', BOOLEAN: 'Boolean', ANGLE: 'angle', COLOR: 'color', MATRIX: 'matrix', NOTE: 'note', IMAGE: 'image' },
    BlockType: {
      COMMAND: 'command',
      REPORTER: 'reporter',
      BOOLEAN: 'Boolean',
      HAT: 'hat',
      EVENT: 'event',
      LOOP: 'loop',
      CONDITIONAL: 'conditional',
      LABEL: 'label',
      BUTTON: 'button',
      XML: 'xml',
    },
    TargetType: { SPRITE: 'sprite', STAGE: 'stage' },
    Cast: {},
    vm: {},
  };
  runInNewContext(source, { Scratch, window: {}, console }, { timeout: 1000 });
  if (registered.length !== 1) throw new Error(`expected one extension to register, got ${registered.length}`);
  const info = registered[0]!.getInfo();
  const menus: ExtensionShape['menus'] = {};
  for (const [name, menu] of Object.entries(info.menus ?? {})) {
    menus[name] = {
      acceptReporters: !Array.isArray(menu) && typeof menu === 'object' && menu !== null && (menu as { acceptReporters?: boolean }).acceptReporters === true,
    };
  }
  const blocks = info.blocks
    .filter((b): b is { opcode: string; arguments?: Record<string, { type: string; menu?: string }> } => typeof b === 'object' && typeof b.opcode === 'string')
    .map((b) => ({ opcode: b.opcode, ...(b.arguments ? { arguments: b.arguments } : {}) }));
  return { id: info.id, menus, blocks };
}
