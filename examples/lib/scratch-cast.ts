// Scratch's own casts (scratch-vm's src/util/cast.js) for running the extension outside TurboWarp,
// where there is no `Scratch.Cast`. scratch-vm's package exports do not list the file, so it is
// required by path.
import { createRequire } from 'node:module';
import path from 'node:path';
import type { ScratchCast } from '../../blocks/scratch.js';

const require = createRequire(import.meta.url);
const vmRoot = path.resolve(path.dirname(require.resolve('scratch-vm')), '../..');

export const ScratchVmCast = require(path.join(vmRoot, 'src/util/cast.js')) as ScratchCast;
