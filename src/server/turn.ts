// Short-lived TURN credentials, minted per player at INIT (INIT_OK `ice_servers`), by the shared-secret
// scheme of the TURN REST API draft (draft-uberti-behave-turn-rest-00) that coturn implements with
// `use-auth-secret` + `static-auth-secret`: the TURN server holds the same secret and checks the
// credential itself, so this server never talks to it.
//   username   = "<unix time the credential expires>:<instance id>"
//   credential = base64(HMAC-SHA1(secret, username))
import { createHmac } from 'node:crypto';
import type { IceServerInfo } from '../protocol/index.js';

export interface TurnOptions {
  /** turn: / turns: URLs of one TURN service that shares `secret`. */
  urls: string[];
  /** coturn's `static-auth-secret`. */
  secret: string;
  /** How long a credential is valid, from INIT (default 24 h). */
  ttlSeconds?: number;
}

export const DEFAULT_TURN_TTL_SECONDS = 24 * 60 * 60;

/** The credentials for one player, valid `ttlSeconds` from `nowMs`. */
export function turnCredentials(turn: TurnOptions, instanceId: string, nowMs = Date.now()): IceServerInfo {
  const expires = Math.floor(nowMs / 1000) + (turn.ttlSeconds ?? DEFAULT_TURN_TTL_SECONDS);
  const username = `${expires}:${instanceId}`;
  return { urls: turn.urls, username, credential: createHmac('sha1', turn.secret).update(username).digest('base64') };
}

/** Throws one clear line when the TURN settings cannot work; startServer and the CLI both check with it. */
export function checkTurnOptions(turn: TurnOptions): void {
  if (turn.urls.length === 0) throw new Error('TURN: at least one turn: or turns: URL is needed');
  for (const url of turn.urls) if (!/^turns?:[^\s]+$/.test(url)) throw new Error(`TURN: not a turn: or turns: URL: ${JSON.stringify(url)}`);
  if (!turn.secret) throw new Error('TURN: the shared secret is empty');
  const ttl = turn.ttlSeconds;
  if (ttl !== undefined && !(Number.isInteger(ttl) && ttl > 0))
    throw new Error(`TURN: the credential lifetime must be a whole number of seconds above 0, not ${ttl}`);
}
