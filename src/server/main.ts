// `node dist/server.mjs`: run the signalling server from the command line.
import { parseArgs } from 'node:util';
import { jsonLogger, type Logger } from './log.js';
import { DEFAULT_ADMISSION } from './admission.js';
import { DEFAULT_HTTP_RATE } from './http-rate.js';
import { DEFAULT_INCOMING } from './incoming.js';
import { DEFAULT_CUTS_PER_TURN } from './paced-cuts.js';
import { DEFAULT_TURN_SHARE } from './turn-share.js';
import { DEFAULT_PASSWORD_GUARD } from './password-guard.js';
import { DEFAULT_PASSWORD_HASHING } from './password.js';
import { DEFAULT_MAX_OUTBOX_BYTES } from './player.js';
import { relayProcess } from './relay/relay-process.js';
import { DEFAULT_RELAY_BUDGET, DEFAULT_RELAY_LIMITS } from './relay/relay-limits.js';
import { ANNOUNCEMENT_MESSAGES, DEFAULT_FANOUT, FANOUT_BURST_SECONDS } from './fanout-budget.js';
import { DEFAULT_JOIN_COOLDOWN_MS } from './join-cooldown.js';
import { DEFAULT_ANNOUNCER } from './lobby-announcer.js';
import { DEFAULT_SIGNAL_CREDIT } from './signal-credit.js';
import type { TokenVerifier } from './context.js';
import { connectCluster, redacted } from './cluster/connect.js';
import { defaultNodeId } from './metrics.js';
import { startServer } from './server.js';
import { loadTokenVerifier } from './token-verifier.js';
import { checkTurnOptions, DEFAULT_TURN_TTL_SECONDS, type TurnOptions } from './turn.js';

// An empty environment variable counts as unset (hence ||, not ??).
const options = {
  host: { type: 'string', default: process.env.CL5_HOST || '127.0.0.1' },
  port: { type: 'string', default: process.env.CL5_PORT || '3000' },
  'allowed-origins': { type: 'string', default: process.env.CL5_ALLOWED_ORIGINS || '' },
  'rate-limit': { type: 'string', default: process.env.CL5_RATE_LIMIT || '' },
  'rate-limit-per-address': { type: 'string', default: process.env.CL5_RATE_LIMIT_PER_ADDRESS || '' },
  'log-level': { type: 'string', default: process.env.CL5_LOG_LEVEL || 'info' },
  'resume-grace': { type: 'string', default: process.env.CL5_RESUME_GRACE || '30' },
  'turn-url': { type: 'string', default: process.env.CL5_TURN_URL || '' },
  'turn-secret': { type: 'string', default: process.env.CL5_TURN_SECRET || '' },
  'turn-ttl': { type: 'string', default: process.env.CL5_TURN_TTL || String(DEFAULT_TURN_TTL_SECONDS) },
  'token-verifier': { type: 'string', default: process.env.CL5_TOKEN_VERIFIER || '' },
  redis: { type: 'string', default: process.env.CL5_REDIS_URL || '' },
  'drain-timeout': { type: 'string', default: process.env.CL5_DRAIN_TIMEOUT || '10' },
  'max-connections': { type: 'string', default: process.env.CL5_MAX_CONNECTIONS || String(DEFAULT_ADMISSION.maxConnections) },
  'max-connections-per-address': {
    type: 'string',
    default: process.env.CL5_MAX_CONNECTIONS_PER_ADDRESS || String(DEFAULT_ADMISSION.maxPerAddress),
  },
  'init-deadline': { type: 'string', default: process.env.CL5_INIT_DEADLINE || String(DEFAULT_ADMISSION.initDeadlineMs / 1000) },
  'new-connections-per-address': {
    type: 'string',
    default: process.env.CL5_NEW_CONNECTIONS_PER_ADDRESS || String(DEFAULT_ADMISSION.connectionsPerSecond),
  },
  'new-connections-burst-per-address': {
    type: 'string',
    default: process.env.CL5_NEW_CONNECTIONS_BURST_PER_ADDRESS || String(DEFAULT_ADMISSION.connectionBurst),
  },
  'http-requests-per-address': {
    type: 'string',
    default: process.env.CL5_HTTP_REQUESTS_PER_ADDRESS || String(DEFAULT_HTTP_RATE.perSecond),
  },
  'http-requests-burst-per-address': {
    type: 'string',
    default: process.env.CL5_HTTP_REQUESTS_BURST_PER_ADDRESS || String(DEFAULT_HTTP_RATE.burst),
  },
  'violation-connection-cost': {
    type: 'string',
    default: process.env.CL5_VIOLATION_CONNECTION_COST || String(DEFAULT_ADMISSION.violationCost),
  },
  'password-guesses-per-lobby': {
    type: 'string',
    default: process.env.CL5_PASSWORD_GUESSES_PER_LOBBY || String(DEFAULT_PASSWORD_GUARD.perLobby),
  },
  'password-guesses-per-address': {
    type: 'string',
    default: process.env.CL5_PASSWORD_GUESSES_PER_ADDRESS || String(DEFAULT_PASSWORD_GUARD.perAddress),
  },
  'password-threads': { type: 'string', default: process.env.CL5_PASSWORD_THREADS || String(DEFAULT_PASSWORD_HASHING.threads) },
  'password-nice': { type: 'string', default: process.env.CL5_PASSWORD_NICE || String(DEFAULT_PASSWORD_HASHING.nice) },
  'trust-proxy': { type: 'boolean', default: ['1', 'true', 'yes'].includes((process.env.CL5_TRUST_PROXY ?? '').toLowerCase()) },
  'max-outbox-kib': { type: 'string', default: process.env.CL5_MAX_OUTBOX_KIB || String(DEFAULT_MAX_OUTBOX_BYTES / 1024) },
  'relay-offers-per-minute': {
    type: 'string',
    default: process.env.CL5_RELAY_OFFERS_PER_MINUTE || String(DEFAULT_RELAY_LIMITS.offersPerMinute),
  },
  'relay-links-per-lobby': { type: 'string', default: process.env.CL5_RELAY_LINKS_PER_LOBBY || String(DEFAULT_RELAY_LIMITS.linksPerLobby) },
  'relay-kib-per-second': {
    type: 'string',
    default: process.env.CL5_RELAY_KIB_PER_SECOND || String(DEFAULT_RELAY_LIMITS.bytesPerSecond / 1024),
  },
  'relay-negotiations': { type: 'string', default: process.env.CL5_RELAY_NEGOTIATIONS || String(DEFAULT_RELAY_LIMITS.negotiations) },
  'relay-negotiations-per-address': {
    type: 'string',
    // Unset: half of --relay-negotiations (relay-limits.ts shareOf).
    default: process.env.CL5_RELAY_NEGOTIATIONS_PER_ADDRESS || '',
  },
  'relay-negotiation-timeout': {
    type: 'string',
    default: process.env.CL5_RELAY_NEGOTIATION_TIMEOUT || String(DEFAULT_RELAY_LIMITS.negotiationMs / 1000),
  },
  'relay-memory-mib': { type: 'string', default: process.env.CL5_RELAY_MEMORY_MIB || String(DEFAULT_RELAY_BUDGET.memoryMib) },
  'relay-nice': { type: 'string', default: process.env.CL5_RELAY_NICE || String(DEFAULT_RELAY_BUDGET.nice) },
  'lobby-announce-interval': {
    type: 'string',
    default: process.env.CL5_LOBBY_ANNOUNCE_INTERVAL || String(DEFAULT_ANNOUNCER.intervalMs / 1000),
  },
  'lobby-announce-batch': { type: 'string', default: process.env.CL5_LOBBY_ANNOUNCE_BATCH || String(DEFAULT_ANNOUNCER.batchMax) },
  'lobby-announce-cost': { type: 'string', default: process.env.CL5_LOBBY_ANNOUNCE_COST || String(DEFAULT_ANNOUNCER.costPerLobbyMs) },
  'lobby-announce-max-delay': {
    type: 'string',
    default: process.env.CL5_LOBBY_ANNOUNCE_MAX_DELAY || String(DEFAULT_ANNOUNCER.maxDelayMs / 1000),
  },
  'fanout-rate': { type: 'string', default: process.env.CL5_FANOUT_RATE || String(DEFAULT_FANOUT.perSecond) },
  'fanout-rate-per-address': { type: 'string', default: process.env.CL5_FANOUT_RATE_PER_ADDRESS || String(DEFAULT_FANOUT.perAddressPerSecond) },
  'join-signal-credit': { type: 'string', default: process.env.CL5_JOIN_SIGNAL_CREDIT || String(DEFAULT_SIGNAL_CREDIT.signals) },
  'join-cooldown': { type: 'string', default: process.env.CL5_JOIN_COOLDOWN || String(DEFAULT_JOIN_COOLDOWN_MS / 1000) },
  'max-incoming-kib': { type: 'string', default: process.env.CL5_MAX_INCOMING_KIB || String(DEFAULT_INCOMING.maxBytes / 1024) },
  'message-deadline': { type: 'string', default: process.env.CL5_MESSAGE_DEADLINE || String(DEFAULT_INCOMING.deadlineMs / 1000) },
  'cuts-per-turn': { type: 'string', default: process.env.CL5_CUTS_PER_TURN || String(DEFAULT_CUTS_PER_TURN) },
  'packets-per-address-per-turn': {
    type: 'string',
    default: process.env.CL5_PACKETS_PER_ADDRESS_PER_TURN || String(DEFAULT_TURN_SHARE.packets),
  },
  'kib-per-address-per-turn': {
    type: 'string',
    default: process.env.CL5_KIB_PER_ADDRESS_PER_TURN || String(DEFAULT_TURN_SHARE.bytes / 1024),
  },
  'kib-per-address-per-second': {
    type: 'string',
    default: process.env.CL5_KIB_PER_ADDRESS_PER_SECOND || String(DEFAULT_TURN_SHARE.bytesPerSecond / 1024),
  },
  help: { type: 'boolean', default: false },
} as const;

let parsed: ReturnType<typeof parseArgs<{ options: typeof options }>>;
try {
  parsed = parseArgs({ options });
} catch (error) {
  console.error(`${error instanceof Error ? error.message : String(error)} (see --help)`);
  process.exit(2);
}
const { values } = parsed;

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
  --init-deadline SECONDS   a connection that has not sent INIT by then is closed (env CL5_INIT_DEADLINE, default ${DEFAULT_ADMISSION.initDeadlineMs / 1000}; 0 = none)
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
                            (env CL5_RELAY_NEGOTIATION_TIMEOUT, default ${DEFAULT_RELAY_LIMITS.negotiationMs / 1000})
  --relay-memory-mib N      heap of the relay process, which runs the relay peers apart from signalling;
                            past it the process is restarted (env CL5_RELAY_MEMORY_MIB, default ${DEFAULT_RELAY_BUDGET.memoryMib})
  --relay-nice N            its CPU priority, 0–19: it yields the CPU to signalling (env CL5_RELAY_NICE, default ${DEFAULT_RELAY_BUDGET.nice})
  --lobby-announce-interval SECONDS
                            NEW_LOBBY reaches each idle player in batches at most this often
                            (env CL5_LOBBY_ANNOUNCE_INTERVAL, default ${DEFAULT_ANNOUNCER.intervalMs / 1000})
  --lobby-announce-batch N  lobbies per batch and interval; more wait for the next (env CL5_LOBBY_ANNOUNCE_BATCH, default ${DEFAULT_ANNOUNCER.batchMax})
  --lobby-announce-cost MS  server CPU one announced lobby may cost: a batch costs one write per idle player,
                            so it waits past the interval until enough new lobbies share it; 0 = never waits
                            for that (env CL5_LOBBY_ANNOUNCE_COST, default ${DEFAULT_ANNOUNCER.costPerLobbyMs})
  --lobby-announce-max-delay SECONDS
                            the longest a new lobby waits for its batch, whatever it costs; at least the
                            interval (env CL5_LOBBY_ANNOUNCE_MAX_DELAY, default ${DEFAULT_ANNOUNCER.maxDelayMs / 1000})
  --fanout-rate N           messages per second a connection's lobby requests may make the server send to
                            others (a join: each member told, and the signals they may send the joiner; a
                            visible create or show: ${ANNOUNCEMENT_MESSAGES}), bursts of ${FANOUT_BURST_SECONDS}N; past it creates, joins and
                            shows are refused with the wait (env CL5_FANOUT_RATE, default ${DEFAULT_FANOUT.perSecond})
  --fanout-rate-per-address N
                            ...shared by all connections from one address (env CL5_FANOUT_RATE_PER_ADDRESS, default ${DEFAULT_FANOUT.perAddressPerSecond})
  --join-signal-credit N    signals each member may send a player who just joined outside its own rate
                            limit (within ${DEFAULT_SIGNAL_CREDIT.windowMs / 1000} s; env CL5_JOIN_SIGNAL_CREDIT, default ${DEFAULT_SIGNAL_CREDIT.signals}; 0 = none)
  --join-cooldown SECONDS   a player joins at most once per this long; sooner is refused with the wait
                            (env CL5_JOIN_COOLDOWN, default ${DEFAULT_JOIN_COOLDOWN_MS / 1000}; 0 = no limit)
  --max-incoming-kib KIB    unfinished messages all clients together may hold; past it the oldest are cut
                            (env CL5_MAX_INCOMING_KIB, default ${DEFAULT_INCOMING.maxBytes / 1024})
  --message-deadline SECONDS
                            a message still arriving this long after its first byte is cut
                            (env CL5_MESSAGE_DEADLINE, default ${DEFAULT_INCOMING.deadlineMs / 1000}; 0 = none)
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

const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`invalid --port: ${values.port}`);
  process.exit(2);
}

/**
 * The relay peers run in their own process (dist/relay.mjs beside this file); it needs a WebRTC
 * implementation in Node (@roamhq/wrtc). If it cannot start, relay lobbies are refused.
 */
async function relayProvider(log: Logger) {
  const relay = relayProcess({
    entry: new URL('./relay.mjs', import.meta.url),
    log,
    limits: relayLimits,
    budget: relayBudget,
  });
  try {
    await relay.ready();
    return relay;
  } catch (error) {
    await relay.close();
    log('warn', 'relay.unavailable', { reason: String(error) });
    return undefined;
  }
}

const LEVELS = ['info', 'warn', 'error'] as const;
const minimum = LEVELS.indexOf(values['log-level'] as (typeof LEVELS)[number]);
if (minimum === -1) {
  console.error(`invalid --log-level: ${values['log-level']} (info, warn or error)`);
  process.exit(2);
}
const rate = values['rate-limit'] === '' ? undefined : Number(values['rate-limit']);
if (rate !== undefined && !(Number.isFinite(rate) && rate > 0)) {
  console.error(`invalid --rate-limit: ${values['rate-limit']}`);
  process.exit(2);
}

type NumberFlag = { [F in keyof typeof values]: (typeof values)[F] extends string ? F : never }[keyof typeof values];

/** A whole number ≥ `min` from a flag, or one clear line and exit 2. */
function wholeNumber(flag: NumberFlag, min: number): number {
  const value = Number(values[flag]);
  return Number.isInteger(value) && value >= min ? value : fail(`invalid --${flag}: ${values[flag]} (a whole number ≥ ${min})`);
}

/** A number, 0 or more, from a flag; else one clear line and exit 2. */
function nonNegative(flag: NumberFlag, meaning: string): number {
  const value = Number(values[flag]);
  return Number.isFinite(value) && value >= 0 ? value : fail(`invalid --${flag}: ${values[flag]} (${meaning})`);
}
/** A duration in seconds (0 or more) from a flag, in milliseconds. */
function secondsMs(flag: NumberFlag, meaning: string): number {
  return nonNegative(flag, meaning) * 1000;
}
const resumeGraceMs = secondsMs('resume-grace', 'seconds, 0 = off');
const addressRate = values['rate-limit-per-address'] === '' ? undefined : wholeNumber('rate-limit-per-address', 1);
const passwordGuard = {
  perLobby: wholeNumber('password-guesses-per-lobby', 1),
  perAddress: wholeNumber('password-guesses-per-address', 1),
};
const passwordHashing = { threads: wholeNumber('password-threads', 1), nice: Math.min(19, wholeNumber('password-nice', 0)) };
const maxOutboxBytes = wholeNumber('max-outbox-kib', 64) * 1024;
const announcer = {
  intervalMs: secondsMs('lobby-announce-interval', 'seconds, more than 0'),
  batchMax: wholeNumber('lobby-announce-batch', 1),
  costPerLobbyMs: nonNegative('lobby-announce-cost', 'milliseconds, 0 = off'),
  maxDelayMs: secondsMs('lobby-announce-max-delay', 'seconds, at least --lobby-announce-interval'),
};
if (announcer.intervalMs <= 0) fail(`invalid --lobby-announce-interval: ${values['lobby-announce-interval']} (seconds, more than 0)`);
if (announcer.maxDelayMs < announcer.intervalMs) {
  fail(`invalid --lobby-announce-max-delay: ${values['lobby-announce-max-delay']} (seconds, at least --lobby-announce-interval)`);
}
const fanout = { perSecond: wholeNumber('fanout-rate', 1), perAddressPerSecond: wholeNumber('fanout-rate-per-address', 1) };
const signalCredit = { signals: wholeNumber('join-signal-credit', 0) };
const joinCooldownMs = secondsMs('join-cooldown', 'seconds, 0 = no limit');
const incoming = {
  // At least a few frames' worth: below that, honest players could be cut for their own messages.
  maxBytes: wholeNumber('max-incoming-kib', 256) * 1024,
  deadlineMs: secondsMs('message-deadline', 'seconds, 0 = none'),
};
const cutsPerTurn = wholeNumber('cuts-per-turn', 1);
const packetsPerAddressPerTurn = wholeNumber('packets-per-address-per-turn', 0);
const bytesPerAddressPerTurn = wholeNumber('kib-per-address-per-turn', 0) * 1024;
const bytesPerAddressPerSecond = wholeNumber('kib-per-address-per-second', 0) * 1024;
const admission = {
  maxConnections: wholeNumber('max-connections', 1),
  maxPerAddress: wholeNumber('max-connections-per-address', 1),
  initDeadlineMs: secondsMs('init-deadline', 'seconds, 0 = none'),
  connectionsPerSecond: wholeNumber('new-connections-per-address', 0),
  connectionBurst: wholeNumber('new-connections-burst-per-address', 1),
  violationCost: wholeNumber('violation-connection-cost', 0),
};
const httpRequests = {
  perSecond: wholeNumber('http-requests-per-address', 0),
  burst: wholeNumber('http-requests-burst-per-address', 1),
};
const relayLimits = {
  offersPerMinute: wholeNumber('relay-offers-per-minute', 1),
  linksPerLobby: wholeNumber('relay-links-per-lobby', 1),
  bytesPerSecond: wholeNumber('relay-kib-per-second', 1) * 1024,
  negotiations: wholeNumber('relay-negotiations', 1),
  ...(values['relay-negotiations-per-address'] === '' ? {} : { negotiationsPerAddress: wholeNumber('relay-negotiations-per-address', 0) }),
  negotiationMs: secondsMs('relay-negotiation-timeout', 'seconds, more than 0'),
};
if (relayLimits.negotiationMs <= 0) fail(`invalid --relay-negotiation-timeout: ${values['relay-negotiation-timeout']} (seconds, more than 0)`);
const relayBudget = { memoryMib: wholeNumber('relay-memory-mib', 32), nice: Math.min(19, wholeNumber('relay-nice', 0)) };

/** --turn-url and --turn-secret come together (or not at all); one clear line when they cannot work. */
function turnOptions(): TurnOptions | undefined {
  const urls = values['turn-url']
    .split(',')
    .map((url) => url.trim())
    .filter(Boolean);
  const secret = values['turn-secret'];
  if (urls.length === 0 && !secret) return undefined;
  if (urls.length === 0) return fail('--turn-secret needs --turn-url (the TURN server that shares the secret)');
  if (!secret) return fail("--turn-url needs --turn-secret (the TURN server's static-auth-secret)");
  const turn = { urls, secret, ttlSeconds: Number(values['turn-ttl']) };
  try {
    checkTurnOptions(turn);
  } catch (error) {
    return fail(`${(error as Error).message} (see --help)`);
  }
  return turn;
}

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}
const turn = turnOptions();

/** --token-verifier: a module that cannot be loaded stops the server with one clear line. */
async function tokenVerifier(): Promise<TokenVerifier | undefined> {
  const spec = values['token-verifier'];
  if (!spec) return undefined;
  try {
    return await loadTokenVerifier(spec);
  } catch (error) {
    return fail(`invalid --token-verifier ${spec}: ${error instanceof Error ? error.message : String(error)}`);
  }
}
const verifier = await tokenVerifier();

const everything = jsonLogger();
const log: Logger = (level, event, fields) => {
  if (LEVELS.indexOf(level) >= minimum) everything(level, event, fields);
};
const drainTimeoutMs = secondsMs('drain-timeout', 'seconds');

const redisUrl = values.redis.trim();
if (redisUrl && !/^rediss?:\/\//.test(redisUrl)) fail(`invalid --redis: ${redacted(redisUrl)} (expected redis://host:port or rediss://…)`);
const nodeId = defaultNodeId();
const shared = redisUrl
  ? await connectCluster({ url: redisUrl, nodeId, log }).catch((error: unknown) => {
      console.error(error instanceof Error ? error.message : String(error));
      process.exit(1);
    })
  : undefined;
if (shared) log('info', 'cluster.joined', { node: nodeId, redis: redacted(redisUrl) });

const server = await startServer({
  host: values.host,
  port,
  allowedOrigins: values['allowed-origins']
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean),
  logger: log,
  relay: await relayProvider(log),
  resumeGraceMs,
  nodeId,
  ...(shared ? { store: shared.store, cluster: shared.cluster } : {}),
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
  trustProxy: values['trust-proxy'],
  passwordGuard,
  passwordHashing,
  ...(turn ? { turn } : {}),
  ...(verifier ? { tokenVerifier: verifier } : {}),
  ...(rate === undefined ? {} : { rateLimit: { perSecond: rate, burst: 4 * rate } }),
  ...(addressRate === undefined ? {} : { addressRateLimit: { perSecond: addressRate, burst: 4 * addressRate } }),
}).catch((error: unknown) => {
  // EADDRINUSE and friends: one clear line, not a stack trace.
  console.error(`cannot listen on ${values.host}:${port}: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});

// Stop cleanly on a signal. Installed before the banner: whoever waits for the banner may signal at once.
let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    log('info', 'server.stopping', { signal });
    // SIGTERM with other nodes to go to: drain (SIGINT, or a lone node: close at once). Bounded either way.
    const drain = signal === 'SIGTERM' && shared;
    setTimeout(() => process.exit(1), (drain ? drainTimeoutMs : 0) + 5000).unref();
    void (drain ? server.drain(drainTimeoutMs) : server.close()).then(() => shared?.close()).then(() => process.exit(0));
  });
}

// A wildcard bind is not an address a browser can open; show the loopback one instead.
const wildcard = ['0.0.0.0', '::', '[::]'].includes(values.host);
const base = wildcard ? `http://127.0.0.1:${server.port}` : server.url;
const wsBase = wildcard ? `ws://127.0.0.1:${server.port}/` : server.wsUrl;
console.log(`\nCloudLink 5 server running.
  Extension URL (TurboWarp → Custom Extension → URL, run without sandbox): ${base}/cloudlink5.js
  Server URL for the "connect" block:                                       ${wsBase}
  Status page:                                                              ${base}/\n`);
