// Usernames as players see them: two names that look the same must be the same name. A name is
// taken in Unicode NFKC form (NBSP is a space, "ﬁ" is "fi", NFD and NFC spellings are one), and
// invisible format characters (zero-width space, bidi overrides and isolates, soft hyphen, ...) are
// refused, except the zero-width joiner inside an emoji sequence (👩‍💻). Uniqueness is decided on a
// skeleton that maps look-alike letters to one (usernameSkeleton).
import * as L from './limits.js';
import { ProtocolError, string, type Check } from './schema.js';

const printable = string({ min: 1, max: L.USERNAME_MAX, printable: true });

/** A format character (Unicode Cf) that is not a ZWJ right after an emoji (and its optional VS16 or skin tone). */
const INVISIBLE = /(?!(?<=\p{Extended_Pictographic}[\uFE0F\u{1F3FB}-\u{1F3FF}]?)\u200D)\p{Cf}/u;

export const username: Check<string> = (value, path) => {
  const name = printable(value, path).normalize('NFKC');
  const invisible = INVISIBLE.exec(name);
  if (invisible) {
    const code = invisible[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
    throw new ProtocolError(`${path} must not contain invisible formatting characters (U+${code})`);
  }
  // NFKC can lengthen a name ("㍿" becomes four letters): checked again.
  return printable(name, path);
};

/**
 * Look-alikes, after UTS #39's confusables for the scripts a Scratch name mixes most: Cyrillic and
 * Greek letters drawn like Latin ones, and Latin ones drawn like each other. Not the whole table.
 */
const LOOK_ALIKES: Record<string, string> = {
  // Cyrillic
  а: 'a',
  е: 'e',
  о: 'o',
  р: 'p',
  с: 'c',
  у: 'y',
  х: 'x',
  ѕ: 's',
  і: 'l',
  ј: 'j',
  һ: 'h',
  ԁ: 'd',
  ԛ: 'q',
  ԝ: 'w',
  ӏ: 'l',
  ү: 'y',
  А: 'A',
  В: 'B',
  Е: 'E',
  К: 'K',
  М: 'M',
  Н: 'H',
  О: 'O',
  Р: 'P',
  С: 'C',
  Т: 'T',
  Х: 'X',
  У: 'Y',
  І: 'l',
  Ј: 'J',
  Ѕ: 'S',
  Ԛ: 'Q',
  Ԝ: 'W',
  Ӏ: 'l',
  // Greek
  Α: 'A',
  Β: 'B',
  Ε: 'E',
  Ζ: 'Z',
  Η: 'H',
  Ι: 'l',
  Κ: 'K',
  Μ: 'M',
  Ν: 'N',
  Ο: 'O',
  Ρ: 'P',
  Τ: 'T',
  Υ: 'Y',
  Χ: 'X',
  ο: 'o',
  ν: 'v',
  ι: 'i',
  κ: 'k',
  ρ: 'p',
  α: 'a',
  γ: 'y',
  υ: 'u',
  // Latin among itself
  '0': 'O',
  '1': 'l',
  I: 'l',
  '|': 'l',
  ı: 'i',
  ɡ: 'g',
  ɑ: 'a',
};
const LOOK_ALIKE = new RegExp(
  `[${Object.keys(LOOK_ALIKES)
    .join('')
    .replace(/[\]\\^-]/g, '\\$&')}]`,
  'gu',
);

/**
 * The form two (NFKC) usernames share when they look alike: "pаypal" with a Cyrillic а and "paypa1"
 * are "paypal"; "PAYPAL" and "páypal" are not (case and accents are visible). What uniqueness is
 * checked on; never shown.
 */
export function usernameSkeleton(name: string): string {
  return name.replace(LOOK_ALIKE, (c) => LOOK_ALIKES[c]!).replaceAll('rn', 'm');
}
