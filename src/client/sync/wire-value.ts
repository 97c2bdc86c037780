// Scratch values on the wire.
import type { ScratchValue } from './stores.js';

/**
 * What a value looks like on the wire. Scratch variables can hold NaN or ±Infinity (e.g. "set to
 * 0/0"), which JSON cannot carry and the protocol rejects, and an extension may store a non-primitive;
 * those travel as their Scratch text ("NaN", "Infinity"). The sender keeps its own value.
 */
export function toWire(value: unknown): ScratchValue {
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  return String(value);
}
