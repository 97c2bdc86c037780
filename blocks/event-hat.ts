// A hat with no arguments that runs once for each of its events (blocks/hats.ts): "when connected",
// "when a player joins my lobby", ...
import type { BlockContext } from './context.js';
import type { HatName } from './hat-events.js';
import type { BlockSpec } from './spec.js';
import type { Text } from './translate.js';

export function eventHat({ Scratch, hats }: Pick<BlockContext, 'Scratch' | 'hats'>, opcode: HatName, text: Text): BlockSpec {
  return {
    info: { opcode, blockType: Scratch.BlockType.HAT, text, isEdgeActivated: false },
    run: (_args, util) => hats.accepts(util, opcode) !== null,
  };
}
