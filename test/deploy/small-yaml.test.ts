// The small YAML reader behind the compose.yaml test: what it reads as YAML does, and what it refuses.
import { describe, expect, it } from 'vitest';
import { interpolate } from '../helpers/compose.js';
import { parseYaml } from '../helpers/small-yaml.js';

describe('small YAML reader', () => {
  it('reads nested mappings, sequences, quoted and plain scalars, and comments', () => {
    const source = [
      '# a comment',
      'a:',
      '  b: plain value # trailing comment',
      "  c: 'it''s'",
      '  d: "x # not a comment"',
      '  list:',
      '    - one',
      '    - ""',
      '    - "127.0.0.1:1:2"',
      '  empty:',
      'e: 5s',
    ].join('\n');
    expect(parseYaml(source)).toEqual({ a: { b: 'plain value', c: "it's", d: 'x # not a comment', list: ['one', '', '127.0.0.1:1:2'], empty: null }, e: '5s' });
  });

  it('merges an anchored mapping under <<, keys written beside it winning', () => {
    const source = ['base: &base', '  x: 1', '  y: 2', 'one:', '  y: 3', '  <<: *base', 'two: *base'].join('\n');
    expect(parseYaml(source)).toEqual({ base: { x: '1', y: '2' }, one: { x: '1', y: '3' }, two: { x: '1', y: '2' } });
  });

  it.each([
    ['a: [1, 2]', /outside the YAML/],
    ['a: |', /outside the YAML/],
    ['a:\n\tb: 1', /tabs/],
    ['a: 1\na: 2', /duplicate key/],
    ['a: *nope', /unknown alias/],
    ['a:\n  - b: 1', /mapping where a scalar/],
    ['a: 1\n---\nb: 2', /one document/],
  ])('refuses %j', (source, error) => {
    expect(() => parseYaml(source)).toThrow(error);
  });

  it('interpolates like Compose', () => {
    const env = { SET: 'v', EMPTY: '' };
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Compose's ${...} syntax, not a template
    const [all, required, requiredIfSet] = ['$$(cmd) $SET ${SET} ${UNSET:-d} ${EMPTY:-d} ${EMPTY-d} ${UNSET}', '${EMPTY:?needed}', '${EMPTY?needed}'];
    expect(interpolate(all, env)).toBe('$(cmd) v v d d  ');
    expect(() => interpolate(required, env)).toThrow('EMPTY is missing a value: needed');
    expect(interpolate(requiredIfSet, env)).toBe('');
  });
});
