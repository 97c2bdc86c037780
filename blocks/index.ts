// Entry point of dist/cloudlink5.js: TurboWarp runs this file as an unsandboxed extension.
import { createExtension } from './extension.js';
import { setUpTranslations } from './l10n/shipped.js';
import { createCoreClient, createDataSync } from './wiring.js';

if (!Scratch.extensions.unsandboxed) {
  throw new Error('CloudLink 5 must run unsandboxed: load it with "Run extension without sandbox" ticked.');
}

const extension = createExtension(Scratch, createCoreClient(), createDataSync);
// build.mjs writes the packed translations in place of `globalThis.CL5_TRANSLATIONS` (blocks/l10n/shipped.ts).
setUpTranslations(extension.getInfo(), (globalThis as { CL5_TRANSLATIONS?: Record<string, string> }).CL5_TRANSLATIONS);
Scratch.extensions.register(extension);
