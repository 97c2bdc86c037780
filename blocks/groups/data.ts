// Networked variables and lists: bind a Scratch variable or list to a network id, with everyone
// (G_VAR/G_LIST) or with one player (P_VAR/P_LIST).
import type { BlockContext } from '../context.js';
import type { ScratchTarget } from '../scratch.js';
import { text, type BlockGroup } from '../spec.js';

export function dataBlocks(ctx: BlockContext): BlockGroup {
  const { Scratch, t, attempt, data } = ctx;
  const { COMMAND } = Scratch.BlockType;
  const { STRING } = Scratch.ArgumentType;
  const runtime = Scratch.vm?.runtime;

  /** Names of the variables (or lists) the sprite being edited can use: its own and the stage's. */
  const namesOf = (type: '' | 'list') => () => {
    const target = runtime?.getEditingTarget?.() ?? runtime?.getTargetForStage?.();
    const names = target?.getAllVariableNamesInScopeByType?.(type) ?? [];
    return names.length ? [...names].sort() : [''];
  };
  /** Sprite-local variables belong to the original sprite, not to whichever clone ran the block. */
  const owner = (target: ScratchTarget) => (target.isOriginal === false && target.sprite ? target.sprite.clones[0] ?? target : target);

  const variableArg = { type: STRING, menu: 'variables' };
  const listArg = { type: STRING, menu: 'lists' };
  const idArg = { type: STRING, defaultValue: 'score' };
  const playerArg = { type: STRING, defaultValue: '' };

  return {
    label: t('label.data', 'Networked data'),
    menus: {
      variables: { acceptReporters: false, items: 'variableMenu' },
      lists: { acceptReporters: false, items: 'listMenu' },
    },
    menuItems: { variableMenu: namesOf(''), listMenu: namesOf('list') },
    blocks: [
      {
        info: { opcode: 'syncVariable', blockType: COMMAND, text: t('syncVariable', 'sync variable [VARIABLE] with everyone as [ID]'), arguments: { VARIABLE: variableArg, ID: idArg } },
        run: ({ VARIABLE, ID }, util) => attempt(() => data.syncVariable(owner(util.target), text(VARIABLE), text(ID), null), undefined),
      },
      {
        info: {
          opcode: 'syncVariableWith',
          blockType: COMMAND,
          text: t('syncVariableWith', 'sync variable [VARIABLE] with player [PLAYER] as [ID]'),
          arguments: { VARIABLE: variableArg, PLAYER: playerArg, ID: idArg },
        },
        run: ({ VARIABLE, PLAYER, ID }, util) => attempt(() => data.syncVariable(owner(util.target), text(VARIABLE), text(ID), requirePlayer(PLAYER)), undefined),
      },
      {
        info: { opcode: 'syncList', blockType: COMMAND, text: t('syncList', 'sync list [LIST] with everyone as [ID]'), arguments: { LIST: listArg, ID: { ...idArg, defaultValue: 'scores' } } },
        run: ({ LIST, ID }, util) => attempt(() => data.syncList(owner(util.target), text(LIST), text(ID), null), undefined),
      },
      {
        info: {
          opcode: 'syncListWith',
          blockType: COMMAND,
          text: t('syncListWith', 'sync list [LIST] with player [PLAYER] as [ID]'),
          arguments: { LIST: listArg, PLAYER: playerArg, ID: { ...idArg, defaultValue: 'scores' } },
        },
        run: ({ LIST, PLAYER, ID }, util) => attempt(() => data.syncList(owner(util.target), text(LIST), text(ID), requirePlayer(PLAYER)), undefined),
      },
      {
        info: { opcode: 'stopSyncing', blockType: COMMAND, text: t('stopSyncing', 'stop syncing [ID]'), arguments: { ID: idArg } },
        run: ({ ID }) => attempt(() => void data.stopSyncing(text(ID)), undefined),
      },
    ],
  };
}

function requirePlayer(value: unknown): string {
  const id = text(value);
  if (!id) throw new Error('which player? the player id is empty');
  return id;
}
