// Embedding an extension in a project the way TurboWarp does: a project's `extensionURLs` maps an
// extension id to the URL the extension was loaded from, and TurboWarp's "custom extension from a
// file or text" loads it from a data: URL, which is what gets saved. Loading such a project runs
// `securityManager.canLoadExtensionFromProject(url)` and then `extensionManager.loadExtensionURL(url)`
// (a <script src=url> when the sandbox mode is 'unsandboxed'). TurboWarp's editor offers to run a
// data: URL extension unsandboxed; a project-named http(s) URL it runs sandboxed unless trusted
// (extensions.turbowarp.org, http://localhost:8000/, or loaded unsandboxed by the user).
import { readFileSync } from 'node:fs';

/** A data: URL holding the extension's JavaScript, for `extensionURLs`. */
export function extensionDataURL(source: string | Buffer): string {
  const bytes = typeof source === 'string' ? Buffer.from(source, 'utf8') : source;
  return `data:application/javascript;base64,${bytes.toString('base64')}`;
}

/** The data: URL of an extension file on disk. */
export function extensionFileDataURL(path: string): string {
  return extensionDataURL(readFileSync(path));
}
