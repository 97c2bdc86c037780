// How block text is translated (the convention every block group follows).
//
// Write each block text, menu item text and group label as
//     text: () => Scratch.translate('send [DATA] to [PLAYER]')
// - `Scratch` is the GLOBAL Scratch (never a local or a parameter of that name): minifying renames
//   locals, and the TurboWarp gallery's string extractor (development/parse-extension-translations.js
//   in TurboWarp/extensions) only finds calls spelled `Scratch.translate(...)`;
// - the argument is a string literal (or a literal `{ default: '...', description: '...' }`): the
//   extractor evaluates it at build time, so no ids built at run time, no variables, no `+`;
// - the id is the default one, '_' + the English text (what TurboWarp's translate and the gallery use);
// - it sits in a function (`Text`) that getInfo() calls: TurboWarp calls getInfo() again when the
//   editor's language changes, so the palette follows it.
// - only palette text (what getInfo() shows) goes through Scratch.translate: the shipped
//   translations are matched to the sorted set of those texts (blocks/l10n/shipped.ts).
// Menu values, opcodes and argument ids are never translated. Shipped translations: blocks/l10n/
// (a new text needs its line in each blocks/l10n/<locale>.json; test/build/gallery.test.ts says which).
import type { ScratchApi } from './scratch.js';

/** Palette text, made each time getInfo() runs. */
export type Text = () => string;

export type Translate = ((message: string | { default: string; description?: string }) => string) & { setup?(translations: object): void };

declare global {
  // The global `Scratch` TurboWarp gives an unsandboxed extension (in dist, the gallery wrapper's parameter).
  var Scratch: ScratchApi & { translate: Translate };
}

const english: Translate = (message) => (typeof message === 'string' ? message : message.default);

/**
 * Makes `Scratch.translate` callable where TurboWarp did not provide it: outside TurboWarp (scratch-vm in
 * Node, tests, the example builder) there may be no global `Scratch`, or one without translate; then
 * the text stays English.
 */
export function provideGlobalTranslate(given: ScratchApi): void {
  const scope = globalThis as { Scratch?: ScratchApi };
  if (!scope.Scratch) scope.Scratch = { ...given, translate: given.translate ?? english };
  else scope.Scratch.translate ??= english;
}
