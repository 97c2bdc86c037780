// Entry point of dist/cloudlink5.js: TurboWarp runs this file as an unsandboxed extension.
import { createExtension } from './extension.js';
import { createCoreClient, createDataSync } from './wiring.js';

if (!Scratch.extensions.unsandboxed) {
  throw new Error(
    'CloudLink 5 must be loaded unsandboxed (it uses WebRTC and changes variables directly). In TurboWarp: Extensions → Custom Extension, tick "Run extension without sandbox".',
  );
}

Scratch.extensions.register(createExtension(Scratch, createCoreClient(), createDataSync));
