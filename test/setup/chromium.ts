// vitest globalSetup: finds the Chromium the browser tests drive, once per run, says which one on
// one line, and hands it to the test files (`inject('chromium')`, read by test/browser/turbowarp.ts).
//
//   1. $CL5_CHROMIUM, when set;
//   2. Debian's /usr/bin/chromium, when present (`apt-get install chromium`; .ci/run installs it);
//   3. otherwise the Chromium inside the npm package @sparticuz/chromium (a devDependency, so
//      `npm ci` has it), unpacked to the temporary folder on first use.
//
// When none runs, the run still goes on (tests that need no browser pass) and every browser suite
// fails with the same one line saying what to install.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

export interface ChromiumInfo {
  /** The executable the browser tests launch ('' when none was found). */
  path: string;
  /** Where it came from: 'CL5_CHROMIUM', 'debian' or '@sparticuz/chromium'. */
  source: string;
  /** What `chromium --version` printed. */
  version: string;
  /** Why there is none (one line), when path is ''. */
  error?: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    chromium: ChromiumInfo;
  }
}

export const DEBIAN_CHROMIUM = '/usr/bin/chromium';
const INSTALL_HINT = 'run `npm ci` (it installs @sparticuz/chromium), or `apt-get install chromium`, or set CL5_CHROMIUM to a Chromium executable';

/** `chromium --version`, or throws with the reason it does not run. */
function versionOf(path: string): string {
  return execFileSync(path, ['--version'], { encoding: 'utf8', timeout: 20_000, stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/**
 * The packaged Chromium: unpacked on first use; another test run may be unpacking it right now.
 * It unpacks into the temporary folder and reuses whatever it finds there, so another release's
 * files (its WebGL libraries: no WebGL, no renderer) would be mixed in: each release gets a folder.
 */
async function sparticuz(): Promise<ChromiumInfo> {
  const manifest = fileURLToPath(new URL('../../node_modules/@sparticuz/chromium/package.json', import.meta.url));
  const { version: release } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string };
  const folder = join(tmpdir(), `cl5-sparticuz-chromium-${release}`);
  mkdirSync(folder, { recursive: true });
  const saved = process.env.TMPDIR;
  process.env.TMPDIR = folder; // read by the package when it loads and when it unpacks
  let path: string;
  try {
    const { default: Chromium } = await import('@sparticuz/chromium');
    path = await Chromium.executablePath();
  } finally {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
  }
  // A file still being written by a concurrent unpack cannot run yet (ETXTBSY): retry, bounded.
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      return { path, source: '@sparticuz/chromium', version: versionOf(path) };
    } catch (error) {
      if (Date.now() >= deadline) throw error;
      await new Promise((done) => setTimeout(done, 250));
    }
  }
}

export async function resolveChromium(): Promise<ChromiumInfo> {
  const fromEnv = process.env.CL5_CHROMIUM;
  try {
    if (fromEnv) return { path: fromEnv, source: 'CL5_CHROMIUM', version: versionOf(fromEnv) };
    if (existsSync(DEBIAN_CHROMIUM)) return { path: DEBIAN_CHROMIUM, source: 'debian', version: versionOf(DEBIAN_CHROMIUM) };
    return await sparticuz();
  } catch (error) {
    const where = fromEnv ? `CL5_CHROMIUM=${fromEnv}` : existsSync(DEBIAN_CHROMIUM) ? DEBIAN_CHROMIUM : '@sparticuz/chromium';
    const reason = String((error as Error).message ?? error).split('\n')[0];
    return { path: '', source: '', version: '', error: `no Chromium for the browser tests (${where}: ${reason}); ${INSTALL_HINT}` };
  }
}

export default async function setup(project: TestProject): Promise<void> {
  const chromium = await resolveChromium();
  console.log(chromium.path ? `browser tests: ${chromium.version} at ${chromium.path} (${chromium.source})` : chromium.error);
  project.provide('chromium', chromium);
}
