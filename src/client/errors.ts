// The client's one error type. Every failure the project can see is a CloudLinkError with a stable
// `code` (listed below and in docs/blocks.md), a reason to show (`message`), and the peer or opcode
// it concerns. Modules throw or emit it; the facade (cloudlink.ts) reports each one exactly once.
import { hasOwn, ProtocolError, Reply, Warning } from '../protocol/index.js';

export type ErrorCode =
  // ── the server said no (its reply or WARNING, see serverCode) ──
  | 'exists'
  | 'already-in-lobby'
  | 'not-found'
  | 'locked'
  | 'full'
  | 'password'
  | 'unauthorized'
  | 'not-in-lobby'
  | 'username-taken'
  | 'already-initialized'
  | 'not-initialized'
  | 'rate-limited'
  | 'kicked'
  /** Any other WARNING the server answered a request with (e.g. a field it rejected); the message is its text. */
  | 'refused'
  // ── the connection ──
  /** No connection to the server (or it closed before the reply came). */
  | 'not-connected'
  /** connect with other settings while connected or connecting: disconnect first. */
  | 'already-connected'
  /** The connect attempt was ended by disconnect(). */
  | 'cancelled'
  /** The server cannot be reached. */
  | 'unreachable'
  /** TurboWarp (or its user) did not allow the project to connect to that server (Scratch.canFetch). */
  | 'not-allowed'
  /** A dropped connection could not be resumed: the server released the seat (away too long, or it restarted). */
  | 'session-lost'
  /** No reply in time (a request, or the keepalive). */
  | 'timeout'
  /** The server closed the connection for a protocol violation. */
  | 'violation'
  // ── peers ──
  /** A WebRTC link to a peer failed (the message says whether it is being retried). */
  | 'link-failed'
  /** A send that cannot leave now: the peer is not reachable, or the channel is not open to them. */
  | 'not-open'
  /** No such player in my lobby. */
  | 'unknown-peer'
  /** No channel of that name: open it first. */
  | 'no-channel'
  /** Voice needs a direct link, and this player is reached through a relay. */
  | 'not-relayed'
  /** The call is not in a state that allows this (no call to answer, already calling, ...). */
  | 'call-state'
  /** End-to-end encryption failed (sealing or opening). */
  | 'encryption'
  // ── anything ──
  /** A bad argument: a malformed URL, a label, a missing variable, a payload too large. */
  | 'invalid'
  /** A malformed packet from the server or a peer (it was dropped). */
  | 'protocol'
  /** What this browser cannot do (no WebSocket, microphone, Web Audio or WebCrypto). */
  | 'unsupported'
  /** Anything else (a bug): the message says what. */
  | 'unexpected';

export interface ErrorSubject {
  /** The instance id of the peer it concerns. */
  peer?: string;
  /** The opcode it concerns (a request, or an in-band packet). */
  opcode?: string;
}

export class CloudLinkError extends Error {
  override readonly name = 'CloudLinkError';
  readonly peer?: string;
  readonly opcode?: string;

  constructor(
    readonly code: ErrorCode,
    message: string,
    subject: ErrorSubject = {},
  ) {
    super(message);
    if (subject.peer !== undefined) this.peer = subject.peer;
    if (subject.opcode !== undefined) this.opcode = subject.opcode;
  }

  /** Anything thrown, as a CloudLinkError: itself if it is one; a protocol check that failed is 'invalid'. */
  static from(error: unknown): CloudLinkError {
    if (error instanceof CloudLinkError) return error;
    if (error instanceof ProtocolError) return new CloudLinkError('invalid', error.message);
    return new CloudLinkError('unexpected', error instanceof Error ? error.message : String(error));
  }
}

const SERVER_CODES: Record<string, ErrorCode> = {
  [Reply.exists]: 'exists',
  [Reply.alreadyInLobby]: 'already-in-lobby',
  [Reply.invalid]: 'invalid',
  [Reply.notFound]: 'not-found',
  [Reply.locked]: 'locked',
  [Reply.full]: 'full',
  [Reply.password]: 'password',
  [Reply.unauthorized]: 'unauthorized',
  [Reply.notInLobby]: 'not-in-lobby',
  [Warning.notInitialized]: 'not-initialized',
  [Warning.alreadyInitialized]: 'already-initialized',
  [Warning.peerInvalid]: 'unknown-peer',
  [Warning.usernameTaken]: 'username-taken',
  [Warning.rateLimited]: 'rate-limited',
  [Warning.kicked]: 'kicked',
  [Warning.voiceNotRelayed]: 'not-relayed',
  [Warning.sessionExpired]: 'session-lost',
};

/**
 * The code of a server reply or WARNING text. A WARNING naming a field of my request ("payload.max_players
 * must be …") or the packet itself is the server's validator refusing it: 'invalid', like the ACK that follows;
 * so is a MANAGE_ACK "invalid args: …" (a method's arguments, checked by the handler).
 */
export function serverCode(text: string): ErrorCode {
  if (hasOwn(SERVER_CODES, text)) return SERVER_CODES[text]!;
  // "too many wrong passwords: try again in 3 s", "too many lobby changes: …", "joining too often: …"
  if ([Warning.passwordAttempts, Warning.lobbyChanges, Warning.joinCooldown].some((prefix) => text.startsWith(prefix))) return 'rate-limited';
  return text.startsWith('payload') || text.startsWith('packet') || text.startsWith('invalid args') ? 'invalid' : 'refused';
}

/** What a connect attempt ended by disconnect() rejects with (and a wait the closing session ended). */
export const cancelled = () => new CloudLinkError('cancelled', 'connecting was cancelled by disconnect');
