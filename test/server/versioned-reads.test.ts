// Reads kept per key while its version stays the same (src/server/versioned-reads.ts): the searches of a
// Redis node and the status page rely on it.
import { describe, expect, it } from 'vitest';
import { VersionedReads } from '../../src/server/versioned-reads.js';

/** A read that counts itself and answers `value`. */
function counted(value: string) {
  const read = async () => {
    read.calls += 1;
    return value;
  };
  read.calls = 0;
  return read;
}

describe('VersionedReads', () => {
  it('reads once per version, callers of the same version sharing the read even while it is on its way', async () => {
    const kept = new VersionedReads<string>(8, 60_000);
    const read = counted('a');
    expect(await Promise.all([kept.get('g', 'v1', read), kept.get('g', 'v1', read), kept.get('g', 'v1', read)])).toEqual(['a', 'a', 'a']);
    expect(read.calls).toBe(1);
    await kept.get('g', 'v2', read);
    await kept.get('g', 'v2', read);
    expect(read.calls).toBe(2);
    // Another key has its own.
    await kept.get('h', 'v2', read);
    expect(read.calls).toBe(3);
  });

  it('reads every time without a version, and again once a kept read is maxAgeMs old', async () => {
    const unversioned = counted('a');
    const kept = new VersionedReads<string>(8, 60_000);
    await kept.get('g', null, unversioned);
    await kept.get('g', null, unversioned);
    expect(unversioned.calls).toBe(2);
    const aged = counted('b');
    const stale = new VersionedReads<string>(8, 0);
    await stale.get('g', 'v1', aged);
    await stale.get('g', 'v1', aged);
    expect(aged.calls).toBe(2);
  });

  it('keeps at most `capacity` keys, dropping the one asked for longest ago', async () => {
    const kept = new VersionedReads<string>(2, 60_000);
    const read = counted('a');
    await kept.get('a', 'v', read);
    await kept.get('b', 'v', read);
    await kept.get('a', 'v', read); // asked again: now b is the oldest
    await kept.get('c', 'v', read);
    expect(read.calls).toBe(3);
    await kept.get('a', 'v', read);
    expect(read.calls).toBe(3);
    await kept.get('b', 'v', read);
    expect(read.calls).toBe(4);
  });

  it('does not keep a failed read: the next caller reads again', async () => {
    const kept = new VersionedReads<string>(8, 60_000);
    await expect(kept.get('g', 'v1', async () => Promise.reject(new Error('redis down')))).rejects.toThrow('redis down');
    const read = counted('a');
    expect(await kept.get('g', 'v1', read)).toBe('a');
    expect(read.calls).toBe(1);
  });
});
