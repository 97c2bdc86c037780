// dist/cloudlink5.js against the TurboWarp extension gallery's own checks (test/build/gallery-rules.ts
// re-implements them: its metadata validation, its lint rules, its string extractor), plus the
// shipped translation's completeness and the size budget. Loading the file the way TurboWarp loads a
// gallery extension, in Chromium, is test/browser/gallery.test.ts.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createExtension } from '../../blocks/extension.js';
import { textsOf } from '../../blocks/l10n/shipped.js';
import { fakeClient, fakeRuntime, fakeScratch, fakeSync } from '../blocks/fakes.js';
import { declarations, extractStrings, lint, metadataOf, parse, validateMetadata } from './gallery-rules.js';

const code = readFileSync(new URL('../../dist/cloudlink5.js', import.meta.url), 'utf8');
const program = parse(code);
const metadata = JSON.parse(readFileSync(new URL('../../blocks/metadata.json', import.meta.url), 'utf8')) as { id: string; name: string; docsURI: string };
const german = JSON.parse(readFileSync(new URL('../../blocks/l10n/de.json', import.meta.url), 'utf8')) as Record<string, string>;

/** getInfo() in English, from the TypeScript source. */
function englishInfo() {
  let extension: ReturnType<typeof createExtension> | undefined;
  const runtime = fakeRuntime(() => extension!);
  extension = createExtension(fakeScratch(runtime), fakeClient(), fakeSync(), runtime);
  return extension.getInfo() as { id: string; name: string; docsURI: string };
}

describe("dist/cloudlink5.js by the gallery's rules", () => {
  it("starts with the metadata header the gallery validates; its ID and Name are getInfo's", () => {
    const header = metadataOf(code);
    expect(validateMetadata(header)).toEqual([]);
    expect(code.split('\n', 5).every((line) => line.startsWith('// '))).toBe(true);
    const info = englishInfo();
    expect([header.id, header.name]).toEqual([info.id, info.name]);
    expect(info.docsURI).toBe(metadata.docsURI);
    expect(info.docsURI).toMatch(/^https:\/\/.*\/docs\/blocks\.md$/);
  });

  it("passes its lint rules; the one exception is the shipped translations' Scratch.translate.setup", () => {
    const problems = lint(program);
    // blocks/l10n/shipped.ts: the gallery's build prepends its own setup, so a gallery copy leaves
    // this call out; our own file ships German packed small (see docs/architecture.md).
    expect(problems.filter((p) => p.rule === 'extension/no-translate-setup')).toHaveLength(1);
    expect(problems.filter((p) => p.rule !== 'extension/no-translate-setup')).toEqual([]);
  });

  it('the rules find what they look for (so a clean result means something)', () => {
    const bad = `// Name: x
const vm = 1;
(function (Scratch) {
  "use strict";
  function f() { "use strict"; }
  a ??= Object.hasOwn(b, c);
  new XMLHttpRequest(); new WebSocket(u); new Image(); fetch(u); window.open(u); location.href = u;
  Scratch.translate.setup({}); const t = Scratch.translate; eval(s); new Function(s); setTimeout("x()", 1);
  window.vm.runtime;
  ({ opcode: Scratch.translate("x") });
})(Scratch);`;
    const rules = new Set(lint(parse(bad)).map((p) => p.rule));
    expect([...rules].sort()).toEqual(
      [
        'extension/iife',
        'strict',
        'extension/no-new-syntax',
        'extension/no-xmlhttprequest',
        'extension/check-can-fetch',
        'extension/use-scratch-fetch',
        'extension/use-scratch-open-window',
        'extension/use-scratch-redirect',
        'extension/no-translate-setup',
        'extension/no-translate-alias',
        'no-eval',
        'no-new-func',
        'no-implied-eval',
        'extension/use-scratch-vm',
        'extension/should-not-translate',
      ].sort(),
    );
    expect(validateMetadata(metadataOf('// Name: x\n// ID: x\n// Description: no full stop\n// License: Nope\n'))).toHaveLength(3);
    expect(() => extractStrings(parse('Scratch.translate("a" + b)'))).toThrow("Can't evaluate");
  });

  it("`Scratch` is only the wrapper's parameter, so every Scratch.translate call is the one TurboWarp gave", () => {
    expect(declarations(program).get('Scratch')).toBe(1);
  });

  it('the extractor reads every text the palette shows, each a literal (block texts, menu items, labels, name)', () => {
    const extracted = new Set(extractStrings(program).values());
    expect(textsOf(englishInfo())).toEqual([...extracted].sort());
  });

  it('ships German for every text, and nothing for texts no block has', () => {
    const extracted = [...new Set(extractStrings(program).values())];
    expect(extracted.filter((text) => !(text in german))).toEqual([]);
    expect(Object.keys(german).filter((text) => !extracted.includes(text))).toEqual([]);
    // Block arguments keep their [NAMES]: the translation only moves them.
    const args = (text: string) => (text.match(/\[[A-Z_]+\]/g) ?? []).sort();
    for (const [english, text] of Object.entries(german)) expect(args(text), english).toEqual(args(english));
  });

  it('stays within its 160 KiB budget', () => {
    expect(Buffer.byteLength(code)).toBeLessThanOrEqual(160 * 1024);
  });
});
