// How one block is declared: its Scratch info and what it does, side by side.
import type { BlockInfo, BlockUtil, ScratchCast } from './scratch.js';
import type { Text } from './translate.js';

export type BlockArgs = Record<string, unknown>;

/** A block's Scratch info, its text made when getInfo() runs (blocks/translate.ts says how to write it). */
export type BlockSpecInfo = Omit<BlockInfo, 'text'> & { text: Text };

/** A menu; a static one's item texts are made when getInfo() runs, its values never change. */
export interface MenuSpec {
  acceptReporters: boolean;
  items: string | { text: Text; value: string }[];
}

export interface BlockSpec {
  info: BlockSpecInfo;
  /** May throw or reject: the failure becomes "last error" and the block gives `fallback`. */
  run: (args: BlockArgs, util: BlockUtil) => unknown;
  /** What the block gives when `run` fails; by default '' for a reporter, false for a boolean or hat, nothing for a command. */
  fallback?: unknown;
}

/** A group of blocks (connection, lobbies, ...): a label in the palette, its blocks and menus. */
export interface BlockGroup {
  label: Text;
  blocks: BlockSpec[];
  menus?: Record<string, MenuSpec>;
  /** Dynamic menus: a menu whose `items` is one of these names is filled by calling it. */
  menuItems?: Record<string, () => (string | { text: string; value: string })[]>;
}

/** How a block reads its arguments: Scratch's own casts (Scratch.Cast), so a block means what Scratch means. */
export interface Casts {
  /** Cast.toString; a missing argument is ''. */
  text(value: unknown): string;
  /** Cast.toNumber (text that is not a number is 0), and Infinity is 0 too: no block takes an endless number. */
  number(value: unknown): number;
  /**
   * A two-value menu (yes/no, on/off): its own values as named; anything else a reporter gives, as
   * Scratch reads it (Cast.toBoolean: only false, 0, '', '0' and 'false' are false; so "off" typed in
   * a text reporter is true, as in Scratch's "if").
   */
  choice(value: unknown, yes: string, no: string): boolean;
}

export function castsOf(Cast: ScratchCast): Casts {
  const text = (value: unknown) => (value === undefined || value === null ? '' : Cast.toString(value));
  return {
    text,
    number: (value) => {
      const n = Cast.toNumber(value);
      return Number.isFinite(n) ? n : 0;
    },
    choice: (value, yes, no) => (text(value) === yes ? true : text(value) === no ? false : Cast.toBoolean(value)),
  };
}

/** Scratch-friendly value for a reporter: primitives as they are, everything else as JSON text. */
export const reported = (value: unknown): string | number | boolean =>
  typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
    ? value
    : value === undefined || value === null
      ? ''
      : JSON.stringify(value);

/** A data argument: JSON text becomes the value it spells (so lists/objects travel as such), else the text. */
export const data = (value: unknown): unknown => {
  if (typeof value !== 'string') return value;
  const trimmed = value.trim();
  if (!/^[[{]/.test(trimmed)) return value;
  try {
    return JSON.parse(trimmed);
  } catch {
    return value;
  }
};
