// Where players, lobbies and held seats live, as commands and queries over plain data. Every lobby
// rule (a name unique per game, full, locked, password, host only, host migration order, hidden) is
// decided inside one command, so a shared store (Redis, several server nodes) can run each command
// as one atomic script. Nothing returned is live: results are copies, and the node (server.ts,
// handlers/) delivers packets to members from what a command returned. What belongs to a connection
// (socket, outbox, replay window, rate limiter, grace timer) stays in the node's Player.
import type { LobbyMetadata, User } from '../protocol/index.js';
import type { PasswordHash } from './password.js';

export interface LobbySettings {
  /** -1 = unlimited, else at least 1. */
  maxPlayers: number;
  /** A salted scrypt hash (password.ts), never the text; null = no password. */
  password: PasswordHash | null;
  locked: boolean;
  /** Not in list(), not announced; find() still answers by name. */
  hidden: boolean;
  /** A relay lobby: everything goes through its relay peer (a mesh lobby may have one too, for the pairs that asked). */
  relayEnabled: boolean;
  /** Set by the host for matchmaking (map, mode, region...): validated and bounded at the edge. Absent = {}. */
  metadata?: LobbyMetadata;
}

/** A lobby as stored. `members` in join order, host included: the earliest becomes host on migration. */
export interface LobbyRecord {
  game: string;
  name: string;
  host: User;
  members: User[];
  settings: LobbySettings;
  /** The lobby's relay peer, once one runs (setRelay). */
  relay: User | null;
  /** Order of creation within the game (quick join takes the oldest); absent on lobbies stored before it (= 0). */
  created?: number;
}

/** The part of the settings MANAGE_LOBBY changes; fields left out stay as they are. */
export type SettingsChange = Partial<Pick<LobbySettings, 'maxPlayers' | 'password' | 'locked' | 'hidden' | 'metadata'>>;

/** The first entries of a listing, oldest first, and how many the whole listing has. */
export interface Listed<T> {
  first: T[];
  total: number;
}

/** A game, and how many players and lobbies (hidden ones included) it has. */
export interface GameCounts {
  game: string;
  players: number;
  lobbies: number;
}

/** Two strings in JavaScript's default sort order (by UTF-16 code units). */
export const byCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** By game name. */
export const byGameName = (a: GameCounts, b: GameCounts): number => byCodeUnits(a.game, b.game);

/** Which lobbies listMatching and quickJoin consider (besides never a hidden one); fields left out match any. */
export interface LobbyFilter {
  /** Each key equals this value exactly (a string never equals a number). */
  metadata?: LobbyMetadata;
  /** Fewer members than maxPlayers (or unlimited). */
  freeSeats?: boolean;
  noPassword?: boolean;
}

/**
 * What quickJoin makes when no lobby fits: a lobby named `{namePrefix}-{n}` (n: the game's lobby counter,
 * so the name is new), host = the player, with these settings.
 */
export interface QuickCreate {
  namePrefix: string;
  settings: LobbySettings;
}

export type QuickJoinResult = { outcome: 'joined'; lobby: LobbyRecord } | { outcome: 'created'; lobby: LobbyRecord } | { outcome: 'in-lobby' };

/** Why a host-only command was refused. */
export type NotHost = 'not-in-lobby' | 'unauthorized';

export type CreateResult = { outcome: 'ok'; lobby: LobbyRecord } | { outcome: 'exists' | 'in-lobby' };

export type JoinResult = { outcome: 'ok'; lobby: LobbyRecord } | { outcome: 'not-found' | 'locked' | 'full' | 'password' | 'in-lobby' };

/**
 * What a leave (or kick) did. `lobby` is the record after it (members = who must be told PEER_LEFT);
 * `newHost` is set when the leaver was host and the host moved to the earliest remaining member;
 * `closed` when nobody is left and the lobby was deleted.
 */
export interface Departure {
  left: User;
  lobby: LobbyRecord;
  newHost: User | null;
  closed: boolean;
}

/** `shown`: the lobby was hidden and is visible now, so idle players hear of it as if it had just been created. */
export type SetSettingsResult = { outcome: 'ok'; lobby: LobbyRecord; shown: boolean } | { outcome: NotHost | 'below-current-players' };

export type KickResult = { outcome: 'ok'; departure: Departure } | { outcome: NotHost | 'not-a-member' | 'self' };

export type SetHostResult = { outcome: 'ok'; lobby: LobbyRecord; previous: User } | { outcome: NotHost | 'not-a-member' | 'already-host' };

export type CloseResult = { outcome: 'ok'; lobby: LobbyRecord } | { outcome: NotHost };

/** A held seat taken back: the player (same instance id, lobby and host role) and its next token. */
export interface Resumed {
  user: User;
  token: string;
}

export interface LobbyStore {
  // ---- players (a username is unique per game) ----

  /** Registers a player; 'taken' when the game already has this username (checked and claimed at once). */
  addPlayer(game: string, user: User): Promise<'ok' | 'taken'>;
  /** Forgets a player for good: its username, token and held seat. Call leave() first if it may be in a lobby. */
  removePlayer(game: string, instanceId: string): Promise<void>;
  /** Every registered player of the game (tests). */
  players(game: string): Promise<User[]>;
  /**
   * Every game with at least one player or lobby, by name, with its counts: read without reading its
   * players and lobbies, nor (in Redis) the keyspace (status page, metrics).
   */
  games(): Promise<GameCounts[]>;

  // ---- lobbies: queries ----

  /**
   * The names of the game's oldest `limit` lobbies that are not hidden, and how many there are
   * (LIST_LOBBIES). Costs the `limit`, not the game's size: a lobby screen asks several times a second.
   */
  list(game: string, limit: number): Promise<Listed<string>>;
  /** A lobby by name, hidden or not (FIND_LOBBY, status); null if none. */
  find(game: string, name: string): Promise<LobbyRecord | null>;
  /** Every lobby of the game, hidden included (tests, benchmarks). */
  lobbies(game: string): Promise<LobbyRecord[]>;
  /** The lobby the player is a member of, or null. */
  lobbyOf(game: string, instanceId: string): Promise<LobbyRecord | null>;
  /** The game's oldest `limit` lobbies that are not hidden and match `filter`, and how many match (LIST_LOBBIES with a filter). */
  listMatching(game: string, filter: LobbyFilter, limit: number): Promise<Listed<LobbyRecord>>;

  // ---- lobbies: commands ----

  /**
   * Creates a lobby with `host` as its only member and host. Refused with 'in-lobby' when the host is
   * a member of a lobby, 'exists' when the game has a lobby of that name. Who hears of it (NEW_LOBBY) is
   * no question for the store: each node announces new visible lobbies to its own idle players
   * (lobby-announcer.ts), so a create costs the same whatever the number of players.
   */
  create(game: string, name: string, host: User, settings: LobbySettings): Promise<CreateResult>;
  /**
   * Adds `player` as the last member. Refused, in this order: 'in-lobby' (already a member of one),
   * 'not-found', 'locked', 'full' (maxPlayers reached; -1 never), 'password'. A lobby with a password
   * calls `checkPassword(hash)` (scrypt, outside the store) and then re-decides every rule against
   * the lobby as it is after the check; if the password changed meanwhile, 'password'. A shared store
   * reads the hash, checks it, then runs one script given the hash it checked.
   */
  join(game: string, name: string, player: User, checkPassword: (hash: PasswordHash) => Promise<boolean>): Promise<JoinResult>;
  /** Takes the player out of its lobby (see Departure); null when it was in none. */
  leave(game: string, instanceId: string): Promise<Departure | null>;
  /** Host only: takes `target` out of the host's lobby, as leave() would. */
  kick(game: string, host: string, target: string): Promise<KickResult>;
  /**
   * Host only: changes settings. A max below the current member count is refused. `shown` says a
   * hidden lobby became visible (announced as if just created).
   */
  setSettings(game: string, host: string, change: SettingsChange): Promise<SetSettingsResult>;
  /**
   * Quick join, one atomic step: `player` joins the oldest lobby that is open (not locked, not hidden,
   * no password, a free seat) and matches `filter`; if none does, a new one is created with `create`
   * and the player is its host. Refused with 'in-lobby' when the player is a member of a lobby.
   */
  quickJoin(game: string, player: User, filter: LobbyFilter, create: QuickCreate): Promise<QuickJoinResult>;
  /** Host only: makes member `target` host. */
  setHost(game: string, host: string, target: string): Promise<SetHostResult>;
  /** Host only: deletes the lobby; the record returned lists who was in it. */
  close(game: string, host: string): Promise<CloseResult>;
  /**
   * Records the lobby's relay peer; `lobbyWide` also makes it a relay lobby (relayEnabled). Null when
   * the lobby no longer exists or has no members (the caller stops the relay peer).
   */
  setRelay(game: string, name: string, relay: User, lobbyWide: boolean): Promise<LobbyRecord | null>;

  // ---- seats held after a dropped connection (RESUME) ----

  /**
   * A fresh single-use resume token for the player (random, ≥ 128 bits); the one it had before stops
   * working. Tokens are kept until removePlayer().
   */
  issueToken(game: string, instanceId: string): Promise<string>;
  /** The player's connection dropped: its seat (membership, host role, username) is kept until resumeSeat or removePlayer. */
  holdSeat(game: string, instanceId: string): Promise<void>;
  /**
   * Takes a seat back with its token: the token is used up, the hold ends and a new token is issued.
   * Null when the token is unknown, of another game, or already used.
   */
  resumeSeat(game: string, token: string): Promise<Resumed | null>;
  /** Whether the player's seat is held. */
  seatHeld(game: string, instanceId: string): Promise<boolean>;

  // ---- operations ----

  /** Resolves when the store answers (GET /readyz); rejects with the reason when it does not. */
  ping(): Promise<void>;
}

/** The LobbyInfo a FIND_ACK carries. */
export function lobbyInfo(lobby: LobbyRecord) {
  return {
    name: lobby.name,
    host: lobby.host,
    max_players: lobby.settings.maxPlayers,
    current_players: lobby.members.length,
    currently_locked: lobby.settings.locked,
    password_required: lobby.settings.password !== null,
    relay_enabled: lobby.settings.relayEnabled,
    hidden: lobby.settings.hidden,
    metadata: lobby.settings.metadata ?? {},
  };
}

export const copyLobbySettings = (settings: LobbySettings): LobbySettings => ({
  ...settings,
  ...(settings.metadata ? { metadata: { ...settings.metadata } } : {}),
});

/** A copy that shares nothing a caller could change with the record it copies (stores answer copies). */
export const copyLobby = (lobby: LobbyRecord): LobbyRecord => ({
  ...lobby,
  host: { ...lobby.host },
  members: lobby.members.map((member) => ({ ...member })),
  settings: copyLobbySettings(lobby.settings),
  relay: lobby.relay && { ...lobby.relay },
});

/** One entry of the filtered LIST_ACK. */
export function lobbySummary(lobby: LobbyRecord) {
  return {
    name: lobby.name,
    metadata: lobby.settings.metadata ?? {},
    current_players: lobby.members.length,
    max_players: lobby.settings.maxPlayers,
    locked: lobby.settings.locked,
    password_required: lobby.settings.password !== null,
  };
}
