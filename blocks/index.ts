// Entry point of dist/cloudlink5.js: TurboWarp runs this file as an unsandboxed extension.
import { CloudLinkClient } from '../src/client/cloudlink.js';
import { createExtension } from './extension.js';
import type { ScratchApi } from './scratch.js';

declare const Scratch: ScratchApi;

if (!Scratch.extensions.unsandboxed) {
  throw new Error(
    'CloudLink 5 must run unsandboxed (it uses WebRTC and changes variables directly). In TurboWarp, load it with "Run extension without sandbox" ticked.',
  );
}

Scratch.extensions.register(createExtension(Scratch, new CloudLinkClient()));
