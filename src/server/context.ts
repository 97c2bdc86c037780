// What every handler needs: the store, the log, and the optional pluggable services.
import type { Lobby } from './lobby.js';
import type { Logger } from './log.js';
import type { Player } from './player.js';
import type { Seats } from './seats.js';
import type { LobbyStore } from './store.js';
import type { TurnOptions } from './turn.js';
import type { ClientPayloads, RelayedOpcode, User } from '../protocol/index.js';

/** Checks an INIT token; resolves with the account's user id, or null to refuse. */
export type TokenVerifier = (token: string, username: string) => Promise<{ user_id: string } | null>;

/** A relayed WebRTC signal payload: `{type, contents}`, contents possibly ciphertext (§6). */
export type SignalPayload = ClientPayloads['ICE'];

/** How a relay peer sends its own WebRTC signals to one lobby member (origin = the relay's user). */
export type RelaySignalSink = (recipient: string, opcode: RelayedOpcode, payload: SignalPayload) => void;

/**
 * Runs relay peers for lobbies created with enable_relay (protocol.md §5). The relay is not a
 * lobby member: it is reached by its instance id (sent to members as RELAY) and signalled through
 * the server like any peer. Without a provider, relay requests are refused with a WARNING.
 */
export interface RelayProvider {
  /** Starts the lobby's relay peer and returns its user object; `send` carries its signals to members. */
  create(lobby: Lobby, send: RelaySignalSink): Promise<User>;
  /** A member's signal addressed to the relay peer; `from` is server-stamped, never client-supplied. */
  signal(lobby: Lobby, from: User, opcode: RelayedOpcode, payload: SignalPayload): void;
  /** A member left, was kicked or disconnected: the relay drops its link to them. */
  memberLeft?(lobby: Lobby, instanceId: string): void;
  /** The lobby is gone: stop its relay peer. */
  destroy(lobby: Lobby): void;
}

export interface ServerContext {
  store: LobbyStore;
  log: Logger;
  /** Seats held for players whose connection dropped (RESUME). */
  seats: Seats;
  /**
   * RESUME succeeded: the connection `fresh` arrived on now belongs to `held` (an old connection of
   * `held` still open is cut); `opening` (RESUME_OK) then `missed` leave on it first.
   */
  adopt: (fresh: Player, held: Player, opening: string, missed: string[]) => void;
  tokenVerifier?: TokenVerifier;
  relay?: RelayProvider;
  turn?: TurnOptions;
}
