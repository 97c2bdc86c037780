// Networked variables and lists: bind a Scratch variable or list to a network id, with everyone
// (G_VAR/G_LIST) or with one player (P_VAR/P_LIST).
import { CloudLinkError } from '../../src/client/errors.js';
import type { BlockContext } from '../context.js';
import type { ScratchTarget } from '../scratch.js';
import { text, type BlockGroup, type BlockSpec } from '../spec.js';

export function dataBlocks(ctx: BlockContext): BlockGroup {
  const { Scratch, t, data, hats, runtime } = ctx;
  const { COMMAND, REPORTER, HAT } = Scratch.BlockType;
  const { STRING } = Scratch.ArgumentType;
  let lastChanged = { id: '', from: '' };

  data.onRemoteChange?.((id, from) => {
    lastChanged = { id, from };
    // The variable already holds the latest value: a change still waiting for a busy hat is replaced.
    hats.fire('whenDataChanged', { id, from }, { newestBy: id });
  });

  /** Names of the variables (or lists) the sprite being edited can use: its own and the stage's. */
  const namesOf = (type: '' | 'list') => () => {
    const target = runtime.getEditingTarget?.() ?? runtime.getTargetForStage?.();
    const names = target?.getAllVariableNamesInScopeByType?.(type) ?? [];
    return names.length ? [...names].sort() : [''];
  };
  /** Sprite-local variables belong to the original sprite, not to whichever clone ran the block. */
  const owner = (target: ScratchTarget) => (target.isOriginal === false && target.sprite ? (target.sprite.clones[0] ?? target) : target);

  // Not named VARIABLE / LIST: Scratch turns fields with those names into {id, name} objects.
  const variableArg = { type: STRING, menu: 'variables' };
  const listArg = { type: STRING, menu: 'lists' };
  const idArg = { type: STRING, defaultValue: 'score' };
  const playerArg = { type: STRING, defaultValue: '' };

  const changeBlocks: BlockSpec[] = [
    {
      info: {
        opcode: 'whenDataChanged',
        blockType: HAT,
        text: t('whenDataChanged', 'when [ID] is changed by another player'),
        isEdgeActivated: false,
        arguments: { ID: idArg },
      },
      run: ({ ID }, util) => hats.accepts(util, 'whenDataChanged')?.id === text(ID),
    },
    {
      info: { opcode: 'dataChangedBy', blockType: REPORTER, text: t('dataChangedBy', 'player who changed it') },
      run: (_args, util) => hats.eventOf(util, 'whenDataChanged')?.from ?? lastChanged.from,
    },
  ];

  return {
    label: t('label.data', 'Networked data'),
    menus: {
      variables: { acceptReporters: false, items: 'variableMenu' },
      lists: { acceptReporters: false, items: 'listMenu' },
    },
    menuItems: { variableMenu: namesOf(''), listMenu: namesOf('list') },
    blocks: [
      {
        info: {
          opcode: 'syncVariable',
          blockType: COMMAND,
          text: t('syncVariable', 'sync variable [VAR] with everyone as [ID]'),
          arguments: { VAR: variableArg, ID: idArg },
        },
        run: ({ VAR, ID }, util) => data.syncVariable(owner(util.target), text(VAR), text(ID), null),
      },
      {
        info: {
          opcode: 'syncVariableWith',
          blockType: COMMAND,
          text: t('syncVariableWith', 'sync variable [VAR] with player [PLAYER] as [ID]'),
          arguments: { VAR: variableArg, PLAYER: playerArg, ID: idArg },
        },
        run: ({ VAR, PLAYER, ID }, util) => data.syncVariable(owner(util.target), text(VAR), text(ID), requirePlayer(PLAYER)),
      },
      {
        info: {
          opcode: 'syncList',
          blockType: COMMAND,
          text: t('syncList', 'sync list [LISTNAME] with everyone as [ID]'),
          arguments: { LISTNAME: listArg, ID: { ...idArg, defaultValue: 'scores' } },
        },
        run: ({ LISTNAME, ID }, util) => data.syncList(owner(util.target), text(LISTNAME), text(ID), null),
      },
      {
        info: {
          opcode: 'syncListWith',
          blockType: COMMAND,
          text: t('syncListWith', 'sync list [LISTNAME] with player [PLAYER] as [ID]'),
          arguments: { LISTNAME: listArg, PLAYER: playerArg, ID: { ...idArg, defaultValue: 'scores' } },
        },
        run: ({ LISTNAME, PLAYER, ID }, util) => data.syncList(owner(util.target), text(LISTNAME), text(ID), requirePlayer(PLAYER)),
      },
      {
        info: { opcode: 'stopSyncing', blockType: COMMAND, text: t('stopSyncing', 'stop syncing [ID]'), arguments: { ID: idArg } },
        run: ({ ID }) => void data.stopSyncing(text(ID)),
      },
      {
        info: { opcode: 'stopSyncingAll', blockType: COMMAND, text: t('stopSyncingAll', 'stop syncing everything') },
        run: () => data.stopAll(),
      },
      // Only when the DataSync port reports remote changes (DataSync.onRemoteChange); a hat that
      // could never run is not shown.
      ...(data.onRemoteChange ? changeBlocks : []),
    ],
  };
}

function requirePlayer(value: unknown): string {
  const id = text(value);
  if (!id) throw new CloudLinkError('invalid', 'which player? the player id is empty');
  return id;
}
