// The --token-verifier plug-in: maps an INIT token (or credential) to an account `{user_id, username}`.
// Either an HTTP endpoint (POST, JSON in and out) or a module file exporting the function; both
// documented in docs/protocol-notes.md ("Token verifier").
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { INSTANCE_ID_MAX, ProtocolError, string, username as usernameCheck } from '../protocol/index.js';
import type { Account, TokenVerifier } from './context.js';

/** How long an HTTP verifier may take before the INIT is refused. */
export const VERIFIER_TIMEOUT_MS = 5000;

const userId = string({ min: 1, max: INSTANCE_ID_MAX });

/**
 * What a verifier answered, checked: null (refused), or `{user_id, username?}` with a user id of
 * 1–64 characters and a valid username. Anything else is the verifier's bug: an Error saying so.
 */
export function checkAccount(answer: unknown): Account | null {
  if (answer === null || answer === undefined || answer === false) return null;
  if (typeof answer !== 'object' || Array.isArray(answer)) throw new Error('token verifier must answer null or {user_id, username}');
  const { user_id, username } = answer as Record<string, unknown>;
  try {
    const account: Account = { user_id: userId(user_id, 'user_id') };
    if (username !== undefined && username !== null) account.username = usernameCheck(username, 'username');
    return account;
  } catch (error) {
    if (error instanceof ProtocolError) throw new Error(`token verifier answered a bad account: ${error.message}`);
    throw error;
  }
}

/**
 * An HTTP verifier: POST `{token, username?, kind}` as JSON; 200 with `{user_id, username}` accepts,
 * 401/403/404 refuse, anything else (or no answer within the timeout) is an error (the INIT is refused).
 */
export function httpTokenVerifier(url: string, timeoutMs = VERIFIER_TIMEOUT_MS): TokenVerifier {
  return async (token, username, kind) => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token, kind, ...(username === undefined ? {} : { username }) }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    if ([401, 403, 404].includes(response.status)) return null;
    if (response.status !== 200) throw new Error(`token verifier ${url} answered HTTP ${response.status}`);
    return checkAccount(await response.json());
  };
}

/** A module verifier: its default export (or `verifyToken`) is called as a TokenVerifier; it may return or resolve. */
export async function moduleTokenVerifier(file: string): Promise<TokenVerifier> {
  const loaded = (await import(pathToFileURL(path.resolve(file)).href)) as { default?: unknown; verifyToken?: unknown };
  const verify = typeof loaded.default === 'function' ? loaded.default : loaded.verifyToken;
  if (typeof verify !== 'function') throw new Error(`token verifier module ${file} must export a function (default export or verifyToken)`);
  return async (token, username, kind) => checkAccount(await verify(token, username, kind));
}

/** `--token-verifier`: an http(s) URL is an endpoint, anything else a module path. */
export function loadTokenVerifier(spec: string): Promise<TokenVerifier> {
  return /^https?:\/\//i.test(spec) ? Promise.resolve(httpTokenVerifier(spec)) : moduleTokenVerifier(spec);
}
