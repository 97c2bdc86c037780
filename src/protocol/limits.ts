// Size limits shared by client and server. The server enforces them; the client checks them
// before sending so a too-large request fails locally with a clear message.

/** Largest WebSocket frame the server accepts (bigger ⇒ VIOLATION + close 1009). */
export const MAX_FRAME_BYTES = 64 * 1024;
/** Largest data-channel message (browsers cap SCTP messages at 256 KiB). */
export const MAX_IN_BAND_BYTES = 240 * 1024;

/** Deepest nesting of arrays and objects in a packet (a signal is 3 deep): deeper ones are refused where a payload of any JSON is validated (schema.ts `json`). */
export const MAX_JSON_DEPTH = 32;

/** Lobbies one LIST_ACK names at most (oldest first); a WARNING says how many matched beyond. */
export const LIST_REPLY_MAX = 100;

export const USERNAME_MAX = 64;
export const LOBBY_NAME_MAX = 64;
export const PASSWORD_MAX = 128;
export const TOKEN_MAX = 4096;
/** A resume token is 32 base64url characters; leave room. */
export const RESUME_TOKEN_MAX = 128;
/** Base64 SPKI of a P-256 key is 124 characters; leave room for other encodings. */
export const PUBKEY_MAX = 512;
export const LISTENER_MAX = 128;
export const INSTANCE_ID_MAX = 64;
export const UGI_MAX = 128;
/** ICE servers handed out in INIT_OK (TURN credentials): servers, URLs each, and their lengths. */
export const ICE_SERVERS_MAX = 8;
export const ICE_URL_MAX = 512;
export const ICE_CREDENTIAL_MAX = 512;
/** Largest `max_players` a lobby may ask for (the field also takes -1, which means unlimited). */
export const MAX_PLAYERS_LIMIT = 1000;
/** A lobby's metadata (matchmaking): entries, key and string-value lengths, and its whole size as JSON (UTF-8 bytes). */
export const METADATA_KEYS_MAX = 16;
export const METADATA_KEY_MAX = 32;
export const METADATA_VALUE_MAX = 128;
export const METADATA_BYTES_MAX = 1024;
/** Significant digits a metadata number may have: Redis' Lua (cjson) writes numbers back with 14, so more would change it. */
export const METADATA_NUMBER_DIGITS = 14;

export const CHANNEL_LABEL_MAX = 64;
/** Negotiated data-channel ids start above the ones WebRTC assigns itself (0/1 for `default`). */
export const FIRST_CHANNEL_ID = 16;
export const LAST_CHANNEL_ID = 1023;

export const NETWORK_ID_MAX = 256;
export const LIST_ITEMS_MAX = 200_000;
/** Packets in one in-band batch (one data-channel message). */
export const BATCH_MAX = 10_000;

/** Per-connection rate limit: a token bucket refilled at RATE per second, holding at most BURST. */
export const RATE_PER_SECOND = 50;
export const RATE_BURST = 200;
/** Rejected packets tolerated (with WARNINGs) within one window before the VIOLATION. */
export const RATE_STRIKES_BEFORE_VIOLATION = 100;
