// Tiny runtime validators. Each Check both narrows the TypeScript type and, at run time,
// throws a ProtocolError naming the offending field, so every edge can answer with a clear reason.

import { MAX_JSON_DEPTH } from './limits.js';

export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolError';
  }
}

export type Check<T> = (value: unknown, path: string) => T;
export type Infer<C> = C extends Check<infer T> ? T : never;

const fail = (path: string, expected: string): never => {
  throw new ProtocolError(`${path} must be ${expected}`);
};

// Printable: no C0/C1 control characters (tabs and newlines included), no lone surrogates.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is this pattern's job.
const NON_PRINTABLE = /[\u0000-\u001f\u007f-\u009f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export interface StringRules {
  min?: number;
  max: number;
  printable?: boolean;
}

export const string =
  ({ min = 0, max, printable = false }: StringRules): Check<string> =>
  (value, path) => {
    if (typeof value !== 'string') return fail(path, 'a string');
    // Characters are code points: between half the UTF-16 length and all of it. Count them only
    // when that range is not already inside [min, max] (it is for almost every string).
    const units = value.length;
    if (units > max || units < 2 * min) {
      const length = [...value].length;
      if (length < min || length > max) return fail(path, `${min}–${max} characters long`);
    }
    if (printable && NON_PRINTABLE.test(value)) return fail(path, 'printable text');
    return value;
  };

export const integer =
  (min: number, max: number): Check<number> =>
  (value, path) =>
    typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max ? value : fail(path, `an integer from ${min} to ${max}`);

/** A whole number from 0 up to the largest a double holds exactly: counts and sequence numbers. */
export const count = integer(0, Number.MAX_SAFE_INTEGER);

export const boolean: Check<boolean> = (value, path) => (typeof value === 'boolean' ? value : fail(path, 'true or false'));

export const literal =
  <const T extends readonly (string | number)[]>(...options: T): Check<T[number]> =>
  (value, path) =>
    options.includes(value as T[number]) ? (value as T[number]) : fail(path, `one of ${options.map((o) => JSON.stringify(o)).join(', ')}`);

/** Whether arrays/objects nest inside `value` more than `levels` deep. */
function nestedDeeper(value: object, levels: number): boolean {
  if (levels === 0) return true;
  if (Array.isArray(value)) {
    for (const item of value) if (typeof item === 'object' && item !== null && nestedDeeper(item, levels - 1)) return true;
    return false;
  }
  for (const key in value) {
    const item = (value as Record<string, unknown>)[key];
    if (typeof item === 'object' && item !== null && nestedDeeper(item, levels - 1)) return true;
  }
  return false;
}

/**
 * Any JSON value (it arrived through JSON.parse, so it already is one), nested at most MAX_JSON_DEPTH
 * deep: JSON.parse takes any depth, but serialising or walking a 20,000-deep value again throws RangeError.
 */
export const json: Check<unknown> = (value, path) =>
  typeof value === 'object' && value !== null && nestedDeeper(value, MAX_JSON_DEPTH) ? fail(path, `JSON nested at most ${MAX_JSON_DEPTH} levels deep`) : value;

/** No payload: accepts anything absent or null and yields undefined. */
export const none: Check<undefined> = (value, path) => (value === undefined || value === null ? undefined : fail(path, 'empty'));

/** A Scratch value: what a variable or list item can hold. */
export const scratchValue: Check<string | number | boolean> = (value, path) =>
  typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))
    ? value
    : fail(path, 'a string, number or boolean');

export const array =
  <T>(item: Check<T>, maxItems: number): Check<T[]> =>
  (value, path) => {
    if (!Array.isArray(value)) return fail(path, 'an array');
    if (value.length > maxItems) return fail(path, `at most ${maxItems} items`);
    return value.map((entry, index) => item(entry, `${path}[${index}]`));
  };

/** A finite number (JSON has no NaN or Infinity, but a hand-made packet may hold a huge exponent). */
export const finite: Check<number> = (value, path) => (typeof value === 'number' && Number.isFinite(value) ? value : fail(path, 'a finite number'));

/** An object used as a map: every key passes `key`, every value `item`; at most `maxKeys` entries. */
export const record =
  <T>(key: Check<string>, item: Check<T>, maxKeys: number): Check<Record<string, T>> =>
  (value, path) => {
    if (!isPlainObject(value)) return fail(path, 'an object');
    const entries = Object.entries(value);
    if (entries.length > maxKeys) return fail(path, `at most ${maxKeys} entries`);
    const out: Record<string, T> = {};
    // defineProperty: a key named "__proto__" stays a plain entry.
    for (const [name, entry] of entries) {
      Object.defineProperty(out, key(name, `${path} key`), { value: item(entry, `${path}.${name}`), enumerable: true, writable: true, configurable: true });
    }
    return out;
  };

export const optional =
  <T>(check: Check<T>): Check<T | undefined> =>
  (value, path) =>
    value === undefined ? undefined : check(value, path);

type Shape = Record<string, Check<unknown>>;
type OptionalKeys<S extends Shape> = { [K in keyof S]: undefined extends Infer<S[K]> ? K : never }[keyof S];
type ObjectOf<S extends Shape> = { [K in Exclude<keyof S, OptionalKeys<S>>]: Infer<S[K]> } & {
  [K in OptionalKeys<S>]?: Infer<S[K]>;
};

export const isPlainObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** An object with exactly these known fields; unknown fields are dropped, missing required ones rejected. */
export const object = <S extends Shape>(shape: S): Check<ObjectOf<S>> => {
  const keys = Object.keys(shape);
  const checks = Object.values(shape);
  // The fields' paths (for error messages) are built once per parent path, not on every packet:
  // on the signal path the parent path is always the same string ('payload').
  let parentPath: string | undefined;
  let fieldPaths: string[] = [];
  return (value, path) => {
    if (!isPlainObject(value)) return fail(path, 'an object');
    if (path !== parentPath) {
      parentPath = path;
      fieldPaths = keys.map((key) => `${path}.${key}`);
    }
    const paths = fieldPaths;
    const out: Record<string, unknown> = {};
    for (let i = 0; i < keys.length; i += 1) {
      const key = keys[i]!;
      const field = checks[i]!(value[key], paths[i]!);
      if (field !== undefined) out[key] = field;
    }
    return out as ObjectOf<S>;
  };
};

/** First check that accepts wins; the error names every alternative. */
export const either =
  <A, B>(first: Check<A>, second: Check<B>, expected: string): Check<A | B> =>
  (value, path) => {
    try {
      return first(value, path);
    } catch {
      try {
        return second(value, path);
      } catch {
        return fail(path, expected);
      }
    }
  };
