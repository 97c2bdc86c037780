// How one block is declared: its Scratch info and what it does, side by side.
import type { BlockInfo, BlockUtil } from './scratch.js';
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

// Scratch passes numbers, strings and booleans; these give each block the type it means.
export const text = (value: unknown): string => (value === undefined || value === null ? '' : String(value));

export const number = (value: unknown): number => {
  const n = typeof value === 'number' ? value : Number(text(value).trim() || NaN);
  return Number.isFinite(n) ? n : 0;
};

export const flag = (value: unknown): boolean => {
  if (typeof value === 'boolean') return value;
  const t = text(value).trim().toLowerCase();
  return t !== '' && t !== '0' && t !== 'false' && t !== 'off' && t !== 'no';
};

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
