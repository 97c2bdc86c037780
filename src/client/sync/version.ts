// Versions order concurrent writes to one network id: `[seq, writer instance id]`, compared by seq,
// then writer id. The highest version's value is the one every player ends up with.
import type { Version } from '../../protocol/index.js';

export const INITIAL: Version = [0, ''];

export function compare(a: Version, b: Version): number {
  if (a[0] !== b[0]) return a[0] - b[0];
  return a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;
}

export const same = (a: Version, b: Version): boolean => a[0] === b[0] && a[1] === b[1];

export const next = (current: Version, writer: string): Version => [current[0] + 1, writer];
