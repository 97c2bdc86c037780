// The translations this repository ships inside its own dist/cloudlink5.js (blocks/l10n/<locale>.json,
// each English text → its translation), packed small: build.mjs puts in, per locale, the translated
// texts joined by '|' in the order of the sorted English texts of the bundle (found as the gallery's
// extractor finds them: Scratch.translate("literal")). The English texts are not stored again: at
// load they come from getInfo(), which is all English before any setup. TurboWarp's translate looks
// texts up by their default id, '_' + English, in the editor's language.
// In the TurboWarp gallery, the gallery's own build supplies the translations (it prepends its
// Scratch.translate.setup to the file), so a gallery copy leaves this call out.
import type { BlockInfo, MenuInfo } from '../scratch.js';

interface Info {
  name: string;
  blocks: (BlockInfo | { text: string } | string)[];
  menus: Record<string, MenuInfo>;
}

/** Every text getInfo() gave, in English (before any translation is set up). */
export function textsOf(getInfoResult: object): string[] {
  const info = getInfoResult as Info;
  const texts = [info.name];
  for (const block of info.blocks) if (typeof block === 'object') texts.push(block.text);
  for (const menu of Object.values(info.menus)) if (typeof menu.items !== 'string') for (const item of menu.items) texts.push(item.text);
  return [...new Set(texts)].sort();
}

/** Sets up the shipped translations; `packed` is what build.mjs put in (nothing outside the bundle). */
export function setUpTranslations(info: object, packed: Record<string, string> | undefined): void {
  if (!packed || !Scratch.translate.setup) return;
  const english = textsOf(info);
  const translations: Record<string, Record<string, string>> = {};
  for (const [locale, joined] of Object.entries(packed)) {
    const texts = joined.split('|');
    // Packed from other texts than these: English rather than the wrong words.
    if (texts.length !== english.length) continue;
    const table: Record<string, string> = {};
    english.forEach((text, i) => {
      if (texts[i]) table[`_${text}`] = texts[i];
    });
    translations[locale] = table;
  }
  Scratch.translate.setup(translations);
}
