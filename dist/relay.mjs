// src/protocol/limits.ts
var MAX_FRAME_BYTES = 64 * 1024;
var MAX_IN_BAND_BYTES = 240 * 1024;
var MAX_JSON_DEPTH = 32;
var USERNAME_MAX = 64;
var LOBBY_NAME_MAX = 64;
var PASSWORD_MAX = 128;
var TOKEN_MAX = 4096;
var RESUME_TOKEN_MAX = 128;
var PUBKEY_MAX = 512;
var LISTENER_MAX = 128;
var INSTANCE_ID_MAX = 64;
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
var BATCH_MAX = 1e4;

// src/protocol/schema.ts
var ProtocolError = class extends Error {
  constructor(message) {
    super(message);
    this.name = "ProtocolError";
  }
};
var fail = (path, expected) => {
  throw new ProtocolError(`${path} must be ${expected}`);
};
var NON_PRINTABLE = /[\u0000-\u001f\u007f-\u009f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
var string = ({ min = 0, max, printable: printable2 = false }) => (value, path) => {
  if (typeof value !== "string") return fail(path, "a string");
  const units = value.length;
  if (units > max || units < 2 * min) {
    const length = [...value].length;
    if (length < min || length > max) return fail(path, `${min}–${max} characters long`);
  }
  if (printable2 && NON_PRINTABLE.test(value)) return fail(path, "printable text");
  return value;
};
var integer = (min, max) => (value, path) => typeof value === "number" && Number.isInteger(value) && value >= min && value <= max ? value : fail(path, `an integer from ${min} to ${max}`);
var count = integer(0, Number.MAX_SAFE_INTEGER);
var boolean = (value, path) => typeof value === "boolean" ? value : fail(path, "true or false");
var literal = (...options) => (value, path) => options.includes(value) ? value : fail(path, `one of ${options.map((o) => JSON.stringify(o)).join(", ")}`);
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
var json = (value, path) => typeof value === "object" && value !== null && nestedDeeper(value, MAX_JSON_DEPTH) ? fail(path, `JSON nested at most ${MAX_JSON_DEPTH} levels deep`) : value;
var none = (value, path) => value === void 0 || value === null ? void 0 : fail(path, "empty");
var scratchValue = (value, path) => typeof value === "string" || typeof value === "boolean" || typeof value === "number" && Number.isFinite(value) ? value : fail(path, "a string, number or boolean");
var array = (item, maxItems) => (value, path) => {
  if (!Array.isArray(value)) return fail(path, "an array");
  if (value.length > maxItems) return fail(path, `at most ${maxItems} items`);
  return value.map((entry, index) => item(entry, `${path}[${index}]`));
};
var finite = (value, path) => typeof value === "number" && Number.isFinite(value) ? value : fail(path, "a finite number");
var record = (key, item, maxKeys) => (value, path) => {
  if (!isPlainObject(value)) return fail(path, "an object");
  const entries = Object.entries(value);
  if (entries.length > maxKeys) return fail(path, `at most ${maxKeys} entries`);
  const out = {};
  for (const [name, entry] of entries) {
    Object.defineProperty(out, key(name, `${path} key`), { value: item(entry, `${path}.${name}`), enumerable: true, writable: true, configurable: true });
  }
  return out;
};
var optional = (check) => (value, path) => value === void 0 ? void 0 : check(value, path);
var isPlainObject = (value) => typeof value === "object" && value !== null && !Array.isArray(value);
var object = (shape) => {
  const keys = Object.keys(shape);
  const checks = Object.values(shape);
  let parentPath;
  let fieldPaths = [];
  return (value, path) => {
    if (!isPlainObject(value)) return fail(path, "an object");
    if (path !== parentPath) {
      parentPath = path;
      fieldPaths = keys.map((key) => `${path}.${key}`);
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
var either = (first, second, expected) => (value, path) => {
  try {
    return first(value, path);
  } catch {
    try {
      return second(value, path);
    } catch {
      return fail(path, expected);
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
var username = (value, path) => {
  const name = printable(value, path).normalize("NFKC");
  const invisible = INVISIBLE.exec(name);
  if (invisible) {
    const code = invisible[0].codePointAt(0).toString(16).toUpperCase().padStart(4, "0");
    throw new ProtocolError(`${path} must not contain invisible formatting characters (U+${code})`);
  }
  return printable(name, path);
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
var iceUrl = (value, path) => {
  const url = string({ min: 1, max: ICE_URL_MAX, printable: true })(value, path);
  if (!/^(stuns?|turns?):/.test(url)) throw new ProtocolError(`${path} must be a stun:, stuns:, turn: or turns: URL`);
  return url;
};
var iceServer = object({
  urls: array(iceUrl, ICE_SERVERS_MAX),
  username: optional(string({ max: ICE_CREDENTIAL_MAX })),
  credential: optional(string({ max: ICE_CREDENTIAL_MAX }))
});
var metadataKey = string({ min: 1, max: METADATA_KEY_MAX, printable: true });
var metadataValue = (value, path) => {
  if (typeof value === "string") return string({ max: METADATA_VALUE_MAX })(value, path);
  if (typeof value !== "number") throw new ProtocolError(`${path} must be a string or a number`);
  const number = finite(value, path);
  if (Number(number.toPrecision(METADATA_NUMBER_DIGITS)) !== number) {
    throw new ProtocolError(`${path} must be a number with at most ${METADATA_NUMBER_DIGITS} significant digits`);
  }
  return number;
};
var metadataBytes = (metadata) => new TextEncoder().encode(JSON.stringify(metadata)).length;
var lobbyMetadata = (value, path) => {
  const metadata = record(metadataKey, metadataValue, METADATA_KEYS_MAX)(value, path);
  const bytes2 = metadataBytes(metadata);
  if (bytes2 > METADATA_BYTES_MAX) throw new ProtocolError(`${path} must be at most ${METADATA_BYTES_MAX} bytes as JSON (is ${bytes2})`);
  return metadata;
};
var metadataChange = record(metadataKey, (value, path) => value === null ? null : metadataValue(value, path), METADATA_KEYS_MAX);
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
  LIST_LOBBIES: ((value, path) => value === void 0 || value === null ? void 0 : lobbyFilter(value, path)),
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
var syncOpcodes = ["G_VAR", "P_VAR", "G_LIST", "P_LIST"];
var isSyncOpcode = (opcode) => syncOpcodes.includes(opcode);
var version = (value, path) => {
  const [seq2, writer] = array(json, 2)(value, path);
  return [count(seq2, `${path}[0]`), string({ max: INSTANCE_ID_MAX })(writer, `${path}[1]`)];
};
var sealedPair = (value, path) => {
  const pair = array(string({ max: MAX_IN_BAND_BYTES }), 2)(value, path);
  if (pair.length !== 2) throw new ProtocolError(`${path} must be [ciphertext, iv]`);
  return [pair[0], pair[1]];
};

// src/protocol/merge-payloads.ts
var seq = integer(1, Number.MAX_SAFE_INTEGER);
var WRITERS_MAX = 4 * MAX_PLAYERS_LIMIT;
var itemId = (value, path) => {
  if (!Array.isArray(value) || value.length !== 2) throw new ProtocolError(`${path} must be [seq, writer]`);
  return [seq(value[0], `${path}[0]`), instanceId(value[1], `${path}[1]`)];
};
var seqVector = record(instanceId, count, WRITERS_MAX);
var clearedEntry = (value, path) => {
  if (!Array.isArray(value) || value.length !== 3) throw new ProtocolError(`${path} must be [seq, stamp seq, stamp writer]`);
  return [count(value[0], `${path}[0]`), seq(value[1], `${path}[1]`), instanceId(value[2], `${path}[2]`)];
};
var wireItem = (writers) => (value, path) => {
  if (!Array.isArray(value) || value.length < 3 || value.length > 7) throw new ProtocolError(`${path} must be [seq, writer, value, …] with 3 to 7 fields`);
  const writer = integer(0, writers - 1);
  const wireId = (id, at) => {
    if (!Array.isArray(id) || id.length !== 2) throw new ProtocolError(`${at} must be 0, null or [seq, writer]`);
    return [seq(id[0], `${at}[0]`), writer(id[1], `${at}[1]`)];
  };
  const out = [seq(value[0], `${path}[0]`), writer(value[1], `${path}[1]`), scratchValue(value[2], `${path}[2]`)];
  for (let i = 3; i < value.length; i += 1) {
    const field = value[i];
    out.push(field === 0 || field === null && i === 3 ? field : wireId(field, `${path}[${i}]`));
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
var stateChunk = (value, path) => {
  const head = chunkHead(value, path);
  if (head.part >= head.of) throw new ProtocolError(`${path}.part must be below ${path}.of`);
  const items = array(wireItem(head.writers.length), LIST_ITEMS_MAX)(value.items, `${path}.items`);
  return { ...head, items };
};
var mergedListPayloads = {
  insert: object({ after: (value, path) => value === null ? null : itemId(value, path), value: scratchValue }),
  delete: itemId,
  put: object({ item: itemId, value: scratchValue }),
  clear: seqVector,
  ack: seqVector,
  state: stateChunk
};
var counterEntry = (value, path) => {
  if (!Array.isArray(value) || value.length !== 2) throw new ProtocolError(`${path} must be [changes, total]`);
  return [count(value[0], `${path}[0]`), finite(value[1], `${path}[1]`)];
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
    set: (value, path) => {
      if (value === null || value === void 0) return null;
      if (!isPlainObject(value)) throw new ProtocolError(`${path} must be null or a reset`);
      return { ...counterSet(value, path), version: itemId(value.version, `${path}.version`) };
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
var wholeListPayloads = listPayloads;
var listMethod = literal(...listMethods, ...Object.keys(mergedListPayloads));
var counterMethod = literal(...Object.keys(counterPayloads));
var mergedPayloads = mergedListPayloads;
var counterChecks = counterPayloads;
function decodePeerPacket(raw, path) {
  const opcode = opcodeOf(raw, peerOpcodes);
  const fields = raw;
  const packet = { opcode };
  if (fields.origin !== void 0) packet.origin = instanceId(fields.origin, `${path}.origin`);
  if (fields.recipient !== void 0) packet.recipient = instanceId(fields.recipient, `${path}.recipient`);
  if (fields.sealed !== void 0) {
    if (opcode !== "P_MSG" && opcode !== "P_VAR" && opcode !== "P_LIST") throw new ProtocolError(`${path}: only private packets can be sealed`);
    packet.sealed = sealedPair(fields.sealed, `${path}.sealed`);
    return packet;
  }
  if (isSyncOpcode(opcode)) {
    packet.id = networkId(fields.id, `${path}.id`);
    packet.seq = count(fields.seq, `${path}.seq`);
    if (fields.writer !== void 0) packet.writer = instanceId(fields.writer, `${path}.writer`);
  }
  if (opcode === "G_LIST" || opcode === "P_LIST") {
    const m = listMethod(fields.method, `${path}.method`);
    packet.method = m;
    packet.payload = (wholeListPayloads[m] ?? mergedPayloads[m])(fields.payload, `${path}.payload`);
    if (fields.base !== void 0) packet.base = version(fields.base, `${path}.base`);
  } else if ((opcode === "G_VAR" || opcode === "P_VAR") && fields.method !== void 0) {
    const m = counterMethod(fields.method, `${path}.method`);
    packet.method = m;
    packet.payload = counterChecks[m](fields.payload, `${path}.payload`);
  } else {
    const payload = peerOpcodes[opcode](fields.payload, `${path}.payload`);
    if (payload !== void 0) packet.payload = payload;
  }
  return packet;
}
function decodePeerMessage(text) {
  const raw = parseJson(text, MAX_IN_BAND_BYTES);
  if (!Array.isArray(raw)) return [decodePeerPacket(raw, "packet")];
  if (raw.length > BATCH_MAX) throw new ProtocolError(`batch has more than ${BATCH_MAX} packets`);
  return raw.map((entry, index) => decodePeerPacket(entry, `batch[${index}]`));
}
function encodePeerMessage(packets) {
  const text = JSON.stringify(packets.length === 1 ? packets[0] : packets);
  if (text.length > MAX_IN_BAND_BYTES) {
    throw new ProtocolError(`message is larger than ${MAX_IN_BAND_BYTES} bytes`);
  }
  return text;
}

// src/protocol/relay-refusal.ts
var BUSY = "relay: the relay is already setting up ";
var OFFERS = "relay: too many offers to the relay";
var LINKS = "relay: this lobby's relay already links ";
var RelayRefusal = {
  links: (limit) => `${LINKS}${limit} players (its limit); offer refused`,
  offers: (limit, waitMs) => `${OFFERS} (${limit} a minute); try again in ${Math.ceil(waitMs / 1e3)} s`,
  negotiations: (limit) => `${BUSY}${limit} links (its limit); offer refused, try again when one has opened or timed out`,
  negotiationsPerAddress: (share) => `${BUSY}${share} links for your address (its share); offer refused, try again when one has opened or timed out`,
  bytes: (limit) => `relay: you send more than ${Math.round(limit / 1024)} KiB/s through the relay; what is over it is dropped`
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

// src/server/relay/relay-ipc.ts
var HEARTBEAT_MS = 1e3;

// src/peer/link.ts
import SimplePeer from "simple-peer";

// src/peer/candidate-filter.ts
function parse(line) {
  const fields = line.replace(/^a=/, "").replace(/^candidate:/, "").split(" ");
  if (fields.length < 8) return null;
  const [, component, transport, , address, port, , type] = fields;
  const ufragAt = fields.indexOf("ufrag");
  return {
    key: `${component} ${transport.toLowerCase()} ${address} ${port} ${type}`,
    transport: transport.toLowerCase(),
    ufrag: ufragAt >= 0 ? fields[ufragAt + 1] ?? "" : ""
  };
}
var CandidateFilter = class {
  sent = /* @__PURE__ */ new Set();
  /** Candidates not sent (TCP, duplicates): signals saved. */
  skipped = 0;
  /** True if `candidate` should go to the peer; false (and counted) if the peer has it or cannot use it. */
  accept(candidate) {
    const fields = parse(candidate.candidate ?? "");
    if (!fields) return true;
    const key = `${candidate.usernameFragment ?? fields.ufrag} ${fields.key}`;
    if (fields.transport !== "udp" || this.sent.has(key)) {
      this.skipped += 1;
      return false;
    }
    this.sent.add(key);
    return true;
  }
};

// src/peer/emitter.ts
var logToConsole = (event, error) => console.error(`CloudLink 5: a "${event}" listener threw`, error);
var Emitter = class {
  constructor(onListenerError = logToConsole) {
    this.onListenerError = onListenerError;
  }
  onListenerError;
  listeners = /* @__PURE__ */ new Map();
  on(event, listener2) {
    let set = this.listeners.get(event);
    if (!set) {
      set = /* @__PURE__ */ new Set();
      this.listeners.set(event, set);
    }
    set.add(listener2);
    return () => this.off(event, listener2);
  }
  once(event, listener2) {
    const off = this.on(event, ((...args) => {
      off();
      listener2(...args);
    }));
    return off;
  }
  off(event, listener2) {
    this.listeners.get(event)?.delete(listener2);
  }
  /** A throwing listener must not stop the others, nor the protocol code that emitted: it is reported to the sink. */
  emit(event, ...args) {
    for (const listener2 of [...this.listeners.get(event) ?? []]) {
      try {
        listener2(...args);
      } catch (error) {
        this.onListenerError(String(event), error);
      }
    }
  }
  removeAllListeners() {
    this.listeners.clear();
  }
};

// src/peer/held-connection.ts
var HOLD_LIMIT_MS = 5e3;
var TRACKED_REQUESTS = ["createOffer", "createAnswer", "setLocalDescription", "setRemoteDescription", "getStats"];
var holding = /* @__PURE__ */ new Set();
function releaseOf(pc) {
  return pc?.released ?? Promise.resolve();
}
function holdingClass(Base) {
  return class Held extends Base {
    inFlight = 0;
    reportedClosed = false;
    closing = false;
    /** Its data channels, ours and the peer's, kept with it. */
    channels = [];
    release = () => {
    };
    released = new Promise((resolve) => {
      this.release = resolve;
    });
    limit;
    constructor(config) {
      super(config);
      this.addEventListener("signalingstatechange", () => {
        if (this.signalingState !== "closed") return;
        this.reportedClosed = true;
        this.check();
      });
      this.addEventListener("datachannel", (event) => this.channels.push(event.channel));
      const methods = this;
      for (const name of TRACKED_REQUESTS) {
        const request = methods[name];
        methods[name] = (...args) => this.track(request.apply(this, args));
      }
    }
    createDataChannel(label, init) {
      const channel = super.createDataChannel(label, init);
      this.channels.push(channel);
      return channel;
    }
    close() {
      if (!this.closing) {
        this.closing = true;
        holding.add(this);
        this.limit = setTimeout(() => this.letGo(), HOLD_LIMIT_MS);
        this.limit.unref?.();
      }
      super.close();
    }
    track(request) {
      this.inFlight += 1;
      const answered = () => {
        this.inFlight -= 1;
        this.check();
      };
      request.then(answered, answered);
      return request;
    }
    check() {
      if (this.closing && this.reportedClosed && this.inFlight === 0) this.letGo();
    }
    letGo() {
      clearTimeout(this.limit);
      holding.delete(this);
      this.channels.length = 0;
      this.release();
    }
  };
}

// src/peer/link.ts
var DEFAULT_CHANNEL = "default";
var MAX_HELD = 1e3;
var DISCONNECTED_GRACE_MS = 5e3;
var PeerLink = class extends Emitter {
  peerId;
  initiator;
  peer;
  /** Open channels by label (`default` once connected). */
  channels = /* @__PURE__ */ new Map();
  /** Messages sent on a named channel while it was still opening, sent in order once it opens. */
  held = /* @__PURE__ */ new Map();
  /** Named channels created but not open yet. */
  pendingChannels = /* @__PURE__ */ new Map();
  connected = false;
  closed = false;
  /** What a TURN server last answered this link's ICE agent with, e.g. a refused credential; said when the link fails to open. */
  turnError = null;
  /** Signals handed to `onSignal` (offer, answer, candidates, renegotiations). */
  signalsSent = 0;
  /** This link's own candidates worth sending (UDP, each once); `candidates.skipped` counts the rest. */
  candidates = new CandidateFilter();
  firstSignalSent = false;
  disconnectedTimer;
  /** The connection's own release (a promise does not keep the connection referenced). */
  connectionReleased;
  constructor(options) {
    super(options.onListenerError);
    this.peerId = options.peerId;
    this.initiator = options.initiator;
    this.peer = new SimplePeer({
      initiator: options.initiator,
      wrtc: options.wrtc,
      config: options.config,
      channelName: DEFAULT_CHANNEL,
      trickle: true
    });
    this.peer.on("signal", (signal2) => {
      if (signal2.type === "candidate" && signal2.candidate && !this.candidates.accept(signal2.candidate)) return;
      this.signalsSent += 1;
      const opening = !this.firstSignalSent && (signal2.type === "offer" || signal2.type === "answer");
      if (opening) this.firstSignalSent = true;
      options.onSignal(signal2, !opening ? "ICE" : signal2.type === "offer" ? "MAKE_OFFER" : "MAKE_ANSWER");
    });
    this.connectionReleased = releaseOf(this.internals._pc);
    this.internals._onChannelMessage = (event) => this.received(DEFAULT_CHANNEL, event.data);
    this.internals._pc.onicecandidateerror = (event) => {
      if (/^turns?:/.test(event.url) && event.errorCode >= 300 && event.errorCode < 700)
        this.turnError = `TURN server ${event.url} answered ${event.errorCode} ${event.errorText}`;
    };
    this.peer.on("connect", () => this.opened());
    this.peer.on("stream", (stream) => this.emit("stream", stream));
    this.peer.on("iceStateChange", (state) => this.iceState(state));
    this.peer.on("error", (error) => this.shutdown(error.message));
    this.peer.on("close", () => this.shutdown("connection closed"));
  }
  get internals() {
    return this.peer;
  }
  /** Feeds a signal from the remote side. */
  signal(signal2) {
    if (!this.closed) this.peer.signal(signal2);
  }
  opened() {
    const channel = this.internals._channel;
    if (!channel || this.closed) return;
    this.connected = true;
    this.channels.set(DEFAULT_CHANNEL, channel);
    this.emit("open");
  }
  iceState(state) {
    clearTimeout(this.disconnectedTimer);
    if (state !== "disconnected" || this.closed) return;
    this.disconnectedTimer = setTimeout(() => this.shutdown(`ICE disconnected for ${DISCONNECTED_GRACE_MS / 1e3} s`), DISCONNECTED_GRACE_MS);
  }
  received(label, data) {
    if (this.closed) return;
    this.emit("data", label, typeof data === "string" ? data : new TextDecoder().decode(data));
  }
  hasChannel(label) {
    return this.channels.has(label) || this.pendingChannels.has(label);
  }
  channelId(label) {
    return (this.channels.get(label) ?? this.pendingChannels.get(label))?.id ?? null;
  }
  /** The label of the channel using `id` on this link, if any. */
  labelOfId(id) {
    for (const map of [this.channels, this.pendingChannels]) for (const [label, channel] of map) if (channel.id === id) return label;
    return void 0;
  }
  /** Creates the negotiated channel `label` with `id` on this side; the other side does the same. */
  addChannel(label, id, ordered) {
    if (this.closed || this.hasChannel(label)) return;
    const channel = this.internals._pc.createDataChannel(label, {
      negotiated: true,
      id,
      ordered,
      // Unordered channels are also unreliable, so they are really fast (upstream's were not).
      ...ordered ? {} : { maxRetransmits: 0 }
    });
    channel.binaryType = "arraybuffer";
    this.pendingChannels.set(label, channel);
    const opened = () => {
      if (this.pendingChannels.get(label) !== channel) return;
      this.pendingChannels.delete(label);
      this.channels.set(label, channel);
      for (const text of this.held.get(label) ?? []) channel.send(text);
      this.held.delete(label);
      this.emit("channel-open", label);
    };
    channel.onopen = opened;
    channel.onmessage = (event) => this.received(label, event.data);
    channel.onclose = () => {
      const wasOpen = this.channels.get(label) === channel;
      if (wasOpen) this.channels.delete(label);
      if (this.pendingChannels.get(label) === channel) this.pendingChannels.delete(label);
      if (!this.hasChannel(label)) this.held.delete(label);
      if (wasOpen && !this.closed) this.emit("channel-close", label);
    };
    if (channel.readyState === "open") opened();
  }
  /**
   * Closes a named channel (on both sides: negotiated channels share one SCTP stream). `silent` when
   * it is being replaced by the same label under another id (a simultaneous open): no close event.
   */
  removeChannel(label, silent = false) {
    if (label === DEFAULT_CHANNEL) return;
    const open = this.channels.get(label);
    const channel = open ?? this.pendingChannels.get(label);
    this.channels.delete(label);
    this.pendingChannels.delete(label);
    if (!silent) this.held.delete(label);
    channel?.close();
    if (open && !silent) this.emit("channel-close", label);
  }
  /**
   * Sends text on a channel. One still opening (announced a moment ago, e.g. right after the link
   * opened) holds it and sends it first once open, so a project that sends at once loses nothing.
   * Throws with the reason when it cannot.
   */
  send(label, text) {
    const channel = this.channels.get(label);
    if (channel) {
      channel.send(text);
      return;
    }
    if (!this.pendingChannels.has(label)) throw new Error(`channel "${label}" to ${this.peerId} is not open`);
    const held = this.held.get(label) ?? [];
    if (held.length >= MAX_HELD) throw new Error(`channel "${label}" to ${this.peerId} is still opening and ${MAX_HELD} messages wait for it`);
    held.push(text);
    this.held.set(label, held);
  }
  addStream(stream) {
    this.peer.addStream(stream);
  }
  removeStream(stream) {
    this.peer.removeStream(stream);
  }
  /**
   * Resolves once WebRTC has let go of this link's connection after it closed (held-connection.ts):
   * await it before ending a process or test that made links with @roamhq/wrtc. Resolved while open.
   */
  get released() {
    return this.closed ? this.connectionReleased : Promise.resolve();
  }
  shutdown(reason) {
    if (this.closed) return;
    this.closed = true;
    this.connected = false;
    clearTimeout(this.disconnectedTimer);
    this.channels.clear();
    this.pendingChannels.clear();
    this.held.clear();
    this.peer.destroy();
    this.emit("close", reason);
  }
  destroy(reason = "closed") {
    this.shutdown(reason);
  }
};

// src/peer/channel-table.ts
var ChannelTable = class {
  constructor(links2, announce) {
    this.links = links2;
    this.announce = announce;
  }
  links;
  announce;
  /** label → ordered. */
  wanted = /* @__PURE__ */ new Map();
  /** The next id I allocate on each link. */
  nextId = /* @__PURE__ */ new WeakMap();
  labels() {
    return [...this.wanted.keys()];
  }
  has(label) {
    return this.wanted.has(label);
  }
  /** False only for a label carried as fast (unordered, may drop); `default` and unknown labels count as ordered. */
  isOrdered(label) {
    return this.wanted.get(label) ?? true;
  }
  /**
   * Carries `label` on every link, now and on links that open later. A label already carried keeps
   * its ordering, but is (re)created on links where it is missing (e.g. the other side closed it:
   * negotiated channels close on both ends).
   */
  open(label, ordered) {
    const known = this.wanted.get(label);
    if (known === void 0) this.wanted.set(label, ordered);
    for (const link of this.links()) if (link.connected) this.openOn(link, label, known ?? ordered);
  }
  close(label) {
    this.wanted.delete(label);
    for (const link of this.links()) link.removeChannel(label);
  }
  /** A link opened: it gets every label. */
  linkOpened(link) {
    for (const [label, ordered] of this.wanted) this.openOn(link, label, ordered);
  }
  /** NEW_CHAN from the peer of `link`, which arrived on `channel`. Throws with the reason when refused. */
  received(link, channel, { id, label, ordered }) {
    const peer = link.peerId;
    if (channel !== DEFAULT_CHANNEL) throw new Error(`NEW_CHAN is only valid on "default" (got it on "${channel}")`);
    if (label === DEFAULT_CHANNEL) throw new Error(`NEW_CHAN from ${peer} for "default" ignored`);
    const taken = link.labelOfId(id);
    if (taken !== void 0 && taken !== label) throw new Error(`NEW_CHAN from ${peer}: id ${id} for "${label}" is already used by "${taken}"`);
    this.skip(link, id);
    const mine = link.channelId(label);
    if (mine === null || mine > id) {
      try {
        if (mine !== null) link.removeChannel(label, true);
        link.addChannel(label, id, ordered);
      } catch (error) {
        throw new Error(`cannot open channel "${label}" with ${peer}: ${error.message}`);
      }
    }
    if (!this.wanted.has(label)) this.open(label, ordered);
  }
  openOn(link, label, ordered) {
    if (link.hasChannel(label)) return;
    const id = this.allocate(link);
    link.addChannel(label, id, ordered);
    this.announce(link, { id, label, ordered });
  }
  first(link) {
    return FIRST_CHANNEL_ID + (link.initiator ? 0 : 1);
  }
  allocate(link) {
    const id = this.nextId.get(link) ?? this.first(link);
    if (id > LAST_CHANNEL_ID) throw new Error(`too many channels on the link to ${link.peerId}`);
    this.nextId.set(link, id + 2);
    return id;
  }
  /** The other side used `id`: never allocate it (or anything below it) on this link again. */
  skip(link, id) {
    let next = this.nextId.get(link) ?? this.first(link);
    while (next <= id) next += 2;
    this.nextId.set(link, next);
  }
};

// src/peer/description-copies.ts
function copyOf(description) {
  if (!description?.type) return void 0;
  return description.type === "rollback" ? null : { type: description.type, sdp: description.sdp ?? "" };
}
function copyingDescriptions(Base) {
  return class CopiedDescriptions extends Base {
    local = null;
    remote = null;
    constructor(config) {
      super(config);
      const native = this._pc;
      const nativeGetter = (name) => () => Reflect.get(Object.getPrototypeOf(native), name, native);
      const [localFromWebRtc, remoteFromWebRtc] = [nativeGetter("localDescription"), nativeGetter("remoteDescription")];
      Object.defineProperties(native, {
        localDescription: { get: () => this.local === void 0 ? localFromWebRtc() : this.local },
        remoteDescription: { get: () => this.remote === void 0 ? remoteFromWebRtc() : this.remote }
      });
    }
    async setLocalDescription(description) {
      await super.setLocalDescription(description);
      this.local = copyOf(description);
    }
    async setRemoteDescription(description) {
      await super.setRemoteDescription(description);
      this.remote = copyOf(description);
    }
  };
}

// src/peer/node-wrtc.ts
var made = /* @__PURE__ */ new WeakMap();
var madeHere = /* @__PURE__ */ new WeakSet();
function nodeWrtc(wrtc2) {
  if (madeHere.has(wrtc2)) return wrtc2;
  let safe = made.get(wrtc2);
  if (!safe) {
    const Base = wrtc2.RTCPeerConnection;
    safe = { ...wrtc2, RTCPeerConnection: holdingClass(copyingDescriptions(Base)) };
    made.set(wrtc2, safe);
    madeHere.add(safe);
  }
  return safe;
}

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

// src/server/relay/relay-peer.ts
var MAX_HELD2 = 1e3;
var RelayPeer = class {
  constructor(user2, isMember, lobbyWide, send, options) {
    this.user = user2;
    this.isMember = isMember;
    this.lobbyWide = lobbyWide;
    this.send = send;
    this.options = options;
  }
  user;
  isMember;
  lobbyWide;
  send;
  options;
  links = /* @__PURE__ */ new Map();
  /** Lobby channels, opened on every member's link. */
  channels = new ChannelTable(
    () => this.links.values(),
    (link, payload) => this.announce(link, payload)
  );
  held = /* @__PURE__ */ new Map();
  forwarded = 0;
  get memberLinks() {
    return this.links.size;
  }
  signal(from, opcode, payload) {
    const member = from.instance_id;
    if (opcode === "MAKE_OFFER") this.open(member);
    try {
      this.links.get(member)?.signal(payload.contents);
    } catch (error) {
      this.warn(member, `bad signal: ${error.message}`);
    }
  }
  warn(member, message) {
    this.options.log("warn", "relay.error", { relay: this.user.instance_id, member, message });
  }
  open(member) {
    const replaced = this.links.get(member);
    this.links.delete(member);
    replaced?.destroy("replaced");
    const link = new PeerLink({
      peerId: member,
      initiator: false,
      // A closed connection stays referenced until WebRTC has let go of it (held-connection.ts).
      wrtc: nodeWrtc(this.options.wrtc),
      config: { iceServers: [] },
      onSignal: (signal2, opcode) => this.send(member, opcode, { type: 0, contents: signal2 }),
      onListenerError: (event, error) => this.options.log("error", "relay.listener_failed", { relay: this.user.instance_id, member, event, error: String(error) })
    });
    this.links.set(member, link);
    const deadline = setTimeout(() => link.destroy("did not open in time"), this.options.openDeadlineMs ?? DEFAULT_RELAY_LIMITS.negotiationMs);
    deadline.unref?.();
    link.on("open", () => {
      clearTimeout(deadline);
      this.options.linkOpened?.(member);
      this.channels.linkOpened(link);
      this.release(member);
    });
    link.on("channel-open", () => this.release(member));
    link.on("data", (channel, text) => {
      if (!this.options.admit || this.options.admit(member, text.length)) this.received(link, channel, text);
    });
    link.on("close", () => {
      clearTimeout(deadline);
      void link.released.then(() => this.options.linkReleased?.());
      if (this.links.get(member) !== link) return;
      this.links.delete(member);
      this.options.linkClosed?.(member);
    });
  }
  announce(link, payload) {
    try {
      link.send(DEFAULT_CHANNEL, encodePeerMessage([{ opcode: "NEW_CHAN", payload }]));
    } catch (error) {
      this.warn(link.peerId, `could not announce channel "${payload.label}": ${error.message}`);
    }
  }
  received(link, channel, text) {
    const from = link.peerId;
    this.options.observe?.(from, channel, text);
    let packets;
    try {
      packets = decodePeerMessage(text);
    } catch (error) {
      this.warn(from, `bad message: ${error.message}`);
      return;
    }
    const out = /* @__PURE__ */ new Map();
    const to = (member, packet) => {
      const list = out.get(member);
      if (list) list.push(packet);
      else out.set(member, [packet]);
    };
    for (const packet of packets) {
      if (packet.opcode === "NEW_CHAN") {
        this.channelAnnounced(link, channel, packet.payload);
        continue;
      }
      if (packet.opcode === "HANGUP" || packet.opcode === "DECLINE") continue;
      const { recipient: recipient2, ...rest } = packet;
      const forwarded = { ...rest, origin: from };
      if (recipient2 !== void 0) {
        if (recipient2 !== from && this.isMember(recipient2)) to(recipient2, forwarded);
      } else if (packet.opcode.startsWith("G_") && this.lobbyWide()) {
        for (const member of this.links.keys()) if (member !== from) to(member, forwarded);
      } else {
        this.warn(from, `${packet.opcode} without a recipient dropped: this relay forwards only addressed packets`);
      }
    }
    for (const [member, list] of out) this.deliver(member, channel, encodePeerMessage(list));
  }
  /** A member announced a channel: it is opened on that link, and on every other member's link. */
  channelAnnounced(link, channel, payload) {
    try {
      this.channels.received(link, channel, payload);
    } catch (error) {
      this.warn(link.peerId, error.message);
    }
  }
  deliver(member, channel, text) {
    const link = this.links.get(member);
    const held = this.held.get(member);
    if (link?.channels.has(channel) && !held?.length) {
      link.send(channel, text);
      this.forwarded += 1;
      return;
    }
    const queue = held ?? [];
    if (queue.length >= MAX_HELD2) queue.shift();
    queue.push({ channel, text });
    this.held.set(member, queue);
  }
  release(member) {
    const queue = this.held.get(member);
    const link = this.links.get(member);
    if (!queue || !link) return;
    while (queue.length && link.channels.has(queue[0].channel)) {
      const { channel, text } = queue.shift();
      link.send(channel, text);
      this.forwarded += 1;
    }
    if (!queue.length) this.held.delete(member);
  }
  memberLeft(member) {
    this.links.get(member)?.destroy("left the lobby");
    this.links.delete(member);
    this.held.delete(member);
  }
  /** Closes every member's link; resolves once WebRTC has let go of them all (PeerLink.released). */
  destroy() {
    const links2 = [...this.links.values()];
    for (const link of links2) link.destroy("lobby closed");
    this.links.clear();
    this.held.clear();
    return Promise.all(links2.map((link) => link.released)).then(() => {
    });
  }
};

// src/server/relay/relay-members.ts
var MAX_ASKING = 64;
var RelayMembers = class {
  constructor(ask) {
    this.ask = ask;
  }
  ask;
  known = /* @__PURE__ */ new Map();
  asking = 0;
  isMember(id) {
    if (this.known.has(id)) return true;
    if (this.asking >= MAX_ASKING) return false;
    this.known.set(id, "asking");
    this.asking += 1;
    this.ask(id);
    return true;
  }
  joined(id) {
    if (this.known.get(id) === "asking") this.asking -= 1;
    this.known.set(id, "member");
  }
  /** The server's answer: whether `id` counts as a member now (it may have signalled meanwhile). */
  answered(id, member) {
    if (this.known.get(id) !== "asking") return this.known.has(id);
    this.asking -= 1;
    if (member) this.known.set(id, "member");
    else this.known.delete(id);
    return member;
  }
  left(id) {
    if (this.known.get(id) === "asking") this.asking -= 1;
    this.known.delete(id);
  }
};

// src/server/relay/relay-child.ts
var WARN_EVERY_MS = 5e3;
var dropped = () => {
};
var post = (message) => {
  if (process.connected) process.send?.(message, void 0, void 0, dropped);
};
var log = (level, event, fields = {}) => post({ t: "log", level, event, fields });
var limits = JSON.parse(process.argv[2] ?? "{}");
process.on("disconnect", () => {
  const closing = [...lobbies.values()].map((lobby) => lobby.peer.destroy());
  lobbies.clear();
  void Promise.all(closing).then(() => process.exit(0));
});
process.on("SIGINT", () => {
});
var wrtc;
try {
  wrtc = (await import("@roamhq/wrtc")).default;
} catch (error) {
  post({ t: "unavailable", reason: `@roamhq/wrtc could not be loaded: ${String(error)}` });
  process.exit(0);
}
var lobbies = /* @__PURE__ */ new Map();
var connectionsDropped = 0;
var collect = globalThis.gc;
function connectionReleased() {
  connectionsDropped += 1;
  if (connectionsDropped === limits.negotiations) setImmediate(collectNow);
}
function collectNow() {
  if (!connectionsDropped) return;
  connectionsDropped = 0;
  collect?.();
}
var bytes = new KeyedBuckets(2 * limits.bytesPerSecond, limits.bytesPerSecond / 1e3);
var warned = new KeyedBuckets(1, 1 / WARN_EVERY_MS);
function admit(lobby, member, size) {
  const now = Date.now();
  if (bytes.take(member, now, size)) return true;
  if (warned.take(member, now)) {
    log("warn", "relay.limited", { member, limit: "bytes per second", bytesPerSecond: limits.bytesPerSecond });
    post({ t: "warn", lobby, member, text: RelayRefusal.bytes(limits.bytesPerSecond) });
  }
  return false;
}
function create(handle, user2) {
  const members = new RelayMembers((id) => post({ t: "ask", lobby: handle, id }));
  const lobby = {
    members,
    wide: false,
    peer: new RelayPeer(
      user2,
      (id) => members.isMember(id),
      () => lobby.wide,
      (to, opcode, payload) => post({ t: "signal", lobby: handle, to, opcode, payload }),
      {
        wrtc,
        log,
        admit: (member, size) => admit(handle, member, size),
        openDeadlineMs: limits.negotiationMs,
        linkOpened: (member) => post({ t: "opened", lobby: handle, member }),
        linkClosed: (member) => post({ t: "closed", lobby: handle, member }),
        linkReleased: connectionReleased
      }
    )
  };
  lobbies.set(handle, lobby);
}
function heard(message) {
  if (message.t === "create") return void create(message.lobby, message.user);
  const lobby = lobbies.get(message.lobby);
  if (!lobby) return;
  switch (message.t) {
    case "signal":
      lobby.wide = message.wide;
      lobby.members.joined(message.from.instance_id);
      return void lobby.peer.signal(message.from, message.opcode, message.payload);
    case "member":
      if (!lobby.members.answered(message.id, message.member)) lobby.peer.memberLeft(message.id);
      return;
    case "left":
      lobby.members.left(message.member);
      return void lobby.peer.memberLeft(message.member);
    case "destroy":
      lobbies.delete(message.lobby);
      return void lobby.peer.destroy();
  }
}
process.on("message", (message) => heard(message));
var links = () => {
  let count2 = 0;
  for (const lobby of lobbies.values()) count2 += lobby.peer.memberLinks;
  return count2;
};
setInterval(() => {
  post({ t: "heartbeat", links: links() });
  collectNow();
  const now = Date.now();
  bytes.sweep(now);
  warned.sweep(now);
}, HEARTBEAT_MS);
post({ t: "ready" });
