// Usernames as players see them: two names that look the same must be the same name. A name is
// taken in Unicode NFKC form (NBSP is a space, "ﬁ" is "fi", NFD and NFC spellings are one), and
// invisible format characters (zero-width space, bidi overrides and isolates, soft hyphen, ...) are
// refused, except the zero-width joiner inside an emoji sequence (👩‍💻).
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
