// Two usernames that look the same are the same name: NFKC form, no invisible format characters.
import { describe, expect, it } from 'vitest';
import { ProtocolError, username } from '../../src/protocol/index.js';
import { usernameSkeleton } from '../../src/protocol/username.js';

const refusal = (value: string): string => {
  try {
    username(value, 'username');
  } catch (error) {
    expect(error).toBeInstanceOf(ProtocolError);
    return (error as Error).message;
  }
  throw new Error(`${JSON.stringify(value)} was accepted`);
};

describe('usernames', () => {
  it('are taken in NFKC form: NFD and NFC spellings, NBSP and compatibility letters become one name', () => {
    expect(username('Zoe\u0301', 'u')).toBe('Zoé');
    expect(username('Zoé', 'u')).toBe('Zoé');
    expect(username('ann\u00a0bob', 'u')).toBe('ann bob');
    expect(username('\ufb01sh', 'u')).toBe('fish');
    expect(username('ＡＮＮ', 'u')).toBe('ANN');
  });

  it('refuse invisible format characters, naming the one found', () => {
    expect(refusal('a\u200bnn')).toBe('username must not contain invisible formatting characters (U+200B)');
    expect(refusal('\u202eann')).toContain('(U+202E)');
    expect(refusal('ann\u2066')).toContain('(U+2066)');
    expect(refusal('an\u00adn')).toContain('(U+00AD)');
    expect(refusal('a\u200dnn')).toContain('(U+200D)');
  });

  it('keep emoji sequences joined by a zero-width joiner', () => {
    expect(username('👩\u200d💻 dev', 'u')).toBe('👩\u200d💻 dev');
    expect(username('👍🏽\u200d🔥', 'u')).toBe('👍🏽\u200d🔥');
  });

  it('check the length after normalising', () => {
    expect(refusal('㍿'.repeat(20))).toBe('username must be 1–64 characters long');
  });

  it('share a skeleton when they only differ by look-alike letters, and only then', () => {
    const same = [
      ['paypal', 'p\u0430ypal'], // Cyrillic а
      ['paypal', 'paypa1'],
      ['Scratch', '\u0405cratch'], // Cyrillic Ѕ
      ['lan', 'Ian'],
      ['modem', 'modern'],
      ['OOO', '\u039f0O'], // Greek Ο, zero
    ];
    for (const [a, b] of same) expect(usernameSkeleton(b!), `${a} / ${b}`).toBe(usernameSkeleton(a!));
    const different = [
      ['ann', 'Ann'],
      ['ann', '\u00e1nn'],
      ['Jose', 'Jos\u00e9'],
      ['ann', 'anna'],
    ];
    for (const [a, b] of different) expect(usernameSkeleton(b!), `${a} / ${b}`).not.toBe(usernameSkeleton(a!));
  });
});
