// Out-of-band opcodes (client ↔ signaling server), protocol.md §2: one payload validator per opcode.
import * as L from './limits.js';
import { username } from './username.js';
import {
  array,
  boolean,
  either,
  finite,
  count,
  integer,
  json,
  literal,
  none,
  object,
  optional,
  ProtocolError,
  record,
  string,
  type Check,
  type Infer,
} from './schema.js';

export { username };
export const lobbyName = string({ min: 1, max: L.LOBBY_NAME_MAX, printable: true });
export const password = string({ max: L.PASSWORD_MAX });
export const instanceId = string({ min: 1, max: L.INSTANCE_ID_MAX, printable: true });
/** A lobby's player limit: -1 means unlimited. */
export const maxPlayers = integer(-1, L.MAX_PLAYERS_LIMIT);

export const SIGNAL_DATA = 0;
export const SIGNAL_VOICE = 1;

/** A relayed WebRTC signal: simple-peer's signal object, or `[ciphertext_b64, iv_b64]` under E2EE (§6). */
export const signal = object({
  type: literal(SIGNAL_DATA, SIGNAL_VOICE),
  contents: json,
});

export const user = object({
  instance_id: instanceId,
  user_id: string({ min: 1, max: L.INSTANCE_ID_MAX }),
  username,
  pubkey: optional(string({ max: L.PUBKEY_MAX })),
});
export type User = Infer<typeof user>;

/** A `stun:`, `stuns:`, `turn:` or `turns:` URL (RFC 7064/7065), as RTCIceServer.urls takes it. */
const iceUrl: Check<string> = (value, path) => {
  const url = string({ min: 1, max: L.ICE_URL_MAX, printable: true })(value, path);
  if (!/^(stuns?|turns?):/.test(url)) throw new ProtocolError(`${path} must be a stun:, stuns:, turn: or turns: URL`);
  return url;
};

/** An RTCIceServer: TURN servers carry the short-lived credentials the server minted (docs/protocol-notes.md). */
export const iceServer = object({
  urls: array(iceUrl, L.ICE_SERVERS_MAX),
  username: optional(string({ max: L.ICE_CREDENTIAL_MAX })),
  credential: optional(string({ max: L.ICE_CREDENTIAL_MAX })),
});
export type IceServerInfo = Infer<typeof iceServer>;

// ---- matchmaking: lobby metadata and filters (docs/protocol-notes.md "Matchmaking") ----

export const metadataKey = string({ min: 1, max: L.METADATA_KEY_MAX, printable: true });

/** A metadata value: a string, or a number a shared store keeps exactly (at most 14 significant digits). */
export const metadataValue: Check<string | number> = (value, path) => {
  if (typeof value === 'string') return string({ max: L.METADATA_VALUE_MAX })(value, path);
  if (typeof value !== 'number') throw new ProtocolError(`${path} must be a string or a number`);
  const number = finite(value, path);
  if (Number(number.toPrecision(L.METADATA_NUMBER_DIGITS)) !== number) {
    throw new ProtocolError(`${path} must be a number with at most ${L.METADATA_NUMBER_DIGITS} significant digits`);
  }
  return number;
};

export type LobbyMetadata = Record<string, string | number>;

const metadataBytes = (metadata: object): number => new TextEncoder().encode(JSON.stringify(metadata)).length;

/** A lobby's metadata: a flat object of strings and numbers, bounded in entries and in size. */
export const lobbyMetadata: Check<LobbyMetadata> = (value, path) => {
  const metadata = record(metadataKey, metadataValue, L.METADATA_KEYS_MAX)(value, path);
  const bytes = metadataBytes(metadata);
  if (bytes > L.METADATA_BYTES_MAX) throw new ProtocolError(`${path} must be at most ${L.METADATA_BYTES_MAX} bytes as JSON (is ${bytes})`);
  return metadata;
};

/** MANAGE_LOBBY set_metadata: entries to set, null removing one; the merged result must still be valid metadata. */
export const metadataChange = record(metadataKey, (value, path) => (value === null ? null : metadataValue(value, path)), L.METADATA_KEYS_MAX);
export type MetadataChange = Infer<typeof metadataChange>;

/** Which lobbies LIST_LOBBIES (with a payload) and QUICK_JOIN consider: every field must hold. */
export const lobbyFilter = object({
  /** Each key equals this value exactly (a string never equals a number). */
  metadata: optional(record(metadataKey, metadataValue, L.METADATA_KEYS_MAX)),
  /** Fewer members than max_players (or unlimited). */
  free_seats: optional(boolean),
  /** No password. */
  no_password: optional(boolean),
});
export type LobbyFilter = Infer<typeof lobbyFilter>;

/** One lobby in the filtered LIST_ACK. */
export const lobbySummary = object({
  name: lobbyName,
  metadata: lobbyMetadata,
  current_players: count,
  max_players: maxPlayers,
  locked: boolean,
  password_required: boolean,
});
export type LobbySummary = Infer<typeof lobbySummary>;

/** QUICK_JOIN: the oldest open lobby matching `filter`, else a new one made with `create`. */
export const quickJoin = object({
  filter: optional(lobbyFilter),
  create: object({
    max_players: maxPlayers,
    metadata: optional(lobbyMetadata),
    enable_relay: optional(boolean),
  }),
});

export const lobbyInfo = object({
  name: lobbyName,
  host: user,
  max_players: maxPlayers,
  current_players: count,
  currently_locked: boolean,
  password_required: boolean,
  relay_enabled: boolean,
  hidden: boolean,
  /** Set by the host (matchmaking); absent from servers before it. */
  metadata: optional(lobbyMetadata),
});
export type LobbyInfo = Infer<typeof lobbyInfo>;

/** What resumes a seat held after a drop: unguessable, single use (docs/protocol-notes.md). */
export const resumeToken = string({ min: 1, max: L.RESUME_TOKEN_MAX, printable: true });

/** INIT_OK and RESUME_OK: who I am, the token that resumes this seat once (when the server holds seats), TURN servers. */
const session = object({
  instance_id: instanceId,
  user_id: string({ min: 1, max: L.INSTANCE_ID_MAX }),
  username,
  resume_token: optional(resumeToken),
  /** TURN servers with short-lived credentials for this player (INIT_OK only; docs/protocol-notes.md). */
  ice_servers: optional(array(iceServer, L.ICE_SERVERS_MAX)),
});

export const manageMethods = [
  'lock',
  'unlock',
  'hide',
  'show',
  'kick',
  'change_password',
  'change_max_players',
  'transfer_ownership',
  'close_lobby',
  'set_metadata',
] as const;
export type ManageMethod = (typeof manageMethods)[number];

/** Client → server. */
export const clientOpcodes = {
  /** A username, a token or a credential (at least one; handlers/identity.ts): without a username the name comes from the token verifier, or a guest name. */
  INIT: object({
    username: optional(username),
    token: optional(string({ max: L.TOKEN_MAX })),
    credential: optional(string({ max: L.TOKEN_MAX })),
    pubkey: optional(string({ min: 1, max: L.PUBKEY_MAX })),
  }),
  /** First packet of a new connection instead of INIT: take back a seat held after a drop (docs/protocol-notes.md). */
  RESUME: object({ token: resumeToken, received: count }),
  KEEPALIVE: none,
  /** No payload: LIST_ACK [name, ...] (upstream). A filter: LIST_ACK [summary, ...], oldest first. */
  LIST_LOBBIES: ((value, path) => (value === undefined || value === null ? undefined : lobbyFilter(value, path))) as Check<LobbyFilter | undefined>,
  FIND_LOBBY: lobbyName,
  CREATE_LOBBY: object({
    name: lobbyName,
    max_players: maxPlayers,
    password,
    locked: boolean,
    hidden: optional(boolean),
    enable_relay: boolean,
    metadata: optional(lobbyMetadata),
  }),
  JOIN_LOBBY: object({ name: lobbyName, password: optional(password) }),
  LEAVE_LOBBY: none,
  MANAGE_LOBBY: object({ method: literal(...manageMethods), args: json }),
  MAKE_OFFER: signal,
  MAKE_ANSWER: signal,
  ICE: signal,
  /** Reach this member of my lobby through the lobby's relay peer: our direct link cannot open (hybrid lobby). */
  USE_RELAY: instanceId,
  QUICK_JOIN: quickJoin,
} satisfies Record<string, Check<unknown>>;

/** Opcodes whose packet carries `recipient` and is relayed with a server-stamped `origin`. */
export const relayedOpcodes = ['MAKE_OFFER', 'MAKE_ANSWER', 'ICE'] as const;
export type RelayedOpcode = (typeof relayedOpcodes)[number];

/** An ACK's text: "ok", a refusal, or "invalid args: <the validator's reason>" (as long as a WARNING may be). */
const ackText = string({ max: 1000 });

/** Server → client. */
export const serverOpcodes = {
  INIT_OK: session,
  RESUME_OK: session,
  KEEPALIVE_ACK: none,
  LIST_ACK: either(array(lobbyName, 100_000), array(lobbySummary, 100_000), 'lobby names or lobby summaries'),
  FIND_ACK: either(lobbyInfo, literal('not found'), 'lobby info or "not found"'),
  CREATE_ACK: ackText,
  JOIN_ACK: ackText,
  LEAVE_ACK: ackText,
  MANAGE_ACK: ackText,
  /** The lobby quick join put me in (`created`: a new one, I am its host), or a refusal text. */
  QUICK_JOIN_ACK: either(object({ name: lobbyName, created: boolean }), ackText, 'the lobby joined or a refusal'),
  TRANSITION: literal('host', 'peer', ''),
  NEW_HOST: user,
  NEW_PEER: user,
  PEER_JOIN: user,
  PEER_LEFT: instanceId,
  NEW_LOBBY: lobbyName,
  LOBBY_CLOSED: lobbyName,
  RELAY: instanceId,
  /** To both players of a pair (the requester's copy answers its USE_RELAY): reach `peer` through relay peer `relay`. */
  RELAY_PAIR: object({ relay: instanceId, peer: instanceId }),
  WARNING: string({ max: 1000 }),
  VIOLATION: string({ max: 1000 }),
  MAKE_OFFER: signal,
  MAKE_ANSWER: signal,
  ICE: signal,
} satisfies Record<string, Check<unknown>>;

type PayloadsOf<T extends Record<string, Check<unknown>>> = { [K in keyof T]: Infer<T[K]> };
export type ClientPayloads = PayloadsOf<typeof clientOpcodes>;
export type ServerPayloads = PayloadsOf<typeof serverOpcodes>;
export type ClientOpcode = keyof ClientPayloads;
export type ServerOpcode = keyof ServerPayloads;

/**
 * Stamped by the server on relayed packets. Besides the spec's {instance_id, username} it carries
 * the sender's user_id and pubkey: a joiner is told only about the host, so the first signal from
 * another member is how it learns that member (and the key to decrypt its signals, §6).
 */
export const origin = object({
  instance_id: instanceId,
  username,
  user_id: optional(string({ min: 1, max: L.INSTANCE_ID_MAX })),
  pubkey: optional(string({ max: L.PUBKEY_MAX })),
});
export type Origin = Infer<typeof origin>;

/** A validated client → server packet, discriminated by opcode. */
export type ClientPacket = {
  [K in ClientOpcode]: { opcode: K; payload: ClientPayloads[K]; recipient?: string; listener?: string };
}[ClientOpcode];

/** A validated server → client packet, discriminated by opcode. */
export type ServerPacket = {
  [K in ServerOpcode]: { opcode: K; payload: ServerPayloads[K]; origin?: Origin; listener?: string };
}[ServerOpcode];

// Reply texts, named once so server, client and tests agree on them.
export const Reply = {
  ok: 'ok',
  exists: 'exists',
  alreadyInLobby: 'already in lobby',
  invalid: 'invalid',
  notFound: 'not found',
  locked: 'locked',
  full: 'full',
  password: 'password',
  unauthorized: 'unauthorized',
  notInLobby: 'not in lobby',
} as const;

export const Warning = {
  notInitialized: 'not initialized',
  alreadyInitialized: 'already initialized',
  peerInvalid: 'peer invalid',
  usernameTaken: 'username taken',
  rateLimited: 'rate limited: slow down',
  kicked: 'kicked from the lobby',
  voiceNotRelayed: 'voice is not relayed: calls need a direct link between the two players',
  sessionExpired: 'session expired: no seat is held for this token',
  relayUnavailable: 'relay not available on this server',
  /** To a lobby's members: its relay peer's process died. A relay lobby then gets RELAY; relayed pairs ask again (USE_RELAY). */
  relayLost: 'relay: the relay process stopped and was restarted; links through the relay were lost',
  initNeedsIdentity: 'INIT needs a username, a token or a credential',
  invalidToken: 'invalid token',
  tokenNotChecked: 'token not checked: this server has no token verifier (--token-verifier), so you play under a guest name',
  passwordAttempts: 'too many wrong passwords',
  listTruncated: 'list truncated',
  passwordGuessed: 'many wrong passwords were tried for your lobby in the last minute: joins with a password are slowed down',
  lobbyChanges: 'too many lobby changes',
  joinCooldown: 'joining too often',
} as const;
