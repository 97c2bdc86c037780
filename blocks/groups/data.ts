// Networked variables and lists: bind a Scratch variable or list to a network id, with everyone
// (G_VAR/G_LIST) or with one player (P_VAR/P_LIST).
import { CloudLinkError } from '../../src/client/errors.js';
import type { BlockContext } from '../context.js';
import type { ListMode, VariableMode } from '../ports.js';
import type { ScratchTarget } from '../scratch.js';
import type { BlockGroup, BlockSpec } from '../spec.js';
import type { Text } from '../translate.js';

export function dataBlocks(ctx: BlockContext): BlockGroup {
  const { data, hats, runtime } = ctx;
  const { text } = ctx.cast;
  const requirePlayer = (value: unknown): string => {
    const id = text(value);
    if (!id) throw new CloudLinkError('invalid', 'which player? the player id is empty');
    return id;
  };
  const { COMMAND, REPORTER, HAT } = ctx.Scratch.BlockType;
  const { STRING } = ctx.Scratch.ArgumentType;
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

  /** One "sync …" block: a variable (mode value/counter) or a list (merged/whole), with everyone or with [PLAYER]. */
  const syncBlock = (opcode: string, label: Text, mode: VariableMode | ListMode, withPlayer: boolean): BlockSpec => {
    const isList = mode === 'merged' || mode === 'whole';
    const id = isList ? { ...idArg, defaultValue: 'scores' } : idArg;
    return {
      info: {
        opcode,
        blockType: COMMAND,
        text: label,
        arguments: { ...(isList ? { LISTNAME: listArg } : { VAR: variableArg }), ...(withPlayer ? { PLAYER: playerArg } : {}), ID: id },
      },
      run: (args, util) => {
        const peer = withPlayer ? requirePlayer(args.PLAYER) : null;
        const target = owner(util.target);
        if (isList) data.syncList(target, text(args.LISTNAME), text(args.ID), peer, mode);
        else data.syncVariable(target, text(args.VAR), text(args.ID), peer, mode);
      },
    };
  };

  const changeBlocks: BlockSpec[] = [
    {
      info: {
        opcode: 'whenDataChanged',
        blockType: HAT,
        text: () => Scratch.translate('when [ID] is changed by another player'),
        isEdgeActivated: false,
        arguments: { ID: idArg },
      },
      run: ({ ID }, util) => hats.accepts(util, 'whenDataChanged')?.id === text(ID),
    },
    {
      info: { opcode: 'dataChangedBy', blockType: REPORTER, text: () => Scratch.translate('player who changed it') },
      run: (_args, util) => hats.eventOf(util, 'whenDataChanged')?.from ?? lastChanged.from,
    },
  ];

  return {
    label: () => Scratch.translate('Networked data'),
    menus: {
      variables: { acceptReporters: false, items: 'variableMenu' },
      lists: { acceptReporters: false, items: 'listMenu' },
    },
    menuItems: { variableMenu: namesOf(''), listMenu: namesOf('list') },
    blocks: [
      // Shipped opcodes keep their meaning: a variable is last-writer-wins; a list merges everyone's edits.
      syncBlock('syncVariable', () => Scratch.translate('sync variable [VAR] with everyone as [ID]'), 'value', false),
      syncBlock('syncVariableWith', () => Scratch.translate('sync variable [VAR] with player [PLAYER] as [ID]'), 'value', true),
      syncBlock('syncCounter', () => Scratch.translate('sync variable [VAR] with everyone as counter [ID]'), 'counter', false),
      syncBlock('syncCounterWith', () => Scratch.translate('sync variable [VAR] with player [PLAYER] as counter [ID]'), 'counter', true),
      syncBlock('syncList', () => Scratch.translate('sync list [LISTNAME] with everyone as [ID]'), 'merged', false),
      syncBlock('syncListWith', () => Scratch.translate('sync list [LISTNAME] with player [PLAYER] as [ID]'), 'merged', true),
      syncBlock('syncWholeList', () => Scratch.translate('sync whole list [LISTNAME] with everyone as [ID]'), 'whole', false),
      syncBlock('syncWholeListWith', () => Scratch.translate('sync whole list [LISTNAME] with player [PLAYER] as [ID]'), 'whole', true),
      {
        info: { opcode: 'stopSyncing', blockType: COMMAND, text: () => Scratch.translate('stop syncing [ID]'), arguments: { ID: idArg } },
        run: ({ ID }) => void data.stopSyncing(text(ID)),
      },
      {
        info: { opcode: 'stopSyncingAll', blockType: COMMAND, text: () => Scratch.translate('stop syncing everything') },
        run: () => data.stopAll(),
      },
      // Only when the DataSync port reports remote changes (DataSync.onRemoteChange); a hat that
      // could never run is not shown.
      ...(data.onRemoteChange ? changeBlocks : []),
    ],
  };
}
