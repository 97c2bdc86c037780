// What every handler needs: the store, this node's connections, the log, and the optional pluggable services.
import type { Cluster } from './cluster/cluster.js';
import type { AddressBudgets } from './address-budget.js';
import type { Logger } from './log.js';
import type { FanoutBudget } from './fanout-budget.js';
import type { LobbyAnnouncer } from './lobby-announcer.js';
import type { PasswordGuard } from './password-guard.js';
import type { PasswordHasher } from './password.js';
import type { Tallies } from './metrics.js';
import type { Player } from './player.js';
import type { Seats } from './seats.js';
import type { LobbyStore } from './store.js';
import type { TurnOptions } from './turn.js';
import type { ClientPayloads, RelayedOpcode, User } from '../protocol/index.js';

/** The account a token or credential belongs to: its id, and its name when the verifier knows it (that name is the player's). */
export interface Account {
  user_id: string;
  username?: string;
}

/**
 * Checks an INIT token (or credential, `kind`); resolves with the account, or null to refuse. `username` is
 * the one INIT asked for, if any. Plugged in with `--token-verifier` (token-verifier.ts).
 */
export type TokenVerifier = (token: string, username: string | undefined, kind: 'token' | 'credential') => Promise<Account | null>;

/** A relayed WebRTC signal payload: `{type, contents}`, contents possibly ciphertext (§6). */
export type SignalPayload = ClientPayloads['ICE'];

/** How a relay peer sends its own WebRTC signals to one lobby member (origin = the relay's user). */
export type RelaySignalSink = (recipient: string, opcode: RelayedOpcode, payload: SignalPayload) => void;

/**
 * A lobby's relay peer as this node knows it (handlers/relay.ts): one object per running relay, the
 * key its provider files it under. Membership is this node's view (the Players it connects).
 */
export interface RelayLobby {
  readonly game: string;
  readonly name: string;
  /** A relay lobby: everything goes through the relay (else only the pairs that asked, a hybrid lobby). */
  lobbyWide: boolean;
  isMember(instanceId: string): boolean;
  /** Members held by other nodes (--redis): listed by the store when it started, announced by their node when they join, signalling it. */
  readonly remoteMembers: Set<string>;
  /** The relay peer's user once started; `starting` while it boots, so that those asking meanwhile share it. */
  user: User | null;
  starting: Promise<User> | null;
}

/**
 * Runs relay peers for lobbies created with enable_relay (protocol.md §5). The relay is not a
 * lobby member: it is reached by its instance id (sent to members as RELAY) and signalled through
 * the server like any peer. Without a provider, relay requests are refused with a WARNING.
 */
/** What a relay provider tells the server about one lobby's relay peer after it started. */
export interface RelayNotices {
  /** A member is told this (a WARNING): a refusal with its reason. */
  warn(member: string, text: string): void;
  /** The relay peer is gone (its process died): the server forgets it and starts a new one if the lobby needs it. */
  lost(why: string): void;
}

export interface RelayProvider {
  /**
   * Starts the lobby's relay peer and returns its user object; `send` carries its signals to members,
   * `notices` what the provider must tell the server later (a refusal for a member, the relay peer lost).
   */
  create(lobby: RelayLobby, send: RelaySignalSink, notices?: RelayNotices): Promise<User>;
  /**
   * A member's signal addressed to the relay peer; `from` is server-stamped, never client-supplied.
   * `address`: the member's remote address (its share of the links set up at once), sent along by the
   * member's node when another node holds it (--redis); absent only if that node did not send it.
   */
  signal(lobby: RelayLobby, from: User, opcode: RelayedOpcode, payload: SignalPayload, address?: string): void;
  /** A member left, was kicked or disconnected: the relay drops its link to them. */
  memberLeft?(lobby: RelayLobby, instanceId: string): void;
  /** The lobby is gone: stop its relay peer. */
  destroy(lobby: RelayLobby): void;
  /** WebRTC links its relay peers hold to members (GET /metrics). */
  links?(): number;
  /** Links its relay peers are setting up now, each holding a slot of the negotiation limit (GET /metrics). */
  negotiating?(): number;
}

export interface ServerContext {
  store: LobbyStore;
  /** The packet budget of each remote address, shared by its connections (address-budget.ts). */
  addressBudgets: AddressBudgets;
  /** Wrong lobby passwords budgeted per lobby and per address (password-guard.ts). */
  passwordGuard: PasswordGuard;
  /** Lobby passwords hashed and checked off the signalling thread, at a lower priority (password.ts). */
  passwords: PasswordHasher;
  /** NEW_LOBBY to this node's idle players, coalesced (lobby-announcer.ts). */
  announcer: LobbyAnnouncer;
  /** What lobby requests make the server send to others, charged to their connection and address (fanout-budget.ts). */
  fanout: FanoutBudget;
  /** Signals each member may send a newcomer outside its own limits (signal-credit.ts): a join is charged for them. */
  signalCredit: number;
  /** A player joins at most once per this many milliseconds (join-cooldown.ts; 0 = no limit). */
  joinCooldownMs: number;
  /** This node's players by instance id, connected or with a held seat: where packets are delivered. */
  players: Map<string, Player>;
  /** The relay peers running on this node, by lobbyKey(). */
  relays: Map<string, RelayLobby>;
  log: Logger;
  /** Event tallies for GET /metrics (metrics.ts): bumped where the events happen. */
  tally: Tallies;
  /** Seats held for players whose connection dropped (RESUME). */
  seats: Seats;
  /**
   * RESUME succeeded: the connection `fresh` arrived on now belongs to `held` (an old connection of
   * `held` still open is cut); `opening` (RESUME_OK) then `missed` leave on it first.
   */
  adopt: (fresh: Player, held: Player, opening: string, missed: string[]) => void;
  /** Cuts a violator in its turn (paced-cuts.ts): read no further now, told and closed a few per turn; `event` is logged then. */
  cut: (player: Player, event: string, reason: string, code: number) => void;
  tokenVerifier?: TokenVerifier;
  relay?: RelayProvider;
  turn?: TurnOptions;
  /** Several nodes share the store (--redis): players held by other nodes are reached through it. */
  cluster?: Cluster;
}

/** A node-local key for a lobby (games and lobby names cannot hold a NUL: it is a control character). */
export const lobbyKey = (game: string, name: string): string => `${game}\u0000${name}`;
