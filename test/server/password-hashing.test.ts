// Lobby passwords are hashed on threads of the hasher's own, at a lower CPU priority (password.ts).
import { scryptSync } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { PasswordHasher } from '../../src/server/password.js';

const hashers: PasswordHasher[] = [];
const hasher = (threads: number, nice: number): PasswordHasher => {
  const made = new PasswordHasher({ threads, nice });
  hashers.push(made);
  return made;
};
afterEach(async () => {
  await Promise.all(hashers.splice(0).map((h) => h.stop()));
});

/** A thread's nice value as the kernel has it (/proc/self/task/TID/stat, field 19: after the name in parentheses, the 17th). */
const niceOf = (tid: number): number => Number(readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ')[16]);

describe('PasswordHasher', () => {
  it('hashes with plain scrypt (its defaults, 32 bytes, salted) and verifies only the same password, NFC or not', async () => {
    const passwords = hasher(2, 10);
    const stored = await passwords.hash('café');
    expect(stored.salt.length).toBe(16);
    expect(scryptSync('café'.normalize('NFC'), stored.salt, 32).equals(stored.hash)).toBe(true);
    expect(await passwords.verify('café', stored)).toBe(true);
    expect(await passwords.verify('cafe\u0301', stored)).toBe(true); // NFD spelling of the same text
    expect(await passwords.verify('cafe', stored)).toBe(false);
    expect((await passwords.hash('café')).salt.equals(stored.salt)).toBe(false);
  });

  it.runIf(existsSync('/proc/thread-self'))('runs at most `threads` hashes at once, each on a thread of its own at the given priority', async () => {
    const mainBefore = getPriority();
    const passwords = hasher(2, 7);
    const results = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((p) => passwords.hash(p)));
    for (const [i, p] of ['a', 'b', 'c', 'd', 'e'].entries()) expect(await passwords.verify(p, results[i]!)).toBe(true);
    const threads = await passwords.running();
    expect(threads).toHaveLength(2);
    for (const { tid, nice } of threads) {
      expect(tid).not.toBe(process.pid);
      expect(nice).toBe(7);
      expect(niceOf(tid)).toBe(7);
    }
    // Only those threads: the signalling (main) thread keeps its priority.
    expect(niceOf(process.pid)).toBe(mainBefore);
  });

  it('starts threads only as they are needed', async () => {
    const passwords = hasher(4, 10);
    expect(await passwords.running()).toHaveLength(0);
    await passwords.hash('one');
    await passwords.hash('two');
    expect(await passwords.running()).toHaveLength(1);
  });

  it('fails the hashes left when stopped, and any asked for after', async () => {
    const passwords = hasher(1, 10);
    const outcomes = ['a', 'b', 'c'].map((p) =>
      passwords.hash(p).then(
        () => 'hashed',
        (error: Error) => error.message,
      ),
    );
    await passwords.stop();
    for (const outcome of await Promise.all(outcomes)) expect(outcome).toBe('password hashing stopped: the server is closing');
    await expect(passwords.hash('d')).rejects.toThrow('password hashing stopped');
    expect(await passwords.running()).toHaveLength(0);
  });

  it('hashes a check marked `ahead` before the ones waiting without it, and those ahead in their order', async () => {
    const passwords = hasher(1, 10);
    const stored = await passwords.hash('right');
    const order: string[] = [];
    const check = (name: string, ahead: boolean) => passwords.verify(name, stored, { ahead }).then(() => order.push(name));
    // One thread: 'first' is being hashed while the others wait.
    await Promise.all([check('first', false), check('b', false), check('c', false), check('ahead1', true), check('ahead2', true)]);
    expect(order).toEqual(['first', 'ahead1', 'ahead2', 'b', 'c']);
  });

  it('refuses a hasher without threads', () => {
    expect(() => new PasswordHasher({ threads: 0, nice: 10 })).toThrow('at least 1 thread');
  });
});
