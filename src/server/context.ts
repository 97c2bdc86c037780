// What every handler needs: the store, the log, and the optional pluggable services.
import type { Lobby } from './lobby.js';
import type { Logger } from './log.js';
import type { LobbyStore } from './store.js';
import type { User } from '../protocol/index.js';

/** Checks an INIT token; resolves with the account's user id, or null to refuse. */
export type TokenVerifier = (token: string, username: string) => Promise<{ user_id: string } | null>;

/** Runs relay peers for lobbies created with enable_relay (protocol.md §5). */
export interface RelayProvider {
  /** Starts the lobby's relay peer and returns its user object (members get RELAY with its id). */
  create(lobby: Lobby): Promise<User>;
  destroy(lobby: Lobby): void;
}

export interface ServerContext {
  store: LobbyStore;
  log: Logger;
  tokenVerifier?: TokenVerifier;
  relay?: RelayProvider;
}
