// src/server/main.ts
import { parseArgs } from "node:util";

// src/server/log.ts
var jsonLogger = (write = (line) => process.stdout.write(`${line}
`)) => (level, event, fields = {}) => write(JSON.stringify({ time: (/* @__PURE__ */ new Date()).toISOString(), level, event, ...fields }));

// src/protocol/limits.ts
var MAX_FRAME_BYTES = 64 * 1024;
var MAX_IN_BAND_BYTES = 240 * 1024;
var MAX_JSON_DEPTH = 32;
var LIST_REPLY_MAX = 100;
var USERNAME_MAX = 64;
var LOBBY_NAME_MAX = 64;
var PASSWORD_MAX = 128;
var TOKEN_MAX = 4096;
var RESUME_TOKEN_MAX = 128;
var PUBKEY_MAX = 512;
var LISTENER_MAX = 128;
var INSTANCE_ID_MAX = 64;
var UGI_MAX = 128;
var ICE_SERVERS_MAX = 8;
var ICE_URL_MAX = 512;
var ICE_CREDENTIAL_MAX = 512;
var MAX_PLAYERS_LIMIT = 1e3;
var METADATA_KEYS_MAX = 16;
var METADATA_KEY_MAX = 32;
var METADATA_VALUE_MAX = 128;
var METADATA_BYTES_MAX = 1024;
var METADATA_NUMBER_DIGITS = 14;
var CHANNEL_LABEL_MAX = 64;
var FIRST_CHANNEL_ID = 16;
var LAST_CHANNEL_ID = 1023;
var NETWORK_ID_MAX = 256;
var LIST_ITEMS_MAX = 2e5;
var RATE_PER_SECOND = 50;
var RATE_BURST = 200;
var RATE_STRIKES_BEFORE_VIOLATION = 100;

// src/protocol/schema.ts
var ProtocolError = class extends Error {
  constructor(message) {
    super(message);
    this.name = "ProtocolError";
  }
};
var fail = (path3, expected) => {
  throw new ProtocolError(`${path3} must be ${expected}`);
};
var NON_PRINTABLE = /[\u0000-\u001f\u007f-\u009f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
var string = ({ min = 0, max, printable: printable2 = false }) => (value, path3) => {
  if (typeof value !== "string") return fail(path3, "a string");
  const units = value.length;
  if (units > max || units < 2 * min) {
    const length = [...value].length;
    if (length < min || length > max) return fail(path3, `${min}–${max} characters long`);
  }
  if (printable2 && NON_PRINTABLE.test(value)) return fail(path3, "printable text");
  return value;
};
var integer = (min, max) => (value, path3) => typeof value === "number" && Number.isInteger(value) && value >= min && value <= max ? value : fail(path3, `an integer from ${min} to ${max}`);
var count = integer(0, Number.MAX_SAFE_INTEGER);
var boolean = (value, path3) => typeof value === "boolean" ? value : fail(path3, "true or false");
var literal = (...options2) => (value, path3) => options2.includes(value) ? value : fail(path3, `one of ${options2.map((o) => JSON.stringify(o)).join(", ")}`);
function nestedDeeper(value, levels) {
  if (levels === 0) return true;
  if (Array.isArray(value)) {
    for (const item of value) if (typeof item === "object" && item !== null && nestedDeeper(item, levels - 1)) return true;
    return false;
  }
  for (const key in value) {
    const item = value[key];
    if (typeof item === "object" && item !== null && nestedDeeper(item, levels - 1)) return true;
  }
  return false;
}
var json = (value, path3) => typeof value === "object" && value !== null && nestedDeeper(value, MAX_JSON_DEPTH) ? fail(path3, `JSON nested at most ${MAX_JSON_DEPTH} levels deep`) : value;
var none = (value, path3) => value === void 0 || value === null ? void 0 : fail(path3, "empty");
var scratchValue = (value, path3) => typeof value === "string" || typeof value === "boolean" || typeof value === "number" && Number.isFinite(value) ? value : fail(path3, "a string, number or boolean");
var array = (item, maxItems) => (value, path3) => {
  if (!Array.isArray(value)) return fail(path3, "an array");
  if (value.length > maxItems) return fail(path3, `at most ${maxItems} items`);
  return value.map((entry, index) => item(entry, `${path3}[${index}]`));
};
var finite = (value, path3) => typeof value === "number" && Number.isFinite(value) ? value : fail(path3, "a finite number");
var record = (key, item, maxKeys) => (value, path3) => {
  if (!isPlainObject(value)) return fail(path3, "an object");
  const entries = Object.entries(value);
  if (entries.length > maxKeys) return fail(path3, `at most ${maxKeys} entries`);
  const out = {};
  for (const [name, entry] of entries) {
    Object.defineProperty(out, key(name, `${path3} key`), { value: item(entry, `${path3}.${name}`), enumerable: true, writable: true, configurable: true });
  }
  return out;
};
var optional = (check) => (value, path3) => value === void 0 ? void 0 : check(value, path3);
var isPlainObject = (value) => typeof value === "object" && value !== null && !Array.isArray(value);
var object = (shape) => {
  const keys = Object.keys(shape);
  const checks = Object.values(shape);
  let parentPath;
  let fieldPaths = [];
  return (value, path3) => {
    if (!isPlainObject(value)) return fail(path3, "an object");
    if (path3 !== parentPath) {
      parentPath = path3;
      fieldPaths = keys.map((key) => `${path3}.${key}`);
    }
    const paths = fieldPaths;
    const out = {};
    for (let i = 0; i < keys.length; i += 1) {
      const key = keys[i];
      const field = checks[i](value[key], paths[i]);
      if (field !== void 0) out[key] = field;
    }
    return out;
  };
};
var either = (first, second, expected) => (value, path3) => {
  try {
    return first(value, path3);
  } catch {
    try {
      return second(value, path3);
    } catch {
      return fail(path3, expected);
    }
  }
};

// src/protocol/has-own.ts
var hasOwn = (object2, key) => (
  // biome-ignore lint/suspicious/noPrototypeBuiltins: Object.hasOwn is what this avoids (see above)
  Object.prototype.hasOwnProperty.call(object2, key)
);

// src/protocol/username.ts
var printable = string({ min: 1, max: USERNAME_MAX, printable: true });
var INVISIBLE = new RegExp("(?!(?<=\\p{Extended_Pictographic}[\\uFE0F\\u{1F3FB}-\\u{1F3FF}]?)\\u200D)\\p{Cf}", "u");
var username = (value, path3) => {
  const name = printable(value, path3).normalize("NFKC");
  const invisible = INVISIBLE.exec(name);
  if (invisible) {
    const code = invisible[0].codePointAt(0).toString(16).toUpperCase().padStart(4, "0");
    throw new ProtocolError(`${path3} must not contain invisible formatting characters (U+${code})`);
  }
  return printable(name, path3);
};
var LOOK_ALIKES = {
  // Cyrillic
  а: "a",
  е: "e",
  о: "o",
  р: "p",
  с: "c",
  у: "y",
  х: "x",
  ѕ: "s",
  і: "l",
  ј: "j",
  һ: "h",
  "ԁ": "d",
  "ԛ": "q",
  "ԝ": "w",
  "ӏ": "l",
  ү: "y",
  А: "A",
  В: "B",
  Е: "E",
  К: "K",
  М: "M",
  Н: "H",
  О: "O",
  Р: "P",
  С: "C",
  Т: "T",
  Х: "X",
  У: "Y",
  І: "l",
  Ј: "J",
  Ѕ: "S",
  "Ԛ": "Q",
  "Ԝ": "W",
  Ӏ: "l",
  // Greek
  Α: "A",
  Β: "B",
  Ε: "E",
  Ζ: "Z",
  Η: "H",
  Ι: "l",
  Κ: "K",
  Μ: "M",
  Ν: "N",
  Ο: "O",
  Ρ: "P",
  Τ: "T",
  Υ: "Y",
  Χ: "X",
  ο: "o",
  ν: "v",
  ι: "i",
  κ: "k",
  ρ: "p",
  α: "a",
  γ: "y",
  υ: "u",
  // Latin among itself
  "0": "O",
  "1": "l",
  I: "l",
  "|": "l",
  ı: "i",
  ɡ: "g",
  ɑ: "a"
};
var LOOK_ALIKE = new RegExp(
  `[${Object.keys(LOOK_ALIKES).join("").replace(/[\]\\^-]/g, "\\$&")}]`,
  "gu"
);
function usernameSkeleton(name) {
  return name.replace(LOOK_ALIKE, (c) => LOOK_ALIKES[c]).replaceAll("rn", "m");
}

// src/protocol/out-of-band.ts
var lobbyName = string({ min: 1, max: LOBBY_NAME_MAX, printable: true });
var password = string({ max: PASSWORD_MAX });
var instanceId = string({ min: 1, max: INSTANCE_ID_MAX, printable: true });
var maxPlayers = integer(-1, MAX_PLAYERS_LIMIT);
var SIGNAL_DATA = 0;
var SIGNAL_VOICE = 1;
var signal = object({
  type: literal(SIGNAL_DATA, SIGNAL_VOICE),
  contents: json
});
var user = object({
  instance_id: instanceId,
  user_id: string({ min: 1, max: INSTANCE_ID_MAX }),
  username,
  pubkey: optional(string({ max: PUBKEY_MAX }))
});
var iceUrl = (value, path3) => {
  const url = string({ min: 1, max: ICE_URL_MAX, printable: true })(value, path3);
  if (!/^(stuns?|turns?):/.test(url)) throw new ProtocolError(`${path3} must be a stun:, stuns:, turn: or turns: URL`);
  return url;
};
var iceServer = object({
  urls: array(iceUrl, ICE_SERVERS_MAX),
  username: optional(string({ max: ICE_CREDENTIAL_MAX })),
  credential: optional(string({ max: ICE_CREDENTIAL_MAX }))
});
var metadataKey = string({ min: 1, max: METADATA_KEY_MAX, printable: true });
var metadataValue = (value, path3) => {
  if (typeof value === "string") return string({ max: METADATA_VALUE_MAX })(value, path3);
  if (typeof value !== "number") throw new ProtocolError(`${path3} must be a string or a number`);
  const number = finite(value, path3);
  if (Number(number.toPrecision(METADATA_NUMBER_DIGITS)) !== number) {
    throw new ProtocolError(`${path3} must be a number with at most ${METADATA_NUMBER_DIGITS} significant digits`);
  }
  return number;
};
var metadataBytes = (metadata) => new TextEncoder().encode(JSON.stringify(metadata)).length;
var lobbyMetadata = (value, path3) => {
  const metadata = record(metadataKey, metadataValue, METADATA_KEYS_MAX)(value, path3);
  const bytes = metadataBytes(metadata);
  if (bytes > METADATA_BYTES_MAX) throw new ProtocolError(`${path3} must be at most ${METADATA_BYTES_MAX} bytes as JSON (is ${bytes})`);
  return metadata;
};
var metadataChange = record(metadataKey, (value, path3) => value === null ? null : metadataValue(value, path3), METADATA_KEYS_MAX);
var lobbyFilter = object({
  /** Each key equals this value exactly (a string never equals a number). */
  metadata: optional(record(metadataKey, metadataValue, METADATA_KEYS_MAX)),
  /** Fewer members than max_players (or unlimited). */
  free_seats: optional(boolean),
  /** No password. */
  no_password: optional(boolean)
});
var lobbySummary = object({
  name: lobbyName,
  metadata: lobbyMetadata,
  current_players: count,
  max_players: maxPlayers,
  locked: boolean,
  password_required: boolean
});
var quickJoin = object({
  filter: optional(lobbyFilter),
  create: object({
    max_players: maxPlayers,
    metadata: optional(lobbyMetadata),
    enable_relay: optional(boolean)
  })
});
var lobbyInfo = object({
  name: lobbyName,
  host: user,
  max_players: maxPlayers,
  current_players: count,
  currently_locked: boolean,
  password_required: boolean,
  relay_enabled: boolean,
  hidden: boolean,
  /** Set by the host (matchmaking); absent from servers before it. */
  metadata: optional(lobbyMetadata)
});
var resumeToken = string({ min: 1, max: RESUME_TOKEN_MAX, printable: true });
var session = object({
  instance_id: instanceId,
  user_id: string({ min: 1, max: INSTANCE_ID_MAX }),
  username,
  resume_token: optional(resumeToken),
  /** TURN servers with short-lived credentials for this player (INIT_OK only; docs/protocol-notes.md). */
  ice_servers: optional(array(iceServer, ICE_SERVERS_MAX))
});
var manageMethods = [
  "lock",
  "unlock",
  "hide",
  "show",
  "kick",
  "change_password",
  "change_max_players",
  "transfer_ownership",
  "close_lobby",
  "set_metadata"
];
var clientOpcodes = {
  /** A username, a token or a credential (at least one; handlers/identity.ts): without a username the name comes from the token verifier, or a guest name. */
  INIT: object({
    username: optional(username),
    token: optional(string({ max: TOKEN_MAX })),
    credential: optional(string({ max: TOKEN_MAX })),
    pubkey: optional(string({ min: 1, max: PUBKEY_MAX }))
  }),
  /** First packet of a new connection instead of INIT: take back a seat held after a drop (docs/protocol-notes.md). */
  RESUME: object({ token: resumeToken, received: count }),
  KEEPALIVE: none,
  /** No payload: LIST_ACK [name, ...] (upstream). A filter: LIST_ACK [summary, ...], oldest first. */
  LIST_LOBBIES: ((value, path3) => value === void 0 || value === null ? void 0 : lobbyFilter(value, path3)),
  FIND_LOBBY: lobbyName,
  CREATE_LOBBY: object({
    name: lobbyName,
    max_players: maxPlayers,
    password,
    locked: boolean,
    hidden: optional(boolean),
    enable_relay: boolean,
    metadata: optional(lobbyMetadata)
  }),
  JOIN_LOBBY: object({ name: lobbyName, password: optional(password) }),
  LEAVE_LOBBY: none,
  MANAGE_LOBBY: object({ method: literal(...manageMethods), args: json }),
  MAKE_OFFER: signal,
  MAKE_ANSWER: signal,
  ICE: signal,
  /** Reach this member of my lobby through the lobby's relay peer: our direct link cannot open (hybrid lobby). */
  USE_RELAY: instanceId,
  QUICK_JOIN: quickJoin
};
var ackText = string({ max: 1e3 });
var serverOpcodes = {
  INIT_OK: session,
  RESUME_OK: session,
  KEEPALIVE_ACK: none,
  LIST_ACK: either(array(lobbyName, 1e5), array(lobbySummary, 1e5), "lobby names or lobby summaries"),
  FIND_ACK: either(lobbyInfo, literal("not found"), 'lobby info or "not found"'),
  CREATE_ACK: ackText,
  JOIN_ACK: ackText,
  LEAVE_ACK: ackText,
  MANAGE_ACK: ackText,
  /** The lobby quick join put me in (`created`: a new one, I am its host), or a refusal text. */
  QUICK_JOIN_ACK: either(object({ name: lobbyName, created: boolean }), ackText, "the lobby joined or a refusal"),
  TRANSITION: literal("host", "peer", ""),
  NEW_HOST: user,
  NEW_PEER: user,
  PEER_JOIN: user,
  PEER_LEFT: instanceId,
  NEW_LOBBY: lobbyName,
  LOBBY_CLOSED: lobbyName,
  RELAY: instanceId,
  /** To both players of a pair (the requester's copy answers its USE_RELAY): reach `peer` through relay peer `relay`. */
  RELAY_PAIR: object({ relay: instanceId, peer: instanceId }),
  WARNING: string({ max: 1e3 }),
  VIOLATION: string({ max: 1e3 }),
  MAKE_OFFER: signal,
  MAKE_ANSWER: signal,
  ICE: signal
};
var origin = object({
  instance_id: instanceId,
  username,
  user_id: optional(string({ min: 1, max: INSTANCE_ID_MAX })),
  pubkey: optional(string({ max: PUBKEY_MAX }))
});
var Reply = {
  ok: "ok",
  exists: "exists",
  alreadyInLobby: "already in lobby",
  invalid: "invalid",
  notFound: "not found",
  locked: "locked",
  full: "full",
  password: "password",
  unauthorized: "unauthorized",
  notInLobby: "not in lobby"
};
var Warning = {
  notInitialized: "not initialized",
  alreadyInitialized: "already initialized",
  peerInvalid: "peer invalid",
  usernameTaken: "username taken",
  rateLimited: "rate limited: slow down",
  kicked: "kicked from the lobby",
  voiceNotRelayed: "voice is not relayed: calls need a direct link between the two players",
  sessionExpired: "session expired: no seat is held for this token",
  relayUnavailable: "relay not available on this server",
  /** To a lobby's members: its relay peer's process died. A relay lobby then gets RELAY; relayed pairs ask again (USE_RELAY). */
  relayLost: "relay: the relay process stopped and was restarted; links through the relay were lost",
  initNeedsIdentity: "INIT needs a username, a token or a credential",
  invalidToken: "invalid token",
  tokenNotChecked: "token not checked: this server has no token verifier (--token-verifier), so you play under a guest name",
  passwordAttempts: "too many wrong passwords",
  listTruncated: "list truncated",
  passwordGuessed: "many wrong passwords were tried for your lobby in the last minute: joins with a password are slowed down",
  lobbyChanges: "too many lobby changes",
  joinCooldown: "joining too often"
};

// src/protocol/in-band.ts
var networkId = string({ min: 1, max: NETWORK_ID_MAX });
var channelLabel = string({ min: 1, max: CHANNEL_LABEL_MAX, printable: true });
var channelId = integer(FIRST_CHANNEL_ID, LAST_CHANNEL_ID);
var pingToken = count;
var listMethods = ["set", "replace", "length", "reset"];
var listPayloads = {
  set: array(scratchValue, LIST_ITEMS_MAX),
  reset: array(scratchValue, LIST_ITEMS_MAX),
  replace: object({ index: integer(0, LIST_ITEMS_MAX - 1), value: scratchValue }),
  length: integer(0, LIST_ITEMS_MAX)
};
var peerOpcodes = {
  G_MSG: json,
  P_MSG: json,
  G_VAR: scratchValue,
  P_VAR: scratchValue,
  /** Checked per `method` by listPayloads. */
  G_LIST: json,
  P_LIST: json,
  NEW_CHAN: object({ id: channelId, label: channelLabel, ordered: boolean }),
  HANGUP: none,
  DECLINE: none,
  /** Round-trip probe (docs/protocol-notes.md): answered at once with PONG and the same token. */
  PING: pingToken,
  PONG: pingToken,
  /**
   * After a lost link healed: how many messages I received from you on each reliable channel since
   * you joined, so you resend the rest; `ask` when you should answer with yours.
   */
  RECEIVED: object({ received: record(channelLabel, count, LAST_CHANNEL_ID + 1), ask: boolean })
};

// src/protocol/merge-payloads.ts
var seq = integer(1, Number.MAX_SAFE_INTEGER);
var WRITERS_MAX = 4 * MAX_PLAYERS_LIMIT;
var itemId = (value, path3) => {
  if (!Array.isArray(value) || value.length !== 2) throw new ProtocolError(`${path3} must be [seq, writer]`);
  return [seq(value[0], `${path3}[0]`), instanceId(value[1], `${path3}[1]`)];
};
var seqVector = record(instanceId, count, WRITERS_MAX);
var clearedEntry = (value, path3) => {
  if (!Array.isArray(value) || value.length !== 3) throw new ProtocolError(`${path3} must be [seq, stamp seq, stamp writer]`);
  return [count(value[0], `${path3}[0]`), seq(value[1], `${path3}[1]`), instanceId(value[2], `${path3}[2]`)];
};
var wireItem = (writers) => (value, path3) => {
  if (!Array.isArray(value) || value.length < 3 || value.length > 7) throw new ProtocolError(`${path3} must be [seq, writer, value, …] with 3 to 7 fields`);
  const writer = integer(0, writers - 1);
  const wireId = (id, at) => {
    if (!Array.isArray(id) || id.length !== 2) throw new ProtocolError(`${at} must be 0, null or [seq, writer]`);
    return [seq(id[0], `${at}[0]`), writer(id[1], `${at}[1]`)];
  };
  const out = [seq(value[0], `${path3}[0]`), writer(value[1], `${path3}[1]`), scratchValue(value[2], `${path3}[2]`)];
  for (let i = 3; i < value.length; i += 1) {
    const field = value[i];
    out.push(field === 0 || field === null && i === 3 ? field : wireId(field, `${path3}[${i}]`));
  }
  return out;
};
var chunkHead = object({
  part: count,
  of: integer(1, 1e6),
  clock: count,
  ack: seqVector,
  floor: seqVector,
  /** Per writer: [seq, stamp seq, stamp writer] — ids of that writer up to seq were cleared, by that clear. */
  cleared: optional(record(instanceId, clearedEntry, WRITERS_MAX)),
  writers: array(instanceId, WRITERS_MAX),
  /** The sender holds the history of the list (see docs/sync.md "Joining late"); absent: it is catching up. */
  complete: optional(boolean)
});
var stateChunk = (value, path3) => {
  const head = chunkHead(value, path3);
  if (head.part >= head.of) throw new ProtocolError(`${path3}.part must be below ${path3}.of`);
  const items = array(wireItem(head.writers.length), LIST_ITEMS_MAX)(value.items, `${path3}.items`);
  return { ...head, items };
};
var mergedListPayloads = {
  insert: object({ after: (value, path3) => value === null ? null : itemId(value, path3), value: scratchValue }),
  delete: itemId,
  put: object({ item: itemId, value: scratchValue }),
  clear: seqVector,
  ack: seqVector,
  state: stateChunk
};
var counterEntry = (value, path3) => {
  if (!Array.isArray(value) || value.length !== 2) throw new ProtocolError(`${path3} must be [changes, total]`);
  return [count(value[0], `${path3}[0]`), finite(value[1], `${path3}[1]`)];
};
var counterEntries = record(instanceId, counterEntry, WRITERS_MAX);
var counterSet = object({ value: finite, seen: counterEntries });
var counterPayloads = {
  /** seq = the writer's number of changes so far; payload = their sum. */
  add: finite,
  /** seq = the reset's version seq; `seen` = the entries its writer had. */
  set: counterSet,
  state: object({
    entries: counterEntries,
    set: (value, path3) => {
      if (value === null || value === void 0) return null;
      if (!isPlainObject(value)) throw new ProtocolError(`${path3} must be null or a reset`);
      return { ...counterSet(value, path3), version: itemId(value.version, `${path3}.version`) };
    }
  })
};

// src/protocol/envelope.ts
var listener = optional(string({ max: LISTENER_MAX }));
var recipient = optional(instanceId);
function parseJson(text, maxBytes) {
  if (text.length > maxBytes) throw new ProtocolError(`packet is larger than ${maxBytes} bytes`);
  try {
    return JSON.parse(text);
  } catch {
    throw new ProtocolError("packet is not valid JSON");
  }
}
function opcodeOf(raw, table) {
  if (!isPlainObject(raw)) throw new ProtocolError("packet must be a JSON object");
  const { opcode } = raw;
  if (typeof opcode !== "string") throw new ProtocolError("packet.opcode must be a string");
  if (!hasOwn(table, opcode)) throw new ProtocolError(`unknown opcode ${JSON.stringify(opcode.slice(0, 40))}`);
  return opcode;
}
var ENVELOPE_FIELDS = /* @__PURE__ */ new Set(["opcode", "payload", "recipient", "listener"]);
function decodeClientPacket(text) {
  const raw = parseJson(text, MAX_FRAME_BYTES);
  const opcode = opcodeOf(raw, clientOpcodes);
  let bare = true;
  for (const field in raw) {
    if (!ENVELOPE_FIELDS.has(field)) {
      bare = false;
      break;
    }
  }
  return {
    opcode,
    payload: clientOpcodes[opcode](raw.payload, "payload"),
    recipient: recipient(raw.recipient, "recipient"),
    listener: listener(raw.listener, "listener"),
    bare
  };
}
function salvageEnvelope(text) {
  try {
    const raw = JSON.parse(text);
    if (!isPlainObject(raw)) return {};
    const opcode = typeof raw.opcode === "string" ? raw.opcode : void 0;
    let salvaged;
    try {
      salvaged = listener(raw.listener, "listener");
    } catch {
      salvaged = void 0;
    }
    return { opcode, listener: salvaged };
  } catch {
    return {};
  }
}
function decodeServerPacket(text) {
  const raw = parseJson(text, Infinity);
  const opcode = opcodeOf(raw, serverOpcodes);
  return {
    opcode,
    payload: serverOpcodes[opcode](raw.payload, "payload"),
    origin: optional(origin)(raw.origin, "origin"),
    listener: listener(raw.listener, "listener")
  };
}
function encodePacket(packet) {
  return JSON.stringify(packet);
}
var listMethod = literal(...listMethods, ...Object.keys(mergedListPayloads));
var counterMethod = literal(...Object.keys(counterPayloads));

// src/protocol/version.ts
var VERSION = "0.1.0";

// src/protocol/relay-refusal.ts
var BUSY = "relay: the relay is already setting up ";
var OFFERS = "relay: too many offers to the relay";
var LINKS = "relay: this lobby's relay already links ";
var REFUSALS_TOLD_EVERY_MS = 5e3;
var RelayRefusal = {
  links: (limit) => `${LINKS}${limit} players (its limit); offer refused`,
  offers: (limit, waitMs) => `${OFFERS} (${limit} a minute); try again in ${Math.ceil(waitMs / 1e3)} s`,
  negotiations: (limit) => `${BUSY}${limit} links (its limit); offer refused, try again when one has opened or timed out`,
  negotiationsPerAddress: (share) => `${BUSY}${share} links for your address (its share); offer refused, try again when one has opened or timed out`,
  bytes: (limit) => `relay: you send more than ${Math.round(limit / 1024)} KiB/s through the relay; what is over it is dropped`
};

// src/protocol/connection-refusal.ts
var RATE = "too many new connections from your address: try again in ";
var CLOSE_TRY_LATER = 1013;
var ConnectionRefusal = {
  rate: (seconds) => `${RATE}${seconds} s`,
  full: (limit) => `server full (limit ${limit} connections)`,
  perAddress: (limit) => `too many connections from your address (limit ${limit})`
};

// src/server/keyed-buckets.ts
var KeyedBuckets = class {
  constructor(size, perMs) {
    this.size = size;
    this.perMs = perMs;
  }
  size;
  perMs;
  buckets = /* @__PURE__ */ new Map();
  /** How long an empty bucket takes to fill: sweeping that often keeps the map small. */
  get refillMs() {
    return this.size / this.perMs;
  }
  /** Milliseconds until one token is there (0: now). */
  waitMs(key, now) {
    const tokens = this.level(key, now);
    return tokens >= 1 ? 0 : Math.ceil((1 - tokens) / this.perMs);
  }
  /** Takes `amount` tokens (one by default) if they are there. */
  take(key, now, amount = 1) {
    const bucket = this.buckets.get(key);
    const tokens = this.fill(bucket, now);
    if (tokens < amount) return false;
    this.put(key, bucket, tokens - amount, now);
    return true;
  }
  /** Spends `amount` tokens (one by default), into debt if need be, but not below `floor`; returns what is left. */
  spend(key, now, amount = 1, floor = Number.NEGATIVE_INFINITY) {
    const bucket = this.buckets.get(key);
    const tokens = Math.max(floor, this.fill(bucket, now) - amount);
    this.put(key, bucket, tokens, now);
    return tokens;
  }
  /** Whether `key` has spent nothing lately (its bucket is full again). */
  isFull(key, now) {
    return this.level(key, now) >= this.size;
  }
  sweep(now) {
    for (const key of this.buckets.keys()) if (this.isFull(key, now)) this.buckets.delete(key);
  }
  level(key, now) {
    return this.fill(this.buckets.get(key), now);
  }
  fill(bucket, now) {
    return bucket ? Math.min(this.size, bucket.tokens + (now - bucket.at) * this.perMs) : this.size;
  }
  put(key, bucket, tokens, now) {
    if (!bucket) return void this.buckets.set(key, { tokens, at: now });
    bucket.tokens = tokens;
    bucket.at = now;
  }
};

// src/server/address-budget.ts
var AddressBudgets = class {
  constructor(options2, now = Date.now) {
    this.now = now;
    this.buckets = new KeyedBuckets(options2.burst, options2.perSecond / 1e3);
    this.sweeper = setInterval(() => this.buckets.sweep(this.now()), Math.max(1e3, this.buckets.refillMs)).unref();
  }
  now;
  buckets;
  sweeper;
  /** Takes one from the address's budget: false when it is spent. */
  take(address) {
    return this.buckets.take(address, this.now());
  }
  /** Spends `amount` from the address's budget, into debt if need be (not below `floor`); returns what is left. */
  spend(address, amount, floor) {
    return this.buckets.spend(address, this.now(), amount, floor);
  }
  /** Milliseconds until the address's budget holds one again (0: now). */
  waitMs(address) {
    return this.buckets.waitMs(address, this.now());
  }
  stop() {
    clearInterval(this.sweeper);
  }
};

// src/server/connection-rate.ts
var DEFAULT_CONNECTION_RATE = { perSecond: 16, burst: 128, violationCost: 16 };
var TOLD_REFUSALS = { perSecond: 1, burst: 5 };
var ConnectionRate = class {
  constructor(options2, now = Date.now) {
    this.options = options2;
    this.connections = options2.perSecond > 0 ? new AddressBudgets({ perSecond: options2.perSecond, burst: Math.max(1, options2.burst) }, now) : null;
    this.told = new AddressBudgets(TOLD_REFUSALS, now);
  }
  options;
  /** New connections per address; null when unlimited. */
  connections;
  /** Whether a refusal is told (TOLD_REFUSALS). */
  told;
  /** Takes a token for one more connection from `address`: 0 when it may connect, else the milliseconds until it may. */
  take(address) {
    if (!this.connections || this.connections.take(address)) return 0;
    return this.connections.waitMs(address);
  }
  /** A connection from `address` was cut for a violation. */
  penalize(address) {
    if (this.options.violationCost <= 0) return;
    this.connections?.spend(address, this.options.violationCost, -this.options.burst);
  }
  /** Whether this refusal of `address` is told with its reason (TOLD_REFUSALS). */
  tell(address) {
    return this.told.take(address);
  }
  stop() {
    this.connections?.stop();
    this.told.stop();
  }
};

// src/server/keyed-counts.ts
var KeyedCounts = class {
  counts = /* @__PURE__ */ new Map();
  sum = 0;
  /** All keys' counts together. */
  get total() {
    return this.sum;
  }
  of(key) {
    return this.counts.get(key) ?? 0;
  }
  add(key) {
    this.counts.set(key, this.of(key) + 1);
    this.sum += 1;
  }
  remove(key) {
    const left = this.of(key) - 1;
    if (left > 0) this.counts.set(key, left);
    else this.counts.delete(key);
    this.sum -= 1;
  }
  clear() {
    this.counts.clear();
    this.sum = 0;
  }
};

// src/server/admission.ts
var DEFAULT_ADMISSION = {
  maxConnections: 2e4,
  maxPerAddress: 256,
  initDeadlineMs: 1e4,
  connectionsPerSecond: DEFAULT_CONNECTION_RATE.perSecond,
  connectionBurst: DEFAULT_CONNECTION_RATE.burst,
  violationCost: DEFAULT_CONNECTION_RATE.violationCost
};
var CLOSE_NO_INIT = 1008;
var Admission = class {
  /** `cut` closes a connection that missed the deadline (the server paces many at once: paced-cuts.ts). */
  constructor(options2, cut = (connection, reason, code) => connection.violation(reason, code)) {
    this.options = options2;
    this.cut = cut;
    this.rate = new ConnectionRate({
      perSecond: options2.connectionsPerSecond,
      burst: options2.connectionBurst,
      violationCost: options2.violationCost
    });
    const deadline = options2.initDeadlineMs;
    if (deadline > 0) this.sweeper = setInterval(() => this.sweep(Date.now()), Math.max(10, deadline / 4)).unref();
  }
  options;
  cut;
  /** Open connections, by address. */
  open = new KeyedCounts();
  /** Connections not yet identified, with when they opened. */
  waiting = /* @__PURE__ */ new Map();
  sweeper;
  rate;
  /** Null when one more connection from `address` may open (it takes one of the address's new connections), else why not. */
  refusal(address) {
    const waitMs = this.rate.take(address);
    if (waitMs > 0) {
      const seconds = Math.ceil(waitMs / 1e3);
      return {
        reason: ConnectionRefusal.rate(seconds),
        told: this.rate.tell(address),
        retryAfterSeconds: seconds
      };
    }
    if (this.open.total >= this.options.maxConnections) return { reason: ConnectionRefusal.full(this.options.maxConnections), told: true };
    if (this.open.of(address) >= this.options.maxPerAddress) {
      return { reason: ConnectionRefusal.perAddress(this.options.maxPerAddress), told: true };
    }
    return null;
  }
  /** A connection from `address` was cut for a violation: its address waits longer to connect again. */
  violated(address) {
    this.rate.penalize(address);
  }
  opened(address) {
    this.open.add(address);
  }
  closed(address) {
    this.open.remove(address);
  }
  /** Starts the INIT deadline of a new connection. */
  expectInit(connection) {
    if (this.sweeper) this.waiting.set(connection, Date.now());
  }
  /** The connection identified itself another way (a RESUME handed its socket to a held seat). */
  identified(connection) {
    this.waiting.delete(connection);
  }
  get connections() {
    return this.open.total;
  }
  stop() {
    clearInterval(this.sweeper);
    this.rate.stop();
    this.waiting.clear();
  }
  sweep(now) {
    const seconds = this.options.initDeadlineMs / 1e3;
    for (const [connection, since] of this.waiting) {
      if (connection.user || !connection.open) this.waiting.delete(connection);
      else if (now - since >= this.options.initDeadlineMs) {
        this.waiting.delete(connection);
        this.cut(connection, `no INIT within ${seconds} s`, CLOSE_NO_INIT);
      }
    }
  }
};

// src/server/http-rate.ts
var DEFAULT_HTTP_RATE = { perSecond: 32, burst: 256 };
var HttpRate = class {
  constructor(options2) {
    this.options = options2;
    this.budgets = options2.perSecond > 0 ? new AddressBudgets({ perSecond: options2.perSecond, burst: Math.max(1, options2.burst) }) : null;
  }
  options;
  budgets;
  /** Takes a token for one request from `address`: 0 when it may be answered, else the milliseconds until one would be. */
  take(address) {
    if (!this.budgets || this.budgets.take(address)) return 0;
    this.budgets.spend(address, 1, -this.options.burst);
    return this.budgets.waitMs(address);
  }
  /** Whether a new connection from `address` is closed at once: its requests were refused and it is still in debt. */
  shuts(address) {
    return this.budgets !== null && this.budgets.waitMs(address) > 1e3 / this.options.perSecond;
  }
  stop() {
    this.budgets?.stop();
  }
};

// src/server/incoming.ts
var DEFAULT_INCOMING = { maxBytes: 32 * 1024 * 1024, deadlineMs: 1e4 };
var CLOSE_BUSY = 1013;
var CLOSE_SLOW_MESSAGE = 1008;
var receiverOf = (ws) => ws._receiver;
function heldBytes(ws) {
  const receiver = receiverOf(ws);
  return (receiver?._bufferedBytes ?? 0) + (receiver?._messageLength ?? 0);
}
function dropHeld(ws) {
  const receiver = receiverOf(ws);
  if (!receiver) return;
  receiver._buffers = [];
  receiver._bufferedBytes = 0;
  receiver._fragments = [];
  receiver._messageLength = 0;
}
var WS = /* @__PURE__ */ Symbol("incoming-ws");
var IncomingBudget = class {
  /** `cut` closes a connection with the reason (it must stop reading it: server.ts does). */
  constructor(options2, cut) {
    this.options = options2;
    this.cut = cut;
    const budget = this;
    this.onData = function() {
      const ws = this[WS];
      if (ws) budget.update(ws, Date.now());
    };
    const deadline = options2.deadlineMs;
    if (deadline > 0) this.sweeper = setInterval(() => this.sweep(Date.now()), Math.max(10, deadline / 4)).unref();
  }
  options;
  cut;
  arriving = /* @__PURE__ */ new Map();
  total = 0;
  sweeper;
  /** One listener for every socket (`this` is the socket): no closure per connection. */
  onData;
  /** Counts what `ws` holds after each chunk its raw socket receives. */
  watch(ws, socket) {
    socket[WS] = ws;
    socket.on("data", this.onData);
  }
  /** A message of `ws` completed: what it still holds belongs to a message that starts now. */
  completed(ws) {
    const entry = this.arriving.get(ws);
    if (!entry && heldBytes(ws) === 0) return;
    const now = Date.now();
    if (entry) entry.since = now;
    this.update(ws, now);
  }
  forget(ws) {
    const entry = this.arriving.get(ws);
    if (!entry) return;
    this.total -= entry.bytes;
    this.arriving.delete(ws);
  }
  /** Bytes of unfinished messages held now, in all. */
  get bytes() {
    return this.total;
  }
  stop() {
    clearInterval(this.sweeper);
    this.arriving.clear();
    this.total = 0;
  }
  update(ws, now) {
    const bytes = heldBytes(ws);
    const entry = this.arriving.get(ws);
    if (bytes === 0) this.forget(ws);
    else if (entry) {
      this.total += bytes - entry.bytes;
      entry.bytes = bytes;
    } else {
      this.total += bytes;
      this.arriving.set(ws, { bytes, since: now });
    }
    if (this.total > this.options.maxBytes) this.shed();
  }
  /**
   * Over the budget: the oldest unfinished messages are dropped (their connections cut) until a quarter
   * of the budget is free again, so a steady attack is not re-examined on every chunk. A message that
   * is still arriving after the others is the newest, so an honest one is cut last.
   */
  shed() {
    const target = this.options.maxBytes * 3 / 4;
    const oldestFirst = [...this.arriving].sort((a, b) => a[1].since - b[1].since);
    const limit = this.options.maxBytes >= 1024 * 1024 ? `${Math.round(this.options.maxBytes / (1024 * 1024))} MiB` : `${Math.round(this.options.maxBytes / 1024)} KiB`;
    for (const [ws] of oldestFirst) {
      if (this.total <= target) break;
      this.forget(ws);
      this.cut(ws, `server busy: your unfinished message was dropped (messages still arriving hold over ${limit})`, CLOSE_BUSY);
    }
  }
  sweep(now) {
    const seconds = this.options.deadlineMs / 1e3;
    for (const [ws, entry] of this.arriving) {
      if (now - entry.since < this.options.deadlineMs) continue;
      this.forget(ws);
      this.cut(ws, `message not finished within ${seconds} s`, CLOSE_SLOW_MESSAGE);
    }
  }
};

// src/server/drop.ts
var CLOSE_TIMEOUT_MS = 1e3;
function dropAfterClose(ws) {
  stopReading(ws);
  const socket = socketOf(ws);
  if (!socket || socket.destroyed) return;
  socket.end();
  clearTimeout(ws._closeTimer);
  destroyLater(socket);
}
var DESTROYS_PER_TURN = 16;
var closing = [];
var next = 0;
var armed = false;
function destroyLater(socket) {
  closing.push({ socket, due: performance.now() + CLOSE_TIMEOUT_MS });
  if (!armed) arm(CLOSE_TIMEOUT_MS);
}
function arm(ms) {
  armed = true;
  if (ms > 0) setTimeout(() => setImmediate(destroyDue).unref(), ms).unref();
  else setImmediate(destroyDue).unref();
}
function destroyDue() {
  armed = false;
  const now = performance.now();
  let destroyed = 0;
  while (next < closing.length && destroyed < DESTROYS_PER_TURN && closing[next].due <= now) {
    const { socket } = closing[next];
    next += 1;
    if (socket.destroyed) continue;
    socket.destroy();
    destroyed += 1;
  }
  if (next === closing.length) {
    closing = [];
    next = 0;
    return;
  }
  if (next >= 1024 && next * 2 >= closing.length) {
    closing = closing.slice(next);
    next = 0;
  }
  arm(Math.max(0, closing[next].due - now));
}
var socketOf = (ws) => ws._socket;
function stopReading(ws) {
  const socket = socketOf(ws);
  if (!socket || socket.destroyed) return;
  socket.pause();
  const handle2 = socket._handle;
  if (handle2?.reading) {
    handle2.reading = false;
    handle2.readStop();
  }
}
function startReading(ws) {
  ws.resume();
  const socket = socketOf(ws);
  const handle2 = socket?._handle;
  if (!socket || socket.destroyed || !socket.readableFlowing || !handle2 || handle2.reading) return;
  handle2.reading = true;
  if (handle2.readStart() !== 0) socket.destroy(new Error("could not read from the socket again"));
}

// src/server/paced-cuts.ts
var DEFAULT_CUTS_PER_TURN = 8;
var PacedCuts = class {
  constructor(perTurn) {
    this.perTurn = perTurn;
    if (!(perTurn >= 1)) throw new Error(`cuts per turn must be at least 1, not ${perTurn}`);
  }
  perTurn;
  queue = [];
  /** Where the next turn starts in `queue` (shifting a long array on every cut would be quadratic). */
  next = 0;
  timer;
  /** Entries at the end of `queue` scheduled since the last turn. */
  fresh = 0;
  /**
   * Stops reading `ws` now, drops what it holds of unfinished messages, and runs `cut` in a later turn,
   * after the cuts scheduled before it; skipped if the connection closed meanwhile (a shutdown).
   */
  schedule(ws, cut) {
    stopReading(ws);
    dropHeld(ws);
    this.queue.push({ ws, cut });
    this.fresh += 1;
    this.timer ??= setImmediate(() => this.turn());
  }
  stop() {
    if (this.timer) clearImmediate(this.timer);
    this.timer = void 0;
    this.queue = [];
    this.next = 0;
    this.fresh = 0;
  }
  turn() {
    this.timer = void 0;
    for (let at = this.queue.length - this.fresh; at < this.queue.length; at += 1) stopReading(this.queue[at].ws);
    this.fresh = 0;
    const end = Math.min(this.queue.length, this.next + this.perTurn);
    while (this.next < end) {
      const { ws, cut } = this.queue[this.next];
      this.next += 1;
      if (ws.readyState === ws.OPEN) cut();
    }
    if (this.next < this.queue.length) this.timer = setImmediate(() => this.turn());
    else {
      this.queue = [];
      this.next = 0;
    }
  }
};

// src/server/turn-share.ts
var DEFAULT_TURN_SHARE = { packets: 8, bytes: 1024 * 1024, bytesPerSecond: 2 * 1024 * 1024 };
var STARTS_PER_TURN = 16;
function entryOf(map, key, make) {
  let value = map.get(key);
  if (value === void 0) {
    value = make();
    map.set(key, value);
  }
  return value;
}
var WATCHED = /* @__PURE__ */ Symbol("turn-share");
var TurnShare = class {
  constructor(options2, handle2, reading = { stop: stopReading, start: startReading }, now = Date.now) {
    this.options = options2;
    this.handle = handle2;
    this.reading = reading;
    this.now = now;
    if (options2.bytesPerSecond > 0) this.rate = new AddressBudgets({ perSecond: options2.bytesPerSecond, burst: options2.bytesPerSecond }, now);
    const share = this;
    this.onData = function(chunk) {
      const address = this[WATCHED];
      if (address !== void 0) share.read(address, chunk.length);
    };
  }
  options;
  handle;
  reading;
  now;
  used = /* @__PURE__ */ new Map();
  /** Connections of each address (watched ones), to stop them all at once. */
  byAddress = /* @__PURE__ */ new Map();
  /** Addresses whose share of this turn is spent. */
  held = /* @__PURE__ */ new Set();
  /** Connections the share stopped, per address, in the order they stopped. */
  stopped = /* @__PURE__ */ new Map();
  /** Connections with packets waiting, in the order they started waiting (Map order: each gets its turn). */
  waiting = /* @__PURE__ */ new Map();
  next;
  /** What each address may still read (in debt past its rate), if there is a rate. */
  rate;
  /** The turn that restarts connections of addresses whose rate has paid for their reads, and when it is due. */
  wake;
  wakeAt = 0;
  /** One listener for every socket (`this` is the socket): counts what it read. */
  onData;
  /** Counts `ws`'s reads against `address`'s share, and stops it with the others of its address. */
  watch(ws, socket, address) {
    entryOf(this.byAddress, address, () => /* @__PURE__ */ new Set()).add(ws);
    ws[WATCHED] = address;
    if (this.options.bytes <= 0 && !this.rate) return;
    socket[WATCHED] = address;
    socket.on("data", this.onData);
  }
  /** Handles a packet of `ws` (from `address`) now, or queues it for a later turn. */
  offer(ws, address, data, isBinary) {
    const queued = this.waiting.get(ws);
    if (queued) return void queued.packets.push({ data, isBinary });
    if (this.options.packets <= 0 || this.take(address)) return void this.handle(ws, data, isBinary);
    this.waiting.set(ws, { address, packets: [{ data, isBinary }] });
    this.hold(address);
  }
  /** A connection closed or is being cut: what it still had queued is dropped, and it is never started again. */
  forget(ws) {
    this.waiting.delete(ws);
    const address = ws[WATCHED];
    if (address !== void 0) this.stopped.get(address)?.delete(ws);
    const connections = address === void 0 ? void 0 : this.byAddress.get(address);
    if (!connections?.delete(ws) || connections.size > 0) return;
    this.byAddress.delete(address);
  }
  /** Connections with packets waiting now (for tests and metrics). */
  get paused() {
    return this.waiting.size;
  }
  stop() {
    if (this.next) clearImmediate(this.next);
    this.next = void 0;
    this.rate?.stop();
    clearTimeout(this.wake);
    this.wake = void 0;
    this.waiting.clear();
    this.used.clear();
    this.held.clear();
    this.stopped.clear();
    this.byAddress.clear();
  }
  use(address) {
    const used = entryOf(this.used, address, () => ({ packets: 0, bytes: 0 }));
    this.next ??= setImmediate(this.turn);
    return used;
  }
  take(address) {
    const used = this.use(address);
    if (used.packets >= this.options.packets) return false;
    used.packets += 1;
    return true;
  }
  read(address, bytes) {
    const used = this.use(address);
    used.bytes += bytes;
    const inDebt = this.rate !== void 0 && this.rate.spend(address, bytes) < 0;
    if (inDebt || this.options.bytes > 0 && used.bytes >= this.options.bytes) this.hold(address);
  }
  /** Every connection of `address` stops reading; they start again in later turns, a few a turn. */
  hold(address) {
    if (this.held.has(address)) return;
    this.held.add(address);
    const stopped = entryOf(this.stopped, address, () => /* @__PURE__ */ new Set());
    for (const ws of this.byAddress.get(address) ?? []) {
      if (stopped.has(ws)) continue;
      stopped.add(ws);
      this.reading.stop(ws);
    }
    this.next ??= setImmediate(this.turn);
  }
  /** A new turn: every address's share is whole again; queued packets go first, a connection at a time. */
  turn = () => {
    this.next = void 0;
    this.used.clear();
    this.held.clear();
    for (const [ws, queued] of this.waiting) {
      let sent = 0;
      while (sent < queued.packets.length && this.take(queued.address)) {
        const packet = queued.packets[sent];
        sent += 1;
        this.handle(ws, packet.data, packet.isBinary);
      }
      queued.packets.splice(0, sent);
      if (queued.packets.length > 0) this.hold(queued.address);
      else this.waiting.delete(ws);
    }
    let startable = false;
    let debtMs = Infinity;
    for (const [address, stopped] of this.stopped) {
      if (this.held.has(address)) continue;
      const owed = this.rate ? this.rate.waitMs(address) : 0;
      if (owed > 0) {
        debtMs = Math.min(debtMs, owed);
        continue;
      }
      startable = true;
      let started = 0;
      for (const ws of stopped) {
        if (started >= STARTS_PER_TURN) break;
        if (this.waiting.has(ws)) continue;
        stopped.delete(ws);
        started += 1;
        if (ws.readyState === ws.OPEN) this.reading.start(ws);
      }
      if (stopped.size === 0) this.stopped.delete(address);
    }
    if (this.waiting.size > 0 || this.held.size > 0 || startable) this.next ??= setImmediate(this.turn);
    else if (debtMs < Infinity) this.wakeIn(debtMs);
  };
  /** A turn in `ms`, unless one is due sooner: the first address whose rate has paid for its reads starts then. */
  wakeIn(ms) {
    const at = this.now() + ms;
    if (this.wake && this.wakeAt <= at) return;
    clearTimeout(this.wake);
    this.wakeAt = at;
    this.wake = setTimeout(() => {
      this.wake = void 0;
      this.next ??= setImmediate(this.turn);
    }, ms);
  }
};

// src/server/paired-buckets.ts
var PairedBuckets = class {
  own;
  address;
  constructor(own, address) {
    this.own = new KeyedBuckets(own.size, own.perMs);
    this.address = new KeyedBuckets(address.size, address.perMs);
  }
  /** Milliseconds until both buckets hold a token (0: now). */
  waitMs(key, address, now) {
    return Math.max(this.own.waitMs(key, now), this.address.waitMs(address, now));
  }
  /** Spends `amount` from both, into debt if need be; returns what is left in `key`'s bucket. */
  spend(key, address, now, amount = 1) {
    this.address.spend(address, now, amount);
    return this.own.spend(key, now, amount);
  }
  /** Whether `address` has spent nothing lately. */
  addressIsFull(address, now) {
    return this.address.isFull(address, now);
  }
  /** Spends `amount` from `address`'s bucket alone (what its connections spent elsewhere), into debt if need be. */
  spendAddress(address, now, amount) {
    this.address.spend(address, now, amount);
  }
  sweep(now) {
    this.own.sweep(now);
    this.address.sweep(now);
  }
};

// src/server/keyed-lanes.ts
var KeyedLanes = class {
  constructor(maxQueued) {
    this.maxQueued = maxQueued;
  }
  maxQueued;
  lanes = /* @__PURE__ */ new Map();
  /** Runs `task` after the earlier tasks of `key`; null (not run) when the lane is full. */
  run(key, task) {
    let lane = this.lanes.get(key);
    if (!lane) {
      lane = { queued: 0, tail: Promise.resolve() };
      this.lanes.set(key, lane);
    }
    if (lane.queued > this.maxQueued) return null;
    lane.queued++;
    const result = lane.tail.then(task);
    const settled = result.then(
      () => void 0,
      () => void 0
    );
    lane.tail = settled;
    const held2 = lane;
    void settled.then(() => {
      held2.queued--;
      if (held2.queued === 0) this.lanes.delete(key);
    });
    return result;
  }
  /** Keys with a task running or waiting. */
  get size() {
    return this.lanes.size;
  }
};

// src/server/password-guard.ts
var DEFAULT_PASSWORD_GUARD = { perLobby: 30, perAddress: 10 };
var MINUTE = 6e4;
var QUEUED_CHECKS = 2;
var BUSY_WAIT_MS = 1e3;
var PasswordGuard = class {
  constructor(options2, now = Date.now) {
    this.now = now;
    this.buckets = new PairedBuckets(
      { size: options2.perLobby, perMs: options2.perLobby / MINUTE },
      { size: options2.perAddress, perMs: options2.perAddress / MINUTE }
    );
    this.sweeper = setInterval(() => {
      this.buckets.sweep(this.now());
      for (const [lobby, at] of this.told) if (this.now() - at >= MINUTE) this.told.delete(lobby);
    }, MINUTE).unref();
  }
  now;
  buckets;
  sweeper;
  /** When each lobby's host was last told of a guessing burst. */
  told = /* @__PURE__ */ new Map();
  lobbyLanes = new KeyedLanes(QUEUED_CHECKS);
  addressLanes = new KeyedLanes(QUEUED_CHECKS);
  /**
   * Runs `verify` (scrypt) for a password to `lobby` from `address` when its turn comes in both lanes
   * and neither budget is spent; a wrong password spends both budgets. `verify` is told whether the
   * address has guessed wrong lately: if not, its hash may go ahead of the guessers' (password.ts).
   */
  check(lobby, address, verify2) {
    const busy = { right: false, waitMs: BUSY_WAIT_MS, tellHost: false };
    const inLobbyLane = () => this.lobbyLanes.run(lobby, () => this.checkNow(lobby, address, verify2)) ?? Promise.resolve(busy);
    return this.addressLanes.run(address, inLobbyLane) ?? Promise.resolve(busy);
  }
  async checkNow(lobby, address, verify2) {
    const now = this.now();
    const waitMs = this.buckets.waitMs(lobby, address, now);
    if (waitMs > 0) return { right: false, waitMs, tellHost: false };
    if (await verify2(this.buckets.addressIsFull(address, now))) return { right: true, waitMs: 0, tellHost: false };
    return { right: false, waitMs: 0, tellHost: this.failed(lobby, address) };
  }
  /** A wrong password was tried. True when the lobby's budget ran out and its host was not told this last minute. */
  failed(lobby, address) {
    const now = this.now();
    if (this.buckets.spend(lobby, address, now) >= 1) return false;
    if (now - (this.told.get(lobby) ?? -Infinity) < MINUTE) return false;
    this.told.set(lobby, now);
    return true;
  }
  stop() {
    clearInterval(this.sweeper);
  }
};

// src/server/password.ts
import { randomBytes, timingSafeEqual } from "node:crypto";
import { Worker } from "node:worker_threads";
var DEFAULT_PASSWORD_HASHING = { threads: 2, nice: 10 };
var KEY_LENGTH = 32;
var THREAD_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { scryptSync } = require('node:crypto');
let tid = 0;
let nice = null;
try {
  tid = Number(require('node:fs').readlinkSync('/proc/thread-self').split('/').pop());
  require('node:os').setPriority(tid, workerData.nice);
  nice = workerData.nice;
} catch {}
parentPort.postMessage({ tid, nice });
parentPort.on('message', ({ password, salt }) => {
  try {
    parentPort.postMessage({ key: scryptSync(password, salt, ${KEY_LENGTH}) });
  } catch (error) {
    parentPort.postMessage({ error: String(error) });
  }
});
`;
var stoppedError = () => new Error("password hashing stopped: the server is closing");
var PasswordHasher = class {
  constructor(options2 = DEFAULT_PASSWORD_HASHING) {
    this.options = options2;
    if (!(options2.threads >= 1)) throw new RangeError(`password hashing needs at least 1 thread, not ${options2.threads}`);
  }
  options;
  threads = [];
  waiting = [];
  stopped = false;
  async hash(password2) {
    const salt = randomBytes(16);
    return { salt, hash: await this.derive(password2, salt) };
  }
  /**
   * Whether `password` is the one `stored` was made from. `ahead`: hashed before the checks waiting without
   * it, e.g. a player whose address has not guessed wrong lately (password-guard.ts), so that guesses spread
   * over many lobbies, which keep every hashing thread busy, do not make an honest join wait behind them all.
   */
  async verify(password2, stored2, { ahead = false } = {}) {
    return timingSafeEqual(await this.derive(password2, stored2.salt, ahead), stored2.hash);
  }
  /** The hashing threads started so far: each one's thread id and priority (for tests and diagnostics). */
  running() {
    return Promise.all(this.threads.map((thread) => thread.started));
  }
  /** Ends every thread; hashes not finished fail. */
  async stop() {
    this.stopped = true;
    const closing2 = stoppedError();
    for (const job of this.waiting.splice(0)) job.reject(closing2);
    const threads = this.threads.splice(0);
    for (const thread of threads) thread.job?.reject(closing2);
    await Promise.all(threads.map((thread) => thread.worker.terminate()));
  }
  derive(password2, salt, ahead = false) {
    if (this.stopped) return Promise.reject(stoppedError());
    return new Promise((resolve, reject) => {
      const job = { ahead, password: password2.normalize("NFC"), salt, resolve, reject };
      const at = ahead ? this.waiting.findIndex((waiting) => !waiting.ahead) : -1;
      this.waiting.splice(at < 0 ? this.waiting.length : at, 0, job);
      this.next();
    });
  }
  /** Hands waiting jobs to idle threads, starting threads up to the limit. */
  next() {
    while (this.waiting.length > 0) {
      const thread = this.threads.find((t) => t.job === null) ?? (this.threads.length < this.options.threads ? this.startThread() : null);
      if (!thread) return;
      const job = this.waiting.shift();
      thread.job = job;
      thread.worker.postMessage({ password: job.password, salt: job.salt });
    }
  }
  startThread() {
    const worker = new Worker(THREAD_SOURCE, { eval: true, workerData: { nice: this.options.nice } });
    worker.unref();
    let startedWith;
    const thread = { worker, job: null, started: new Promise((resolve) => startedWith = resolve) };
    worker.on("message", (message) => {
      if (message.tid !== void 0) return startedWith({ tid: message.tid, nice: message.nice ?? null });
      const job = thread.job;
      thread.job = null;
      if (message.key) job?.resolve(Buffer.from(message.key.buffer, message.key.byteOffset, message.key.byteLength));
      else job?.reject(new Error(`password hashing failed: ${message.error}`));
      this.next();
    });
    const lost = (why) => {
      const at = this.threads.indexOf(thread);
      if (at < 0) return;
      this.threads.splice(at, 1);
      startedWith({ tid: 0, nice: null });
      thread.job?.reject(new Error(`password hashing thread ${why}`));
      thread.job = null;
      this.next();
    };
    worker.on("error", (error) => lost(`failed: ${error.message}`));
    worker.on("exit", (code) => lost(`exited with ${code}`));
    this.threads.push(thread);
    return thread;
  }
};

// src/server/outbox.ts
var EMPTY = Buffer.alloc(0);
var Outbox = class {
  /**
   * `overflow` is called once the socket holds more than `limit` unsent bytes: the reader is too slow
   * (or does not read at all), and the caller closes it rather than buffer without bound.
   */
  constructor(socket, limit = Infinity, overflow = () => {
  }) {
    this.socket = socket;
    this.limit = limit;
    this.overflow = overflow;
  }
  socket;
  limit;
  overflow;
  /**
   * This turn's frames, framed (header and bytes) as they are pushed: `bytes[0..used)`. A new buffer each
   * turn (the socket holds the one written until the kernel takes it); sized to the first frame and
   * doubled as needed, so with one frame a turn it is exactly that frame.
   */
  bytes = EMPTY;
  used = 0;
  /** Queues one text frame; it leaves with the others at the end of this turn. */
  push(text) {
    const size = Buffer.byteLength(text);
    const at = this.reserve(size);
    this.bytes.write(text, at, size, "utf8");
  }
  /** Queues `text`, which `held` has just kept as its newest frame: its bytes are copied from there, not encoded again. */
  pushHeld(text, held2) {
    const size = held2.newestSize;
    if (size < 0) {
      this.push(text);
      return;
    }
    const at = this.reserve(size);
    held2.copyNewest(this.bytes, at);
  }
  /** Queues the frame `head[0..headLength)` followed by `tail`, bytes as they are (a relayed signal: Player.relay). */
  pushJoined(head, headLength, tail) {
    const at = this.reserve(headLength + tail.length);
    writeJoined(this.bytes, at, head, headLength, tail);
  }
  /**
   * Frames already encoded for many sockets (encodeFrames(), e.g. one NEW_LOBBY batch for every idle
   * player): written as they are when nothing waits before them, else copied behind what does.
   */
  pushEncoded(encoded) {
    if (this.used === 0) {
      this.write(encoded);
      return;
    }
    this.grow(this.used + encoded.length);
    this.used += encoded.copy(this.bytes, this.used);
  }
  /** Writes what is queued, now (before a close frame, for instance). Dropped if the socket is no longer open. */
  flush() {
    if (this.used === 0) return;
    const bytes = this.used === this.bytes.length ? this.bytes : this.bytes.subarray(0, this.used);
    this.bytes = EMPTY;
    this.used = 0;
    this.write(bytes);
  }
  /** Room for a frame of `size` bytes: writes its header and returns where its bytes go. */
  reserve(size) {
    const header = headerLength(size);
    if (this.used === 0) schedule(this);
    this.grow(this.used + header + size);
    const at = writeHeader(this.bytes, this.used, size);
    this.used = at + size;
    return at;
  }
  grow(need) {
    if (need <= this.bytes.length) return;
    const next2 = Buffer.allocUnsafe(this.used === 0 ? need : Math.max(need, 2 * this.bytes.length));
    if (this.used > 0) next2.set(this.used === this.bytes.length ? this.bytes : this.bytes.subarray(0, this.used));
    this.bytes = next2;
  }
  write(bytes) {
    const raw = this.socket._socket;
    if (this.socket.readyState !== this.socket.OPEN || !raw) return;
    raw.write(bytes);
    if (raw.writableLength > this.limit) this.overflow(raw.writableLength);
  }
};
var due = [];
var dueCount = 0;
function schedule(outbox) {
  due[dueCount] = outbox;
  dueCount += 1;
  if (dueCount === 1) process.nextTick(flushDue);
}
function flushDue() {
  try {
    for (let i = 0; i < dueCount; i += 1) {
      const outbox = due[i];
      due[i] = null;
      outbox.flush();
    }
  } finally {
    due.fill(null, 0, dueCount);
    dueCount = 0;
  }
}
var sizes = [];
function encodeFrames(texts) {
  const count2 = texts.length;
  let total = 0;
  for (let i = 0; i < count2; i += 1) {
    const size = Buffer.byteLength(texts[i]);
    sizes[i] = size;
    total += size + headerLength(size);
  }
  const out = Buffer.allocUnsafe(total);
  let at = 0;
  for (let i = 0; i < count2; i += 1) {
    const text = texts[i];
    const size = sizes[i];
    at = writeHeader(out, at, size);
    at += out.write(text, at, "utf8");
  }
  return out;
}
function writeJoined(target, at, head, headLength, tail) {
  if (head.length - headLength <= tail.length) target.set(head, at);
  else head.copy(target, at, 0, headLength);
  target.set(tail, at + headLength);
}
var headerLength = (size) => size < 126 ? 2 : size < 65536 ? 4 : 10;
function writeHeader(out, at, size) {
  out[at] = 129;
  if (size < 126) {
    out[at + 1] = size;
    return at + 2;
  }
  if (size < 65536) {
    out[at + 1] = 126;
    out.writeUInt16BE(size, at + 2);
    return at + 4;
  }
  out[at + 1] = 127;
  out.writeBigUInt64BE(BigInt(size), at + 2);
  return at + 10;
}

// src/server/replay-window.ts
var PREFIX = 4;
var SMALLEST_RING = 256;
var LAST_SMALL_RING = 8 * 1024;
var BUSY_FILL_MS = 1e4;
var EMPTY2 = Buffer.alloc(0);
var ReplayWindow = class {
  constructor(limit, now = Date.now) {
    this.limit = limit;
    this.now = now;
    this.usualLimit = limit;
  }
  limit;
  now;
  ring = EMPTY2;
  /** Offset in `ring` of the oldest kept frame's length. */
  start = 0;
  /** Bytes in use from `start` on, wrapping: lengths and frames. */
  used = 0;
  /** Frames kept. */
  kept = 0;
  /** Frames recorded so far: the number of the newest. */
  count = 0;
  /** The newest frame's size in bytes, if it is kept (-1 if not): the outbox copies it from here (pushHeld). */
  newestSize = -1;
  /** The bound a connected player's window has (the constructor's limit): a busy player's ring reaches it. */
  usualLimit;
  /** When the ring last grew (`now()`). */
  grewAt = 0;
  /** Frames recorded so far. */
  get recorded() {
    return this.count;
  }
  record(frame) {
    const size = Buffer.byteLength(frame);
    const body = this.open(size);
    if (body < 0) return;
    if (body + size <= this.ring.length) this.ring.write(frame, body, size, "utf8");
    else this.copyIn(Buffer.from(frame, "utf8"), body);
  }
  /** Records the frame `head[0..headLength)` followed by `tail` (UTF-8 both): a relayed signal, copied as it came (Player.relay). */
  recordJoined(head, headLength, tail) {
    const size = headLength + tail.length;
    const body = this.open(size);
    if (body < 0) return;
    if (body + size <= this.ring.length) writeJoined(this.ring, body, head, headLength, tail);
    else {
      this.copyIn(head, body, headLength);
      this.copyIn(tail, (body + headLength) % this.ring.length);
    }
  }
  /** Counts a frame of `size` bytes and makes room for it: where its bytes go, or -1 when it is larger than the whole window. */
  open(size) {
    this.count += 1;
    const need = PREFIX + size;
    if (need > this.limit) {
      this.clear();
      return -1;
    }
    while (this.used + need > this.limit) this.dropOldest();
    this.reserve(this.used + need);
    const at = (this.start + this.used) % this.ring.length;
    this.writeLength(at, size);
    this.used += need;
    this.kept += 1;
    this.newestSize = size;
    return (at + PREFIX) % this.ring.length;
  }
  /** Copies the newest kept frame's bytes (newestSize of them) to `target` from `at`. */
  copyNewest(target, at) {
    const size = this.newestSize;
    this.copyOut(target, (this.start + this.used - size) % this.ring.length, size, at);
  }
  /** A new bound (larger while the player is away); the oldest frames go first. */
  setLimit(limit) {
    this.limit = limit;
    while (this.used > limit) this.dropOldest();
    if (this.ring.length > 2 * Math.max(limit, SMALLEST_RING)) this.resize(ringSize(Math.max(this.used, SMALLEST_RING), limit));
  }
  /** The frames after the first `received`, in order; null when some of them are no longer kept (or `received` is impossible). */
  after(received) {
    const oldestKept = this.count - this.kept + 1;
    if (!Number.isInteger(received) || received > this.count || received < oldestKept - 1) return null;
    const frames = [];
    let at = this.start;
    for (let i = 0; i < this.kept; i += 1) {
      const size = this.readLength(at);
      const body = (at + PREFIX) % this.ring.length;
      if (oldestKept + i > received) frames.push(this.readText(body, size));
      at = (body + size) % this.ring.length;
    }
    return frames;
  }
  clear() {
    this.newestSize = -1;
    this.start = 0;
    this.used = 0;
    this.kept = 0;
  }
  dropOldest() {
    const size = this.readLength(this.start);
    this.start = (this.start + PREFIX + size) % this.ring.length;
    this.used -= PREFIX + size;
    this.kept -= 1;
    if (this.kept === 0) this.clear();
  }
  /** Room for `bytes` in all (never more than the limit asks). */
  reserve(bytes) {
    if (bytes <= this.ring.length) return;
    const now = this.now();
    const busy = now - this.grewAt < BUSY_FILL_MS;
    this.grewAt = now;
    this.resize(ringSize(Math.max(bytes, 2 * this.ring.length, SMALLEST_RING), this.limit, busy ? this.usualLimit : 0));
  }
  /** A ring of `size` bytes holding the kept frames from its start. */
  resize(size) {
    const next2 = Buffer.allocUnsafe(size);
    this.copyOut(next2, this.start, this.used);
    this.ring = next2;
    this.start = 0;
  }
  writeLength(at, size) {
    if (at + PREFIX <= this.ring.length) this.ring.writeUInt32LE(size, at);
    else {
      const bytes = Buffer.allocUnsafe(PREFIX);
      bytes.writeUInt32LE(size, 0);
      this.copyIn(bytes, at);
    }
  }
  readLength(at) {
    if (at + PREFIX <= this.ring.length) return this.ring.readUInt32LE(at);
    const bytes = Buffer.allocUnsafe(PREFIX);
    this.copyOut(bytes, at, PREFIX);
    return bytes.readUInt32LE(0);
  }
  readText(at, size) {
    if (at + size <= this.ring.length) return this.ring.toString("utf8", at, at + size);
    const bytes = Buffer.allocUnsafe(size);
    this.copyOut(bytes, at, size);
    return bytes.toString("utf8");
  }
  /** Writes the first `length` of `bytes` into the ring from `at`, wrapping. */
  copyIn(bytes, at, length = bytes.length) {
    const first = Math.min(length, this.ring.length - at);
    bytes.copy(this.ring, at, 0, first);
    if (first < length) bytes.copy(this.ring, 0, first, length);
  }
  /** Copies `length` bytes of the ring from `at` (wrapping) to `target` from `to`. */
  copyOut(target, at, length, to = 0) {
    const first = Math.min(length, this.ring.length - at);
    this.ring.copy(target, to, at, at + first);
    if (first < length) this.ring.copy(target, to + first, 0, length - first);
  }
};
function ringSize(bytes, limit, jumpTo = 0) {
  let size = SMALLEST_RING;
  while (size < bytes) size = size >= LAST_SMALL_RING && size < jumpTo ? jumpTo : size * 2;
  return Math.max(bytes, Math.min(size, limit));
}

// src/server/signal-credit.ts
var DEFAULT_SIGNAL_CREDIT = { signals: 32, windowMs: 3e4 };
var MAX_JOINERS = 64;
var SIGNALS = /* @__PURE__ */ new Set(["MAKE_OFFER", "MAKE_ANSWER", "ICE"]);
var SignalCredit = class {
  constructor(options2, now = Date.now) {
    this.options = options2;
    this.now = now;
  }
  options;
  now;
  /** Per newcomer: signals left and until when (a Map keeps them oldest first). */
  byJoiner = /* @__PURE__ */ new Map();
  /** I was told `joiner` joined my lobby. */
  grant(joiner) {
    if (this.options.signals <= 0) return;
    this.byJoiner.delete(joiner);
    this.byJoiner.set(joiner, { left: this.options.signals, until: this.now() + this.options.windowMs });
    if (this.byJoiner.size > MAX_JOINERS) this.byJoiner.delete(this.byJoiner.keys().next().value);
  }
  /** Whether I hold any credit (cheap: the edge reads a packet's recipient only then). */
  get held() {
    return this.byJoiner.size > 0;
  }
  /** If a packet of `opcode` to `recipient` is a signal to a newcomer I hold credit for, uses one and says so. */
  use(opcode, recipient2) {
    const now = this.now();
    for (const [joiner, credit2] of this.byJoiner) if (credit2.until < now) this.byJoiner.delete(joiner);
    if (this.byJoiner.size === 0 || typeof opcode !== "string" || !SIGNALS.has(opcode) || typeof recipient2 !== "string") return false;
    const credit = this.byJoiner.get(recipient2);
    if (!credit) return false;
    credit.left -= 1;
    if (credit.left <= 0) this.byJoiner.delete(recipient2);
    return true;
  }
};

// src/server/player.ts
var MAX_BACKLOG = 256;
var MAX_REPLAY_BYTES = 64 * 1024;
var MAX_MISSED_BYTES = 1024 * 1024;
var DEFAULT_MAX_OUTBOX_BYTES = 1024 * 1024;
var NEW_PEER = '{"opcode":"NEW_PEER"';
var PEER_JOIN = '{"opcode":"PEER_JOIN"';
var CLOSING_BRACE = 125;
var Player = class {
  constructor(socket, game, limiter, address, maxOutboxBytes2 = DEFAULT_MAX_OUTBOX_BYTES, signalCredit2 = DEFAULT_SIGNAL_CREDIT) {
    this.socket = socket;
    this.game = game;
    this.limiter = limiter;
    this.address = address;
    this.maxOutboxBytes = maxOutboxBytes2;
    this.outbox = this.outboxFor(socket);
    this.credit = new SignalCredit(signalCredit2);
  }
  socket;
  game;
  limiter;
  address;
  maxOutboxBytes;
  user = null;
  /** The name of the lobby it is in: this node's copy of what the store's commands returned (signals check it). */
  lobby = null;
  /** Set between INIT and INIT_OK while a token is being verified. */
  initializing = false;
  /** Cleared at each ping, set by the pong: a socket still false at the next ping is dead. */
  alive = true;
  /** Requests waiting while an asynchronous one (password hash, token check) is being handled. */
  backlog = [];
  busy = false;
  outbox;
  /** The last frames sent, for a resume (replay-window.ts). */
  replay = new ReplayWindow(MAX_REPLAY_BYTES);
  /** The connection dropped and the seat is held: frames wait in `replay` for a resume. */
  away = false;
  /** The server closed this connection on purpose (violation, shutdown): no seat is held. */
  closedByServer = false;
  /**
   * With several nodes (cluster/cluster.ts): where frames go instead of the socket. Redis numbers and
   * logs them, then they come back through writeSequenced in order, and the log is the replay window.
   */
  outlet = null;
  /** Resumed on another node (cluster mode): this copy is dropped without releasing the seat. */
  evicted = false;
  /** Why the server cut this connection without a close handshake (a reader too slow), for the log. */
  cutBecause = null;
  /** When it last joined a lobby (join-cooldown.ts). */
  lastJoinAt = Number.NEGATIVE_INFINITY;
  /** Signals it may send newcomers to its lobby outside its limits (signal-credit.ts). */
  credit;
  /**
   * A client that does not read what it is sent is cut once `maxOutboxBytes` wait: its memory is
   * bounded. No close handshake (a close frame would wait behind what it does not read), and no seat
   * held: what was lost cannot be replayed faithfully.
   */
  outboxFor(socket) {
    return new Outbox(socket, this.maxOutboxBytes, (bytes) => {
      if (this.socket !== socket || this.closedByServer) return;
      this.closedByServer = true;
      this.cutBecause = `too slow: ${bytes} bytes unread (limit ${this.maxOutboxBytes})`;
      socket.terminate();
    });
  }
  /** The connection dropped and the seat is held: what is sent from now on waits for a resume. */
  detach() {
    this.away = true;
    this.replay.setLimit(MAX_MISSED_BYTES);
  }
  /** The frames a client that received `received` of them has not seen; null if some are no longer kept. */
  missedAfter(received) {
    return this.replay.after(received);
  }
  /**
   * A resumed seat: `socket` replaces the old connection. `opening` (RESUME_OK, not counted: the client
   * counts from the frames it resumes at) leaves first, then `missed` as they were.
   */
  attach(socket, address, opening, missed) {
    this.socket = socket;
    this.address = address;
    this.outbox = this.outboxFor(socket);
    this.alive = true;
    this.closedByServer = false;
    this.away = false;
    this.replay.setLimit(MAX_REPLAY_BYTES);
    this.outbox.push(opening);
    for (const frame of missed) this.outbox.push(frame);
  }
  get id() {
    return this.user?.instance_id ?? "";
  }
  /** Frames sent before the cluster took over numbering them (INIT's warnings; the client counts them). */
  get framesSent() {
    return this.replay.recorded;
  }
  /** A frame in its place in this player's sequence (cluster mode): written unless the connection is away. */
  writeSequenced(frame) {
    if (frame.startsWith(NEW_PEER) || frame.startsWith(PEER_JOIN)) this.joined(frame);
    if (this.open && !this.away) this.outbox.push(frame);
  }
  /** I am told someone joined my lobby: I may signal it outside my limits for a while (signal-credit.ts). */
  joined(frame) {
    try {
      const joiner = JSON.parse(frame).payload?.instance_id;
      if (typeof joiner === "string") this.credit.grant(joiner);
    } catch {
    }
  }
  /**
   * Its frames can no longer be delivered in order (the shared log lost some, its record is gone, or Redis
   * is unreachable): the connection is closed as a drop (1011, with the reason), so the client resumes
   * (replayed exactly, or refused: then it starts again).
   */
  sequenceBroken(why) {
    if (this.open) this.handOff(1011, `server cannot deliver in order: ${why}`);
  }
  get open() {
    return this.socket.readyState === this.socket.OPEN;
  }
  send(opcode, payload, extra = {}) {
    if (opcode === "NEW_PEER" || opcode === "PEER_JOIN") this.credit.grant(payload.instance_id);
    this.write(encodePacket({ opcode, payload, ...extra }));
  }
  /**
   * NEW_LOBBY frames for an idle player (lobby-announcer.ts): to the socket, not numbered, not kept for
   * a resume (the client does not count them: docs/protocol-notes.md), so that one announcement to
   * thousands of players costs no shared-store round trip each (several nodes) and a burst of them
   * cannot push a player's own replies out of its replay window. A player away misses them.
   */
  announce(frames) {
    if (this.user && !this.away && this.open) this.outbox.pushEncoded(frames);
  }
  /** Every frame is kept for a resume, even one for a connection that is closing (its drop may not be noticed yet). */
  write(frame) {
    if (this.outlet) return void this.outlet.submit(frame);
    this.replay.record(frame);
    if (this.open && !this.away) this.outbox.pushHeld(frame, this.replay);
  }
  /**
   * A signal from `from`, relayed: the hot path of the server. The sender's origin is serialised once
   * per player. A signal whose `bytes` held only opcode, recipient and payload (see decodeClientPacket,
   * readSignalFrame) is forwarded as it came with the origin added, instead of serialising the payload
   * again: it is JSON, so its last `}` closes it, and it has no origin field of its own to clash with ours.
   * Without a cluster outlet (which takes text) the bytes are copied as they are. `signal.payload` is
   * read only when there are no such bytes (a SignalRequest decodes it when read).
   */
  relay(from, opcode, signal2) {
    const { bytes } = signal2;
    if (bytes === void 0 || this.outlet) {
      this.write(bytes === void 0 ? from.signalFrame(opcode, signal2.payload) : from.signalFrameOf(bytes));
      return;
    }
    const head = bytes.lastIndexOf(CLOSING_BRACE);
    const tail = from.originTailBytes();
    this.replay.recordJoined(bytes, head, tail);
    if (this.open && !this.away) this.outbox.pushJoined(bytes, head, tail);
  }
  /** A signal of mine as its recipient gets it: with my user as `origin` (see relay()). */
  signalFrame(opcode, payload) {
    return `{"opcode":"${opcode}","payload":${JSON.stringify(payload)}${this.originTailText()}`;
  }
  /** The same from the bytes of a signal of mine that held only opcode, recipient and payload (see relay()). */
  signalFrameOf(bytes) {
    const frame = bytes.toString("utf8");
    return frame.slice(0, frame.lastIndexOf("}")) + this.originTailText();
  }
  /** What follows a signal of mine: `,"origin":<my user>}`. Built once per player: on the hot path each signal then costs no serialising. */
  originTailText() {
    this.originTail ??= `,"origin":${JSON.stringify(this.user)}}`;
    return this.originTail;
  }
  originTail;
  /** The same as UTF-8, for relay() from bytes. */
  originTailBytes() {
    this.originTailEncoded ??= Buffer.from(this.originTailText());
    return this.originTailEncoded;
  }
  originTailEncoded;
  /**
   * Runs this player's requests one at a time, in arrival order, so replies keep request order even
   * when a handler has to wait (e.g. CREATE_LOBBY with a password, then MANAGE_LOBBY). Synchronous
   * tasks run at once. Returns false (task dropped) when too many requests are already waiting.
   */
  serial(task) {
    if (!this.busy) {
      this.run(task);
      return true;
    }
    if (this.backlog.length >= MAX_BACKLOG) return false;
    this.backlog.push(task);
    return true;
  }
  run(task) {
    let pending;
    try {
      pending = task();
    } catch {
      return;
    }
    if (!pending) return;
    this.busy = true;
    const drain = () => {
      this.busy = false;
      while (!this.busy && this.backlog.length > 0) this.run(this.backlog.shift());
    };
    pending.then(drain, drain);
  }
  /** Fatal: tell the client why, then close with the given code. */
  violation(reason, code) {
    this.send("VIOLATION", reason);
    this.close(code, reason);
    dropAfterClose(this.socket);
  }
  /**
   * ws is closing this connection (1009) for a frame above the limit, while it still arrives: the
   * VIOLATION goes straight to the socket ahead of ws's close frame, and no seat is held.
   */
  tooBig(reason) {
    this.closedByServer = true;
    this.outbox.push(encodePacket({ opcode: "VIOLATION", payload: reason }));
    this.outbox.flush();
  }
  /**
   * Starts the closing handshake after what was sent so far (frames queued this turn go first), as a
   * drop: the seat is held for the client to resume (a drain).
   */
  handOff(code, reason) {
    this.outbox.flush();
    this.socket.close(code, reason.slice(0, 120));
  }
  /** Closes as handOff() does, on purpose: no seat is held. */
  close(code, reason) {
    this.closedByServer = true;
    this.handOff(code, reason);
  }
};

// src/server/relay/relay-process.ts
import { fork } from "node:child_process";
import { randomUUID } from "node:crypto";
import { setPriority } from "node:os";

// src/server/relay/relay-ipc.ts
var HEARTBEAT_MS = 1e3;
var HEARTBEAT_MISSES = 10;

// src/server/relay/relay-negotiations.ts
var NEGOTIATION_GRACE_MS = 5e3;
var RelayNegotiations = class {
  /**
   * @param limit slots in all
   * @param perAddress slots one address may hold (0: no share, only the limit)
   * @param deadlineMs the relay's deadline for opening a link
   */
  constructor(limit, perAddress, deadlineMs) {
    this.limit = limit;
    this.perAddress = perAddress;
    this.deadlineMs = deadlineMs;
  }
  limit;
  perAddress;
  deadlineMs;
  /** The slots, by lobby and member. */
  started = /* @__PURE__ */ new Map();
  /** Slots held, by address. */
  held = new KeyedCounts();
  get size() {
    return this.held.total;
  }
  /** Slots `address` holds. */
  heldBy(address) {
    return this.held.of(address);
  }
  /**
   * Why `member` (from `address`) may not start a negotiation, or null if it may: a slot is free and its
   * address holds less than its share, or it holds one already (its new offer replaces its link).
   */
  refusal(lobby, member, address) {
    if (this.started.get(lobby)?.has(member)) return null;
    if (this.held.total >= this.limit) return "full";
    return this.perAddress > 0 && this.heldBy(address) >= this.perAddress ? "share" : null;
  }
  /** `member`'s offer goes on to the relay process: it holds a slot from now (after `refusal` said null). */
  start(lobby, member, address, now) {
    let members = this.started.get(lobby);
    if (!members) {
      members = /* @__PURE__ */ new Map();
      this.started.set(lobby, members);
    }
    const held2 = members.get(member);
    if (held2) this.held.remove(held2.address);
    members.set(member, { at: now, address });
    this.held.add(address);
  }
  /** `member`'s link opened, closed, or the member left: its slot is free. */
  done(lobby, member) {
    const members = this.started.get(lobby);
    const slot = members?.get(member);
    if (!slot) return;
    members.delete(member);
    this.held.remove(slot.address);
    if (!members.size) this.started.delete(lobby);
  }
  /** The lobby's relay peer is gone: its slots are free. */
  forget(lobby) {
    for (const member of [...this.started.get(lobby)?.keys() ?? []]) this.done(lobby, member);
  }
  /** Frees the slots the relay process never reported on. */
  sweep(now) {
    for (const [lobby, members] of this.started)
      for (const [member, slot] of members) if (now - slot.at > this.deadlineMs + NEGOTIATION_GRACE_MS) this.done(lobby, member);
  }
  clear() {
    this.started.clear();
    this.held.clear();
  }
};

// src/server/relay/relay-limits.ts
var shareOf = (negotiations) => Math.ceil(negotiations / 2);
var DEFAULT_RELAY_LIMITS = {
  offersPerMinute: 12,
  linksPerLobby: 64,
  bytesPerSecond: 256 * 1024,
  negotiations: 32,
  negotiationsPerAddress: shareOf(32),
  negotiationMs: 2e4
};
function relayLimitsOf(limits = {}) {
  const negotiations = limits.negotiations ?? DEFAULT_RELAY_LIMITS.negotiations;
  return { ...DEFAULT_RELAY_LIMITS, negotiationsPerAddress: shareOf(negotiations), ...limits };
}
var DEFAULT_RELAY_BUDGET = { memoryMib: 256, nice: 10 };

// src/server/relay/relay-process.ts
var READY_WAIT_MS = 1e4;
var RESTART_MS = 200;
var MAX_RESTART_MS = 3e4;
var STABLE_MS = 3e4;
var OFFER_BURST = 4;
function relayProcess(options2) {
  return new RelayProcess(options2);
}
var RelayProcess = class {
  constructor(options2) {
    this.options = options2;
    this.limits = relayLimitsOf(options2.limits);
    this.budget = { ...DEFAULT_RELAY_BUDGET, ...options2.budget };
    this.offers = new KeyedBuckets(Math.min(this.limits.offersPerMinute, OFFER_BURST), this.limits.offersPerMinute / 6e4);
    this.negotiations = new RelayNegotiations(this.limits.negotiations, this.limits.negotiationsPerAddress, this.limits.negotiationMs);
    this.watchdog = setInterval(() => this.watch(), HEARTBEAT_MS);
    this.watchdog.unref();
    this.start();
  }
  options;
  child = null;
  up = false;
  unavailable = null;
  closed = false;
  startedAt = 0;
  restartMs = RESTART_MS;
  restartTimer;
  lastBeat = 0;
  linkCount = 0;
  waiting = [];
  nextHandle = 0;
  relayed = /* @__PURE__ */ new Map();
  handles = /* @__PURE__ */ new Map();
  limits;
  budget;
  offers;
  negotiations;
  told = new KeyedBuckets(1, 1 / REFUSALS_TOLD_EVERY_MS);
  /** Offers refused since the last watch() without telling their member (told recently). */
  quietRefusals = 0;
  watchdog;
  get pid() {
    return this.child?.pid;
  }
  start() {
    if (this.closed) return;
    const { bytesPerSecond, negotiations, negotiationMs } = this.limits;
    const child = fork(this.options.entry, [JSON.stringify({ bytesPerSecond, negotiations, negotiationMs })], {
      // --expose-gc: closed peer connections are freed only when collected (relay-child.ts).
      execArgv: [`--max-old-space-size=${this.budget.memoryMib}`, "--expose-gc"],
      serialization: "json",
      stdio: ["ignore", "inherit", "inherit", "ipc"]
    });
    this.child = child;
    this.startedAt = Date.now();
    this.lastBeat = this.startedAt;
    try {
      if (child.pid !== void 0) setPriority(child.pid, this.budget.nice);
    } catch (error) {
      this.options.log("warn", "relay.priority_failed", { nice: this.budget.nice, error: String(error) });
    }
    child.on("message", (message) => this.heard(message));
    child.on("error", (error) => this.options.log("error", "relay.process_error", { error: String(error) }));
    child.on("exit", (code, signal2) => this.exited(child, code, signal2));
  }
  heard(message) {
    if (message.t === "ready") {
      this.up = true;
      this.lastBeat = Date.now();
      this.options.log("info", "relay.process_ready", { pid: this.child?.pid });
      for (const waiter of this.waiting.splice(0)) waiter.resolve();
      return;
    }
    if (message.t === "heartbeat") {
      this.lastBeat = Date.now();
      this.linkCount = message.links;
      return;
    }
    if (message.t === "log") return void this.options.log(message.level, message.event, message.fields);
    if (message.t === "unavailable") {
      this.unavailable = message.reason;
      this.options.log("warn", "relay.unavailable", { reason: message.reason });
      for (const waiter of this.waiting.splice(0)) waiter.reject(new Error(message.reason));
      return;
    }
    const relayed = this.relayed.get(message.lobby);
    if (!relayed) return;
    switch (message.t) {
      case "signal":
        return void relayed.send(message.to, message.opcode, message.payload);
      case "ask":
        return void this.post({ t: "member", lobby: message.lobby, id: message.id, member: relayed.lobby.isMember(message.id) });
      case "opened":
        return void this.negotiations.done(message.lobby, message.member);
      case "closed":
        relayed.linked.delete(message.member);
        return void this.negotiations.done(message.lobby, message.member);
      case "warn":
        return void relayed.notices?.warn(message.member, message.text);
    }
  }
  /** A relay process that stopped answering, or never started to (a busy loop, a native hang), is killed: exited() restarts it. */
  watch() {
    const now = Date.now();
    this.offers.sweep(now);
    this.told.sweep(now);
    this.negotiations.sweep(now);
    if (this.quietRefusals) {
      this.options.log("warn", "relay.refused_quietly", { offers: this.quietRefusals, why: `members told at most every ${REFUSALS_TOLD_EVERY_MS / 1e3} s` });
      this.quietRefusals = 0;
    }
    const child = this.child;
    if (!child || Date.now() - this.lastBeat < HEARTBEAT_MS * HEARTBEAT_MISSES) return;
    this.options.log("error", "relay.process_stalled", { pid: child.pid, silentMs: Date.now() - this.lastBeat });
    child.kill("SIGKILL");
  }
  exited(child, code, signal2) {
    if (this.child !== child) return;
    this.child = null;
    this.up = false;
    this.linkCount = 0;
    this.negotiations.clear();
    const lost = [...this.relayed.values()];
    this.relayed.clear();
    this.handles.clear();
    if (this.closed || this.unavailable) return;
    const lived = Date.now() - this.startedAt;
    this.restartMs = lived >= STABLE_MS ? RESTART_MS : Math.min(MAX_RESTART_MS, this.restartMs * 2);
    this.options.log("error", "relay.process_exit", { code, signal: signal2, lobbies: lost.length, restartInMs: this.restartMs });
    this.restartTimer = setTimeout(() => this.start(), this.restartMs);
    const why = `the relay process stopped (${signal2 ?? `exit ${code}`})`;
    for (const each of lost) each.notices?.lost(why);
  }
  post(message) {
    const child = this.child;
    if (child?.connected) child.send(message, (error) => error && this.options.log("warn", "relay.ipc_failed", { error: String(error) }));
  }
  ready() {
    if (this.unavailable) return Promise.reject(new Error(this.unavailable));
    if (this.closed) return Promise.reject(new Error("the relay process was stopped"));
    if (this.up) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter = {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        }
      };
      const timer = setTimeout(() => {
        this.waiting.splice(this.waiting.indexOf(waiter), 1);
        reject(new Error(`the relay process did not start within ${READY_WAIT_MS / 1e3} s`));
      }, READY_WAIT_MS);
      this.waiting.push(waiter);
    });
  }
  async create(lobby, send, notices) {
    await this.ready();
    const id = randomUUID();
    const user2 = { instance_id: id, user_id: id, username: "relay" };
    const handle2 = ++this.nextHandle;
    this.relayed.set(handle2, { lobby, send, notices, linked: /* @__PURE__ */ new Set() });
    this.handles.set(lobby, handle2);
    this.post({ t: "create", lobby: handle2, user: user2 });
    return user2;
  }
  signal(lobby, from, opcode, payload, address) {
    const handle2 = this.handles.get(lobby);
    const relayed = handle2 === void 0 ? void 0 : this.relayed.get(handle2);
    if (!relayed) return;
    const member = from.instance_id;
    if (opcode === "MAKE_OFFER") {
      const refusal = this.refuseOffer(handle2, relayed, member, address ?? `member:${member}`);
      if (refusal) return void this.refused(lobby, relayed, member, refusal);
      relayed.linked.add(member);
    }
    this.post({ t: "signal", lobby: handle2, from, opcode, payload, wide: lobby.lobbyWide });
  }
  refused(lobby, relayed, member, reason) {
    if (!this.told.take(member, Date.now())) {
      this.quietRefusals += 1;
      return;
    }
    this.options.log("warn", "relay.refused", { game: lobby.game, lobby: lobby.name, member, reason });
    relayed.notices?.warn(member, reason);
  }
  /** Why this offer is refused (null: it goes on): checked before it can build a peer connection. */
  refuseOffer(handle2, relayed, member, address) {
    const { linksPerLobby, offersPerMinute, negotiations, negotiationsPerAddress } = this.limits;
    if (!relayed.linked.has(member) && relayed.linked.size >= linksPerLobby) return RelayRefusal.links(linksPerLobby);
    const noSlot = this.negotiations.refusal(handle2, member, address);
    if (noSlot === "full") return RelayRefusal.negotiations(negotiations);
    if (noSlot === "share") return RelayRefusal.negotiationsPerAddress(negotiationsPerAddress);
    const now = Date.now();
    if (!this.offers.take(member, now)) return RelayRefusal.offers(offersPerMinute, this.offers.waitMs(member, now));
    this.negotiations.start(handle2, member, address, now);
    return null;
  }
  memberLeft(lobby, instanceId2) {
    const handle2 = this.handles.get(lobby);
    if (handle2 === void 0) return;
    this.relayed.get(handle2)?.linked.delete(instanceId2);
    this.negotiations.done(handle2, instanceId2);
    this.post({ t: "left", lobby: handle2, member: instanceId2 });
  }
  destroy(lobby) {
    const handle2 = this.handles.get(lobby);
    if (handle2 === void 0) return;
    this.handles.delete(lobby);
    this.relayed.delete(handle2);
    this.negotiations.forget(handle2);
    this.post({ t: "destroy", lobby: handle2 });
  }
  links() {
    return this.linkCount;
  }
  negotiating() {
    return this.negotiations.size;
  }
  async close() {
    this.closed = true;
    clearInterval(this.watchdog);
    clearTimeout(this.restartTimer);
    for (const waiter of this.waiting.splice(0)) waiter.reject(new Error("the relay process was stopped"));
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    await exited;
  }
};

// src/server/fanout-budget.ts
var DEFAULT_FANOUT = { perSecond: 20, perAddressPerSecond: 1e3 };
var FANOUT_BURST_SECONDS = 20;
var ANNOUNCEMENT_MESSAGES = 20;
var FanoutBudget = class {
  constructor(options2, now = Date.now) {
    this.now = now;
    this.buckets = new PairedBuckets(
      { size: FANOUT_BURST_SECONDS * options2.perSecond, perMs: options2.perSecond / 1e3 },
      { size: FANOUT_BURST_SECONDS * options2.perAddressPerSecond, perMs: options2.perAddressPerSecond / 1e3 }
    );
    this.sweeper = setInterval(() => this.sweep(), 1e4).unref();
  }
  now;
  buckets;
  /** Told what each address spends here (cluster/fanout-share.ts: the other nodes spend it too). */
  onSpent;
  sweeper;
  /** Milliseconds before `causer` may cause fan-out again (0: now). */
  waitMs(causer) {
    return this.buckets.waitMs(causer.id, causer.address, this.now());
  }
  /** The refusal while `causer` may not cause fan-out, or null. */
  refusal(causer) {
    const wait = this.waitMs(causer);
    return wait > 0 ? `${Warning.lobbyChanges}: try again in ${Math.ceil(wait / 1e3)} s` : null;
  }
  /** Charges `messages` caused by `causer`, into debt if need be. */
  charge(causer, messages) {
    if (messages <= 0) return;
    this.buckets.spend(causer.id, causer.address, this.now(), messages);
    this.onSpent?.(causer.address, messages);
  }
  /** `listener` hears of every charge, by address (one listener: cluster/fanout-share.ts). */
  shareWith(listener2) {
    this.onSpent = listener2;
  }
  /** `address`'s connections on another node spent `messages`: its budget here is spent too. */
  spentElsewhere(address, messages) {
    if (messages > 0) this.buckets.spendAddress(address, this.now(), messages);
  }
  sweep() {
    this.buckets.sweep(this.now());
  }
  stop() {
    clearInterval(this.sweeper);
  }
};

// src/server/join-cooldown.ts
var DEFAULT_JOIN_COOLDOWN_MS = 1e3;
function joinCooldownRefusal(lastJoinAt, cooldownMs, now = Date.now()) {
  const wait = lastJoinAt + cooldownMs - now;
  return wait > 0 ? `${Warning.joinCooldown}: try again in ${Math.ceil(wait / 1e3)} s` : null;
}

// src/server/sliced-loop.ts
var SlicedLoop = class {
  /**
   * `items` is read as it goes: an item added behind (a Map's new entry) is visited, one removed
   * before its turn is not. `done` is called once, after the last item (not if stopped).
   */
  constructor(items, each, sliceMs, done) {
    this.items = items;
    this.each = each;
    this.sliceMs = sliceMs;
    this.done = done;
  }
  items;
  each;
  sliceMs;
  done;
  immediate;
  running = false;
  /**
   * What the slices cost so far, in ms: per slice the lesser of its wall time (inflated when other
   * processes take the core) and the process's CPU time (inflated when its other threads work).
   */
  spentMs = 0;
  /** Runs the first slice now. */
  start() {
    this.running = true;
    this.slice();
  }
  /** No further slice runs; `done` is not called. */
  stop() {
    this.running = false;
    if (this.immediate) clearImmediate(this.immediate);
    this.immediate = void 0;
  }
  slice = () => {
    this.immediate = void 0;
    const from = performance.now();
    const cpuFrom = process.cpuUsage();
    let next2 = this.running ? this.items.next() : void 0;
    while (next2 && !next2.done && this.running) {
      this.each(next2.value);
      if (performance.now() - from >= this.sliceMs) break;
      next2 = this.items.next();
    }
    const now = performance.now();
    const cpu = process.cpuUsage(cpuFrom);
    this.spentMs += Math.min(now - from, (cpu.user + cpu.system) / 1e3);
    if (!this.running) return;
    if (next2 && !next2.done) {
      this.immediate = setImmediate(this.slice);
      return;
    }
    this.running = false;
    this.done(this);
  };
};

// src/server/lobby-announcer.ts
var DEFAULT_ANNOUNCER = { intervalMs: 1e3, batchMax: 50, costPerLobbyMs: 1, maxDelayMs: 1e4, sliceMs: 1 };
var MAX_WRITE_MS = 0.05;
var LobbyAnnouncer = class {
  constructor(options2, watchers, now = Date.now) {
    this.options = options2;
    this.watchers = watchers;
    this.now = now;
  }
  options;
  watchers;
  now;
  /** Per game, the lobbies waiting, by name (a Map keeps them in the order they came). */
  pending = /* @__PURE__ */ new Map();
  timer;
  /** When the timer fires (the announcer's clock). */
  timerAt = Number.POSITIVE_INFINITY;
  /** The batch being written, slice by slice. */
  writing;
  lastFlush = Number.NEGATIVE_INFINITY;
  /** What the last batch cost (ms in its slices): what the next is expected to cost. */
  lastCostMs = 0;
  /** Batches sent so far (tests, metrics). */
  batches = 0;
  add({ game, name, created }) {
    const names = this.pending.get(game) ?? /* @__PURE__ */ new Map();
    names.delete(name);
    this.pending.set(game, names.set(name, { created, since: this.now() }));
    this.schedule();
  }
  /**
   * The lobby is gone or hidden: not announced if still waiting. (With several nodes, news published by
   * one node reaches every node in order; a lobby closed through another node just after its creation
   * may still be announced, as one that closes just after its batch left would be.)
   */
  retract({ game, name, created }) {
    const names = this.pending.get(game);
    if (names?.get(name)?.created !== created) return;
    names.delete(name);
    if (names.size === 0) this.pending.delete(game);
  }
  stop() {
    this.clearTimer();
    this.writing?.stop();
    this.writing = void 0;
    this.pending.clear();
  }
  /**
   * Names of one game a batch leaving at `at` may carry: batchMax for each interval they waited since
   * the last batch (one at least). A watcher so gets at most batchMax names per interval, held batches too.
   */
  perGame(names, at) {
    const oldest = names.values().next().value?.since ?? at;
    const intervals = Math.floor((at - Math.max(this.lastFlush, oldest)) / this.options.intervalMs);
    return Math.min(names.size, this.options.batchMax * Math.max(intervals, 1));
  }
  /** When the next batch should leave, given what waits; Infinity: nothing waits. */
  due() {
    if (this.pending.size === 0) return Number.POSITIVE_INFINITY;
    const { intervalMs, costPerLobbyMs, maxDelayMs } = this.options;
    const at = Math.max(this.now(), this.lastFlush + intervalMs);
    let oldest = Number.POSITIVE_INFINITY;
    let carried = 0;
    for (const names of this.pending.values()) {
      oldest = Math.min(oldest, names.values().next().value?.since ?? oldest);
      carried += this.perGame(names, at);
    }
    const latest = Math.max(oldest + maxDelayMs, this.lastFlush + intervalMs);
    if (costPerLobbyMs === 0 || carried * costPerLobbyMs >= this.lastCostMs || at >= latest) return at;
    return Math.min(latest, at + intervalMs);
  }
  schedule() {
    if (this.writing) return;
    const at = this.due();
    if (at >= this.timerAt) return;
    this.clearTimer();
    if (at === Number.POSITIVE_INFINITY) return;
    this.timerAt = at;
    const wait = at - this.now();
    if (wait <= 0) {
      this.timer = "now";
      process.nextTick(this.flush);
    } else this.timer = setTimeout(this.flush, wait);
  }
  clearTimer() {
    if (this.timer !== "now") clearTimeout(this.timer);
    this.timer = void 0;
    this.timerAt = Number.POSITIVE_INFINITY;
  }
  flush = () => {
    if (this.timer === void 0) return;
    this.timer = void 0;
    this.timerAt = Number.POSITIVE_INFINITY;
    if (this.due() > this.now()) {
      this.schedule();
      return;
    }
    const from = performance.now();
    const at = this.now();
    const batches = /* @__PURE__ */ new Map();
    for (const [game, names] of this.pending) {
      const texts = [];
      const carried = this.perGame(names, at);
      for (const name of names.keys()) {
        if (texts.length === carried) break;
        names.delete(name);
        texts.push(encodePacket({ opcode: "NEW_LOBBY", payload: name }));
      }
      if (names.size === 0) this.pending.delete(game);
      batches.set(game, encodeFrames(texts));
    }
    this.lastFlush = at;
    const encodingMs = performance.now() - from;
    let told = 0;
    const tell = (watcher) => {
      if (watcher.lobby !== null) return;
      const batch = batches.get(watcher.game);
      if (!batch) return;
      watcher.announce(batch);
      told += 1;
    };
    this.writing = new SlicedLoop(this.watchers()[Symbol.iterator](), tell, this.options.sliceMs, (loop) => {
      this.writing = void 0;
      this.lastCostMs = Math.min(encodingMs + loop.spentMs, told * MAX_WRITE_MS);
      this.batches += 1;
      this.schedule();
    });
    this.writing.start();
  };
};

// src/server/redis-store.ts
import { randomBytes as randomBytes2 } from "node:crypto";

// src/server/store.ts
var byCodeUnits = (a, b) => a < b ? -1 : a > b ? 1 : 0;
var byGameName = (a, b) => byCodeUnits(a.game, b.game);
function lobbyInfo2(lobby) {
  return {
    name: lobby.name,
    host: lobby.host,
    max_players: lobby.settings.maxPlayers,
    current_players: lobby.members.length,
    currently_locked: lobby.settings.locked,
    password_required: lobby.settings.password !== null,
    relay_enabled: lobby.settings.relayEnabled,
    hidden: lobby.settings.hidden,
    metadata: lobby.settings.metadata ?? {}
  };
}
var copyLobbySettings = (settings2) => ({
  ...settings2,
  ...settings2.metadata ? { metadata: { ...settings2.metadata } } : {}
});
var copyLobby = (lobby) => ({
  ...lobby,
  host: { ...lobby.host },
  members: lobby.members.map((member) => ({ ...member })),
  settings: copyLobbySettings(lobby.settings),
  relay: lobby.relay && { ...lobby.relay }
});
function lobbySummary2(lobby) {
  return {
    name: lobby.name,
    metadata: lobby.settings.metadata ?? {},
    current_players: lobby.members.length,
    max_players: lobby.settings.maxPlayers,
    locked: lobby.settings.locked,
    password_required: lobby.settings.password !== null
  };
}

// src/server/lobby-filter.ts
var storeFilter = (filter = {}) => ({
  ...filter.metadata ? { metadata: filter.metadata } : {},
  ...filter.free_seats ? { freeSeats: true } : {},
  ...filter.no_password ? { noPassword: true } : {}
});
var hasFreeSeat = (lobby) => lobby.settings.maxPlayers === -1 || lobby.members.length < lobby.settings.maxPlayers;
function matchesFilter(lobby, filter) {
  if (lobby.settings.hidden) return false;
  if (filter.freeSeats && !hasFreeSeat(lobby)) return false;
  if (filter.noPassword && lobby.settings.password !== null) return false;
  const metadata = lobby.settings.metadata ?? {};
  return Object.entries(filter.metadata ?? {}).every(([key, value]) => Object.hasOwn(metadata, key) && metadata[key] === value);
}
var quickJoinable = (lobby, filter) => !lobby.settings.locked && lobby.settings.password === null && hasFreeSeat(lobby) && matchesFilter(lobby, filter);
var byCreation = (a, b) => (a.created ?? 0) - (b.created ?? 0) || byCodeUnits(a.name, b.name);
function listed(lobbies, keep, limit, take) {
  const first = [];
  let total = 0;
  for (const lobby of lobbies) {
    if (!keep(lobby)) continue;
    if (total < limit) first.push(take(lobby));
    total += 1;
  }
  return { first, total };
}

// src/server/redis-scripts.ts
var GAME_KEYS = [
  "players",
  "names",
  "lobbies",
  "memberOf",
  "tokens",
  "tokenOf",
  "held",
  "lobbySeq",
  "openLobbies",
  "visibleLobbies",
  "lobbiesChanged"
];
var GAMES_KEY = "games";
var PRELUDE = `
local players, names, lobbies, memberOf, tokens, tokenOf, held = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7]
local lobbySeq, openLobbies, visibleLobbies, lobbiesChanged, games = KEYS[8], KEYS[9], KEYS[10], KEYS[11], KEYS[12]
local game = ARGV[#ARGV]
local null = cjson.null
local function reply(value) return cjson.encode(value) end
local function getLobby(name)
  local raw = redis.call('HGET', lobbies, name)
  if not raw then return nil end
  return cjson.decode(raw)
end
-- What quick join may join, whatever its metadata (lobby-filter.ts, quickJoinable).
local function open(lobby)
  local settings = lobby.settings
  if settings.hidden or settings.locked or settings.password ~= null then return false end
  return settings.maxPlayers == -1 or #lobby.members < settings.maxPlayers
end
-- Keeps \`name\` in the sorted set \`key\` (scored by creation) while \`member\` holds, out of it otherwise.
local function indexed(key, member, lobby)
  if member then redis.call('ZADD', key, lobby.created or 0, lobby.name)
  else redis.call('ZREM', key, lobby.name) end
end
local function changed()
  local now = redis.call('TIME')
  local stamp = now[1] * 1000000 + now[2]
  local before = tonumber(redis.call('GET', lobbiesChanged) or '0')
  if stamp <= before then stamp = before + 1 end
  redis.call('SET', lobbiesChanged, string.format('%.0f', stamp))
end
local function saveLobby(lobby)
  redis.call('HSET', lobbies, lobby.name, cjson.encode(lobby))
  redis.call('SADD', games, game)
  changed()
  indexed(openLobbies, open(lobby), lobby)
  indexed(visibleLobbies, not lobby.settings.hidden, lobby)
end
local function memberIndex(lobby, id)
  for i, member in ipairs(lobby.members) do
    if member.instance_id == id then return i end
  end
  return nil
end
-- The lobby \`host\` is host of, or nil and why not.
local function hosted(host)
  local name = redis.call('HGET', memberOf, host)
  local lobby = name and getLobby(name)
  if not lobby then return nil, 'not-in-lobby' end
  if lobby.host.instance_id ~= host then return nil, 'unauthorized' end
  return lobby
end
-- A game with no players and no lobbies left keeps no key (its other keys went with their last entry):
-- its lobby counter goes too, as MemoryStore forgets such a game.
local function pruneGame()
  if redis.call('EXISTS', players, lobbies) == 0 then
    redis.call('DEL', lobbySeq, lobbiesChanged)
    redis.call('SREM', games, game)
  end
end
local function deleteLobby(lobby)
  for _, member in ipairs(lobby.members) do redis.call('HDEL', memberOf, member.instance_id) end
  redis.call('HDEL', lobbies, lobby.name)
  redis.call('ZREM', openLobbies, lobby.name)
  redis.call('ZREM', visibleLobbies, lobby.name)
  changed()
  pruneGame()
end
-- Takes member \`id\` out; the host moves to the earliest remaining member; the last one out deletes the lobby.
local function remove(lobby, id)
  local left = table.remove(lobby.members, memberIndex(lobby, id))
  redis.call('HDEL', memberOf, id)
  local newHost = null
  local closed = #lobby.members == 0
  if closed then
    deleteLobby(lobby)
  else
    if lobby.host.instance_id == id then
      lobby.host = lobby.members[1]
      newHost = lobby.host
    end
    saveLobby(lobby)
  end
  return { left = left, lobby = lobby, newHost = newHost, closed = closed }
end
`;
var BODIES = {
  // ARGV: user JSON, its username's skeleton. The name is claimed with HSETNX: checked and claimed at once.
  addPlayer: `
local user = cjson.decode(ARGV[1])
if redis.call('HSETNX', names, ARGV[2], user.instance_id) == 0 then return reply('taken') end
redis.call('HSET', players, user.instance_id, ARGV[1])
redis.call('SADD', games, game)
return reply('ok')`,
  // ARGV: instance id, its username's skeleton ('' when unknown).
  removePlayer: `
local id = ARGV[1]
local token = redis.call('HGET', tokenOf, id)
if token then redis.call('HDEL', tokens, token) end
redis.call('HDEL', tokenOf, id)
redis.call('SREM', held, id)
local raw = redis.call('HGET', players, id)
if raw then
  redis.call('HDEL', players, id)
  if redis.call('HGET', names, ARGV[2]) == id then redis.call('HDEL', names, ARGV[2]) end
  pruneGame()
end
return reply(null)`,
  // No ARGV. Indexes every lobby of the game again (openLobbies, visibleLobbies, games) and marks it changed: a
  // node runs it for each game at start, for what nodes of a version before an index left out of it.
  reindex: `
if redis.call('EXISTS', players, lobbies) > 0 then redis.call('SADD', games, game) end
local all = redis.call('HVALS', lobbies)
for _, raw in ipairs(all) do
  local lobby = cjson.decode(raw)
  indexed(openLobbies, open(lobby), lobby)
  indexed(visibleLobbies, not lobby.settings.hidden, lobby)
end
if #all > 0 then changed() end
return reply(null)`,
  // ARGV: how many names at most. The oldest visible lobbies' names and how many are visible (cjson writes
  // an empty list as {}).
  list: `
return reply({ first = redis.call('ZRANGE', visibleLobbies, 0, tonumber(ARGV[1]) - 1), total = redis.call('ZCARD', visibleLobbies) })`,
  lobbyOf: `
local name = redis.call('HGET', memberOf, ARGV[1])
return reply(name and getLobby(name) or null)`,
  // ARGV: game, name, host JSON, settings JSON.
  create: `
local host = cjson.decode(ARGV[3])
local settings = cjson.decode(ARGV[4])
if redis.call('HEXISTS', memberOf, host.instance_id) == 1 then return reply({ outcome = 'in-lobby' }) end
if redis.call('HEXISTS', lobbies, ARGV[2]) == 1 then return reply({ outcome = 'exists' }) end
local lobby = { game = ARGV[1], name = ARGV[2], host = host, members = { host }, settings = settings, relay = null, created = redis.call('INCR', lobbySeq) }
saveLobby(lobby)
redis.call('HSET', memberOf, host.instance_id, ARGV[2])
return reply({ outcome = 'ok', lobby = lobby })`,
  // ARGV: name, player JSON, the password string the caller checked ('' = none checked).
  // A lobby with a password the caller has not checked answers 'check' with it; the caller checks it
  // outside (scrypt) and runs this again with it: then every rule is decided again, and a password
  // that changed meanwhile is refused (compare and set).
  join: `
local player = cjson.decode(ARGV[2])
local checked = ARGV[3]
if redis.call('HEXISTS', memberOf, player.instance_id) == 1 then return reply({ outcome = 'in-lobby' }) end
local lobby = getLobby(ARGV[1])
if not lobby then return reply({ outcome = 'not-found' }) end
local settings = lobby.settings
if settings.locked then return reply({ outcome = 'locked' }) end
if settings.maxPlayers ~= -1 and #lobby.members >= settings.maxPlayers then return reply({ outcome = 'full' }) end
local password = settings.password == null and '' or settings.password
if password ~= checked then
  if checked == '' then return reply({ outcome = 'check', password = password }) end
  return reply({ outcome = 'password' })
end
lobby.members[#lobby.members + 1] = player
saveLobby(lobby)
redis.call('HSET', memberOf, player.instance_id, ARGV[1])
return reply({ outcome = 'ok', lobby = lobby })`,
  // ARGV: instance id.
  leave: `
local name = redis.call('HGET', memberOf, ARGV[1])
local lobby = name and getLobby(name)
if not lobby then return reply(null) end
return reply(remove(lobby, ARGV[1]))`,
  // ARGV: host id, target id.
  kick: `
local lobby, why = hosted(ARGV[1])
if not lobby then return reply({ outcome = why }) end
if not memberIndex(lobby, ARGV[2]) then return reply({ outcome = 'not-a-member' }) end
if ARGV[2] == ARGV[1] then return reply({ outcome = 'self' }) end
return reply({ outcome = 'ok', departure = remove(lobby, ARGV[2]) })`,
  // ARGV: host id, change JSON (only the fields that change).
  setSettings: `
local lobby, why = hosted(ARGV[1])
if not lobby then return reply({ outcome = why }) end
local change = cjson.decode(ARGV[2])
local max = change.maxPlayers
if max ~= nil and max ~= -1 and max < #lobby.members then return reply({ outcome = 'below-current-players' }) end
local shown = lobby.settings.hidden and change.hidden == false
for key, value in pairs(change) do lobby.settings[key] = value end
saveLobby(lobby)
return reply({ outcome = 'ok', lobby = lobby, shown = shown })`,
  // ARGV: game, player JSON, filter JSON (LobbyFilter), name prefix, settings JSON. The rules of
  // lobby-filter.ts (quickJoinable, byCreation), here so that picking and joining are one step.
  quickJoin: `
local player = cjson.decode(ARGV[2])
if redis.call('HEXISTS', memberOf, player.instance_id) == 1 then return reply({ outcome = 'in-lobby' }) end
local filter = cjson.decode(ARGV[3])
local function matches(lobby)
  local metadata = type(lobby.settings.metadata) == 'table' and lobby.settings.metadata or {}
  if type(filter.metadata) == 'table' then
    for key, value in pairs(filter.metadata) do
      if metadata[key] ~= value then return false end
    end
  end
  return true
end
-- The open lobbies, oldest first (equal scores: by name, as byCreation orders them); the first that matches.
local oldest = nil
for _, name in ipairs(redis.call('ZRANGE', openLobbies, 0, -1)) do
  local lobby = getLobby(name)
  if lobby and open(lobby) and matches(lobby) then
    oldest = lobby
    break
  end
end
if oldest then
  oldest.members[#oldest.members + 1] = player
  saveLobby(oldest)
  redis.call('HSET', memberOf, player.instance_id, oldest.name)
  return reply({ outcome = 'joined', lobby = oldest })
end
-- The counter makes the name new, unless someone created that very name by hand: then the next number.
local n = tonumber(redis.call('GET', lobbySeq) or '0') + 1
while redis.call('HEXISTS', lobbies, ARGV[4] .. '-' .. n) == 1 do n = n + 1 end
redis.call('SET', lobbySeq, n)
local name = ARGV[4] .. '-' .. n
local lobby = { game = ARGV[1], name = name, host = player, members = { player }, settings = cjson.decode(ARGV[5]), relay = null, created = n }
saveLobby(lobby)
redis.call('HSET', memberOf, player.instance_id, name)
return reply({ outcome = 'created', lobby = lobby })`,
  // ARGV: host id, target id.
  setHost: `
local lobby, why = hosted(ARGV[1])
if not lobby then return reply({ outcome = why }) end
local index = memberIndex(lobby, ARGV[2])
if not index then return reply({ outcome = 'not-a-member' }) end
if ARGV[2] == ARGV[1] then return reply({ outcome = 'already-host' }) end
local previous = lobby.host
lobby.host = lobby.members[index]
saveLobby(lobby)
return reply({ outcome = 'ok', lobby = lobby, previous = previous })`,
  // ARGV: host id.
  close: `
local lobby, why = hosted(ARGV[1])
if not lobby then return reply({ outcome = why }) end
deleteLobby(lobby)
return reply({ outcome = 'ok', lobby = lobby })`,
  // ARGV: name, relay user JSON, '1' when lobby-wide.
  setRelay: `
local lobby = getLobby(ARGV[1])
if not lobby or #lobby.members == 0 then return reply(null) end
lobby.relay = cjson.decode(ARGV[2])
if ARGV[3] == '1' then lobby.settings.relayEnabled = true end
saveLobby(lobby)
return reply(lobby)`,
  // ARGV: instance id, the new token (random, made by the caller). The old token stops working.
  issueToken: `
local old = redis.call('HGET', tokenOf, ARGV[1])
if old then redis.call('HDEL', tokens, old) end
redis.call('HSET', tokens, ARGV[2], ARGV[1])
redis.call('HSET', tokenOf, ARGV[1], ARGV[2])
return reply(ARGV[2])`,
  // ARGV: instance id. Only a registered player's seat is held.
  holdSeat: `
if redis.call('HEXISTS', players, ARGV[1]) == 1 then redis.call('SADD', held, ARGV[1]) end
return reply(null)`,
  // ARGV: token, the next token. Uses the token up, ends the hold, issues the next.
  resumeSeat: `
local id = redis.call('HGET', tokens, ARGV[1])
local raw = id and redis.call('HGET', players, id)
if not raw then return reply(null) end
redis.call('SREM', held, id)
redis.call('HDEL', tokens, ARGV[1])
redis.call('HSET', tokens, ARGV[2], id)
redis.call('HSET', tokenOf, id, ARGV[2])
return reply({ user = cjson.decode(raw), token = ARGV[2] })`
};
var GAMES_SCRIPT = `
local out = {}
for i = 2, #ARGV do
  local game = ARGV[i]
  local players = redis.call('HLEN', ARGV[1] .. '{' .. game .. '}:players')
  local lobbies = redis.call('HLEN', ARGV[1] .. '{' .. game .. '}:lobbies')
  if players + lobbies == 0 then redis.call('SREM', KEYS[1], game) else out[#out + 1] = { game, players, lobbies } end
end
return out`;
var SCRIPTS = Object.fromEntries(Object.entries(BODIES).map(([name, body]) => [name, PRELUDE + body]));

// src/server/versioned-reads.ts
var VersionedReads = class {
  /** @param capacity keys kept at most; the one asked for longest ago goes first. */
  constructor(capacity, maxAgeMs) {
    this.capacity = capacity;
    this.maxAgeMs = maxAgeMs;
  }
  capacity;
  maxAgeMs;
  #kept = /* @__PURE__ */ new Map();
  /** What `read` answers for `key` at `version`; null: nothing to go by, so read every time and keep nothing. */
  get(key, version2, read) {
    let entry = this.#kept.get(key);
    this.#kept.delete(key);
    if (version2 === null) return read();
    const now = performance.now();
    if (entry?.version !== version2 || now - entry.readAt >= this.maxAgeMs) {
      const fresh = { version: version2, value: read(), readAt: now };
      fresh.value.catch(() => {
        if (this.#kept.get(key) === fresh) this.#kept.delete(key);
      });
      entry = fresh;
    }
    this.#kept.set(key, entry);
    if (this.#kept.size > this.capacity) this.#kept.delete(this.#kept.keys().next().value);
    return entry.value;
  }
};

// src/server/redis-store.ts
var storedPassword = (hash) => `${hash.salt.toString("base64")}.${hash.hash.toString("base64")}`;
var passwordHash = (stored2) => {
  const [salt = "", hash = ""] = stored2.split(".");
  return { salt: Buffer.from(salt, "base64"), hash: Buffer.from(hash, "base64") };
};
var stored = (settings2) => ({ ...settings2, password: settings2.password && storedPassword(settings2.password) });
var array2 = (value) => Array.isArray(value) ? value : [];
var record2 = (stored2) => ({
  ...stored2,
  members: array2(stored2.members),
  settings: { ...stored2.settings, password: stored2.settings.password === null ? null : passwordHash(stored2.settings.password) }
});
function plain(answer) {
  if (answer === null || typeof answer !== "object") return answer;
  const fields = answer;
  if ("members" in fields) return record2(fields);
  for (const key of ["lobby", "departure"]) if (key in fields) fields[key] = plain(fields[key]);
  return fields;
}
var VISIBLE_GAMES_KEPT = 4096;
var VISIBLE_LOBBIES_MAX_AGE_MS = 5e3;
var escapeGlob = (text) => text.replace(/[*?[\]\\]/g, "\\$&");
var GAMES_PER_SCRIPT = 250;
var RedisStore = class {
  /** @param prefix namespaces every key (tests give each store run its own). */
  constructor(redis, prefix = "cl5:") {
    this.redis = redis;
    this.prefix = prefix;
    for (const [name, lua] of Object.entries(SCRIPTS)) redis.defineCommand(`cl5_${name}`, { numberOfKeys: GAME_KEYS.length + 1, lua });
    redis.defineCommand("cl5_games", { numberOfKeys: 1, lua: GAMES_SCRIPT });
  }
  redis;
  prefix;
  /** The visible lobbies of the games searched lately (LIST_LOBBIES with a filter), oldest first. */
  visibleLobbies = new VersionedReads(VISIBLE_GAMES_KEPT, VISIBLE_LOBBIES_MAX_AGE_MS);
  key(game, part) {
    return `${this.prefix}{${game}}:${part}`;
  }
  /** Runs one script on the game's keys and the set of games (with the game's name last); its JSON answer, parsed. */
  async run(name, game, ...args) {
    const command = this.redis[`cl5_${name}`];
    const answer = await command.call(this.redis, ...GAME_KEYS.map((part) => this.key(game, part)), this.prefix + GAMES_KEY, ...args, game);
    return plain(JSON.parse(answer));
  }
  async addPlayer(game, user2) {
    return this.run("addPlayer", game, JSON.stringify(user2), usernameSkeleton(user2.username));
  }
  async removePlayer(game, instanceId2) {
    const raw = await this.redis.hget(this.key(game, "players"), instanceId2);
    const skeleton = raw === null ? "" : usernameSkeleton(JSON.parse(raw).username);
    await this.run("removePlayer", game, instanceId2, skeleton);
  }
  async players(game) {
    return (await this.redis.hvals(this.key(game, "players"))).map((raw) => JSON.parse(raw));
  }
  async games() {
    const command = this.redis.cl5_games;
    const key = this.prefix + GAMES_KEY;
    const counted = /* @__PURE__ */ new Map();
    const pages = this.redis.sscanStream(key, { count: GAMES_PER_SCRIPT });
    for await (const page of pages) {
      for (let at = 0; at < page.length; at += GAMES_PER_SCRIPT) {
        const names = page.slice(at, at + GAMES_PER_SCRIPT);
        for (const [game, players, lobbies] of await command.call(this.redis, key, this.prefix, ...names)) counted.set(game, { game, players, lobbies });
      }
    }
    return [...counted.values()].sort(byGameName);
  }
  /**
   * Games found by scanning the whole keyspace: a game's players and lobbies hashes exist while they have an
   * entry (Redis deletes empty hashes). Costs the keyspace's size, so only a node's start reads it (reindex).
   */
  async scannedGames() {
    const found = /* @__PURE__ */ new Set();
    const start = this.prefix.length + 1;
    for (const part of ["players", "lobbies"]) {
      const suffix = `}:${part}`;
      const stream = this.redis.scanStream({ match: `${escapeGlob(this.prefix)}{*${suffix}`, count: 100 });
      for await (const keys of stream) for (const key of keys) found.add(key.slice(start, -suffix.length));
    }
    return [...found].sort();
  }
  /** Indexes every game again (at a node's start: games and lobbies written by an older version may be missing from an index). */
  async reindex() {
    for (const game of await this.scannedGames()) await this.run("reindex", game);
  }
  async list(game, limit) {
    const { first, total } = await this.run("list", game, String(limit));
    return { first: array2(first), total };
  }
  async find(game, name) {
    const raw = await this.redis.hget(this.key(game, "lobbies"), name);
    return raw === null ? null : record2(JSON.parse(raw));
  }
  async lobbies(game) {
    return (await this.redis.hvals(this.key(game, "lobbies"))).map((raw) => record2(JSON.parse(raw)));
  }
  async lobbyOf(game, instanceId2) {
    return this.run("lobbyOf", game, instanceId2);
  }
  async listMatching(game, filter, limit) {
    const version2 = await this.redis.get(this.key(game, "lobbiesChanged"));
    const visible = await this.visibleLobbies.get(
      game,
      version2,
      async () => (await this.lobbies(game)).filter((lobby) => !lobby.settings.hidden).sort(byCreation)
    );
    return listed(visible, (lobby) => matchesFilter(lobby, filter), limit, copyLobby);
  }
  async create(game, name, host, settings2) {
    return this.run("create", game, game, name, JSON.stringify(host), JSON.stringify(stored(settings2)));
  }
  async quickJoin(game, player, filter, create) {
    return this.run("quickJoin", game, game, JSON.stringify(player), JSON.stringify(filter), create.namePrefix, JSON.stringify(stored(create.settings)));
  }
  async join(game, name, player, checkPassword) {
    const attempt = (checked) => this.run("join", game, name, JSON.stringify(player), checked);
    let answer = await attempt("");
    if (answer.outcome === "check") {
      const checked = answer.password;
      if (!await checkPassword(passwordHash(checked))) return { outcome: "password" };
      answer = await attempt(checked);
      if (answer.outcome === "check") throw new Error("join script asked for a second password check");
    }
    return answer;
  }
  async leave(game, instanceId2) {
    return this.run("leave", game, instanceId2);
  }
  async kick(game, host, target) {
    return this.run("kick", game, host, target);
  }
  async setSettings(game, host, change) {
    const { password: password2, ...rest } = change;
    const stored2 = password2 === void 0 ? rest : { ...rest, password: password2 && storedPassword(password2) };
    return this.run("setSettings", game, host, JSON.stringify(stored2));
  }
  async setHost(game, host, target) {
    return this.run("setHost", game, host, target);
  }
  async close(game, host) {
    return this.run("close", game, host);
  }
  async setRelay(game, name, relay, lobbyWide) {
    return this.run("setRelay", game, name, JSON.stringify(relay), lobbyWide ? "1" : "0");
  }
  async issueToken(game, instanceId2) {
    return this.run("issueToken", game, instanceId2, newToken());
  }
  async holdSeat(game, instanceId2) {
    await this.run("holdSeat", game, instanceId2);
  }
  async resumeSeat(game, token) {
    return this.run("resumeSeat", game, token, newToken());
  }
  async seatHeld(game, instanceId2) {
    return await this.redis.sismember(this.key(game, "held"), instanceId2) === 1;
  }
  /**
   * A PING. While the connection is down ioredis would queue the command until it is back, so a
   * client that is not ready fails at once, with its state as the reason.
   */
  async ping() {
    if (this.redis.status !== "ready") throw new Error(`redis connection is ${this.redis.status}`);
    await this.redis.ping();
  }
};
var newToken = () => randomBytes2(24).toString("base64url");

// src/server/cluster/cluster-scripts.ts
var LOG_FRAMES = 512;
var LOG_AFTER = `
local function logAfter(log, seq, after)
  local before = seq - redis.call('LLEN', log)
  if after > seq or after < before then return 'gap' end
  return { seq, redis.call('LRANGE', log, after - before, -1) }
end`;
var CLUSTER_SCRIPTS = {
  // KEYS: player, node players. ARGV: id, node, game, kind, seq base, lobby ('' for a player).
  register: {
    keys: 2,
    lua: `
redis.call('HSET', KEYS[1], 'node', ARGV[2], 'game', ARGV[3], 'kind', ARGV[4], 'seq', ARGV[5], 'lobby', ARGV[6])
redis.call('SADD', KEYS[2], ARGV[1])
return 1`
  },
  // KEYS: player, log, node players. ARGV: id. The player is gone for good: its log with it.
  unregister: {
    keys: 3,
    lua: `
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('SREM', KEYS[3], ARGV[1])
return 1`
  },
  // No KEYS (each frame names its player). ARGV: prefix, sending node, log length, then per frame five
  // values: player id, frame, lobby the player must be in ('' = no check), the sender's game, and the
  // sender's address as a JSON string ('' = none). A frame for a relay peer gets that address as its
  // last field, "address" (senderAddress in cluster.ts): the relay's share per address counts it.
  // Every frame a node produced in one turn of its event loop, in order, in one script. Answers one integer
  // per frame (cluster.ts decodes them): the frame's number in the player's sequence when the sender holds
  // the player (it writes the frame from this answer), 0 when another node does (published there) or none
  // does, -1 no such player, -2 the check failed, -3 handed to a relay peer's node.
  append: {
    keys: 0,
    lua: `
local prefix, sender, keep = ARGV[1], ARGV[2], tonumber(ARGV[3])
local answers = {}
for i = 4, #ARGV, 5 do
  local id, frame, lobby, game, address = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]
  local player = prefix .. 'player:' .. id
  local held = redis.call('HMGET', player, 'node', 'kind')
  local node = held[1]
  local answer
  if not node then
    answer = -1
  elseif held[2] == 'relay' then
    if lobby ~= '' and (redis.call('HGET', player, 'lobby') ~= lobby or redis.call('HGET', player, 'game') ~= game) then
      answer = -2
    else
      if address ~= '' then frame = string.sub(frame, 1, -2) .. ',"address":' .. address .. '}' end
      redis.call('PUBLISH', prefix .. 'node:' .. node, 'r ' .. id .. ' ' .. frame)
      answer = -3
    end
  elseif lobby ~= '' and redis.call('HGET', prefix .. '{' .. game .. '}:memberOf', id) ~= lobby then
    answer = -2
  else
    local seq = redis.call('HINCRBY', player, 'seq', 1)
    local log = player .. ':log'
    if redis.call('RPUSH', log, frame) > keep then redis.call('LTRIM', log, -keep, -1) end
    if node == sender then
      answer = seq
    else
      if node ~= '' then redis.call('PUBLISH', prefix .. 'node:' .. node, 'f ' .. id .. ' ' .. seq .. ' ' .. frame) end
      answer = 0
    end
  end
  answers[#answers + 1] = answer
end
return answers`
  },
  // KEYS: player, log. ARGV: after. The player's logged frames numbered after \`after\`: {seq, frames},
  // or 'gap' when some of them are no longer kept, 'gone' when the player is.
  since: {
    keys: 2,
    lua: `${LOG_AFTER}
local seq = tonumber(redis.call('HGET', KEYS[1], 'seq'))
if not seq then return 'gone' end
return logAfter(KEYS[2], seq, tonumber(ARGV[1]))`
  },
  // KEYS: player, log, new node's players. ARGV: prefix, id, new node, received.
  // A resume on \`new node\`: it holds the player from now on (frames appended after this are published
  // to it); the old node, if another, is told to forget its copy. Answers {seq, frames after received},
  // or 'gap' (the node holds it all the same, to release it), or 'gone'.
  takeOver: {
    keys: 3,
    lua: `${LOG_AFTER}
local old = redis.call('HGET', KEYS[1], 'node')
local seq = tonumber(redis.call('HGET', KEYS[1], 'seq'))
if not old or not seq then return 'gone' end
redis.call('HSET', KEYS[1], 'node', ARGV[3])
redis.call('SADD', KEYS[3], ARGV[2])
if old ~= ARGV[3] and old ~= '' then
  redis.call('SREM', ARGV[1] .. 'node:' .. old .. ':players', ARGV[2])
  redis.call('PUBLISH', ARGV[1] .. 'node:' .. old, 'e ' .. ARGV[2])
end
return logAfter(KEYS[2], seq, tonumber(ARGV[4]))`
  },
  // KEYS: player, dead node's players, dead node's heartbeat. ARGV: id, dead node, '1' to claim relay peers only.
  // A survivor claims one player (or relay peer) of a dead node for release; exactly one claim wins (a
  // resume elsewhere, or another survivor's claim, changed the owner first). Answers {game, kind, lobby},
  // or false (nothing to do; a node that came back keeps its players).
  claimOrphan: {
    keys: 3,
    lua: `
if redis.call('EXISTS', KEYS[3]) == 1 then return false end
local kind = redis.call('HGET', KEYS[1], 'kind')
if ARGV[3] == '1' and kind ~= 'relay' then return false end
redis.call('SREM', KEYS[2], ARGV[1])
if redis.call('HGET', KEYS[1], 'node') ~= ARGV[2] then return false end
redis.call('HSET', KEYS[1], 'node', '')
return { redis.call('HGET', KEYS[1], 'game'), kind, redis.call('HGET', KEYS[1], 'lobby') }`
  }
};

// src/server/cluster/sequencer.ts
var GAP_MS = 250;
var Sequencer = class {
  constructor(log2, id, sink, delivered) {
    this.log = log2;
    this.id = id;
    this.sink = sink;
    this.delivered = delivered;
  }
  log;
  id;
  sink;
  delivered;
  /** Frames that arrived before their predecessors, by number (only while some wait). */
  pending;
  gapTimer;
  /** Cleared by stop(): answers still in flight for this sequencer are dropped. */
  active = true;
  /** A frame this node sends the player: numbered by Redis, then written in its place. (The player's outlet.) */
  submit(frame) {
    this.log.submit(this, frame);
  }
  place(seq2, frame) {
    if (seq2 <= this.delivered) return;
    if (seq2 !== this.delivered + 1) {
      this.pending ??= /* @__PURE__ */ new Map();
      this.pending.set(seq2, frame);
      this.gapTimer ??= setTimeout(() => this.fill(), GAP_MS);
      return;
    }
    this.delivered = seq2;
    this.sink.writeSequenced(frame);
    const pending = this.pending;
    if (!pending) return;
    for (let next2 = pending.get(seq2 + 1); next2 !== void 0; next2 = pending.get(this.delivered + 1)) {
      pending.delete(this.delivered + 1);
      this.delivered += 1;
      this.sink.writeSequenced(next2);
    }
    if (pending.size === 0) this.stop();
  }
  /** Reads what is missing from the log (also after the node's subscription was down: nothing may be pending yet). */
  async fill() {
    this.stopTimer();
    let found;
    try {
      found = await this.log.since(this.id, this.delivered);
    } catch (error) {
      return this.sink.sequenceBroken(`frames could not be read: ${String(error)}`);
    }
    if (typeof found === "string") return this.sink.sequenceBroken(found === "gap" ? "frames lost" : "player gone");
    const first = found.seq - found.frames.length + 1;
    for (const [i, frame] of found.frames.entries()) this.place(first + i, frame);
  }
  /** Drops what waits (the frames will be read from the log if needed). */
  stop() {
    this.stopTimer();
    this.pending = void 0;
  }
  stopTimer() {
    clearTimeout(this.gapTimer);
    this.gapTimer = void 0;
  }
};

// src/server/cluster/cluster.ts
var OUT_OF_LOBBY = '{"opcode":"TRANSITION","payload":""';
function senderAddress(frame) {
  const { address } = JSON.parse(frame);
  return typeof address === "string" ? address : void 0;
}
var MAX_BATCH = 256;
var decodeAppended = (answer) => answer > 0 ? answer : answer === 0 ? "elsewhere" : answer === -1 ? "gone" : answer === -2 ? "not-member" : "relay";
var Cluster = class {
  nodeId;
  prefix;
  redis;
  subscriber;
  log;
  sequencers = /* @__PURE__ */ new Map();
  host = null;
  constructor(options2) {
    this.redis = options2.redis;
    this.subscriber = options2.subscriber;
    this.nodeId = options2.nodeId;
    this.prefix = options2.prefix ?? "cl5:";
    this.log = options2.log;
    for (const [name, { keys, lua }] of Object.entries(CLUSTER_SCRIPTS)) this.redis.defineCommand(`cl5c_${name}`, { numberOfKeys: keys, lua });
  }
  key(...parts) {
    return this.prefix + parts.join(":");
  }
  get channel() {
    return this.key("node", this.nodeId);
  }
  /** Where lobby news goes to every node (one publish per visible create, not one frame per idle player). */
  get newsChannel() {
    return this.key("lobbies");
  }
  /** Where each node says what its addresses spent of their fan-out budgets (fanout-share.ts). */
  get spendsChannel() {
    return this.key("fanout");
  }
  /** Subscribes to this node's channel; messages go to `host`. */
  async start(host) {
    this.host = host;
    this.subscriber.on("message", (channel, message) => {
      if (channel === this.newsChannel) this.newsReceived(message);
      else if (channel === this.spendsChannel) this.spendsReceived(message);
      else this.received(message);
    });
    this.subscriber.on("ready", () => {
      for (const sequencer of this.sequencers.values()) void sequencer.fill();
    });
    await this.subscriber.subscribe(this.channel, this.newsChannel, this.spendsChannel);
  }
  /** Tells every node, this one included (it hears its own news back), about a lobby. Failures are logged. */
  lobbyNews(kind, news) {
    this.redis.publish(this.newsChannel, JSON.stringify([kind, news.game, news.name, news.created])).catch((error) => this.log("warn", "cluster.news_failed", { lobby: news.name, error: String(error) }));
  }
  newsReceived(message) {
    try {
      const [kind, game, name, created] = JSON.parse(message);
      this.host?.lobbyNews(kind, { game, name, created });
    } catch (error) {
      this.log("warn", "cluster.bad_news", { error: String(error) });
    }
  }
  /** Tells the other nodes what this node's addresses spent of their fan-out budgets. Failures are logged. */
  shareSpends(spends) {
    this.redis.publish(this.spendsChannel, JSON.stringify([this.nodeId, spends])).catch((error) => this.log("warn", "cluster.spends_failed", { addresses: spends.length, error: String(error) }));
  }
  spendsReceived(message) {
    try {
      const [node, spends] = JSON.parse(message);
      if (node !== this.nodeId) this.host?.spentElsewhere(spends);
    } catch (error) {
      this.log("warn", "cluster.bad_spends", { error: String(error) });
    }
  }
  run(name, ...args) {
    this.flushAppends();
    return this.call(name, ...args);
  }
  /** `args` may hold one array of them (ioredis flattens it): the append batch, without spreading it. */
  call(name, ...args) {
    const command = this.redis[`cl5c_${name}`];
    return command.call(this.redis, ...args);
  }
  playerKeys(id) {
    return [this.key("player", id), this.key("player", id, "log")];
  }
  /**
   * A player initialized (or resumed) here: this node holds it, its frames go through Redis from now
   * on. `delivered`: the number of the last frame its client has been written (a resume's replay).
   */
  adopt(player, id, delivered = player.framesSent) {
    this.forget(id);
    const sequencer = new Sequencer(this, id, player, delivered);
    this.sequencers.set(id, sequencer);
    player.outlet = sequencer;
    return sequencer;
  }
  /** Registers a new player as held by this node (before its first logged frame: the same connection keeps the order). */
  register(player, id) {
    const [playerKey] = this.playerKeys(id);
    const done = this.run(
      "register",
      playerKey,
      this.key("node", this.nodeId, "players"),
      id,
      this.nodeId,
      player.game,
      "player",
      player.framesSent,
      ""
    );
    this.adopt(player, id);
    return done.then(() => void 0);
  }
  /** A relay peer running here is reachable by its instance id from every node. */
  async registerRelay(id, game, lobby) {
    await this.run("register", this.key("player", id), this.key("node", this.nodeId, "players"), id, this.nodeId, game, "relay", 0, lobby);
  }
  /** The player (or relay) is gone for good: its record and log are deleted (`player`: its frames go to its socket again). */
  async unregister(id, player) {
    this.forget(id);
    if (player) player.outlet = null;
    const [playerKey, logKey] = this.playerKeys(id);
    await this.run("unregister", playerKey, logKey, this.key("node", this.nodeId, "players"), id);
  }
  /** Stops sequencing for a player this node no longer holds (resumed elsewhere, released). */
  forget(id) {
    const sequencer = this.sequencers.get(id);
    if (!sequencer) return;
    sequencer.active = false;
    sequencer.stop();
    this.sequencers.delete(id);
  }
  /** A frame for a player this node holds (its sequencer's submit): numbered, then written in its place. */
  submit(sequencer, frame) {
    this.enqueue({ id: sequencer.id, frame, lobby: "", game: "", address: "", sequencer, settle: null });
  }
  /**
   * Appends a frame to a player's sequence and log; published to the node holding it. The frames of one
   * turn of the event loop go in one script run (flushAppends), in the order they were appended.
   */
  append(id, frame, check) {
    return new Promise((resolve, reject) => {
      const address = check?.address === void 0 ? "" : JSON.stringify(check.address);
      this.enqueue({ id, frame, lobby: check?.lobby ?? "", game: check?.game ?? "", address, sequencer: null, settle: { resolve, reject } });
    });
  }
  /** Sends a frame to a player or relay peer held by another node (or this one). Failures are logged, not thrown. */
  send(id, frame) {
    this.enqueue({ id, frame, lobby: "", game: "", address: "", sequencer: null, settle: null });
  }
  appends = [];
  enqueue(pending) {
    if (this.appends.push(pending) === 1) process.nextTick(this.flushAppends);
  }
  /** Sends the appends waiting for this turn; every other script call sends them first, so Redis sees calls in program order. */
  flushAppends = () => {
    while (this.appends.length > 0) {
      const batch = this.appends.length > MAX_BATCH ? this.appends.splice(0, MAX_BATCH) : this.appends;
      if (batch === this.appends) this.appends = [];
      const args = [this.prefix, this.nodeId, LOG_FRAMES];
      for (const pending of batch) args.push(pending.id, pending.frame, pending.lobby, pending.game, pending.address);
      this.call("append", args).then(
        (answers) => {
          for (let i = 0; i < batch.length; i += 1) this.appended(batch[i], decodeAppended(answers[i]));
        },
        (error) => {
          for (const pending of batch) this.appendFailed(pending, error);
        }
      );
    }
  };
  appended(pending, answer) {
    const { sequencer, settle } = pending;
    if (sequencer) {
      if (!sequencer.active) return;
      if (typeof answer === "number") sequencer.place(answer, pending.frame);
      else if (answer === "gone") sequencer.sink.sequenceBroken("its record is gone from the shared store");
      return;
    }
    if (typeof answer === "number") this.sequencers.get(pending.id)?.place(answer, pending.frame);
    settle?.resolve(answer);
  }
  appendFailed(pending, error) {
    const { sequencer, settle } = pending;
    if (settle) settle.reject(error);
    else if (sequencer) {
      if (sequencer.active) sequencer.sink.sequenceBroken(`shared store unreachable (${error instanceof Error ? error.message : String(error)})`);
    } else this.log("warn", "cluster.send_failed", { to: pending.id, error: String(error) });
  }
  /** The logged frames of a player after number `after`. */
  async since(id, after) {
    return decodeSince(await this.run("since", ...this.playerKeys(id), after));
  }
  /**
   * A resume here: this node holds the player from now on (also on 'gap': it then releases it). The
   * frames after `received` that its client missed, or why not.
   */
  async takeOver(id, received) {
    const [playerKey, logKey] = this.playerKeys(id);
    return decodeSince(await this.run("takeOver", playerKey, logKey, this.key("node", this.nodeId, "players"), this.prefix, id, this.nodeId, received));
  }
  /**
   * After a resume's replay (frames up to `seq` written): frames numbered later come through `player`'s
   * sequence; any that arrived while the replay was being read are fetched from the log.
   */
  resumed(player, id, seq2) {
    void this.adopt(player, id, seq2).fill();
  }
  /** A dead node's player (or relay peer), claimed for release by this node (exactly one survivor wins); null if not. */
  async claimOrphan(id, node, relaysOnly) {
    const claimed = await this.run(
      "claimOrphan",
      this.key("player", id),
      this.key("node", node, "players"),
      this.key("node", node, "alive"),
      id,
      node,
      relaysOnly ? "1" : "0"
    );
    return claimed && { id, game: claimed[0], kind: claimed[1] === "relay" ? "relay" : "player", lobby: claimed[2] };
  }
  received(message) {
    const kind = message[0];
    const idEnd = message.indexOf(" ", 2);
    if (kind === "e") return void this.host?.evict(message.slice(2));
    if (idEnd < 0) return;
    const id = message.slice(2, idEnd);
    if (kind === "r") return void this.host?.toRelay(id, message.slice(idEnd + 1));
    if (kind !== "f") return;
    const seqEnd = message.indexOf(" ", idEnd + 1);
    const frame = message.slice(seqEnd + 1);
    if (frame.startsWith(OUT_OF_LOBBY)) this.host?.leftLobby(id);
    this.sequencers.get(id)?.place(Number(message.slice(idEnd + 1, seqEnd)), frame);
  }
  /** Stops listening (the caller quits the connections). */
  async stop() {
    for (const id of [...this.sequencers.keys()]) this.forget(id);
    await this.subscriber.unsubscribe(this.channel, this.newsChannel, this.spendsChannel).catch(() => {
    });
  }
};
function decodeSince(answer) {
  if (answer === "gap" || answer === "gone") return answer;
  const [seq2, frames] = answer;
  return { seq: Number(seq2), frames };
}

// src/server/cluster/connect.ts
async function connectCluster(options2) {
  const { url, log: log2 } = options2;
  const { Redis } = await import("ioredis");
  const made = [];
  const open = (name, extra) => {
    const redis2 = new Redis(url, { lazyConnect: true, connectionName: `cl5-${name}-${options2.nodeId}`, ...extra });
    let down = false;
    redis2.on("error", (error) => {
      if (!down) log2("warn", "redis.error", { connection: name, error: error.message });
      down = true;
    });
    redis2.on("ready", () => {
      if (down) log2("info", "redis.reconnected", { connection: name });
      down = false;
    });
    made.push(redis2);
    return redis2;
  };
  const redis = open("commands", { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  const subscriber = open("subscriber", {});
  const close = async () => {
    await Promise.all(made.map((each) => each.quit().catch(() => each.disconnect())));
  };
  const timeoutMs = options2.timeoutMs ?? 1e4;
  let timer;
  try {
    await Promise.race([
      Promise.all(made.map((each) => each.connect())),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1e3} s`)), timeoutMs);
      })
    ]);
  } catch (error) {
    for (const each of made) each.disconnect();
    throw new Error(`cannot reach redis at ${redacted(url)}: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    clearTimeout(timer);
  }
  const prefix = options2.prefix ?? "cl5:";
  const store = new RedisStore(redis, prefix);
  try {
    await store.reindex();
  } catch (error) {
    await close();
    throw new Error(`cannot index the lobbies in redis at ${redacted(url)}: ${error instanceof Error ? error.message : String(error)}`);
  }
  return {
    store,
    cluster: new Cluster({ redis, subscriber, nodeId: options2.nodeId, prefix, log: log2 }),
    close
  };
}
var redacted = (url) => url.replace(/\/\/([^:@/]*):[^@/]*@/, "//$1:***@");

// src/server/metrics.ts
import { randomBytes as randomBytes3 } from "node:crypto";
import { hostname } from "node:os";
import { Counter, collectDefaultMetrics, Gauge, Registry } from "prom-client";
var REJECT_REASONS = ["rate_limited", "invalid", "busy", "violation"];
var defaultNodeId = () => `${hostname()}-${process.pid}-${randomBytes3(3).toString("hex")}`;
var processRegistry;
function processMetrics() {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}
function serverMetrics(nodeId2, sources) {
  const own = new Registry();
  const tally = {
    signals: 0,
    rejected: { rate_limited: 0, invalid: 0, busy: 0, violation: 0 },
    resumes: 0,
    resumesRefused: 0,
    connectionsRefused: 0
  };
  const level = (name, help, read) => new Gauge({
    name,
    help,
    registers: [own],
    collect() {
      this.set(read());
    }
  });
  level("cl5_connections", "Open WebSocket connections (initialized or not).", sources.connections);
  level("cl5_players", "Initialized players connected to this node.", sources.players);
  level("cl5_players_held", "Players whose connection dropped, their seat held for RESUME.", sources.held);
  level("cl5_relay_peers", "Relay peers running on this node.", sources.relayPeers);
  level("cl5_relay_links", "WebRTC links between this node's relay peers and lobby members.", sources.relayLinks);
  level("cl5_relay_negotiations", "Links this node's relay peers are setting up (each holds a slot of --relay-negotiations).", sources.relayNegotiations);
  new Gauge({
    name: "cl5_lobbies",
    help: "Lobbies in the store (with a shared store, the total across nodes). NaN when the store does not answer.",
    registers: [own],
    async collect() {
      this.set(await sources.lobbies().catch(() => Number.NaN));
    }
  });
  const counter = (name, help, read) => {
    let reported = 0;
    return new Counter({
      name,
      help,
      registers: [own],
      collect() {
        const now = read();
        this.inc(now - reported);
        reported = now;
      }
    });
  };
  counter("cl5_signals_relayed_total", "WebRTC signals (MAKE_OFFER, MAKE_ANSWER, ICE) relayed to a peer or relay peer.", () => tally.signals);
  counter("cl5_resumes_total", "Seats taken back with RESUME.", () => tally.resumes);
  counter("cl5_resumes_refused_total", "RESUMEs refused (unknown, used or expired token, or too much missed).", () => tally.resumesRefused);
  counter(
    "cl5_connections_refused_total",
    "New connections refused: the caps (total, per address) or the rate of new connections per address.",
    () => tally.connectionsRefused
  );
  let rejectedReported = { ...tally.rejected };
  new Counter({
    name: "cl5_rejected_packets_total",
    help: "Packets refused at the edge, by reason: rate_limited, invalid (failed validation, binary), busy (backlog full), violation (connection closed: too big or rate limit exceeded repeatedly).",
    labelNames: ["reason"],
    registers: [own],
    collect() {
      for (const reason of REJECT_REASONS) this.inc({ reason }, tally.rejected[reason] - rejectedReported[reason]);
      rejectedReported = { ...tally.rejected };
    }
  });
  const registry = Registry.merge([own, processMetrics()]);
  registry.setDefaultLabels({ node: nodeId2 });
  return { registry, tally, nodeId: nodeId2 };
}

// src/server/server.ts
import { existsSync } from "node:fs";
import { createServer } from "node:http";
import path2 from "node:path";
import { fileURLToPath } from "node:url";
import { WebSocket, WebSocketServer } from "ws";

// src/server/client-address.ts
function clientAddress(req, trustProxy) {
  const socketAddress = req.socket.remoteAddress ?? "";
  if (!trustProxy) return socketAddress;
  const header = req.headers["x-forwarded-for"];
  const forwarded = (Array.isArray(header) ? header.join(",") : header ?? "").split(",");
  const last = forwarded[forwarded.length - 1].trim();
  return last === "" ? socketAddress : last;
}

// src/server/deadline.ts
var STORE_DEADLINE_MS = 2e3;
async function withinDeadline(work, ms = STORE_DEADLINE_MS) {
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
async function fromStore(work) {
  try {
    return { value: await withinDeadline(work) };
  } catch (error) {
    return { unreachable: `store unreachable: ${error instanceof Error ? error.message : String(error)}` };
  }
}

// src/protocol/json-scan.ts
var PLAIN = new Uint8Array(256).fill(1, 32);
PLAIN[34] = 0;
PLAIN[92] = 0;
var ESCAPED = new Uint8Array(256);
for (const c of '"\\/bfnrt') ESCAPED[c.charCodeAt(0)] = 1;
var HEX = new Uint8Array(256);
for (const c of "0123456789abcdefABCDEF") HEX[c.charCodeAt(0)] = 1;
var QUOTE = 34;
var BACKSLASH = 92;
var COMMA = 44;
var COLON = 58;
var MINUS = 45;
var PLUS = 43;
var DOT = 46;
var ZERO = 48;
var OPEN_OBJECT = 123;
var CLOSE_OBJECT = 125;
var OPEN_ARRAY = 91;
var CLOSE_ARRAY = 93;
var TRUE = [116, 114, 117, 101];
var FALSE = [102, 97, 108, 115, 101];
var NULL = [110, 117, 108, 108];
var isDigit = (c) => c >= ZERO && c <= 57;
function skipSpace(bytes, at, end) {
  while (at < end) {
    const c = bytes[at];
    if (c !== 32 && c !== 10 && c !== 13 && c !== 9) break;
    at += 1;
  }
  return at;
}
var WORDWISE_FROM = 64;
var ONES = 16843009;
var HIGHS = 2155905152;
function skipPlainWords(bytes, at, end) {
  const aligned = at + (4 - (bytes.byteOffset + at & 3) & 3);
  const count2 = end - aligned >>> 2;
  if (count2 < 4) return at;
  while (at < aligned && PLAIN[bytes[at]] === 1) at += 1;
  if (at < aligned) return at;
  const words = new Int32Array(bytes.buffer, bytes.byteOffset + aligned, count2);
  let i = 0;
  for (; i < count2; i += 1) {
    const w = words[i];
    const quote = w ^ 572662306;
    const backslash = w ^ 1549556828;
    if ((w - 538976288 & ~w | quote - ONES & ~quote | backslash - ONES & ~backslash) & HIGHS) break;
  }
  return aligned + 4 * i;
}
function skipPlainQuads(bytes, at, end) {
  while (at + 4 <= end && (PLAIN[bytes[at]] & PLAIN[bytes[at + 1]] & PLAIN[bytes[at + 2]] & PLAIN[bytes[at + 3]]) === 1) at += 4;
  return at;
}
function skipStringBody(bytes, at, end) {
  for (; ; ) {
    const first = Math.min(end, at + WORDWISE_FROM);
    at = skipPlainQuads(bytes, at, first);
    if (at + 4 > first && end - at >= WORDWISE_FROM) at = skipPlainWords(bytes, at, end);
    at = skipPlainQuads(bytes, at, end);
    while (at < end && PLAIN[bytes[at]] === 1) at += 1;
    if (at >= end) return -1;
    const c = bytes[at];
    if (c === QUOTE) return at + 1;
    if (c !== BACKSLASH || at + 1 >= end) return -1;
    const escaped = bytes[at + 1];
    if (ESCAPED[escaped] === 1) at += 2;
    else if (escaped === 117 && at + 5 < end && HEX[bytes[at + 2]] & HEX[bytes[at + 3]] & HEX[bytes[at + 4]] & HEX[bytes[at + 5]]) at += 6;
    else return -1;
  }
}
function skipNumber(bytes, at, end) {
  if (bytes[at] === MINUS) at += 1;
  if (at >= end) return -1;
  if (bytes[at] === ZERO) at += 1;
  else if (isDigit(bytes[at])) at = skipDigits(bytes, at + 1, end);
  else return -1;
  if (at < end && bytes[at] === DOT) {
    if (at + 1 >= end || !isDigit(bytes[at + 1])) return -1;
    at = skipDigits(bytes, at + 2, end);
  }
  if (at < end && (bytes[at] === 101 || bytes[at] === 69)) {
    at += 1;
    if (at < end && (bytes[at] === PLUS || bytes[at] === MINUS)) at += 1;
    if (at >= end || !isDigit(bytes[at])) return -1;
    at = skipDigits(bytes, at + 1, end);
  }
  return at;
}
function skipDigits(bytes, at, end) {
  while (at < end && isDigit(bytes[at])) at += 1;
  return at;
}
function skipWord(bytes, at, end, word) {
  if (at + word.length > end) return -1;
  for (let i = 0; i < word.length; i += 1) if (bytes[at + i] !== word[i]) return -1;
  return at + word.length;
}
function skipJsonValue(bytes, at, end, depth) {
  if (at >= end) return -1;
  const c = bytes[at];
  if (c === QUOTE) return skipStringBody(bytes, at + 1, end);
  if (c === OPEN_OBJECT) return depth > 0 ? skipObjectBody(bytes, at + 1, end, depth - 1) : -1;
  if (c === OPEN_ARRAY) return depth > 0 ? skipArrayBody(bytes, at + 1, end, depth - 1) : -1;
  if (c === TRUE[0]) return skipWord(bytes, at, end, TRUE);
  if (c === FALSE[0]) return skipWord(bytes, at, end, FALSE);
  if (c === NULL[0]) return skipWord(bytes, at, end, NULL);
  return skipNumber(bytes, at, end);
}
function skipObjectBody(bytes, at, end, depth) {
  at = skipSpace(bytes, at, end);
  if (at < end && bytes[at] === CLOSE_OBJECT) return at + 1;
  for (; ; ) {
    if (at >= end || bytes[at] !== QUOTE) return -1;
    at = skipStringBody(bytes, at + 1, end);
    if (at < 0) return -1;
    at = skipSpace(bytes, at, end);
    if (at >= end || bytes[at] !== COLON) return -1;
    at = skipJsonValue(bytes, skipSpace(bytes, at + 1, end), end, depth);
    if (at < 0) return -1;
    at = skipSpace(bytes, at, end);
    if (at >= end) return -1;
    if (bytes[at] === CLOSE_OBJECT) return at + 1;
    if (bytes[at] !== COMMA) return -1;
    at = skipSpace(bytes, at + 1, end);
  }
}
function skipArrayBody(bytes, at, end, depth) {
  at = skipSpace(bytes, at, end);
  if (at < end && bytes[at] === CLOSE_ARRAY) return at + 1;
  for (; ; ) {
    at = skipJsonValue(bytes, at, end, depth);
    if (at < 0) return -1;
    at = skipSpace(bytes, at, end);
    if (at >= end) return -1;
    if (bytes[at] === CLOSE_ARRAY) return at + 1;
    if (bytes[at] !== COMMA) return -1;
    at = skipSpace(bytes, at + 1, end);
  }
}

// src/protocol/signal-frame.ts
var ascii = (text) => Uint8Array.from(text, (c) => c.charCodeAt(0));
var OPCODE = ascii("opcode");
var RECIPIENT = ascii("recipient");
var PAYLOAD = ascii("payload");
var TYPE = ascii("type");
var CONTENTS = ascii("contents");
var OPCODES = ["ICE", "MAKE_OFFER", "MAKE_ANSWER"].map((name) => [ascii(name), name]);
var QUOTE2 = 34;
var COMMA2 = 44;
var COLON2 = 58;
function stringIs(bytes, at, word) {
  for (let i = 0; i < word.length; i += 1) if (bytes[at + i] !== word[i]) return false;
  return bytes[at + word.length] === QUOTE2;
}
function readSignalFrame(bytes) {
  const end = bytes.length;
  if (end > MAX_FRAME_BYTES) return void 0;
  let at = skipSpace(bytes, 0, end);
  if (bytes[at] !== OPEN_OBJECT) return void 0;
  let opcode;
  let recipientStart = -1;
  let recipientEnd = -1;
  let payload = false;
  for (; ; ) {
    at = skipSpace(bytes, at + 1, end);
    if (bytes[at] !== QUOTE2) return void 0;
    const key = at + 1;
    const field = opcode === void 0 && stringIs(bytes, key, OPCODE) ? OPCODE : recipientStart < 0 && stringIs(bytes, key, RECIPIENT) ? RECIPIENT : !payload && stringIs(bytes, key, PAYLOAD) ? PAYLOAD : void 0;
    if (field === void 0) return void 0;
    at = skipSpace(bytes, key + field.length + 1, end);
    if (bytes[at] !== COLON2) return void 0;
    at = skipSpace(bytes, at + 1, end);
    if (bytes[at] !== QUOTE2 && field !== PAYLOAD) return void 0;
    if (field === OPCODE) {
      opcode = relayedOpcode(bytes, at + 1);
      if (opcode === void 0) return void 0;
      at += opcode.length + 2;
    } else if (field === RECIPIENT) {
      recipientStart = at + 1;
      recipientEnd = printableAscii(bytes, recipientStart, end);
      if (recipientEnd < 0) return void 0;
      at = recipientEnd + 1;
    } else {
      at = skipSignalPayload(bytes, at, end);
      if (at < 0) return void 0;
      payload = true;
    }
    at = skipSpace(bytes, at, end);
    if (bytes[at] === COMMA2) continue;
    if (bytes[at] !== CLOSE_OBJECT || skipSpace(bytes, at + 1, end) !== end) return void 0;
    if (opcode === void 0 || recipientStart < 0 || !payload) return void 0;
    return { opcode, recipientStart, recipientEnd };
  }
}
function relayedOpcode(bytes, at) {
  for (const [word, opcode] of OPCODES) if (stringIs(bytes, at, word)) return opcode;
  return void 0;
}
function printableAscii(bytes, at, end) {
  const limit = Math.min(end, at + INSTANCE_ID_MAX + 1);
  for (let i = at; i < limit; i += 1) {
    const c = bytes[i];
    if (c === QUOTE2) return i > at ? i : -1;
    if (c < 32 || c > 126 || c === 92) return -1;
  }
  return -1;
}
function skipSignalPayload(bytes, at, end) {
  if (bytes[at] !== OPEN_OBJECT) return -1;
  let type = false;
  let contents = false;
  for (; ; ) {
    at = skipSpace(bytes, at + 1, end);
    if (bytes[at] !== QUOTE2) return -1;
    const key = at + 1;
    const field = !type && stringIs(bytes, key, TYPE) ? TYPE : !contents && stringIs(bytes, key, CONTENTS) ? CONTENTS : void 0;
    if (field === void 0) return -1;
    at = skipSpace(bytes, key + field.length + 1, end);
    if (bytes[at] !== COLON2) return -1;
    at = skipSpace(bytes, at + 1, end);
    if (field === TYPE) {
      if (bytes[at] !== 48 && bytes[at] !== 49) return -1;
      at += 1;
      type = true;
    } else {
      at = skipJsonValue(bytes, at, end, MAX_JSON_DEPTH);
      if (at < 0) return -1;
      contents = true;
    }
    at = skipSpace(bytes, at, end);
    if (bytes[at] === COMMA2) continue;
    return bytes[at] === CLOSE_OBJECT && type && contents ? at + 1 : -1;
  }
}

// src/server/handlers/identity.ts
import { randomUUID as randomUUID2 } from "node:crypto";

// src/server/turn.ts
import { createHmac } from "node:crypto";
var DEFAULT_TURN_TTL_SECONDS = 24 * 60 * 60;
function turnCredentials(turn2, instanceId2, nowMs = Date.now()) {
  const expires = Math.floor(nowMs / 1e3) + (turn2.ttlSeconds ?? DEFAULT_TURN_TTL_SECONDS);
  const username2 = `${expires}:${instanceId2}`;
  return { urls: turn2.urls, username: username2, credential: createHmac("sha1", turn2.secret).update(username2).digest("base64") };
}
function checkTurnOptions(turn2) {
  if (turn2.urls.length === 0) throw new Error("TURN: at least one turn: or turns: URL is needed");
  for (const url of turn2.urls) if (!/^turns?:[^\s]+$/.test(url)) throw new Error(`TURN: not a turn: or turns: URL: ${JSON.stringify(url)}`);
  if (!turn2.secret) throw new Error("TURN: the shared secret is empty");
  const ttl = turn2.ttlSeconds;
  if (ttl !== void 0 && !(Number.isInteger(ttl) && ttl > 0))
    throw new Error(`TURN: the credential lifetime must be a whole number of seconds above 0, not ${ttl}`);
}

// src/server/guest-names.ts
import { randomInt } from "node:crypto";
var TRIES_PER_WIDTH = 4;
async function addGuest(store, game, user2) {
  for (let width = 4; ; width += 1) {
    for (let attempt = 0; attempt < TRIES_PER_WIDTH; attempt += 1) {
      const username2 = `Guest ${randomInt(10 ** (width - 1), 10 ** width)}`;
      if (await store.addPlayer(game, { ...user2, username: username2 }) === "ok") return username2;
    }
  }
}

// src/server/token-verifier.ts
import path from "node:path";
import { pathToFileURL } from "node:url";
var VERIFIER_TIMEOUT_MS = 5e3;
var userId = string({ min: 1, max: INSTANCE_ID_MAX });
function checkAccount(answer) {
  if (answer === null || answer === void 0 || answer === false) return null;
  if (typeof answer !== "object" || Array.isArray(answer)) throw new Error("token verifier must answer null or {user_id, username}");
  const { user_id, username: username2 } = answer;
  try {
    const account = { user_id: userId(user_id, "user_id") };
    if (username2 !== void 0 && username2 !== null) account.username = username(username2, "username");
    return account;
  } catch (error) {
    if (error instanceof ProtocolError) throw new Error(`token verifier answered a bad account: ${error.message}`);
    throw error;
  }
}
function httpTokenVerifier(url, timeoutMs = VERIFIER_TIMEOUT_MS) {
  return async (token, username2, kind) => {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ token, kind, ...username2 === void 0 ? {} : { username: username2 } }),
      signal: AbortSignal.timeout(timeoutMs)
    });
    if ([401, 403, 404].includes(response.status)) return null;
    if (response.status !== 200) throw new Error(`token verifier ${url} answered HTTP ${response.status}`);
    return checkAccount(await response.json());
  };
}
async function moduleTokenVerifier(file) {
  const loaded = await import(pathToFileURL(path.resolve(file)).href);
  const verify2 = typeof loaded.default === "function" ? loaded.default : loaded.verifyToken;
  if (typeof verify2 !== "function") throw new Error(`token verifier module ${file} must export a function (default export or verifyToken)`);
  return async (token, username2, kind) => checkAccount(await verify2(token, username2, kind));
}
function loadTokenVerifier(spec) {
  return /^https?:\/\//i.test(spec) ? Promise.resolve(httpTokenVerifier(spec)) : moduleTokenVerifier(spec);
}

// src/server/context.ts
var lobbyKey = (game, name) => `${game}\0${name}`;

// src/server/membership.ts
function sendTo(ctx, instanceId2, opcode, payload) {
  const player = ctx.players.get(instanceId2);
  if (player) player.send(opcode, payload);
  else ctx.cluster?.send(instanceId2, encodePacket({ opcode, payload }));
}
async function leaveLobby(ctx, player, why) {
  const departure = await ctx.store.leave(player.game, player.id);
  if (departure) departed(ctx, departure, why);
  return departure;
}
async function releaseRecord(ctx, game, id, why) {
  try {
    const departure = await ctx.store.leave(game, id);
    if (departure) departed(ctx, departure, why);
    await ctx.store.removePlayer(game, id);
    await ctx.cluster?.unregister(id);
    ctx.log("info", "player.disconnect", { game, player: id, why });
  } catch (error) {
    ctx.log("error", "player.release_failed", { player: id, error: String(error) });
  }
}
function departed(ctx, { left, lobby, newHost, closed: closed2 }, why) {
  const leaver = ctx.players.get(left.instance_id);
  if (leaver?.lobby === lobby.name) leaver.lobby = null;
  ctx.log("info", "lobby.leave", { game: lobby.game, lobby: lobby.name, player: left.instance_id, why });
  const relay = ctx.relays.get(lobbyKey(lobby.game, lobby.name));
  if (relay?.user) guarded(ctx, "relay.member_left_failed", () => ctx.relay?.memberLeft?.(relay, left.instance_id));
  else if (lobby.relay && !closed2) sendTo(ctx, lobby.relay.instance_id, "PEER_LEFT", left.instance_id);
  if (closed2) {
    deleted(ctx, lobby);
    return;
  }
  if (newHost) {
    sendTo(ctx, newHost.instance_id, "TRANSITION", "host");
    for (const member of lobby.members) sendTo(ctx, member.instance_id, "NEW_HOST", newHost);
    ctx.log("info", "lobby.migrate", { game: lobby.game, lobby: lobby.name, host: newHost.instance_id });
  }
  for (const member of lobby.members) sendTo(ctx, member.instance_id, "PEER_LEFT", left.instance_id);
}
function closed(ctx, lobby) {
  for (const member of lobby.members) {
    const player = ctx.players.get(member.instance_id);
    if (player) player.lobby = null;
    sendTo(ctx, member.instance_id, "LOBBY_CLOSED", lobby.name);
    sendTo(ctx, member.instance_id, "TRANSITION", "");
  }
  deleted(ctx, lobby);
}
function deleted(ctx, lobby) {
  if (!lobby.settings.hidden) unannounce(ctx, lobby);
  const key = lobbyKey(lobby.game, lobby.name);
  const relay = ctx.relays.get(key);
  ctx.relays.delete(key);
  if (relay?.user) {
    guarded(ctx, "relay.destroy_failed", () => ctx.relay?.destroy(relay));
    ctx.cluster?.unregister(relay.user.instance_id).catch(() => {
    });
  } else if (lobby.relay) sendTo(ctx, lobby.relay.instance_id, "LOBBY_CLOSED", lobby.name);
  ctx.log("info", "lobby.delete", { game: lobby.game, lobby: lobby.name });
}
var newsOf = (lobby) => ({ game: lobby.game, name: lobby.name, created: lobby.created ?? 0 });
function announce(ctx, lobby) {
  if (ctx.cluster) ctx.cluster.lobbyNews("announce", newsOf(lobby));
  else ctx.announcer.add(newsOf(lobby));
}
function unannounce(ctx, lobby) {
  if (ctx.cluster) ctx.cluster.lobbyNews("retract", newsOf(lobby));
  else ctx.announcer.retract(newsOf(lobby));
}
function guarded(ctx, event, run) {
  try {
    run();
  } catch (error) {
    ctx.log("error", event, { error: String(error) });
  }
}

// src/server/handlers/request.ts
var SignalRequest = class {
  constructor(ctx, player, opcode, recipient2, bytes) {
    this.ctx = ctx;
    this.player = player;
    this.opcode = opcode;
    this.recipient = recipient2;
    this.bytes = bytes;
  }
  ctx;
  player;
  opcode;
  recipient;
  bytes;
  decoded;
  get payload() {
    this.decoded ??= decodeClientPacket(this.bytes.toString("utf8")).payload;
    return this.decoded;
  }
};
var replyFields = (request) => request.listener === void 0 ? {} : { listener: request.listener };
function reply(request, opcode, payload) {
  request.player.send(opcode, payload, replyFields(request));
}
function warn(request, text) {
  reply(request, "WARNING", text);
}

// src/server/handlers/identity.ts
var init = async (request) => {
  const { ctx, player, payload } = request;
  if (player.user || player.initializing) return warn(request, Warning.alreadyInitialized);
  const kind = payload.token !== void 0 ? "token" : "credential";
  const secret = payload.token ?? payload.credential;
  if (payload.username === void 0 && secret === void 0) return warn(request, Warning.initNeedsIdentity);
  const instanceId2 = randomUUID2();
  let account = null;
  if (ctx.tokenVerifier && secret !== void 0) {
    player.initializing = true;
    account = await verify(request, ctx.tokenVerifier, secret, kind);
    player.initializing = false;
    if (!account) return warn(request, Warning.invalidToken);
  }
  if (!player.open) return;
  const wanted = account?.username ?? payload.username;
  const base2 = { instance_id: instanceId2, user_id: account?.user_id ?? instanceId2, ...payload.pubkey ? { pubkey: payload.pubkey } : {} };
  const registered = ctx.cluster?.register(player, instanceId2);
  const forget = () => ctx.cluster?.unregister(instanceId2, player);
  const claimed = wanted === void 0 ? addGuest(ctx.store, player.game, base2) : ctx.store.addPlayer(player.game, { ...base2, username: wanted }).then((added) => added === "ok" ? wanted : null);
  const [registering, claiming] = await Promise.allSettled([registered, claimed]);
  if (registering.status === "rejected" || claiming.status === "rejected") {
    await forget()?.catch(() => {
    });
    if (claiming.status === "fulfilled" && claiming.value !== null) await ctx.store.removePlayer(player.game, instanceId2).catch(() => {
    });
    throw registering.status === "rejected" ? registering.reason : claiming.reason;
  }
  const username2 = claiming.value;
  if (username2 === null || !player.open) {
    await forget();
    if (username2 === null) return warn(request, Warning.usernameTaken);
    return void await ctx.store.removePlayer(player.game, instanceId2);
  }
  const user2 = { ...base2, username: username2 };
  player.user = user2;
  ctx.players.set(instanceId2, player);
  const token = await ctx.seats.issue(player);
  ctx.log("info", "player.init", { game: player.game, player: instanceId2, username: username2, e2ee: !!payload.pubkey, guest: wanted === void 0 });
  reply(
    request,
    "INIT_OK",
    withToken(
      {
        instance_id: instanceId2,
        user_id: user2.user_id,
        username: username2,
        ...ctx.turn ? { ice_servers: [turnCredentials(ctx.turn, instanceId2)] } : {}
      },
      token
    )
  );
  if (!ctx.tokenVerifier && secret !== void 0 && payload.username === void 0) player.send("WARNING", Warning.tokenNotChecked);
};
function verify(request, verifier2, secret, kind) {
  return Promise.resolve().then(() => verifier2(secret, request.payload.username, kind)).then(checkAccount).catch((error) => {
    request.ctx.log("warn", "token.verify_failed", { error: String(error) });
    return null;
  });
}
var resume = async (request) => {
  const { ctx, player, payload } = request;
  if (player.user || player.initializing) return warn(request, Warning.alreadyInitialized);
  if (ctx.cluster) return resumeInCluster(request, ctx.cluster);
  const claimed = await ctx.seats.claim(payload.token, player.game);
  const held2 = claimed?.player;
  if (!player.open) return void (held2 && ctx.seats.release(held2, "the resuming connection closed"));
  const missed = held2?.missedAfter(payload.received);
  if (!held2?.user || !missed) {
    ctx.tally.resumesRefused += 1;
    ctx.log("info", "player.resume_refused", { game: player.game, address: player.address, gap: !!held2 });
    if (held2) ctx.seats.release(held2, "missed more than the server keeps while away");
    return warn(request, Warning.sessionExpired);
  }
  const { instance_id, user_id, username: username2 } = held2.user;
  const ok = withToken({ instance_id, user_id, username: username2 }, claimed.token);
  ctx.adopt(player, held2, encodePacket({ opcode: "RESUME_OK", payload: ok, ...replyFields(request) }), missed);
  ctx.tally.resumes += 1;
  ctx.log("info", "player.resume", { game: held2.game, player: instance_id, missed: missed.length });
};
async function resumeInCluster(request, cluster) {
  const { ctx, player, payload } = request;
  const refuse2 = () => {
    ctx.tally.resumesRefused += 1;
    ctx.log("info", "player.resume_refused", { game: player.game, address: player.address });
    warn(request, Warning.sessionExpired);
  };
  const resumed = await ctx.store.resumeSeat(player.game, payload.token);
  if (!resumed) return refuse2();
  const id = resumed.user.instance_id;
  const lobby = (await ctx.store.lobbyOf(player.game, id))?.name ?? null;
  const found = await cluster.takeOver(id, payload.received);
  const local = ctx.players.get(id);
  if (local) ctx.seats.forget(local);
  const release = (why) => local ? ctx.seats.release(local, why) : releaseRecord(ctx, player.game, id, why);
  if (!player.open) return void release("the resuming connection closed");
  if (found === "gone") {
    release("its record is gone");
    return refuse2();
  }
  if (found === "gap") {
    release("missed more than the server keeps while away");
    return refuse2();
  }
  const { instance_id, user_id, username: username2 } = resumed.user;
  const opening = encodePacket({ opcode: "RESUME_OK", payload: withToken({ instance_id, user_id, username: username2 }, resumed.token), ...replyFields(request) });
  let held2 = local;
  if (held2) ctx.adopt(player, held2, opening, found.frames);
  else {
    held2 = player;
    player.user = resumed.user;
    player.lobby = lobby;
    ctx.players.set(id, player);
    player.attach(player.socket, player.address, opening, found.frames);
  }
  cluster.resumed(held2, id, found.seq);
  ctx.tally.resumes += 1;
  ctx.log("info", "player.resume", { game: player.game, player: id, missed: found.frames.length, from: local ? "this node" : "another node" });
}
var withToken = (session2, token) => token === void 0 ? session2 : { ...session2, resume_token: token };
var keepalive = (request) => reply(request, "KEEPALIVE_ACK", void 0);

// src/server/handlers/relay.ts
var NoRelay = class extends Error {
  constructor(message, lobbyOpen = true) {
    super(message);
    this.lobbyOpen = lobbyOpen;
  }
  lobbyOpen;
};
async function relayOf(ctx, game, name, lobbyWide) {
  if (!ctx.relay) throw new NoRelay(Warning.relayUnavailable);
  const key = lobbyKey(game, name);
  let relay = ctx.relays.get(key);
  if (relay?.user) return relay.user;
  if (!relay && ctx.cluster) {
    const elsewhere = await relayElsewhere(ctx, game, name);
    if (elsewhere) return elsewhere;
    relay = ctx.relays.get(key);
    if (relay?.user) return relay.user;
  }
  if (!relay) {
    const remoteMembers = /* @__PURE__ */ new Set();
    relay = {
      game,
      name,
      lobbyWide: false,
      isMember: (id) => memberOf(ctx, id, game, name) !== void 0 || remoteMembers.has(id),
      remoteMembers,
      user: null,
      starting: null
    };
    ctx.relays.set(key, relay);
  }
  const starting = relay;
  starting.starting ??= startRelay(ctx, starting, lobbyWide).finally(() => {
    starting.starting = null;
  });
  return starting.starting;
}
var RELAY_ELSEWHERE_MS = 1e4;
async function relayElsewhere(ctx, game, name) {
  const cluster = ctx.cluster;
  const recorded = async () => {
    const relay = (await ctx.store.find(game, name))?.relay ?? null;
    return relay && await cluster.redis.exists(cluster.key("player", relay.instance_id)) ? relay : null;
  };
  const known = await recorded();
  if (known) return known;
  const claim = relayClaim(cluster, game, name);
  if (await cluster.redis.set(claim, cluster.nodeId, "PX", RELAY_ELSEWHERE_MS, "NX") === "OK") return null;
  const deadline = Date.now() + RELAY_ELSEWHERE_MS;
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    const relay = await recorded();
    if (relay) return relay;
    if (!await ctx.store.find(game, name)) throw new NoRelay("the lobby closed", false);
  }
  throw new NoRelay("relay could not be started");
}
function relayHeard(ctx, relayId, frame) {
  const relay = [...ctx.relays.values()].find((each) => each.user?.instance_id === relayId);
  if (!relay || !ctx.relay) return;
  let packet;
  try {
    packet = decodeServerPacket(frame);
  } catch (error) {
    return void ctx.log("warn", "relay.bad_frame", { relay: relayId, error: String(error) });
  }
  if (packet.opcode === "PEER_JOIN") {
    relay.remoteMembers.add(packet.payload.instance_id);
    return;
  }
  if (packet.opcode === "PEER_LEFT") {
    relay.remoteMembers.delete(packet.payload);
    return void ctx.relay.memberLeft?.(relay, packet.payload);
  }
  if (packet.opcode === "LOBBY_CLOSED") {
    ctx.relays.delete(lobbyKey(relay.game, relay.name));
    ctx.relay.destroy(relay);
    return void ctx.cluster?.unregister(relayId).catch(() => {
    });
  }
  const signal2 = packet.payload;
  if (!packet.origin || signal2.type === SIGNAL_VOICE) return;
  relay.remoteMembers.add(packet.origin.instance_id);
  ctx.tally.signals += 1;
  const address = packet.opcode === "MAKE_OFFER" ? senderAddress(frame) : void 0;
  ctx.relay.signal(relay, packet.origin, packet.opcode, signal2, address);
}
function relayJoined(ctx, game, name, relayId, user2) {
  if (!ctx.relays.get(lobbyKey(game, name))?.user) sendTo(ctx, relayId, "PEER_JOIN", user2);
}
var replaceRelay = (ctx, orphan) => renewRelay(ctx, orphan.game, orphan.lobby, orphan.id);
async function renewRelay(ctx, game, name, deadId) {
  const lobby = await ctx.store.find(game, name);
  const wasLobbys = lobby?.relay?.instance_id === deadId;
  if (ctx.cluster && wasLobbys) await ctx.cluster.redis.del(relayClaim(ctx.cluster, game, name));
  await ctx.cluster?.unregister(deadId);
  if (!lobby || !wasLobbys) return;
  for (const member of lobby.members) sendTo(ctx, member.instance_id, "WARNING", Warning.relayLost);
  if (!lobby.settings.relayEnabled) return void ctx.log("info", "relay.lost_told", { game, lobby: name, dead: deadId, members: lobby.members.length });
  try {
    const relay = await relayOf(ctx, game, name, true);
    ctx.log("info", "relay.replaced", { game, lobby: name, dead: deadId, relay: relay.instance_id });
  } catch (error) {
    ctx.log("warn", "relay.replace_failed", { game, lobby: name, error: String(error) });
  }
}
function relayLost(ctx, relay, why) {
  const key = lobbyKey(relay.game, relay.name);
  if (ctx.relays.get(key) !== relay || !relay.user) return;
  ctx.relays.delete(key);
  ctx.log("warn", "relay.lost", { game: relay.game, lobby: relay.name, relay: relay.user.instance_id, why });
  renewRelay(ctx, relay.game, relay.name, relay.user.instance_id).catch(
    (error) => ctx.log("warn", "relay.replace_failed", { game: relay.game, lobby: relay.name, error: String(error) })
  );
}
var relayClaim = (cluster, game, name) => cluster.key("relay", JSON.stringify([game, name]));
function memberOf(ctx, id, game, name) {
  const player = ctx.players.get(id);
  return player?.game === game && player.lobby === name ? player : void 0;
}
async function isMember(ctx, id, game, name) {
  if (memberOf(ctx, id, game, name)) return true;
  return !!ctx.cluster && !ctx.players.has(id) && (await ctx.store.lobbyOf(game, id))?.name === name;
}
async function startRelay(ctx, relay, lobbyWide) {
  const provider = ctx.relay;
  const key = lobbyKey(relay.game, relay.name);
  const forget = () => {
    if (ctx.relays.get(key) === relay) ctx.relays.delete(key);
  };
  const send = (recipient2, opcode, signal2) => {
    if (!relay.user) return;
    const target = memberOf(ctx, recipient2, relay.game, relay.name);
    if (target) return target.send(opcode, signal2, { origin: relay.user });
    if (ctx.cluster && relay.remoteMembers.has(recipient2)) {
      const frame = encodePacket({ opcode, payload: signal2, origin: relay.user });
      ctx.cluster.append(recipient2, frame, { game: relay.game, lobby: relay.name }).catch((error) => ctx.log("warn", "cluster.send_failed", { to: recipient2, error: String(error) }));
    }
  };
  let user2;
  try {
    user2 = await provider.create(relay, send, {
      warn: (member, text) => sendTo(ctx, member, "WARNING", text),
      lost: (why) => relayLost(ctx, relay, why)
    });
  } catch (error) {
    forget();
    ctx.log("error", "relay.start_failed", { game: relay.game, lobby: relay.name, error: String(error) });
    throw new NoRelay("relay could not be started");
  }
  const lobby = ctx.relays.get(key) === relay ? await ctx.store.setRelay(relay.game, relay.name, user2, lobbyWide) : null;
  if (!lobby || ctx.relays.get(key) !== relay) {
    forget();
    try {
      provider.destroy(relay);
    } catch (error) {
      ctx.log("error", "relay.destroy_failed", { error: String(error) });
    }
    throw new NoRelay("the lobby closed", false);
  }
  relay.user = user2;
  relay.lobbyWide = lobby.settings.relayEnabled;
  if (ctx.cluster) {
    for (const member of lobby.members) if (!ctx.players.has(member.instance_id)) relay.remoteMembers.add(member.instance_id);
  }
  await ctx.cluster?.registerRelay(user2.instance_id, relay.game, relay.name);
  ctx.log("info", "relay.start", { game: relay.game, lobby: relay.name, relay: user2.instance_id });
  if (lobbyWide) for (const member of lobby.members) sendTo(ctx, member.instance_id, "RELAY", user2.instance_id);
  return user2;
}
var useRelay = async (request) => {
  const { ctx, player, payload: peerId } = request;
  const lobby = player.lobby;
  if (!lobby) return warn(request, Reply.notInLobby);
  if (peerId === player.id || !await isMember(ctx, peerId, player.game, lobby)) return warn(request, Warning.peerInvalid);
  let relay;
  try {
    relay = await relayOf(ctx, player.game, lobby, false);
  } catch (error) {
    if (error instanceof NoRelay) return warn(request, error.message);
    throw error;
  }
  if (!player.open) return;
  if (player.lobby !== lobby || !await isMember(ctx, peerId, player.game, lobby)) return warn(request, Warning.peerInvalid);
  ctx.log("info", "relay.pair", { game: player.game, lobby, players: [player.id, peerId] });
  sendTo(ctx, peerId, "RELAY_PAIR", { relay: relay.instance_id, peer: player.id });
  reply(request, "RELAY_PAIR", { relay: relay.instance_id, peer: peerId });
};

// src/server/handlers/lobbies.ts
var listLobbies = async (request) => {
  const { ctx, player, payload } = request;
  const { first, total } = payload === void 0 ? await ctx.store.list(player.game, LIST_REPLY_MAX) : await summaries(ctx, player.game, payload);
  reply(request, "LIST_ACK", first);
  if (total > first.length) player.send("WARNING", `${Warning.listTruncated}: the oldest ${first.length} of ${total} lobbies`);
};
async function summaries(ctx, game, filter) {
  const { first, total } = await ctx.store.listMatching(game, storeFilter(filter), LIST_REPLY_MAX);
  return { first: first.map(lobbySummary2), total };
}
var findLobby = async (request) => {
  const lobby = await request.ctx.store.find(request.player.game, request.payload);
  reply(request, "FIND_ACK", lobby ? lobbyInfo2(lobby) : Reply.notFound);
};
var createLobby = async (request) => {
  const { ctx, player, payload } = request;
  if (player.lobby) return reply(request, "CREATE_ACK", Reply.alreadyInLobby);
  if (payload.password !== "" && await ctx.store.find(player.game, payload.name)) return reply(request, "CREATE_ACK", Reply.exists);
  if (payload.max_players === 0) {
    warn(request, "payload.max_players must be -1 (unlimited) or at least 1");
    return reply(request, "CREATE_ACK", Reply.invalid);
  }
  const spent = payload.hidden ? null : ctx.fanout.refusal(player);
  if (spent) return reply(request, "CREATE_ACK", spent);
  const password2 = payload.password === "" ? null : await ctx.passwords.hash(payload.password);
  if (!player.open) return;
  const hidden = payload.hidden ?? false;
  const settings2 = { maxPlayers: payload.max_players, password: password2, locked: payload.locked, hidden, relayEnabled: false, metadata: payload.metadata ?? {} };
  const created = await ctx.store.create(player.game, payload.name, player.user, settings2);
  if (created.outcome !== "ok") return reply(request, "CREATE_ACK", created.outcome === "exists" ? Reply.exists : Reply.alreadyInLobby);
  reply(request, "CREATE_ACK", Reply.ok);
  becameHost(request, created.lobby, payload.enable_relay);
};
function becameHost(request, lobby, enableRelay) {
  const { ctx, player } = request;
  player.lobby = lobby.name;
  ctx.log("info", "lobby.create", { game: lobby.game, lobby: lobby.name, host: player.id, hidden: lobby.settings.hidden });
  player.send("TRANSITION", "host");
  player.send("NEW_HOST", player.user);
  if (!lobby.settings.hidden) {
    announce(ctx, lobby);
    ctx.fanout.charge(player, ANNOUNCEMENT_MESSAGES);
  }
  if (enableRelay) {
    startRelay2(request, lobby).catch((error) => ctx.log("error", "relay.start_failed", { lobby: lobby.name, error: String(error) }));
  }
}
async function startRelay2(request, lobby) {
  try {
    await relayOf(request.ctx, lobby.game, lobby.name, true);
  } catch (error) {
    if (!(error instanceof NoRelay)) throw error;
    if (error.lobbyOpen) warn(request, error.message);
  }
}
var joinRefusals = { "in-lobby": Reply.alreadyInLobby, "not-found": Reply.notFound, locked: Reply.locked, full: Reply.full, password: Reply.password };
var joinLobby = async (request) => {
  const { ctx, player, payload } = request;
  if (player.lobby) return reply(request, "JOIN_ACK", Reply.alreadyInLobby);
  const churning = joinRefusal(request);
  if (churning) return reply(request, "JOIN_ACK", churning);
  const guarded2 = lobbyKey(player.game, payload.name);
  let waitMs = 0;
  const joined = await ctx.store.join(player.game, payload.name, player.user, async (stored2) => {
    const checked = await ctx.passwordGuard.check(guarded2, player.address, (clean) => ctx.passwords.verify(payload.password ?? "", stored2, { ahead: clean }));
    waitMs = checked.waitMs;
    if (checked.tellHost) void tellHostOfGuessing(ctx, player.game, payload.name);
    return checked.right;
  });
  if (joined.outcome !== "ok") {
    if (joined.outcome === "password" && waitMs > 0) warn(request, `${Warning.passwordAttempts}: try again in ${Math.ceil(waitMs / 1e3)} s`);
    return reply(request, "JOIN_ACK", joinRefusals[joined.outcome]);
  }
  reply(request, "JOIN_ACK", Reply.ok);
  becamePeer(request, joined.lobby);
};
function joinRefusal(request) {
  const { ctx, player } = request;
  return joinCooldownRefusal(player.lastJoinAt, ctx.joinCooldownMs) ?? ctx.fanout.refusal(player);
}
function becamePeer(request, lobby) {
  const { ctx, player } = request;
  player.lobby = lobby.name;
  player.lastJoinAt = Date.now();
  ctx.log("info", "lobby.join", { game: lobby.game, lobby: lobby.name, player: player.id });
  player.send("TRANSITION", "peer");
  player.send("NEW_HOST", lobby.host);
  const others = lobby.members.filter((member) => member.instance_id !== player.id);
  const isHost = (member) => member.instance_id === lobby.host.instance_id;
  for (const member of others) sendTo(ctx, member.instance_id, isHost(member) ? "NEW_PEER" : "PEER_JOIN", player.user);
  ctx.fanout.charge(player, others.length * (1 + ctx.signalCredit));
  if (lobby.relay && ctx.cluster) relayJoined(ctx, lobby.game, lobby.name, lobby.relay.instance_id, player.user);
  if (lobby.relay && lobby.settings.relayEnabled) {
    player.send("RELAY", lobby.relay.instance_id);
    for (const member of others) if (!isHost(member)) player.send("PEER_JOIN", member);
  }
}
var leaveLobbyHandler = async (request) => {
  const { ctx, player } = request;
  const departure = await leaveLobby(ctx, player, "left");
  if (!departure) return reply(request, "LEAVE_ACK", Reply.notInLobby);
  ctx.fanout.charge(player, departure.closed ? 0 : departure.lobby.members.length);
  reply(request, "LEAVE_ACK", Reply.ok);
  player.send("TRANSITION", "");
};
async function tellHostOfGuessing(ctx, game, name) {
  ctx.log("warn", "lobby.password_guessing", { game, lobby: name });
  try {
    const lobby = await ctx.store.find(game, name);
    if (lobby) sendTo(ctx, lobby.host.instance_id, "WARNING", Warning.passwordGuessed);
  } catch (error) {
    ctx.log("error", "lobby.password_guessing_notice_failed", { game, lobby: name, error: String(error) });
  }
}

// src/server/handlers/manage.ts
var refused = { "not-in-lobby": Reply.notInLobby, unauthorized: Reply.unauthorized };
var settings = (change) => (ctx, host) => setSettings(ctx, host, change);
async function setSettings(ctx, host, change) {
  const result = await ctx.store.setSettings(host.game, host.id, change);
  if (result.outcome === "below-current-players") return "below current players";
  if (result.outcome !== "ok") return refused[result.outcome];
  if (result.shown) {
    announce(ctx, result.lobby);
    ctx.fanout.charge(host, ANNOUNCEMENT_MESSAGES);
  } else if (result.lobby.settings.hidden) unannounce(ctx, result.lobby);
  return Reply.ok;
}
var actions = {
  lock: settings({ locked: true }),
  unlock: settings({ locked: false }),
  hide: settings({ hidden: true }),
  // Announced to every idle player, as a create is: refused while the host's fan-out budget is spent.
  show: (ctx, host) => Promise.resolve(ctx.fanout.refusal(host) ?? setSettings(ctx, host, { hidden: false })),
  async kick(ctx, host, args) {
    const result = await ctx.store.kick(host.game, host.id, instanceId(args, "args"));
    if (result.outcome === "not-a-member") return "not a member";
    if (result.outcome === "self") return "cannot kick yourself";
    if (result.outcome !== "ok") return refused[result.outcome];
    const target = result.departure.left.instance_id;
    departed(ctx, result.departure, "kicked");
    sendTo(ctx, target, "WARNING", Warning.kicked);
    sendTo(ctx, target, "TRANSITION", "");
    return Reply.ok;
  },
  async change_password(ctx, host, args) {
    const text = password(args, "args");
    return setSettings(ctx, host, { password: text === "" ? null : await ctx.passwords.hash(text) });
  },
  change_max_players(ctx, host, args) {
    const max = maxPlayers(args, "args");
    if (max === 0) return Promise.resolve("invalid args: must be -1 or at least 1");
    return setSettings(ctx, host, { maxPlayers: max });
  },
  async transfer_ownership(ctx, host, args) {
    const result = await ctx.store.setHost(host.game, host.id, instanceId(args, "args"));
    if (result.outcome === "not-a-member") return "not a member";
    if (result.outcome === "already-host") return "already host";
    if (result.outcome !== "ok") return refused[result.outcome];
    const { lobby, previous } = result;
    sendTo(ctx, lobby.host.instance_id, "TRANSITION", "host");
    sendTo(ctx, previous.instance_id, "TRANSITION", "peer");
    for (const member of lobby.members) sendTo(ctx, member.instance_id, "NEW_HOST", lobby.host);
    return Reply.ok;
  },
  /** Merges entries into the metadata (null removes one); the result must still be within the limits. */
  async set_metadata(ctx, host, args) {
    const change = metadataChange(args, "args");
    const current = (await ctx.store.lobbyOf(host.game, host.id))?.settings.metadata ?? {};
    const merged = Object.fromEntries(Object.entries({ ...current, ...change }).filter(([, value]) => value !== null));
    return setSettings(ctx, host, { metadata: lobbyMetadata(merged, "the lobby metadata after the change") });
  },
  async close_lobby(ctx, host) {
    const result = await ctx.store.close(host.game, host.id);
    if (result.outcome !== "ok") return refused[result.outcome];
    closed(ctx, result.lobby);
    return Reply.ok;
  }
};
var manageLobby = async (request) => {
  const { ctx, player, payload } = request;
  const lobby = await ctx.store.lobbyOf(player.game, player.id);
  if (!lobby) return reply(request, "MANAGE_ACK", Reply.notInLobby);
  if (lobby.host.instance_id !== player.id) return reply(request, "MANAGE_ACK", Reply.unauthorized);
  let result;
  try {
    result = await actions[payload.method](ctx, player, payload.args);
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
    result = `invalid args: ${error.message}`;
  }
  if (result === Reply.ok) ctx.log("info", "lobby.manage", { game: lobby.game, lobby: lobby.name, method: payload.method });
  reply(request, "MANAGE_ACK", result);
};

// src/server/lobby-names.ts
import { randomInt as randomInt2 } from "node:crypto";
var ADJECTIVES = [
  "amber",
  "brave",
  "calm",
  "clever",
  "cosmic",
  "crimson",
  "dusty",
  "eager",
  "fuzzy",
  "gentle",
  "golden",
  "happy",
  "icy",
  "jolly",
  "lucky",
  "mighty",
  "misty",
  "noble",
  "quick",
  "rapid",
  "silver",
  "sunny",
  "swift",
  "tiny",
  "wild"
];
var NOUNS = [
  "badger",
  "comet",
  "dragon",
  "eagle",
  "falcon",
  "fox",
  "gecko",
  "heron",
  "koala",
  "lynx",
  "meteor",
  "otter",
  "panda",
  "pixel",
  "planet",
  "rocket",
  "robin",
  "tiger",
  "walrus",
  "wizard",
  "wolf",
  "yeti",
  "zebra"
];
var readableLobbyPrefix = () => `${ADJECTIVES[randomInt2(ADJECTIVES.length)]}-${NOUNS[randomInt2(NOUNS.length)]}`;

// src/server/handlers/matchmaking.ts
var quickJoin2 = async (request) => {
  const { ctx, player, payload } = request;
  if (player.lobby) return reply(request, "QUICK_JOIN_ACK", Reply.alreadyInLobby);
  const churning = joinRefusal(request);
  if (churning) return reply(request, "QUICK_JOIN_ACK", churning);
  const { create } = payload;
  if (create.max_players === 0) return invalid(request, "payload.create.max_players must be -1 (unlimited) or at least 1");
  const filter = storeFilter(payload.filter);
  const metadata = { ...create.metadata, ...filter.metadata };
  try {
    lobbyMetadata(metadata, "payload.create.metadata with payload.filter.metadata");
  } catch (error) {
    if (error instanceof ProtocolError) return invalid(request, error.message);
    throw error;
  }
  const settings2 = { maxPlayers: create.max_players, password: null, locked: false, hidden: false, relayEnabled: false, metadata };
  const result = await ctx.store.quickJoin(player.game, player.user, filter, { namePrefix: readableLobbyPrefix(), settings: settings2 });
  if (result.outcome === "in-lobby") return reply(request, "QUICK_JOIN_ACK", Reply.alreadyInLobby);
  reply(request, "QUICK_JOIN_ACK", { name: result.lobby.name, created: result.outcome === "created" });
  if (result.outcome === "created") becameHost(request, result.lobby, create.enable_relay ?? false);
  else becamePeer(request, result.lobby);
};
function invalid(request, reason) {
  warn(request, reason);
  reply(request, "QUICK_JOIN_ACK", Reply.invalid);
}

// src/server/handlers/signals.ts
var relaySignal = (opcode) => (request) => {
  const { ctx, player, recipient: recipient2 } = request;
  const lobby = player.lobby;
  if (!lobby || recipient2 === void 0) return warn(request, Warning.peerInvalid);
  const relay = ctx.relays.size === 0 ? void 0 : ctx.relays.get(lobbyKey(player.game, lobby));
  if (relay?.user && ctx.relay && recipient2 === relay.user.instance_id) {
    const { payload } = request;
    if (payload.type === SIGNAL_VOICE) return warn(request, Warning.voiceNotRelayed);
    ctx.tally.signals += 1;
    return ctx.relay.signal(relay, player.user, opcode, payload, player.address);
  }
  const target = ctx.players.get(recipient2);
  if (!target && ctx.cluster && recipient2 !== player.id) return relayElsewhere2(request, opcode);
  if (!target || target === player || target.lobby !== lobby || target.game !== player.game) return warn(request, Warning.peerInvalid);
  ctx.tally.signals += 1;
  target.relay(player, opcode, request);
};
function relayElsewhere2(request, opcode) {
  const { ctx, player, recipient: recipient2, bytes } = request;
  const signal2 = bytes ? player.signalFrameOf(bytes) : player.signalFrame(opcode, request.payload);
  const address = opcode === "MAKE_OFFER" ? player.address : void 0;
  ctx.cluster.append(recipient2, signal2, { game: player.game, lobby: player.lobby, address }).then(
    (answer) => {
      if (answer === "gone" || answer === "not-member") warn(request, Warning.peerInvalid);
      else ctx.tally.signals += 1;
    },
    (error) => {
      ctx.log("warn", "cluster.signal_failed", { player: player.id, error: String(error) });
      warn(request, `server error handling ${opcode}: the shared store is unreachable`);
    }
  );
}

// src/server/dispatch.ts
var handlers = {
  INIT: init,
  RESUME: resume,
  KEEPALIVE: keepalive,
  LIST_LOBBIES: listLobbies,
  FIND_LOBBY: findLobby,
  CREATE_LOBBY: createLobby,
  JOIN_LOBBY: joinLobby,
  LEAVE_LOBBY: leaveLobbyHandler,
  MANAGE_LOBBY: manageLobby,
  MAKE_OFFER: relaySignal("MAKE_OFFER"),
  MAKE_ANSWER: relaySignal("MAKE_ANSWER"),
  ICE: relaySignal("ICE"),
  USE_RELAY: useRelay,
  QUICK_JOIN: quickJoin2
};
var invalidAck = { CREATE_LOBBY: "CREATE_ACK", JOIN_LOBBY: "JOIN_ACK", MANAGE_LOBBY: "MANAGE_ACK", QUICK_JOIN: "QUICK_JOIN_ACK" };
var VIOLATION_POLICY = 1008;
var VIOLATION_TOO_BIG = 1009;
function dispatch(ctx, player, data, isBinary) {
  if (!player.open || player.closedByServer) return;
  let decoded = player.credit.held && !isBinary ? decode(ctx, player, data) : void 0;
  const credited = decoded !== void 0 && creditedFor(player, decoded);
  let verdict = credited ? "ok" : player.limiter.take();
  if (verdict === "ok" && !credited && !ctx.addressBudgets.take(player.address)) verdict = player.limiter.strike();
  if (verdict === "violation") return void ctx.cut(player, "violation.rate", "too many packets: rate limit exceeded repeatedly", VIOLATION_POLICY);
  if (verdict === "limited") {
    ctx.tally.rejected.rate_limited += 1;
    const text = isBinary ? "" : data.toString("utf8");
    const listener2 = text.includes('"listener"') ? salvageEnvelope(text).listener : void 0;
    if (listener2 === void 0 && !player.limiter.warnNow()) return;
    const request2 = { ctx, player, payload: void 0, listener: listener2 };
    return void player.serial(() => warn(request2, Warning.rateLimited));
  }
  if (isBinary) {
    ctx.tally.rejected.invalid += 1;
    return void player.serial(() => player.send("WARNING", "binary frames are not supported: send JSON text"));
  }
  decoded ??= decode(ctx, player, data);
  if (decoded instanceof Unreadable) {
    const { error, text } = decoded;
    if (!(error instanceof ProtocolError)) ctx.log("warn", "decode.failed", { player: player.id, error: String(error) });
    ctx.tally.rejected.invalid += 1;
    const reason = error instanceof ProtocolError ? error.message : "packet could not be read";
    return void player.serial(() => refuse(ctx, player, text, reason));
  }
  const { opcode } = decoded;
  const request = decoded instanceof SignalRequest ? decoded : packetRequest(ctx, player, decoded, data);
  if (player.serial(() => handle(opcode, request))) return;
  ctx.tally.rejected.busy += 1;
  warn(request, BUSY2);
}
var Unreadable = class {
  constructor(error, text) {
    this.error = error;
    this.text = text;
  }
  error;
  text;
};
function decode(ctx, player, data) {
  const signal2 = readSignalFrame(data);
  if (signal2) return new SignalRequest(ctx, player, signal2.opcode, data.toString("latin1", signal2.recipientStart, signal2.recipientEnd), data);
  const text = data.toString("utf8");
  try {
    return decodeClientPacket(text);
  } catch (error) {
    return new Unreadable(error, text);
  }
}
function creditedFor(player, decoded) {
  return !(decoded instanceof Unreadable) && player.credit.use(decoded.opcode, decoded.recipient);
}
function packetRequest(ctx, player, packet, data) {
  const { payload, recipient: recipient2, listener: listener2 } = packet;
  const bytes = packet.bare && listener2 === void 0 ? data : void 0;
  return { ctx, player, payload, recipient: recipient2, listener: listener2, bytes };
}
var BEFORE_INIT = /* @__PURE__ */ new Set(["INIT", "RESUME", "KEEPALIVE"]);
var BUSY2 = "server busy with your earlier requests: slow down";
function refuse(ctx, player, text, reason) {
  const { opcode, listener: listener2 } = salvageEnvelope(text);
  const request = { ctx, player, payload: void 0, listener: listener2 };
  warn(request, reason);
  const ack = opcode !== void 0 && Object.hasOwn(invalidAck, opcode) ? invalidAck[opcode] : null;
  if (ack) reply(request, ack, Reply.invalid);
}
function handle(opcode, request) {
  const { player } = request;
  if (!player.open) return;
  if (!player.user && !BEFORE_INIT.has(opcode)) return warn(request, Warning.notInitialized);
  try {
    const pending = handlers[opcode](request);
    return pending?.catch((error) => failed(opcode, request, error));
  } catch (error) {
    failed(opcode, request, error);
  }
}
function failed(opcode, request, error) {
  request.ctx.log("error", "handler.failed", { opcode, player: request.player.id, error: String(error) });
  warn(request, `server error handling ${opcode}`);
}

// src/server/frame-errors.ts
function createErrorWithoutStack(...args) {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return Object.getPrototypeOf(this).createError.apply(this, args);
  } finally {
    Error.stackTraceLimit = limit;
  }
}
function frameErrorsWithoutStack(ws) {
  const receiver = ws._receiver;
  if (receiver) receiver.createError = createErrorWithoutStack;
}

// src/server/http.ts
import { createHash } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
var EXTENSION_PATH = "/cloudlink5.js";
var STATUS_MAX_AGE_MS = 1e3;
var PAGE_LOBBIES_PER_GAME = 20;
var PAGE_GAMES = 100;
var shownGames = (store, games) => Promise.all(
  games.slice(0, PAGE_GAMES).map(async (g) => {
    const visible = await store.listMatching(g.game, {}, PAGE_LOBBIES_PER_GAME);
    const first = visible.first.map((lobby) => ({ name: lobby.name, players: lobby.members.length, locked: lobby.settings.locked }));
    return { ...g, visible: { first, total: visible.total } };
  })
);
var escapeHtml = (text) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
function lobbyCell({ lobbies, visible }) {
  const cell = visible.first.map((l) => `${escapeHtml(l.name)} (${l.players}${l.locked ? ", locked" : ""})`);
  if (visible.total > visible.first.length) cell.push(`${visible.total - visible.first.length} more`);
  const hidden = lobbies - visible.total;
  if (hidden > 0) cell.push(`${hidden} hidden`);
  return cell.join("<br>") || "—";
}
function gamesTable({ games, shown }) {
  const more = games.length - shown.length;
  const rows = shown.map((g) => `<tr><td>${escapeHtml(g.game)}</td><td>${g.players}</td><td>${lobbyCell(g)}</td></tr>`).join("") + (more > 0 ? `<tr><td colspan="3">${more} more games</td></tr>` : "");
  return `<table><tr><th>game (ugi)</th><th>players</th><th>lobbies</th></tr>${rows || '<tr><td colspan="3">nobody connected</td></tr>'}</table>`;
}
function statusPage(status, extensionUrl) {
  const games = "value" in status ? gamesTable(status.value) : `<p>Players and lobbies are unknown: ${escapeHtml(status.unreachable)}.</p>`;
  return `<!doctype html><html><head><meta charset="utf-8"><title>CloudLink 5 server</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;color:#222}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}code{background:#eee;padding:.1rem .3rem}</style></head>
<body><h1>CloudLink 5 server</h1><p>Version ${VERSION}. Extension URL for TurboWarp (load it unsandboxed): <code>${escapeHtml(extensionUrl)}</code></p>
${games}</body></html>`;
}
function holdConnection(socket, ms) {
  if (socket.destroyed) return;
  socket.pause();
  setTimeout(() => {
    held.delete(socket);
    socket.resume();
  }, ms).unref();
}
var held = /* @__PURE__ */ new WeakSet();
async function notReady(store, accepting) {
  if (!accepting()) return "not accepting connections: shutting down";
  const answer = await fromStore(store.ping());
  return "unreachable" in answer ? answer.unreachable : null;
}
function extensionLoader(file) {
  let kept = null;
  return async () => {
    try {
      const info = await stat(file);
      if (kept?.mtimeMs === info.mtimeMs && kept.size === info.size) return kept.file;
      const body = await readFile(file);
      const etag = `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"`;
      kept = { mtimeMs: info.mtimeMs, size: info.size, file: { body, etag, modified: info.mtime.toUTCString() } };
      return kept.file;
    } catch {
      return null;
    }
  };
}
var SECURITY_HEADERS = { "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer" };
var STATUS_PAGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
function requestUrl(target) {
  if (!target?.startsWith("/") || target.startsWith("//")) return null;
  try {
    return new URL(target, "http://localhost");
  } catch {
    return null;
  }
}
function httpHandler({ store, extensionFile, startedAt, log: log2, metrics, accepting, requests, addressOf, holdRefused }) {
  const keptGames = new VersionedReads(1, STATUS_MAX_AGE_MS);
  const keptShown = new VersionedReads(1, STATUS_MAX_AGE_MS);
  const counted = () => keptGames.get("games", "", async () => (await store.games()).sort((a, b) => b.players - a.players));
  const currentStatus = () => keptShown.get("status", "", async () => {
    const games = await counted();
    return { games, shown: await shownGames(store, games) };
  });
  const extension = extensionLoader(extensionFile);
  const handle2 = async (req, res) => {
    const send = (code, type, body, headers = {}) => {
      res.writeHead(code, { "Content-Type": type, "Content-Length": Buffer.byteLength(body), ...SECURITY_HEADERS, ...headers });
      res.end(req.method === "HEAD" ? void 0 : body);
    };
    if (held.has(req.socket)) return void req.socket.destroy();
    const waitMs = requests.take(addressOf(req));
    if (waitMs > 0) {
      const seconds = Math.max(1, Math.ceil(waitMs / 1e3));
      const retry = { "Retry-After": String(seconds) };
      if (holdRefused) {
        held.add(req.socket);
        res.once("finish", () => holdConnection(req.socket, waitMs));
      }
      return send(429, "text/plain", `too many requests: try again in ${seconds} s`, holdRefused ? retry : { ...retry, Connection: "close" });
    }
    const url = requestUrl(req.url);
    if (!url) return send(400, "text/plain", "bad request: malformed URL");
    if (req.method === "OPTIONS") {
      res.writeHead(204, {
        "Access-Control-Allow-Origin": "*",
        "Access-Control-Allow-Methods": "GET, HEAD",
        "Access-Control-Max-Age": "86400",
        ...SECURITY_HEADERS
      });
      return void res.end();
    }
    if (req.method !== "GET" && req.method !== "HEAD") return send(405, "text/plain", "method not allowed", { Allow: "GET, HEAD" });
    switch (url.pathname) {
      case "/": {
        const extensionUrl = `http://${req.headers.host ?? "localhost"}${EXTENSION_PATH}`;
        const status = await fromStore(currentStatus());
        return send("value" in status ? 200 : 503, "text/html; charset=utf-8", statusPage(status, extensionUrl), {
          "Cache-Control": "no-store",
          "Content-Security-Policy": STATUS_PAGE_POLICY,
          "X-Frame-Options": "DENY"
        });
      }
      case "/healthz": {
        const games = await fromStore(counted());
        const counts = "value" in games ? { players: games.value.reduce((n, g) => n + g.players, 0), lobbies: games.value.reduce((n, g) => n + g.lobbies, 0) } : { players: null, lobbies: null, store: games.unreachable };
        return send(
          200,
          "application/json",
          JSON.stringify({
            ok: true,
            version: VERSION,
            uptime: Math.round((Date.now() - startedAt) / 1e3),
            ...counts,
            memory: { rss: process.memoryUsage.rss(), heapUsed: process.memoryUsage().heapUsed }
          }),
          { "Cache-Control": "no-store" }
        );
      }
      case "/readyz": {
        const reason = await notReady(store, accepting);
        const body = JSON.stringify(reason === null ? { ready: true } : { ready: false, reason });
        return send(reason === null ? 200 : 503, "application/json", body, { "Cache-Control": "no-store" });
      }
      case "/metrics":
        return send(200, metrics.contentType, await metrics.metrics(), { "Cache-Control": "no-store" });
      case EXTENSION_PATH: {
        const file = await extension();
        if (!file) return send(404, "text/plain", "extension not built: run npm run build", { "Access-Control-Allow-Origin": "*" });
        const headers = {
          "Access-Control-Allow-Origin": "*",
          // Always revalidate: a rebuilt extension must reach TurboWarp on the next load.
          "Cache-Control": "no-cache",
          ETag: file.etag,
          "Last-Modified": file.modified
        };
        if (req.headers["if-none-match"] === file.etag) {
          res.writeHead(304, { ...headers, ...SECURITY_HEADERS });
          return void res.end();
        }
        return send(200, "application/javascript; charset=utf-8", file.body, headers);
      }
      default:
        return send(404, "text/plain", "not found");
    }
  };
  return (req, res) => {
    handle2(req, res).catch((error) => {
      log2?.("error", "http.failed", { path: req.url, error: String(error) });
      if (!res.headersSent) res.writeHead(500, { "Content-Type": "text/plain", ...SECURITY_HEADERS });
      res.end("internal error");
    });
  };
}

// src/server/cluster/fanout-share.ts
var FANOUT_SHARE_MS = 500;
var FanoutShare = class {
  constructor(publish, intervalMs = FANOUT_SHARE_MS, now = Date.now) {
    this.publish = publish;
    this.intervalMs = intervalMs;
    this.now = now;
  }
  publish;
  intervalMs;
  now;
  pending = /* @__PURE__ */ new Map();
  timer;
  lastPublish = Number.NEGATIVE_INFINITY;
  /** This node's `address` spent `messages`: the other nodes hear of it. */
  spent(address, messages) {
    this.pending.set(address, (this.pending.get(address) ?? 0) + messages);
    if (this.timer) return;
    const wait = this.lastPublish + this.intervalMs - this.now();
    if (wait <= 0) this.flush();
    else this.timer = setTimeout(() => this.flush(), wait);
  }
  stop() {
    clearTimeout(this.timer);
    this.timer = void 0;
    this.pending.clear();
  }
  flush() {
    this.timer = void 0;
    if (!this.pending.size) return;
    const spends = [...this.pending];
    this.pending.clear();
    this.lastPublish = this.now();
    this.publish(spends);
  }
};

// src/server/cluster/node-watch.ts
import { randomBytes as randomBytes4 } from "node:crypto";
var HEARTBEAT_MS2 = 1e3;
var BEATS_TO_DIE = 3;
var NodeWatch = class {
  constructor(cluster, graceMs, host, log2, heartbeatMs = HEARTBEAT_MS2) {
    this.cluster = cluster;
    this.graceMs = graceMs;
    this.host = host;
    this.log = log2;
    this.heartbeatMs = heartbeatMs;
  }
  cluster;
  graceMs;
  host;
  log;
  heartbeatMs;
  timer;
  epoch = null;
  /** Other nodes found dead, and when that was first noticed. */
  dead = /* @__PURE__ */ new Map();
  lastBeat = Date.now();
  beating = false;
  failing = false;
  get aliveKey() {
    return this.cluster.key("node", this.cluster.nodeId, "alive");
  }
  async start() {
    this.epoch = await this.currentEpoch();
    await this.beat();
    this.timer = setInterval(() => void this.tick(), this.heartbeatMs);
    this.timer.unref();
  }
  /** The node stops: others see it dead at once (its players are released after their grace period). */
  async stop() {
    clearInterval(this.timer);
    await this.cluster.redis.del(this.aliveKey).catch(() => {
    });
  }
  /** The epoch of this Redis's data, made by the first node to look. */
  async currentEpoch() {
    const key = this.cluster.key("epoch");
    await this.cluster.redis.set(key, randomBytes4(8).toString("hex"), "NX");
    return await this.cluster.redis.get(key);
  }
  async beat() {
    const redis = this.cluster.redis;
    await redis.set(this.aliveKey, this.cluster.nodeId, "PX", this.heartbeatMs * BEATS_TO_DIE);
    await redis.sadd(this.cluster.key("nodes"), this.cluster.nodeId);
  }
  async tick() {
    if (this.beating) return;
    this.beating = true;
    try {
      const epoch = await this.currentEpoch();
      if (epoch !== this.epoch) {
        this.log("error", "cluster.state_lost", { reason: "redis lost its data (restarted without persistence?): every lobby and seat is gone" });
        this.epoch = epoch;
        this.dead.clear();
        this.host.stateLost();
      }
      const silentFor = Date.now() - this.lastBeat;
      await this.beat();
      this.lastBeat = Date.now();
      if (silentFor >= this.heartbeatMs * BEATS_TO_DIE) await this.checkHeld();
      await this.watchOthers();
      this.failing = false;
    } catch (error) {
      if (!this.failing) this.log("warn", "cluster.heartbeat_failed", { error: String(error) });
      this.failing = true;
    } finally {
      this.beating = false;
    }
  }
  async checkHeld() {
    const ids = this.host.held();
    if (ids.length === 0) return;
    const owners = await Promise.all(ids.map((id) => this.cluster.redis.hget(this.cluster.key("player", id), "node")));
    const lost = ids.filter((_, i) => owners[i] !== this.cluster.nodeId);
    if (lost.length > 0) this.host.released(lost);
  }
  async watchOthers() {
    const redis = this.cluster.redis;
    const others = (await redis.smembers(this.cluster.key("nodes"))).filter((node) => node !== this.cluster.nodeId);
    const alive = await Promise.all(others.map((node) => redis.exists(this.cluster.key("node", node, "alive"))));
    const now = Date.now();
    for (const [i, node] of others.entries()) {
      if (alive[i]) {
        this.dead.delete(node);
        continue;
      }
      const since = this.dead.get(node);
      if (since === void 0) {
        this.dead.set(node, now);
        this.log("warn", "cluster.node_dead", { node, releaseAfterMs: this.graceMs });
        await this.sweep(node, true);
      } else if (now - since >= this.graceMs) await this.sweep(node, false);
    }
  }
  /** Releases the players (or only the relay peers) of dead `node` that nobody resumed, each by exactly one survivor. */
  async sweep(node, relaysOnly) {
    const redis = this.cluster.redis;
    const playersKey = this.cluster.key("node", node, "players");
    for (const id of await redis.smembers(playersKey)) {
      const claimed = await this.cluster.claimOrphan(id, node, relaysOnly);
      if (!claimed) continue;
      this.log("info", "cluster.release_orphan", { node, player: id, kind: claimed.kind });
      await this.host.release(claimed);
    }
    if (!relaysOnly && await redis.scard(playersKey) === 0) {
      await redis.srem(this.cluster.key("nodes"), node);
      this.dead.delete(node);
      this.log("info", "cluster.node_forgotten", { node });
    }
  }
};

// src/server/cluster/join.ts
var STATE_LOST = { code: 1011, reason: "server state lost: the shared store restarted" };
var RELEASED = { code: 1011, reason: "seat released while this server node was cut off from the shared store" };
async function joinCluster(ctx, cluster, { seats, graceMs }) {
  const letGo = (player, closing2) => {
    player.evicted = true;
    ctx.players.delete(player.id);
    seats.forget(player);
    cluster.forget(player.id);
    player.outlet = null;
    if (!player.open) return;
    if (closing2) player.close(closing2.code, closing2.reason);
    else player.socket.terminate();
  };
  const share = new FanoutShare((spends) => cluster.shareSpends(spends));
  ctx.fanout.shareWith((address, messages) => share.spent(address, messages));
  await cluster.start({
    toRelay: (relayId, frame) => relayHeard(ctx, relayId, frame),
    // Resumed on another node: this copy goes quietly (its seat lives on there).
    evict(id) {
      const player = ctx.players.get(id);
      if (!player) return;
      letGo(player);
      ctx.log("info", "player.moved", { game: player.game, player: id });
    },
    leftLobby(id) {
      const player = ctx.players.get(id);
      if (player) player.lobby = null;
    },
    lobbyNews(kind, news) {
      if (kind === "announce") ctx.announcer.add(news);
      else ctx.announcer.retract(news);
    },
    spentElsewhere(spends) {
      for (const [address, messages] of spends) ctx.fanout.spentElsewhere(address, messages);
    }
  });
  const watch = new NodeWatch(
    cluster,
    graceMs,
    {
      release: (orphan) => orphan.kind === "relay" ? replaceRelay(ctx, orphan) : releaseRecord(ctx, orphan.game, orphan.id, "its server node stopped"),
      stateLost() {
        for (const player of [...ctx.players.values()]) letGo(player, STATE_LOST);
        for (const relay of ctx.relays.values()) if (relay.user) ctx.relay?.destroy(relay);
        ctx.relays.clear();
      },
      released(ids) {
        for (const id of ids) {
          const player = ctx.players.get(id);
          if (player) letGo(player, RELEASED);
        }
      },
      held: () => [...ctx.players.keys()]
    },
    ctx.log
  );
  await watch.start();
  return {
    stop() {
      share.stop();
      return watch.stop();
    }
  };
}

// src/server/memory-store.ts
import { randomBytes as randomBytes5 } from "node:crypto";
var MemoryStore = class {
  byGame = /* @__PURE__ */ new Map();
  tokens = /* @__PURE__ */ new Map();
  tokenOf = /* @__PURE__ */ new Map();
  held = /* @__PURE__ */ new Set();
  game(name) {
    let game = this.byGame.get(name);
    if (!game) {
      game = { players: /* @__PURE__ */ new Map(), usernames: /* @__PURE__ */ new Set(), lobbies: /* @__PURE__ */ new Map(), memberOf: /* @__PURE__ */ new Map(), lobbySeq: 0 };
      this.byGame.set(name, game);
    }
    return game;
  }
  /** Forgets games with nobody in them, so the map does not grow with every ugi ever seen. */
  prune(name) {
    const game = this.byGame.get(name);
    if (game && game.players.size === 0 && game.lobbies.size === 0) this.byGame.delete(name);
  }
  /** The lobby `host` is host of, or why not. */
  hosted(game, host) {
    const state = this.byGame.get(game);
    const name = state?.memberOf.get(host);
    const lobby = name === void 0 ? void 0 : state.lobbies.get(name);
    if (!state || !lobby) return "not-in-lobby";
    if (lobby.host.instance_id !== host) return "unauthorized";
    return { game: state, lobby };
  }
  remove(game, lobby, instanceId2) {
    const index = lobby.members.findIndex((member) => member.instance_id === instanceId2);
    const left = lobby.members.splice(index, 1)[0];
    game.memberOf.delete(instanceId2);
    let newHost = null;
    const closed2 = lobby.members.length === 0;
    if (closed2) this.deleteLobby(game, lobby);
    else if (lobby.host.instance_id === instanceId2) newHost = lobby.host = lobby.members[0];
    return { left, lobby: copyLobby(lobby), newHost, closed: closed2 };
  }
  deleteLobby(game, lobby) {
    for (const member of lobby.members) game.memberOf.delete(member.instance_id);
    game.lobbies.delete(lobby.name);
    this.prune(lobby.game);
  }
  async addPlayer(game, user2) {
    const state = this.game(game);
    const key = usernameSkeleton(user2.username);
    if (state.usernames.has(key)) return "taken";
    state.usernames.add(key);
    state.players.set(user2.instance_id, { ...user2 });
    return "ok";
  }
  async removePlayer(game, instanceId2) {
    const token = this.tokenOf.get(instanceId2);
    if (token !== void 0) this.tokens.delete(token);
    this.tokenOf.delete(instanceId2);
    this.held.delete(instanceId2);
    const state = this.byGame.get(game);
    const user2 = state?.players.get(instanceId2);
    if (!state || !user2) return;
    state.players.delete(instanceId2);
    state.usernames.delete(usernameSkeleton(user2.username));
    this.prune(game);
  }
  async players(game) {
    return [...this.byGame.get(game)?.players.values() ?? []].map((user2) => ({ ...user2 }));
  }
  async games() {
    return [...this.byGame].map(([game, state]) => ({ game, players: state.players.size, lobbies: state.lobbies.size })).filter((counts) => counts.players > 0 || counts.lobbies > 0).sort(byGameName);
  }
  // A game's map holds its lobbies oldest first: each is inserted once, when created.
  async list(game, limit) {
    return listed(
      this.byGame.get(game)?.lobbies.values() ?? [],
      (lobby) => !lobby.settings.hidden,
      limit,
      (lobby) => lobby.name
    );
  }
  async find(game, name) {
    const lobby = this.byGame.get(game)?.lobbies.get(name);
    return lobby ? copyLobby(lobby) : null;
  }
  async lobbies(game) {
    return [...this.byGame.get(game)?.lobbies.values() ?? []].map(copyLobby);
  }
  async lobbyOf(game, instanceId2) {
    const state = this.byGame.get(game);
    const name = state?.memberOf.get(instanceId2);
    return name === void 0 ? null : copyLobby(state.lobbies.get(name));
  }
  async create(game, name, host, settings2) {
    const state = this.game(game);
    if (state.memberOf.has(host.instance_id)) return { outcome: "in-lobby" };
    if (state.lobbies.has(name)) return { outcome: "exists" };
    return { outcome: "ok", ...this.insert(state, game, name, host, settings2) };
  }
  insert(state, game, name, host, settings2) {
    state.lobbySeq += 1;
    const lobby = {
      game,
      name,
      host: { ...host },
      members: [{ ...host }],
      settings: copyLobbySettings(settings2),
      relay: null,
      created: state.lobbySeq
    };
    state.lobbies.set(name, lobby);
    state.memberOf.set(host.instance_id, name);
    return { lobby: copyLobby(lobby) };
  }
  async listMatching(game, filter, limit) {
    return listed(this.byGame.get(game)?.lobbies.values() ?? [], (lobby) => matchesFilter(lobby, filter), limit, copyLobby);
  }
  async quickJoin(game, player, filter, create) {
    const state = this.game(game);
    if (state.memberOf.has(player.instance_id)) return { outcome: "in-lobby" };
    const oldest = [...state.lobbies.values()].filter((lobby) => quickJoinable(lobby, filter)).sort(byCreation)[0];
    if (oldest) {
      oldest.members.push({ ...player });
      state.memberOf.set(player.instance_id, oldest.name);
      return { outcome: "joined", lobby: copyLobby(oldest) };
    }
    let n = state.lobbySeq + 1;
    while (state.lobbies.has(`${create.namePrefix}-${n}`)) n += 1;
    state.lobbySeq = n - 1;
    const name = `${create.namePrefix}-${n}`;
    return { outcome: "created", ...this.insert(state, game, name, player, create.settings) };
  }
  async join(game, name, player, checkPassword) {
    const refusal = () => {
      const state = this.byGame.get(game);
      if (state?.memberOf.has(player.instance_id)) return { outcome: "in-lobby" };
      const lobby2 = state?.lobbies.get(name);
      if (!lobby2) return { outcome: "not-found" };
      if (lobby2.settings.locked) return { outcome: "locked" };
      if (lobby2.settings.maxPlayers !== -1 && lobby2.members.length >= lobby2.settings.maxPlayers) return { outcome: "full" };
      return lobby2;
    };
    const early = refusal();
    if ("outcome" in early) return early;
    const checked = early.settings.password;
    if (checked && !await checkPassword(checked)) return { outcome: "password" };
    const lobby = refusal();
    if ("outcome" in lobby) return lobby;
    if (lobby.settings.password !== checked) return { outcome: "password" };
    lobby.members.push({ ...player });
    this.byGame.get(game).memberOf.set(player.instance_id, name);
    return { outcome: "ok", lobby: copyLobby(lobby) };
  }
  async leave(game, instanceId2) {
    const state = this.byGame.get(game);
    const name = state?.memberOf.get(instanceId2);
    if (!state || name === void 0) return null;
    return this.remove(state, state.lobbies.get(name), instanceId2);
  }
  async kick(game, host, target) {
    const found = this.hosted(game, host);
    if (typeof found === "string") return { outcome: found };
    if (!found.lobby.members.some((member) => member.instance_id === target)) return { outcome: "not-a-member" };
    if (target === host) return { outcome: "self" };
    return { outcome: "ok", departure: this.remove(found.game, found.lobby, target) };
  }
  async setSettings(game, host, change) {
    const found = this.hosted(game, host);
    if (typeof found === "string") return { outcome: found };
    const { lobby } = found;
    const max = change.maxPlayers;
    if (max !== void 0 && max !== -1 && max < lobby.members.length) return { outcome: "below-current-players" };
    const shown = lobby.settings.hidden && change.hidden === false;
    Object.assign(lobby.settings, change, change.metadata ? { metadata: { ...change.metadata } } : {});
    return { outcome: "ok", lobby: copyLobby(lobby), shown };
  }
  async setHost(game, host, target) {
    const found = this.hosted(game, host);
    if (typeof found === "string") return { outcome: found };
    const { lobby } = found;
    const next2 = lobby.members.find((member) => member.instance_id === target);
    if (!next2) return { outcome: "not-a-member" };
    if (target === host) return { outcome: "already-host" };
    const previous = lobby.host;
    lobby.host = next2;
    return { outcome: "ok", lobby: copyLobby(lobby), previous: { ...previous } };
  }
  async close(game, host) {
    const found = this.hosted(game, host);
    if (typeof found === "string") return { outcome: found };
    const record3 = copyLobby(found.lobby);
    this.deleteLobby(found.game, found.lobby);
    return { outcome: "ok", lobby: record3 };
  }
  async setRelay(game, name, relay, lobbyWide) {
    const lobby = this.byGame.get(game)?.lobbies.get(name);
    if (!lobby || lobby.members.length === 0) return null;
    lobby.relay = { ...relay };
    if (lobbyWide) lobby.settings.relayEnabled = true;
    return copyLobby(lobby);
  }
  async issueToken(game, instanceId2) {
    const old = this.tokenOf.get(instanceId2);
    if (old !== void 0) this.tokens.delete(old);
    const token = randomBytes5(24).toString("base64url");
    this.tokens.set(token, { game, id: instanceId2 });
    this.tokenOf.set(instanceId2, token);
    return token;
  }
  async holdSeat(game, instanceId2) {
    if (this.byGame.get(game)?.players.has(instanceId2)) this.held.add(instanceId2);
  }
  async resumeSeat(game, token) {
    const seat = this.tokens.get(token);
    if (!seat || seat.game !== game) return null;
    const user2 = this.byGame.get(game)?.players.get(seat.id);
    if (!user2) return null;
    this.held.delete(seat.id);
    return { user: { ...user2 }, token: await this.issueToken(game, seat.id) };
  }
  async seatHeld(_game, instanceId2) {
    return this.held.has(instanceId2);
  }
  /** In this process: it always answers. */
  async ping() {
  }
};

// src/server/rate-limit.ts
var RateLimiter = class {
  constructor(options2, now = Date.now) {
    this.options = options2;
    this.now = now;
    this.tokens = options2.burst;
    this.last = now();
  }
  options;
  now;
  tokens;
  last;
  strikes = 0;
  strikeWindowStart = 0;
  lastWarning = Number.NEGATIVE_INFINITY;
  take() {
    const now = this.now();
    this.tokens = Math.min(this.options.burst, this.tokens + (now - this.last) / 1e3 * this.options.perSecond);
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return "ok";
    }
    return this.strike(now);
  }
  /** A packet refused for another reason (its address's budget is spent) counts like one over this limit. */
  strike(now = this.now()) {
    if (now - this.strikeWindowStart > 1e4) {
      this.strikeWindowStart = now;
      this.strikes = 0;
    }
    this.strikes += 1;
    return this.strikes > this.options.strikesBeforeViolation ? "violation" : "limited";
  }
  /**
   * Whether a refused packet nobody waits for (no listener) is answered: the first in each second is,
   * the rest are only counted, so a flood cannot make the server write a WARNING per packet.
   */
  warnNow(now = this.now()) {
    if (now - this.lastWarning < 1e3) return false;
    this.lastWarning = now;
    return true;
  }
};

// src/server/seats.ts
var Seats = class {
  constructor(options2) {
    this.options = options2;
  }
  options;
  timers = /* @__PURE__ */ new Map();
  get enabled() {
    return this.options.graceMs > 0;
  }
  /** Seats held right now (GET /metrics). */
  get held() {
    return this.timers.size;
  }
  get graceMs() {
    return this.options.graceMs;
  }
  /** A fresh token for `player` (the one it had before stops working); undefined when holding is off. */
  async issue(player) {
    return this.enabled ? this.options.store.issueToken(player.game, player.id) : void 0;
  }
  /** Keeps a dropped player's seat until the grace period ends. */
  async hold(player) {
    clearTimeout(this.timers.get(player));
    const timer = setTimeout(() => {
      this.timers.delete(player);
      this.options.release(player, "did not come back in time");
    }, this.options.graceMs);
    timer.unref();
    this.timers.set(player, timer);
    await this.options.store.holdSeat(player.game, player.id);
  }
  /** The player a token resumes in `game` and its next token — the token is used up: it works once. */
  async claim(token, game) {
    const resumed = await this.options.store.resumeSeat(game, token);
    const player = resumed && this.options.players.get(resumed.user.instance_id);
    if (!resumed || !player) return void 0;
    clearTimeout(this.timers.get(player));
    this.timers.delete(player);
    return { player, token: resumed.token };
  }
  /** A seat that cannot be resumed after all (it missed more than was kept): released now (release forgets its timer). */
  release(player, why) {
    this.options.release(player, why);
  }
  /** The player left for good: no timer is left behind (its token goes with it from the store). */
  forget(player) {
    clearTimeout(this.timers.get(player));
    this.timers.delete(player);
  }
  /** Server shutdown: no timer may outlive it. */
  clear() {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
};

// src/server/server.ts
var ADDRESS_SHARE = 10;
var DELIBERATE_CLOSE = /* @__PURE__ */ new Set([1e3, 1001, 1005]);
var PING_SLICE_MS = 1;
var DRAIN_CLOSE = { code: 1012, reason: "server node restarting: resume on another node" };
function findRepoRoot() {
  const start = path2.dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = path2.dirname(dir)) {
    if (existsSync(path2.join(dir, "package.json"))) return dir;
    if (path2.dirname(dir) === dir) return process.cwd();
  }
}
var PLAYER = /* @__PURE__ */ Symbol("player");
var CloudLinkSocket = class extends WebSocket {
  close(code, data) {
    if (code === VIOLATION_TOO_BIG && data === void 0 && this.readyState === this.OPEN) return;
    super.close(code, data);
  }
  /** The close ws asked for, VIOLATION first; the socket is let go of as any violator's (drop.ts). */
  cutTooBig() {
    this[PLAYER].tooBig(`frame too large: over ${MAX_FRAME_BYTES} bytes`);
    super.close(VIOLATION_TOO_BIG);
    dropAfterClose(this);
  }
};
var ADDRESS = /* @__PURE__ */ Symbol("address");
var playerOf = (ws) => ws[PLAYER];
var ignore = () => {
};
function gameOf(url) {
  let ugi;
  try {
    ugi = new URL(url ?? "/", "http://localhost").searchParams.get("ugi");
  } catch {
    return null;
  }
  if (!ugi) return "default";
  return [...ugi].length > UGI_MAX ? null : ugi;
}
function refuseUpgrade(socket, status, headers = "") {
  socket.end(`HTTP/1.1 ${status}\r
Connection: close\r
${headers}Content-Length: 0\r
\r
`);
}
async function startServer(options2 = {}) {
  const log2 = options2.logger ?? jsonLogger();
  const store = options2.store ?? new MemoryStore();
  if (options2.turn) checkTurnOptions(options2.turn);
  const players = /* @__PURE__ */ new Set();
  const byId = /* @__PURE__ */ new Map();
  const release = (player, why) => {
    seats.forget(player);
    if (player.open) {
      player.closedByServer = true;
      player.socket.terminate();
    }
    if (!player.user) return;
    byId.delete(player.id);
    const out = async () => {
      await leaveLobby(ctx, player, why);
      await store.removePlayer(player.game, player.id);
      await options2.cluster?.unregister(player.id, player);
      log2("info", "player.disconnect", { game: player.game, player: player.id, why });
    };
    const done = out().catch((error) => log2("error", "player.release_failed", { player: player.id, error: String(error) })).finally(() => releasing.delete(done));
    releasing.add(done);
  };
  const releasing = /* @__PURE__ */ new Set();
  const seats = new Seats({ graceMs: options2.resumeGraceMs ?? 3e4, store, players: byId, release });
  const cuts = new PacedCuts(options2.cutsPerTurn ?? DEFAULT_CUTS_PER_TURN);
  const scheduleCut = (ws, run) => {
    turnShare.forget(ws);
    admission2.violated(ws[ADDRESS]);
    cuts.schedule(ws, run);
  };
  const admission2 = new Admission(
    { ...DEFAULT_ADMISSION, ...options2.admission },
    (player, reason, code) => scheduleCut(player.socket, () => {
      log2("info", "violation.no_init", { address: player.address });
      player.violation(reason, code);
    })
  );
  const adopt = (fresh, held2, opening, missed) => {
    const old = held2.socket;
    admission2.identified(fresh);
    players.delete(fresh);
    held2.attach(fresh.socket, fresh.address, opening, missed);
    fresh.socket[PLAYER] = held2;
    players.add(held2);
    if (old !== held2.socket) old.terminate();
  };
  const relays = /* @__PURE__ */ new Map();
  const metrics = serverMetrics(options2.cluster?.nodeId ?? options2.nodeId ?? defaultNodeId(), {
    connections: () => players.size,
    players: () => byId.size - seats.held,
    held: () => seats.held,
    lobbies: async () => {
      return (await withinDeadline(store.games())).reduce((sum, game) => sum + game.lobbies, 0);
    },
    relayPeers: () => relays.size,
    relayLinks: () => options2.relay?.links?.() ?? 0,
    relayNegotiations: () => options2.relay?.negotiating?.() ?? 0
  });
  const rate2 = {
    perSecond: RATE_PER_SECOND,
    burst: RATE_BURST,
    strikesBeforeViolation: RATE_STRIKES_BEFORE_VIOLATION,
    ...options2.rateLimit
  };
  const addressBudgets = new AddressBudgets({
    perSecond: ADDRESS_SHARE * rate2.perSecond,
    burst: ADDRESS_SHARE * rate2.burst,
    ...options2.addressRateLimit
  });
  const incoming2 = new IncomingBudget(
    { ...DEFAULT_INCOMING, ...options2.incoming },
    (ws, reason, code) => scheduleCut(ws, () => {
      const player = playerOf(ws);
      if (player.socket !== ws) return ws.terminate();
      metrics.tally.rejected.violation += 1;
      log2("warn", "violation.incoming", { player: player.id, address: player.address, reason });
      player.violation(reason, code);
    })
  );
  const passwordGuard2 = new PasswordGuard({ ...DEFAULT_PASSWORD_GUARD, ...options2.passwordGuard });
  const passwords = new PasswordHasher({ ...DEFAULT_PASSWORD_HASHING, ...options2.passwordHashing });
  const announcer2 = new LobbyAnnouncer({ ...DEFAULT_ANNOUNCER, ...options2.announcer }, () => byId.values());
  const fanout2 = new FanoutBudget({ ...DEFAULT_FANOUT, ...options2.fanout });
  const signalCredit2 = { ...DEFAULT_SIGNAL_CREDIT, ...options2.signalCredit };
  const cut = (player, event, reason, code) => {
    player.closedByServer = true;
    scheduleCut(player.socket, () => {
      metrics.tally.rejected.violation += 1;
      log2("warn", event, { player: player.id, address: player.address });
      player.violation(reason, code);
    });
  };
  const ctx = {
    store,
    announcer: announcer2,
    fanout: fanout2,
    signalCredit: signalCredit2.signals,
    joinCooldownMs: options2.joinCooldownMs ?? DEFAULT_JOIN_COOLDOWN_MS,
    addressBudgets,
    passwordGuard: passwordGuard2,
    passwords,
    players: byId,
    relays,
    log: log2,
    tally: metrics.tally,
    seats,
    adopt,
    cut,
    tokenVerifier: options2.tokenVerifier,
    relay: options2.relay,
    turn: options2.turn,
    cluster: options2.cluster
  };
  const turnShare = new TurnShare(
    {
      packets: options2.packetsPerAddressPerTurn ?? DEFAULT_TURN_SHARE.packets,
      bytes: options2.bytesPerAddressPerTurn ?? DEFAULT_TURN_SHARE.bytes,
      bytesPerSecond: options2.bytesPerAddressPerSecond ?? DEFAULT_TURN_SHARE.bytesPerSecond
    },
    (ws, data, isBinary) => dispatch(ctx, playerOf(ws), data, isBinary)
  );
  const watch = options2.cluster && await joinCluster(ctx, options2.cluster, { seats, graceMs: seats.graceMs });
  const allowed = new Set(options2.allowedOrigins ?? []);
  let closing2 = null;
  let draining = false;
  const httpRequests2 = new HttpRate({ ...DEFAULT_HTTP_RATE, ...options2.httpRequests });
  const http = createServer(
    httpHandler({
      store,
      extensionFile: options2.extensionFile ?? path2.join(findRepoRoot(), "dist/cloudlink5.js"),
      startedAt: Date.now(),
      log: log2,
      metrics: metrics.registry,
      accepting: () => closing2 === null && !draining && http.listening,
      requests: httpRequests2,
      addressOf: (req) => clientAddress(req, options2.trustProxy ?? false),
      holdRefused: !options2.trustProxy
    })
  );
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_FRAME_BYTES,
    perMessageDeflate: false,
    clientTracking: false,
    WebSocket: CloudLinkSocket,
    // ws 8.23's option, not yet in @types/ws.
    ...{ closeTimeout: CLOSE_TIMEOUT_MS }
  });
  if (!options2.trustProxy) {
    http.prependListener("connection", (socket) => {
      if (httpRequests2.shuts(socket.remoteAddress ?? "")) socket.destroy();
    });
  }
  http.on("upgrade", (req, socket, head) => {
    socket.on("error", ignore);
    if (draining || closing2) return refuseUpgrade(socket, "503 Service Unavailable");
    const origin2 = req.headers.origin;
    if (allowed.size > 0 && (origin2 === void 0 || !allowed.has(origin2))) {
      log2("warn", "origin.refused", { origin: origin2 ?? null, address: req.socket.remoteAddress });
      return refuseUpgrade(socket, "403 Forbidden");
    }
    const game = gameOf(req.url);
    if (game === null) {
      log2("warn", "ugi.refused", { address: req.socket.remoteAddress });
      return refuseUpgrade(socket, "400 Bad Request");
    }
    const address2 = clientAddress(req, options2.trustProxy ?? false);
    const refused2 = admission2.refusal(address2);
    if (refused2) metrics.tally.connectionsRefused += 1;
    if (refused2 && !refused2.told) {
      return refuseUpgrade(socket, "429 Too Many Requests", `Retry-After: ${refused2.retryAfterSeconds ?? 1}\r
`);
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      if (refused2) {
        log2("warn", "connection.refused", { address: address2, reason: refused2.reason });
        return ws.close(CLOSE_TRY_LATER, refused2.reason);
      }
      accept(ws, socket, game, address2);
    });
  });
  function onPong() {
    playerOf(this).alive = true;
  }
  function onMessage(data, isBinary) {
    const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
    incoming2.completed(this);
    turnShare.offer(this, this[ADDRESS], bytes, isBinary);
  }
  function onClose(code) {
    admission2.closed(this[ADDRESS]);
    incoming2.forget(this);
    turnShare.forget(this);
    const player = playerOf(this);
    if (player.socket !== this) return;
    players.delete(player);
    if (player.evicted) return;
    if (player.cutBecause) log2("warn", "player.cut", { game: player.game, player: player.id, address: player.address, why: player.cutBecause });
    if (player.user && seats.enabled && !player.closedByServer && !DELIBERATE_CLOSE.has(code)) {
      player.detach();
      seats.hold(player).catch((error) => log2("error", "player.hold_failed", { player: player.id, error: String(error) }));
      log2("info", "player.held", { game: player.game, player: player.id, code, graceMs: seats.graceMs });
      return;
    }
    release(player, "disconnected");
  }
  function onError(error) {
    const player = playerOf(this);
    if (error.code === "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH") {
      const ws = this;
      scheduleCut(ws, () => {
        metrics.tally.rejected.violation += 1;
        log2("warn", "violation.size", { player: player.id, address: player.address, limit: MAX_FRAME_BYTES });
        ws.cutTooBig();
      });
      return;
    }
    log2("warn", "socket.error", { player: player.id, error: error.message });
  }
  function accept(ws, socket, game, address2) {
    const player = new Player(ws, game, new RateLimiter(rate2), address2, options2.maxOutboxBytes, signalCredit2);
    ws[PLAYER] = player;
    ws[ADDRESS] = address2;
    admission2.opened(address2);
    admission2.expectInit(player);
    players.add(player);
    ws.on("pong", onPong).on("message", onMessage).on("close", onClose).on("error", onError);
    incoming2.watch(ws, socket);
    turnShare.watch(ws, socket, address2);
    frameErrorsWithoutStack(ws);
  }
  const pingOrTerminate = (player) => {
    if (!player.alive) {
      log2("info", "player.timeout", { player: player.id });
      player.socket.terminate();
      return;
    }
    player.alive = false;
    player.socket.ping();
  };
  let pingRound;
  const pinger = setInterval(() => {
    if (pingRound) return;
    pingRound = new SlicedLoop(players.values(), pingOrTerminate, PING_SLICE_MS, () => {
      pingRound = void 0;
    });
    pingRound.start();
  }, options2.pingIntervalMs ?? 3e4);
  pinger.unref();
  await new Promise((resolve, reject) => {
    http.once("error", reject);
    http.listen(options2.port ?? 3e3, options2.host ?? "127.0.0.1", () => resolve());
  });
  const address = http.address();
  const port2 = typeof address === "object" && address ? address.port : 0;
  const host = options2.host ?? "127.0.0.1";
  const hostForUrl = host.includes(":") ? `[${host}]` : host;
  log2("info", "server.listening", { host, port: port2, ...options2.turn ? { turn: options2.turn.urls } : {} });
  const running = {
    url: `http://${hostForUrl}:${port2}`,
    wsUrl: `ws://${hostForUrl}:${port2}/`,
    port: port2,
    store,
    metrics,
    connections: (game) => [...byId.values()].filter((player) => player.game === game),
    async drain(timeoutMs) {
      if (draining || closing2) return running.close();
      draining = true;
      log2("info", "server.draining", { players: byId.size, timeoutMs });
      for (const player of [...players]) player.handOff(DRAIN_CLOSE.code, DRAIN_CLOSE.reason);
      const deadline = Date.now() + timeoutMs;
      while ((byId.size > 0 || players.size > 0) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      log2("info", "server.drained", { left: byId.size });
      return running.close();
    },
    close() {
      closing2 ??= (async () => {
        clearInterval(pinger);
        pingRound?.stop();
        admission2.stop();
        incoming2.stop();
        turnShare.stop();
        cuts.stop();
        addressBudgets.stop();
        httpRequests2.stop();
        passwordGuard2.stop();
        announcer2.stop();
        fanout2.stop();
        seats.clear();
        const closing3 = [...players];
        const sockets = closing3.map((player) => player.socket);
        const allClosed = Promise.all(
          sockets.map(
            (socket) => new Promise((resolve) => {
              if (socket.readyState === socket.CLOSED) return resolve();
              socket.once("close", () => resolve());
            })
          )
        );
        for (const player of closing3) player.close(1001, "server shutting down");
        const force = setTimeout(() => {
          for (const socket of sockets) socket.terminate();
        }, 1e3);
        await allClosed;
        clearTimeout(force);
        await Promise.all(releasing);
        await passwords.stop();
        await watch?.stop();
        await options2.cluster?.stop();
        wss.close();
        await new Promise((resolve) => {
          http.close(() => resolve());
          http.closeAllConnections();
        });
        log2("info", "server.closed", {});
      })();
      return closing2;
    }
  };
  return running;
}

// src/server/main.ts
var options = {
  host: { type: "string", default: process.env.CL5_HOST || "127.0.0.1" },
  port: { type: "string", default: process.env.CL5_PORT || "3000" },
  "allowed-origins": { type: "string", default: process.env.CL5_ALLOWED_ORIGINS || "" },
  "rate-limit": { type: "string", default: process.env.CL5_RATE_LIMIT || "" },
  "rate-limit-per-address": { type: "string", default: process.env.CL5_RATE_LIMIT_PER_ADDRESS || "" },
  "log-level": { type: "string", default: process.env.CL5_LOG_LEVEL || "info" },
  "resume-grace": { type: "string", default: process.env.CL5_RESUME_GRACE || "30" },
  "turn-url": { type: "string", default: process.env.CL5_TURN_URL || "" },
  "turn-secret": { type: "string", default: process.env.CL5_TURN_SECRET || "" },
  "turn-ttl": { type: "string", default: process.env.CL5_TURN_TTL || String(DEFAULT_TURN_TTL_SECONDS) },
  "token-verifier": { type: "string", default: process.env.CL5_TOKEN_VERIFIER || "" },
  redis: { type: "string", default: process.env.CL5_REDIS_URL || "" },
  "drain-timeout": { type: "string", default: process.env.CL5_DRAIN_TIMEOUT || "10" },
  "max-connections": { type: "string", default: process.env.CL5_MAX_CONNECTIONS || String(DEFAULT_ADMISSION.maxConnections) },
  "max-connections-per-address": {
    type: "string",
    default: process.env.CL5_MAX_CONNECTIONS_PER_ADDRESS || String(DEFAULT_ADMISSION.maxPerAddress)
  },
  "init-deadline": { type: "string", default: process.env.CL5_INIT_DEADLINE || String(DEFAULT_ADMISSION.initDeadlineMs / 1e3) },
  "new-connections-per-address": {
    type: "string",
    default: process.env.CL5_NEW_CONNECTIONS_PER_ADDRESS || String(DEFAULT_ADMISSION.connectionsPerSecond)
  },
  "new-connections-burst-per-address": {
    type: "string",
    default: process.env.CL5_NEW_CONNECTIONS_BURST_PER_ADDRESS || String(DEFAULT_ADMISSION.connectionBurst)
  },
  "http-requests-per-address": {
    type: "string",
    default: process.env.CL5_HTTP_REQUESTS_PER_ADDRESS || String(DEFAULT_HTTP_RATE.perSecond)
  },
  "http-requests-burst-per-address": {
    type: "string",
    default: process.env.CL5_HTTP_REQUESTS_BURST_PER_ADDRESS || String(DEFAULT_HTTP_RATE.burst)
  },
  "violation-connection-cost": {
    type: "string",
    default: process.env.CL5_VIOLATION_CONNECTION_COST || String(DEFAULT_ADMISSION.violationCost)
  },
  "password-guesses-per-lobby": {
    type: "string",
    default: process.env.CL5_PASSWORD_GUESSES_PER_LOBBY || String(DEFAULT_PASSWORD_GUARD.perLobby)
  },
  "password-guesses-per-address": {
    type: "string",
    default: process.env.CL5_PASSWORD_GUESSES_PER_ADDRESS || String(DEFAULT_PASSWORD_GUARD.perAddress)
  },
  "password-threads": { type: "string", default: process.env.CL5_PASSWORD_THREADS || String(DEFAULT_PASSWORD_HASHING.threads) },
  "password-nice": { type: "string", default: process.env.CL5_PASSWORD_NICE || String(DEFAULT_PASSWORD_HASHING.nice) },
  "trust-proxy": { type: "boolean", default: ["1", "true", "yes"].includes((process.env.CL5_TRUST_PROXY ?? "").toLowerCase()) },
  "max-outbox-kib": { type: "string", default: process.env.CL5_MAX_OUTBOX_KIB || String(DEFAULT_MAX_OUTBOX_BYTES / 1024) },
  "relay-offers-per-minute": {
    type: "string",
    default: process.env.CL5_RELAY_OFFERS_PER_MINUTE || String(DEFAULT_RELAY_LIMITS.offersPerMinute)
  },
  "relay-links-per-lobby": { type: "string", default: process.env.CL5_RELAY_LINKS_PER_LOBBY || String(DEFAULT_RELAY_LIMITS.linksPerLobby) },
  "relay-kib-per-second": {
    type: "string",
    default: process.env.CL5_RELAY_KIB_PER_SECOND || String(DEFAULT_RELAY_LIMITS.bytesPerSecond / 1024)
  },
  "relay-negotiations": { type: "string", default: process.env.CL5_RELAY_NEGOTIATIONS || String(DEFAULT_RELAY_LIMITS.negotiations) },
  "relay-negotiations-per-address": {
    type: "string",
    // Unset: half of --relay-negotiations (relay-limits.ts shareOf).
    default: process.env.CL5_RELAY_NEGOTIATIONS_PER_ADDRESS || ""
  },
  "relay-negotiation-timeout": {
    type: "string",
    default: process.env.CL5_RELAY_NEGOTIATION_TIMEOUT || String(DEFAULT_RELAY_LIMITS.negotiationMs / 1e3)
  },
  "relay-memory-mib": { type: "string", default: process.env.CL5_RELAY_MEMORY_MIB || String(DEFAULT_RELAY_BUDGET.memoryMib) },
  "relay-nice": { type: "string", default: process.env.CL5_RELAY_NICE || String(DEFAULT_RELAY_BUDGET.nice) },
  "lobby-announce-interval": {
    type: "string",
    default: process.env.CL5_LOBBY_ANNOUNCE_INTERVAL || String(DEFAULT_ANNOUNCER.intervalMs / 1e3)
  },
  "lobby-announce-batch": { type: "string", default: process.env.CL5_LOBBY_ANNOUNCE_BATCH || String(DEFAULT_ANNOUNCER.batchMax) },
  "lobby-announce-cost": { type: "string", default: process.env.CL5_LOBBY_ANNOUNCE_COST || String(DEFAULT_ANNOUNCER.costPerLobbyMs) },
  "lobby-announce-max-delay": {
    type: "string",
    default: process.env.CL5_LOBBY_ANNOUNCE_MAX_DELAY || String(DEFAULT_ANNOUNCER.maxDelayMs / 1e3)
  },
  "fanout-rate": { type: "string", default: process.env.CL5_FANOUT_RATE || String(DEFAULT_FANOUT.perSecond) },
  "fanout-rate-per-address": { type: "string", default: process.env.CL5_FANOUT_RATE_PER_ADDRESS || String(DEFAULT_FANOUT.perAddressPerSecond) },
  "join-signal-credit": { type: "string", default: process.env.CL5_JOIN_SIGNAL_CREDIT || String(DEFAULT_SIGNAL_CREDIT.signals) },
  "join-cooldown": { type: "string", default: process.env.CL5_JOIN_COOLDOWN || String(DEFAULT_JOIN_COOLDOWN_MS / 1e3) },
  "max-incoming-kib": { type: "string", default: process.env.CL5_MAX_INCOMING_KIB || String(DEFAULT_INCOMING.maxBytes / 1024) },
  "message-deadline": { type: "string", default: process.env.CL5_MESSAGE_DEADLINE || String(DEFAULT_INCOMING.deadlineMs / 1e3) },
  "cuts-per-turn": { type: "string", default: process.env.CL5_CUTS_PER_TURN || String(DEFAULT_CUTS_PER_TURN) },
  "packets-per-address-per-turn": {
    type: "string",
    default: process.env.CL5_PACKETS_PER_ADDRESS_PER_TURN || String(DEFAULT_TURN_SHARE.packets)
  },
  "kib-per-address-per-turn": {
    type: "string",
    default: process.env.CL5_KIB_PER_ADDRESS_PER_TURN || String(DEFAULT_TURN_SHARE.bytes / 1024)
  },
  "kib-per-address-per-second": {
    type: "string",
    default: process.env.CL5_KIB_PER_ADDRESS_PER_SECOND || String(DEFAULT_TURN_SHARE.bytesPerSecond / 1024)
  },
  help: { type: "boolean", default: false }
};
var parsed;
try {
  parsed = parseArgs({ options });
} catch (error) {
  console.error(`${error instanceof Error ? error.message : String(error)} (see --help)`);
  process.exit(2);
}
var { values } = parsed;
if (values.help) {
  console.log(`CloudLink 5 signalling server
  --host HOST               listen address (env CL5_HOST, default 127.0.0.1)
  --port PORT               listen port (env CL5_PORT, default 3000)
  --allowed-origins A,B     browser origins allowed to connect (env CL5_ALLOWED_ORIGINS, default any)
  --rate-limit N            packets per second per connection, bursts of 4N (env CL5_RATE_LIMIT, default 50)
  --rate-limit-per-address N
                            ...shared by all connections from one address, bursts of 4N
                            (env CL5_RATE_LIMIT_PER_ADDRESS, default 10 × --rate-limit)
  --log-level LEVEL         info, warn or error (env CL5_LOG_LEVEL, default info)
  --resume-grace SECONDS    how long a dropped player's seat is held for it to resume (env CL5_RESUME_GRACE, default 30; 0 = off)
  --turn-url U1,U2          turn:/turns: URLs of a TURN server (coturn) whose short-lived credentials each
                            player gets at INIT (env CL5_TURN_URL; needs --turn-secret)
  --turn-secret SECRET      the TURN server's static-auth-secret (env CL5_TURN_SECRET)
  --turn-ttl SECONDS        how long those credentials are valid (env CL5_TURN_TTL, default ${DEFAULT_TURN_TTL_SECONDS})
  --token-verifier URL|FILE checks INIT tokens: an http(s) endpoint (POST {token, username?, kind} → 200
                            {user_id, username}) or a JavaScript module exporting the function (env
                            CL5_TOKEN_VERIFIER; default none: tokens are not checked, token-only players get guest names)
  --redis URL               share players and lobbies with every other node started with the same Redis
                            (redis://[user:password@]host:port[/db]; env CL5_REDIS_URL; default: this
                            process alone, in memory)
  --drain-timeout SECONDS   with --redis, SIGTERM drains: no new connections (/readyz 503), players told
                            to resume on another node, exit once they did or after this long
                            (env CL5_DRAIN_TIMEOUT, default 10)
  --max-connections N       open connections in all; more are closed with 1013 (env CL5_MAX_CONNECTIONS, default ${DEFAULT_ADMISSION.maxConnections})
  --max-connections-per-address N
                            ...from one address (env CL5_MAX_CONNECTIONS_PER_ADDRESS, default ${DEFAULT_ADMISSION.maxPerAddress})
  --init-deadline SECONDS   a connection that has not sent INIT by then is closed (env CL5_INIT_DEADLINE, default ${DEFAULT_ADMISSION.initDeadlineMs / 1e3}; 0 = none)
  --new-connections-per-address N
                            new connections per second from one address; past it they are refused with
                            the wait (1013 with the reason, or HTTP 429 past a few a second) (env
                            CL5_NEW_CONNECTIONS_PER_ADDRESS, default ${DEFAULT_ADMISSION.connectionsPerSecond}; 0 = no limit)
  --new-connections-burst-per-address N
                            ...at once (env CL5_NEW_CONNECTIONS_BURST_PER_ADDRESS, default ${DEFAULT_ADMISSION.connectionBurst})
  --http-requests-per-address N
                            HTTP requests per second from one address (the status page, health, metrics,
                            the extension file); past it 429 with Retry-After (env
                            CL5_HTTP_REQUESTS_PER_ADDRESS, default ${DEFAULT_HTTP_RATE.perSecond}; 0 = no limit)
  --http-requests-burst-per-address N
                            ...at once (env CL5_HTTP_REQUESTS_BURST_PER_ADDRESS, default ${DEFAULT_HTTP_RATE.burst})
  --violation-connection-cost N
                            new connections a connection cut for a violation costs its address, at most a
                            burst into debt (env CL5_VIOLATION_CONNECTION_COST, default ${DEFAULT_ADMISSION.violationCost})
  --password-guesses-per-lobby N
                            wrong lobby passwords one lobby takes per minute; more wait before they are checked
                            (env CL5_PASSWORD_GUESSES_PER_LOBBY, default ${DEFAULT_PASSWORD_GUARD.perLobby})
  --password-guesses-per-address N
                            ...one address may try per minute (env CL5_PASSWORD_GUESSES_PER_ADDRESS, default ${DEFAULT_PASSWORD_GUARD.perAddress})
  --password-threads N      lobby passwords hashed at once (scrypt, ~40 ms of a core each), each on a thread of
                            its own (env CL5_PASSWORD_THREADS, default ${DEFAULT_PASSWORD_HASHING.threads})
  --password-nice N         those threads' CPU priority, 0–19: they yield the CPU to signalling
                            (env CL5_PASSWORD_NICE, default ${DEFAULT_PASSWORD_HASHING.nice})
  --trust-proxy             a reverse proxy in front appends the client's address to X-Forwarded-For: count
                            per-address limits against it, not the proxy's (env CL5_TRUST_PROXY=1)
  --max-outbox-kib KIB      unsent data held for one client that does not read, before it is cut
                            (env CL5_MAX_OUTBOX_KIB, default ${DEFAULT_MAX_OUTBOX_BYTES / 1024})
  --relay-offers-per-minute N
                            offers one player may make to relay peers per minute; more are refused with a
                            WARNING before a connection is built (env CL5_RELAY_OFFERS_PER_MINUTE, default ${DEFAULT_RELAY_LIMITS.offersPerMinute})
  --relay-links-per-lobby N players one lobby's relay peer links to (env CL5_RELAY_LINKS_PER_LOBBY, default ${DEFAULT_RELAY_LIMITS.linksPerLobby})
  --relay-kib-per-second N  data one player may send through the relay; more is dropped, with a WARNING
                            (env CL5_RELAY_KIB_PER_SECOND, default ${DEFAULT_RELAY_LIMITS.bytesPerSecond / 1024})
  --relay-negotiations N    links the relay process sets up at once (each holds ~16 fds and 2 threads until
                            it opens); more offers are refused with a WARNING (env CL5_RELAY_NEGOTIATIONS, default ${DEFAULT_RELAY_LIMITS.negotiations})
  --relay-negotiations-per-address N
                            of those, how many the players of one address may hold; 0 = no share
                            (env CL5_RELAY_NEGOTIATIONS_PER_ADDRESS, default half of --relay-negotiations:
                            ${DEFAULT_RELAY_LIMITS.negotiationsPerAddress})
  --relay-negotiation-timeout SECONDS
                            a link to a relay peer not open by then is closed and its slot freed
                            (env CL5_RELAY_NEGOTIATION_TIMEOUT, default ${DEFAULT_RELAY_LIMITS.negotiationMs / 1e3})
  --relay-memory-mib N      heap of the relay process, which runs the relay peers apart from signalling;
                            past it the process is restarted (env CL5_RELAY_MEMORY_MIB, default ${DEFAULT_RELAY_BUDGET.memoryMib})
  --relay-nice N            its CPU priority, 0–19: it yields the CPU to signalling (env CL5_RELAY_NICE, default ${DEFAULT_RELAY_BUDGET.nice})
  --lobby-announce-interval SECONDS
                            NEW_LOBBY reaches each idle player in batches at most this often
                            (env CL5_LOBBY_ANNOUNCE_INTERVAL, default ${DEFAULT_ANNOUNCER.intervalMs / 1e3})
  --lobby-announce-batch N  lobbies per batch and interval; more wait for the next (env CL5_LOBBY_ANNOUNCE_BATCH, default ${DEFAULT_ANNOUNCER.batchMax})
  --lobby-announce-cost MS  server CPU one announced lobby may cost: a batch costs one write per idle player,
                            so it waits past the interval until enough new lobbies share it; 0 = never waits
                            for that (env CL5_LOBBY_ANNOUNCE_COST, default ${DEFAULT_ANNOUNCER.costPerLobbyMs})
  --lobby-announce-max-delay SECONDS
                            the longest a new lobby waits for its batch, whatever it costs; at least the
                            interval (env CL5_LOBBY_ANNOUNCE_MAX_DELAY, default ${DEFAULT_ANNOUNCER.maxDelayMs / 1e3})
  --fanout-rate N           messages per second a connection's lobby requests may make the server send to
                            others (a join: each member told, and the signals they may send the joiner; a
                            visible create or show: ${ANNOUNCEMENT_MESSAGES}), bursts of ${FANOUT_BURST_SECONDS}N; past it creates, joins and
                            shows are refused with the wait (env CL5_FANOUT_RATE, default ${DEFAULT_FANOUT.perSecond})
  --fanout-rate-per-address N
                            ...shared by all connections from one address (env CL5_FANOUT_RATE_PER_ADDRESS, default ${DEFAULT_FANOUT.perAddressPerSecond})
  --join-signal-credit N    signals each member may send a player who just joined outside its own rate
                            limit (within ${DEFAULT_SIGNAL_CREDIT.windowMs / 1e3} s; env CL5_JOIN_SIGNAL_CREDIT, default ${DEFAULT_SIGNAL_CREDIT.signals}; 0 = none)
  --join-cooldown SECONDS   a player joins at most once per this long; sooner is refused with the wait
                            (env CL5_JOIN_COOLDOWN, default ${DEFAULT_JOIN_COOLDOWN_MS / 1e3}; 0 = no limit)
  --max-incoming-kib KIB    unfinished messages all clients together may hold; past it the oldest are cut
                            (env CL5_MAX_INCOMING_KIB, default ${DEFAULT_INCOMING.maxBytes / 1024})
  --message-deadline SECONDS
                            a message still arriving this long after its first byte is cut
                            (env CL5_MESSAGE_DEADLINE, default ${DEFAULT_INCOMING.deadlineMs / 1e3}; 0 = none)
  --cuts-per-turn N         connections cut for a violation per event-loop turn when many are at once (the
                            rest wait, read no further; env CL5_CUTS_PER_TURN, default ${DEFAULT_CUTS_PER_TURN})
  --packets-per-address-per-turn N
                            packets of one address handled per event-loop turn; past it the address's
                            connections read nothing more until a later turn, and the rest of the packets
                            wait (0 = no limit; env CL5_PACKETS_PER_ADDRESS_PER_TURN, default ${DEFAULT_TURN_SHARE.packets})
  --kib-per-address-per-turn KIB
                            data of one address read per event-loop turn; past it the address's connections
                            read nothing more until a later turn (0 = no limit; env
                            CL5_KIB_PER_ADDRESS_PER_TURN, default ${DEFAULT_TURN_SHARE.bytes / 1024})
  --kib-per-address-per-second KIB
                            data of one address read per second, a second's worth at once; past it the
                            address's connections read nothing more until that rate has paid for what they
                            read (0 = no limit; env CL5_KIB_PER_ADDRESS_PER_SECOND, default ${DEFAULT_TURN_SHARE.bytesPerSecond / 1024})`);
  process.exit(0);
}
var port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`invalid --port: ${values.port}`);
  process.exit(2);
}
async function relayProvider(log2) {
  const relay = relayProcess({
    entry: new URL("./relay.mjs", import.meta.url),
    log: log2,
    limits: relayLimits,
    budget: relayBudget
  });
  try {
    await relay.ready();
    return relay;
  } catch (error) {
    await relay.close();
    log2("warn", "relay.unavailable", { reason: String(error) });
    return void 0;
  }
}
var LEVELS = ["info", "warn", "error"];
var minimum = LEVELS.indexOf(values["log-level"]);
if (minimum === -1) {
  console.error(`invalid --log-level: ${values["log-level"]} (info, warn or error)`);
  process.exit(2);
}
var rate = values["rate-limit"] === "" ? void 0 : Number(values["rate-limit"]);
if (rate !== void 0 && !(Number.isFinite(rate) && rate > 0)) {
  console.error(`invalid --rate-limit: ${values["rate-limit"]}`);
  process.exit(2);
}
function wholeNumber(flag, min) {
  const value = Number(values[flag]);
  return Number.isInteger(value) && value >= min ? value : fail2(`invalid --${flag}: ${values[flag]} (a whole number ≥ ${min})`);
}
function nonNegative(flag, meaning) {
  const value = Number(values[flag]);
  return Number.isFinite(value) && value >= 0 ? value : fail2(`invalid --${flag}: ${values[flag]} (${meaning})`);
}
function secondsMs(flag, meaning) {
  return nonNegative(flag, meaning) * 1e3;
}
var resumeGraceMs = secondsMs("resume-grace", "seconds, 0 = off");
var addressRate = values["rate-limit-per-address"] === "" ? void 0 : wholeNumber("rate-limit-per-address", 1);
var passwordGuard = {
  perLobby: wholeNumber("password-guesses-per-lobby", 1),
  perAddress: wholeNumber("password-guesses-per-address", 1)
};
var passwordHashing = { threads: wholeNumber("password-threads", 1), nice: Math.min(19, wholeNumber("password-nice", 0)) };
var maxOutboxBytes = wholeNumber("max-outbox-kib", 64) * 1024;
var announcer = {
  intervalMs: secondsMs("lobby-announce-interval", "seconds, more than 0"),
  batchMax: wholeNumber("lobby-announce-batch", 1),
  costPerLobbyMs: nonNegative("lobby-announce-cost", "milliseconds, 0 = off"),
  maxDelayMs: secondsMs("lobby-announce-max-delay", "seconds, at least --lobby-announce-interval")
};
if (announcer.intervalMs <= 0) fail2(`invalid --lobby-announce-interval: ${values["lobby-announce-interval"]} (seconds, more than 0)`);
if (announcer.maxDelayMs < announcer.intervalMs) {
  fail2(`invalid --lobby-announce-max-delay: ${values["lobby-announce-max-delay"]} (seconds, at least --lobby-announce-interval)`);
}
var fanout = { perSecond: wholeNumber("fanout-rate", 1), perAddressPerSecond: wholeNumber("fanout-rate-per-address", 1) };
var signalCredit = { signals: wholeNumber("join-signal-credit", 0) };
var joinCooldownMs = secondsMs("join-cooldown", "seconds, 0 = no limit");
var incoming = {
  // At least a few frames' worth: below that, honest players could be cut for their own messages.
  maxBytes: wholeNumber("max-incoming-kib", 256) * 1024,
  deadlineMs: secondsMs("message-deadline", "seconds, 0 = none")
};
var cutsPerTurn = wholeNumber("cuts-per-turn", 1);
var packetsPerAddressPerTurn = wholeNumber("packets-per-address-per-turn", 0);
var bytesPerAddressPerTurn = wholeNumber("kib-per-address-per-turn", 0) * 1024;
var bytesPerAddressPerSecond = wholeNumber("kib-per-address-per-second", 0) * 1024;
var admission = {
  maxConnections: wholeNumber("max-connections", 1),
  maxPerAddress: wholeNumber("max-connections-per-address", 1),
  initDeadlineMs: secondsMs("init-deadline", "seconds, 0 = none"),
  connectionsPerSecond: wholeNumber("new-connections-per-address", 0),
  connectionBurst: wholeNumber("new-connections-burst-per-address", 1),
  violationCost: wholeNumber("violation-connection-cost", 0)
};
var httpRequests = {
  perSecond: wholeNumber("http-requests-per-address", 0),
  burst: wholeNumber("http-requests-burst-per-address", 1)
};
var relayLimits = {
  offersPerMinute: wholeNumber("relay-offers-per-minute", 1),
  linksPerLobby: wholeNumber("relay-links-per-lobby", 1),
  bytesPerSecond: wholeNumber("relay-kib-per-second", 1) * 1024,
  negotiations: wholeNumber("relay-negotiations", 1),
  ...values["relay-negotiations-per-address"] === "" ? {} : { negotiationsPerAddress: wholeNumber("relay-negotiations-per-address", 0) },
  negotiationMs: secondsMs("relay-negotiation-timeout", "seconds, more than 0")
};
if (relayLimits.negotiationMs <= 0) fail2(`invalid --relay-negotiation-timeout: ${values["relay-negotiation-timeout"]} (seconds, more than 0)`);
var relayBudget = { memoryMib: wholeNumber("relay-memory-mib", 32), nice: Math.min(19, wholeNumber("relay-nice", 0)) };
function turnOptions() {
  const urls = values["turn-url"].split(",").map((url) => url.trim()).filter(Boolean);
  const secret = values["turn-secret"];
  if (urls.length === 0 && !secret) return void 0;
  if (urls.length === 0) return fail2("--turn-secret needs --turn-url (the TURN server that shares the secret)");
  if (!secret) return fail2("--turn-url needs --turn-secret (the TURN server's static-auth-secret)");
  const turn2 = { urls, secret, ttlSeconds: Number(values["turn-ttl"]) };
  try {
    checkTurnOptions(turn2);
  } catch (error) {
    return fail2(`${error.message} (see --help)`);
  }
  return turn2;
}
function fail2(message) {
  console.error(message);
  process.exit(2);
}
var turn = turnOptions();
async function tokenVerifier() {
  const spec = values["token-verifier"];
  if (!spec) return void 0;
  try {
    return await loadTokenVerifier(spec);
  } catch (error) {
    return fail2(`invalid --token-verifier ${spec}: ${error instanceof Error ? error.message : String(error)}`);
  }
}
var verifier = await tokenVerifier();
var everything = jsonLogger();
var log = (level, event, fields) => {
  if (LEVELS.indexOf(level) >= minimum) everything(level, event, fields);
};
var drainTimeoutMs = secondsMs("drain-timeout", "seconds");
var redisUrl = values.redis.trim();
if (redisUrl && !/^rediss?:\/\//.test(redisUrl)) fail2(`invalid --redis: ${redacted(redisUrl)} (expected redis://host:port or rediss://…)`);
var nodeId = defaultNodeId();
var shared = redisUrl ? await connectCluster({ url: redisUrl, nodeId, log }).catch((error) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
}) : void 0;
if (shared) log("info", "cluster.joined", { node: nodeId, redis: redacted(redisUrl) });
var server = await startServer({
  host: values.host,
  port,
  allowedOrigins: values["allowed-origins"].split(",").map((o) => o.trim()).filter(Boolean),
  logger: log,
  relay: await relayProvider(log),
  resumeGraceMs,
  nodeId,
  ...shared ? { store: shared.store, cluster: shared.cluster } : {},
  admission,
  httpRequests,
  maxOutboxBytes,
  announcer,
  fanout,
  signalCredit,
  joinCooldownMs,
  incoming,
  cutsPerTurn,
  packetsPerAddressPerTurn,
  bytesPerAddressPerTurn,
  bytesPerAddressPerSecond,
  trustProxy: values["trust-proxy"],
  passwordGuard,
  passwordHashing,
  ...turn ? { turn } : {},
  ...verifier ? { tokenVerifier: verifier } : {},
  ...rate === void 0 ? {} : { rateLimit: { perSecond: rate, burst: 4 * rate } },
  ...addressRate === void 0 ? {} : { addressRateLimit: { perSecond: addressRate, burst: 4 * addressRate } }
}).catch((error) => {
  console.error(`cannot listen on ${values.host}:${port}: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
var stopping = false;
for (const signal2 of ["SIGINT", "SIGTERM"]) {
  process.on(signal2, () => {
    if (stopping) return;
    stopping = true;
    log("info", "server.stopping", { signal: signal2 });
    const drain = signal2 === "SIGTERM" && shared;
    setTimeout(() => process.exit(1), (drain ? drainTimeoutMs : 0) + 5e3).unref();
    void (drain ? server.drain(drainTimeoutMs) : server.close()).then(() => shared?.close()).then(() => process.exit(0));
  });
}
var wildcard = ["0.0.0.0", "::", "[::]"].includes(values.host);
var base = wildcard ? `http://127.0.0.1:${server.port}` : server.url;
var wsBase = wildcard ? `ws://127.0.0.1:${server.port}/` : server.wsUrl;
console.log(`
CloudLink 5 server running.
  Extension URL (TurboWarp → Custom Extension → URL, run without sandbox): ${base}/cloudlink5.js
  Server URL for the "connect" block:                                       ${wsBase}
  Status page:                                                              ${base}/
`);
