// The out-of-band half of the core client: one WebSocket to the signaling server, requests that
// resolve on their own reply (correlated by `listener`), typed events for every server opcode,
// keepalive, and the player's view of its lobby (id, mode, host, peers).
import {
  CLOSE_TRY_LATER,
  clientOpcodes,
  connectRetryAfterMs,
  decodeServerPacket,
  encodePacket,
  ProtocolError,
  Reply,
  Warning,
  type ClientOpcode,
  type ClientPayloads,
  type LobbyInfo,
  type LobbyMetadata,
  type LobbySummary,
  type ManageMethod,
  type Origin,
  type RelayedOpcode,
  type ServerOpcode,
  type ServerPacket,
  type ServerPayloads,
  type User,
} from '../protocol/index.js';
import { Emitter } from '../peer/emitter.js';
import type { IceServer } from './api.js';
import { cancelled, CloudLinkError, serverCode, type ErrorCode } from './errors.js';
import { resolvePolicy, retrying, RetryLater, type ReconnectPolicy } from './reconnect-policy.js';
import { RequestPacer } from './request-pacer.js';
import type { WebSocketConstructor, WebSocketLike } from './websocket.js';

export type Mode = 'host' | 'peer' | '';

export interface SessionOptions {
  /** `ws://host:port/` (or with `?ugi=` already in it). */
  url: string;
  /** Game id partitioning lobbies and players; appended as `?ugi=`. */
  ugi?: string;
  /** The WebSocket class: the browser global by default, `ws` in Node. */
  WebSocket?: WebSocketConstructor;
  /** How long a request waits for its reply. */
  requestTimeoutMs?: number;
  /** KEEPALIVE period; 0 disables. A missed KEEPALIVE_ACK closes the session. */
  keepaliveMs?: number;
  /** Aborting it before the socket opens closes the socket and rejects with 'cancelled'. */
  signal?: AbortSignal;
  /** Whether a dropped connection is reconnected and the session resumed (asked at each drop; default yes). */
  autoReconnect?: () => boolean;
  /** Backoff and give-up time of the reconnect loop (reconnect-policy.ts). */
  reconnect?: Partial<ReconnectPolicy>;
  /**
   * Other nodes of the same server (sharing its store, `--redis`): after a drop, each attempt to resume
   * goes to the next URL in [url, ...fallbackUrls], starting after the one that dropped, so a dead or
   * draining node is tried last.
   */
  fallbackUrls?: string[];
}

type RelayedEvents = { [K in RelayedOpcode]: [payload: ServerPayloads[K], origin: Origin] };
type PlainEvents = { [K in Exclude<ServerOpcode, RelayedOpcode>]: [payload: ServerPayloads[K]] };

export type SessionEvents = PlainEvents &
  RelayedEvents & {
    /** The session ended (closed by either side, or lost for good); `reason` says why when known. */
    close: [info: { code: number; reason: string }];
    /** The connection dropped; the session is being resumed on a new one (lobby, id and links kept meanwhile). */
    reconnecting: [reason: string];
    /** The session was resumed on a new connection; what the server sent meanwhile follows. */
    resumed: [];
    /** A problem the project should be able to show (bad packet from the server, keepalive lost...). */
    error: [error: CloudLinkError];
    /** My lobby has a new host, me included (emitted once per change, whichever of TRANSITION host or NEW_HOST told it first). */
    host: [user: User];
  };

export interface CreateLobbyOptions {
  name: string;
  maxPlayers?: number;
  password?: string;
  locked?: boolean;
  hidden?: boolean;
  enableRelay?: boolean;
  /** What the lobby is about (map, mode, region...): strings and numbers, bounded (docs/protocol-notes.md). */
  metadata?: LobbyMetadata;
}

/** Which lobbies a search or a quick join considers; fields left out match any. */
export interface LobbySearch {
  /** Each key equals this value exactly (a string never equals a number). */
  metadata?: LobbyMetadata;
  freeSeats?: boolean;
  noPassword?: boolean;
}

export interface QuickJoinOptions {
  /** The lobbies to consider; a lobby created gets these metadata too, so the next players find it. */
  filter?: LobbySearch;
  /** The player limit of a lobby created (-1 = any). */
  maxPlayers: number;
  /** More metadata for a lobby created. */
  metadata?: LobbyMetadata;
  enableRelay?: boolean;
}

/** Where a quick join put me: `created` when no lobby fitted and I am the host of a new one. */
export interface QuickJoinResult {
  name: string;
  created: boolean;
}

interface Pending {
  opcode: ClientOpcode;
  replyOpcode: ServerOpcode;
  resolve: (packet: ServerPacket) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

/** A request whose reply came, waiting for the lobby change the server sends after it. */
interface StateWait {
  opcode: ClientOpcode;
  done: () => boolean;
  resolve: () => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

/** Notices kept from before the facade listens (the server sends at most one today). */
const EARLY_WARNINGS_KEPT = 4;

/** How many players who left are remembered (so a name can still be shown for them). */
const DEPARTED_KEPT = 64;

const REPLY_OF: Partial<Record<ClientOpcode, ServerOpcode>> = {
  INIT: 'INIT_OK',
  RESUME: 'RESUME_OK',
  KEEPALIVE: 'KEEPALIVE_ACK',
  LIST_LOBBIES: 'LIST_ACK',
  FIND_LOBBY: 'FIND_ACK',
  CREATE_LOBBY: 'CREATE_ACK',
  JOIN_LOBBY: 'JOIN_ACK',
  LEAVE_LOBBY: 'LEAVE_ACK',
  MANAGE_LOBBY: 'MANAGE_ACK',
  USE_RELAY: 'RELAY_PAIR',
  QUICK_JOIN: 'QUICK_JOIN_ACK',
};

const OPEN = 1;
/** The server's VIOLATION closes (server dispatch.ts): it threw me out, so I do not resume. */
const VIOLATION_POLICY = 1008;
const VIOLATION_TOO_BIG = 1009;
/** How long the answer to a read of the lobbies is given again to the same read (#read). */
const READ_REUSE_MS = 250;
/** How long a failed attempt's closing socket is waited for, to read whether the server refused it for now. */
export const CLOSE_READ_MS = 2000;
/** My own close codes (4000–4999 are the application's). */
const CLOSE_KEEPALIVE_LOST = 4000;
/** The session could not be resumed (the server released the seat, or stayed unreachable): the 'close' code. */
export const CLOSE_SESSION_LOST = 4001;

export interface SocketClose {
  code: number;
  reason: string;
}

/** For a socket's close: how long the server said to wait before connecting again (0: it did not refuse for now, or did not say). */
export const refusalWaitMs = (close: SocketClose | null): number => (close?.code === CLOSE_TRY_LATER ? connectRetryAfterMs(close.reason) : 0);

export class Session extends Emitter<SessionEvents> {
  /** My identity once INIT succeeded. */
  me: User | null = null;
  mode: Mode = '';
  lobby: string | null = null;
  host: User | null = null;
  /** The other members of my lobby, by instance id. */
  readonly peers = new Map<string, User>();
  /** The lobby's relay peer, when it has one (§5); not a member. */
  relayId: string | null = null;
  /** TURN servers with short-lived credentials, handed out by the server in INIT_OK (none when it has no TURN). */
  iceServers: IceServer[] = [];

  readonly #pending = new Map<string, Pending>();
  readonly #waits = new Set<StateWait>();
  /** Players who left my lobby lately (or whose lobby I left), by instance id, oldest first. */
  readonly #departedUsers = new Map<string, User>();
  #nextListener = 1;
  #keepaliveTimer: ReturnType<typeof setInterval> | undefined;
  #closed = false;
  /** Aborted when the session ends: a reconnect attempt or its wait stops then. */
  readonly #lifetime = new AbortController();
  /** Set by #wire, per socket. */
  #pacer!: RequestPacer;
  /** Reads of the lobbies whose answers are shared for now (#read). */
  readonly #reads = new Map<string, Promise<ServerPacket>>();
  /** The current socket's close, once it comes. */
  #socketEnd!: Promise<SocketClose>;
  /** The connection dropped and a new one is being sought (the lobby state above is kept meanwhile). */
  reconnecting = false;
  /** Given at INIT_OK and each RESUME_OK: resumes this session once (absent when the server holds no seats). */
  #resumeToken: string | undefined;
  /** Frames received from the server in this session (not counting RESUME_OK): RESUME says it, the server replays the rest. */
  #received = 0;
  readonly #policy: ReconnectPolicy;
  /** WARNINGs that answered no request, kept until the facade listens (takeEarlyWarnings): a notice right after INIT_OK. */
  #earlyWarnings: string[] | null = [];
  #urlIndex = 0;

  #socket: WebSocketLike;
  /** The server's URLs (the first, then the fallbacks); `urlIndex` is the one in use. */
  readonly #urls: string[];
  readonly #WebSocketClass: WebSocketConstructor;
  readonly #options: Required<Pick<SessionOptions, 'requestTimeoutMs' | 'keepaliveMs' | 'autoReconnect'>>;

  private constructor(
    socket: WebSocketLike,
    urls: string[],
    WebSocketClass: WebSocketConstructor,
    options: Required<Pick<SessionOptions, 'requestTimeoutMs' | 'keepaliveMs' | 'autoReconnect'>>,
    policy: Partial<ReconnectPolicy> = {},
  ) {
    super();
    this.#socket = socket;
    this.#urls = urls;
    this.#WebSocketClass = WebSocketClass;
    this.#options = options;
    this.#policy = resolvePolicy(policy);
    this.#wire(socket);
  }

  #wire(socket: WebSocketLike): void {
    // The server's rate limit is per connection: a new one starts with a full budget.
    this.#pacer = new RequestPacer();
    socket.onmessage = (event) => {
      if (socket === this.#socket) this.#receive(event.data);
    };
    this.#socketEnd = new Promise((resolve) => {
      socket.onclose = (event) => {
        const close = { code: event.code, reason: event.reason || 'connection closed' };
        resolve(close);
        this.#socketClosed(socket, close.code, close.reason);
      };
    });
    socket.onerror = () => {
      /* onclose follows with the code; nothing useful to add here */
    };
  }

  /** Opens the WebSocket; resolves once it is open, rejects with a clear reason if it cannot. */
  static async connect(options: SessionOptions): Promise<Session> {
    const WebSocketClass = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!WebSocketClass) throw new CloudLinkError('unsupported', 'no WebSocket implementation available');
    const urls = [options.url, ...(options.fallbackUrls ?? [])].map((url) => serverUrl(url, options.ugi));
    const socket = await openSocket(urls[0]!, WebSocketClass, options.signal);
    return new Session(
      socket,
      urls,
      WebSocketClass,
      {
        requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
        keepaliveMs: options.keepaliveMs ?? 20_000,
        autoReconnect: options.autoReconnect ?? (() => true),
      },
      options.reconnect,
    );
  }

  /**
   * The current socket's close code and reason, once it has closed (null if it is open, or still closing
   * after `waitMs`). A request fails as soon as the server's close arrives, before the socket has closed.
   */
  async socketClose(waitMs: number): Promise<SocketClose | null> {
    if (this.#socket.readyState === OPEN) return null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), waitMs)));
    try {
      return await Promise.race([this.#socketEnd, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  get connected(): boolean {
    return !this.#closed && !this.reconnecting && this.#socket.readyState === OPEN;
  }

  get isHost(): boolean {
    return this.mode === 'host';
  }

  /** An empty username with a token: the server names me (its token verifier, or a guest name). */
  async init(username: string, extra: { token?: string; pubkey?: string } = {}): Promise<User> {
    const reply = await this.#request('INIT', { ...(username === '' ? {} : { username }), ...extra });
    const { resume_token, ice_servers, ...ok } = reply.payload as ServerPayloads['INIT_OK'];
    this.#resumeToken = resume_token;
    this.me = { ...ok, ...(extra.pubkey ? { pubkey: extra.pubkey } : {}) };
    this.iceServers = ice_servers ?? [];
    this.#startKeepalive();
    return this.me;
  }

  /** Round-trip time of one KEEPALIVE in milliseconds. */
  async keepalive(): Promise<number> {
    const started = Date.now();
    await this.#request('KEEPALIVE', undefined);
    return Date.now() - started;
  }

  async listLobbies(): Promise<string[]> {
    return (await this.#read('LIST_LOBBIES', undefined)).payload as string[];
  }

  /** The visible lobbies matching the search, with their metadata and player counts, oldest first. */
  async findLobbies(search: LobbySearch = {}): Promise<LobbySummary[]> {
    return (await this.#read('LIST_LOBBIES', wireFilter(search))).payload as LobbySummary[];
  }

  /** Joins the oldest open lobby matching the filter, or creates one (then I am its host); one atomic step on the server. */
  async quickJoin(options: QuickJoinOptions): Promise<QuickJoinResult> {
    const reply = await this.#request('QUICK_JOIN', {
      filter: wireFilter(options.filter ?? {}),
      create: { max_players: options.maxPlayers, metadata: options.metadata ?? {}, enable_relay: options.enableRelay ?? false },
    });
    const answer = reply.payload as ServerPayloads['QUICK_JOIN_ACK'];
    if (typeof answer === 'string') {
      const code = serverCode(answer);
      throw new CloudLinkError(code, `cannot quick join: ${refusalReason(code, answer)}`, { opcode: 'QUICK_JOIN' });
    }
    this.lobby = answer.name;
    // QUICK_JOIN_ACK comes before TRANSITION and NEW_HOST, as for a create or a join.
    await this.#reached('QUICK_JOIN', () => (answer.created ? this.mode === 'host' : this.mode === 'peer' && this.host !== null));
    return { name: answer.name, created: answer.created };
  }

  /** The lobby's public info, or null when there is no such lobby. */
  async findLobby(name: string): Promise<LobbyInfo | null> {
    const info = (await this.#read('FIND_LOBBY', name)).payload as ServerPayloads['FIND_ACK'];
    return info === Reply.notFound ? null : info;
  }

  async createLobby(options: CreateLobbyOptions): Promise<void> {
    await this.#expectOk('CREATE_LOBBY', {
      name: options.name,
      max_players: options.maxPlayers ?? -1,
      password: options.password ?? '',
      locked: options.locked ?? false,
      hidden: options.hidden ?? false,
      enable_relay: options.enableRelay ?? false,
      ...(options.metadata ? { metadata: options.metadata } : {}),
    });
    this.lobby = options.name;
    // CREATE_ACK comes before TRANSITION host (and NEW_HOST).
    await this.#reached('CREATE_LOBBY', () => this.mode === 'host');
  }

  async joinLobby(name: string, password = ''): Promise<void> {
    await this.#expectOk('JOIN_LOBBY', { name, password });
    this.lobby = name;
    // JOIN_ACK comes before TRANSITION peer and NEW_HOST.
    await this.#reached('JOIN_LOBBY', () => this.mode === 'peer' && this.host !== null);
  }

  async leaveLobby(): Promise<void> {
    await this.#expectOk('LEAVE_LOBBY', undefined);
    // LEAVE_ACK comes before TRANSITION ''.
    await this.#reached('LEAVE_LOBBY', () => this.mode === '');
  }

  /** Host-only lobby management; rejects with the server's reason (e.g. "unauthorized"). */
  async manage(method: ManageMethod, args: unknown = null): Promise<void> {
    await this.#expectOk('MANAGE_LOBBY', { method, args });
    // The server sends these changes before MANAGE_ACK today; waiting keeps that a promise, not a coincidence.
    if (method === 'kick') await this.#reached('MANAGE_LOBBY', () => !this.peers.has(String(args)));
    if (method === 'transfer_ownership') await this.#reached('MANAGE_LOBBY', () => this.host?.instance_id === args);
    if (method === 'close_lobby') await this.#reached('MANAGE_LOBBY', () => this.mode === '');
  }

  /** Asks the server to relay traffic between me and `peer` (our direct link cannot open); RELAY_PAIR answers. */
  async useRelay(peer: string): Promise<void> {
    await this.#request('USE_RELAY', peer);
  }

  /** A player who left my lobby lately (still known, so a name can be shown for them). */
  departed(instanceId: string): User | undefined {
    return this.#departedUsers.get(instanceId);
  }

  /** Relays a WebRTC signal to a member of my lobby; the server stamps `origin`. */
  sendSignal<K extends RelayedOpcode>(opcode: K, recipient: string, payload: ClientPayloads[K]): void {
    this.#send(opcode, payload, { recipient });
    this.#pacer.spend();
  }

  close(code = 1000, reason = 'client closed'): void {
    if (this.#closed) return;
    this.#socket.close(code, reason);
    this.#closedBy(code, reason);
  }

  // ── resuming after a drop ─────────────────────────────────────────────────────────

  #socketClosed(socket: WebSocketLike, code: number, reason: string): void {
    if (this.#closed || socket !== this.#socket) return;
    // A reconnect attempt's socket died: its RESUME fails now, and the loop tries again.
    if (this.reconnecting) {
      this.#failRequests(`disconnected: ${reason}`);
      return;
    }
    if (this.#resumable(code)) this.#startReconnect(reason);
    else this.#closedBy(code, reason);
  }

  /** A drop I may resume from: the server gave me a token, the project wants it, and the server did not throw me out. */
  #resumable(code: number): boolean {
    return this.#resumeToken !== undefined && code !== VIOLATION_POLICY && code !== VIOLATION_TOO_BIG && this.#options.autoReconnect();
  }

  #startReconnect(reason: string): void {
    this.reconnecting = true;
    clearInterval(this.#keepaliveTimer);
    this.#keepaliveTimer = undefined;
    this.#failRequests(`disconnected: ${reason}`);
    this.emit('reconnecting', reason);
    void this.#reconnectLoop();
  }

  /** New connections with backoff and jitter, each sending RESUME, until one resumes, the server refuses, or time is up. */
  async #reconnectLoop(): Promise<void> {
    const signal = this.#lifetime.signal;
    try {
      await retrying(this.#policy, this.#policy.giveUpMs, () => this.#resumeOnce(signal), { signal, waitFirst: true });
    } catch (error) {
      if (this.#closed) return;
      const why =
        error instanceof CloudLinkError && error.code === 'session-lost'
          ? error.message
          : `the server could not be reached for ${Math.round(this.#policy.giveUpMs / 1000)} s`;
      this.#closedBy(CLOSE_SESSION_LOST, `session lost: ${why}`);
    }
  }

  /** One attempt: a new socket to the next URL, and RESUME on it (true once it resumed). */
  async #resumeOnce(signal: AbortSignal): Promise<true | RetryLater> {
    this.#urlIndex = (this.#urlIndex + 1) % this.#urls.length;
    let socket: WebSocketLike;
    try {
      socket = await openSocket(this.#urls[this.#urlIndex]!, this.#WebSocketClass, signal);
    } catch (error) {
      if (error instanceof CloudLinkError && error.code === 'unreachable') return new RetryLater(error);
      throw error;
    }
    if (this.#closed) {
      socket.close(1000, 'cancelled');
      throw cancelled();
    }
    this.#socket = socket;
    this.#wire(socket);
    try {
      await this.#request('RESUME', { token: this.#resumeToken!, received: this.#received });
    } catch (error) {
      if (this.#closed || (error instanceof CloudLinkError && error.code === 'session-lost')) throw error;
      const close = await this.socketClose(CLOSE_READ_MS);
      socket.close(1000, 'resume failed');
      return new RetryLater(CloudLinkError.from(error), refusalWaitMs(close));
    }
    return true;
  }

  /**
   * RESUME_OK, handled as it arrives: the frames I missed come right behind it (maybe in the same
   * read), and they belong to the resumed session.
   */
  #resumed(payload: ServerPayloads['RESUME_OK']): void {
    this.#resumeToken = payload.resume_token;
    this.reconnecting = false;
    this.#startKeepalive();
    this.emit('resumed');
  }

  /** The socket is dead even if it does not know yet (keepalive lost): drop it without waiting for its close handshake. */
  #abandon(reason: string): void {
    const socket = this.#socket;
    socket.onclose = socket.onmessage = () => {};
    socket.close(CLOSE_KEEPALIVE_LOST, reason);
    if (this.#resumable(CLOSE_KEEPALIVE_LOST)) this.#startReconnect(reason);
    else this.#closedBy(CLOSE_KEEPALIVE_LOST, reason);
  }

  async #expectOk(opcode: ClientOpcode, payload: unknown): Promise<void> {
    const reply = await this.#request(opcode, payload);
    if (reply.payload === Reply.ok) return;
    const text = String(reply.payload);
    const code = serverCode(text);
    throw new CloudLinkError(code, `cannot ${requestName(opcode, payload)}: ${refusalReason(code, text)}`, { opcode });
  }

  /**
   * Resolves once `done()` holds: a request's reply can come before the lobby change it caused, and
   * whoever awaits the request should see that change. Checked after each packet; bounded by the
   * request timeout; a closed connection rejects with 'not-connected'.
   */
  #reached(opcode: ClientOpcode, done: () => boolean): Promise<void> {
    if (done()) return Promise.resolve();
    if (this.#closed) return Promise.reject(new CloudLinkError('not-connected', `${opcode}: disconnected`, { opcode }));
    return new Promise((resolve, reject) => {
      const wait: StateWait = {
        opcode,
        done,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.#waits.delete(wait);
          reject(new CloudLinkError('timeout', `${opcode}: the lobby did not change within ${this.#options.requestTimeoutMs} ms of the reply`, { opcode }));
        }, this.#options.requestTimeoutMs),
      };
      this.#waits.add(wait);
    });
  }

  #checkWaits(): void {
    for (const wait of this.#waits) {
      if (!wait.done()) continue;
      this.#waits.delete(wait);
      clearTimeout(wait.timer);
      wait.resolve();
    }
  }

  /**
   * A read of the lobbies (LIST_LOBBIES, FIND_LOBBY): asked again while its answer is on its way, or
   * within READ_REUSE_MS of it, it gets that answer, so a project polling "open lobbies" every frame asks
   * the server a few times a second. A request of mine that may change the lobbies (any other), or a
   * NEW_LOBBY, makes the next read ask again.
   */
  #read(opcode: 'LIST_LOBBIES' | 'FIND_LOBBY', payload: unknown): Promise<ServerPacket> {
    const key = opcode + JSON.stringify(payload ?? null);
    let answer = this.#reads.get(key);
    if (!answer) {
      const asked = this.#request(opcode, payload);
      answer = asked;
      this.#reads.set(key, asked);
      const forget = () => this.#reads.get(key) === asked && this.#reads.delete(key);
      asked.then(() => setTimeout(forget, READ_REUSE_MS), forget);
    }
    return answer;
  }

  /** Sends a request and resolves with its reply; a WARNING carrying our listener rejects it. */
  #request(opcode: ClientOpcode, payload: unknown): Promise<ServerPacket> {
    const replyOpcode = REPLY_OF[opcode];
    if (!replyOpcode) throw new Error(`${opcode} has no reply`);
    if (opcode !== 'LIST_LOBBIES' && opcode !== 'FIND_LOBBY' && opcode !== 'KEEPALIVE') this.#reads.clear();
    // In its turn under the server's rate limit (request-pacer.ts); at once when it is not waiting for one.
    const turn = this.#pacer.turn();
    return turn ? turn.then(() => this.#sendRequest(opcode, replyOpcode, payload)) : this.#sendRequest(opcode, replyOpcode, payload);
  }

  #sendRequest(opcode: ClientOpcode, replyOpcode: ServerOpcode, payload: unknown): Promise<ServerPacket> {
    const listener = `cl5-${this.#nextListener++}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(listener);
        reject(new CloudLinkError('timeout', `${opcode}: no reply from the server within ${this.#options.requestTimeoutMs} ms`, { opcode }));
      }, this.#options.requestTimeoutMs);
      this.#pending.set(listener, { opcode, replyOpcode, resolve, reject, timer });
      try {
        this.#send(opcode, payload, { listener });
      } catch (error) {
        clearTimeout(timer);
        this.#pending.delete(listener);
        reject(error);
      }
    });
  }

  #send(opcode: ClientOpcode, payload: unknown, extra: { recipient?: string; listener?: string }): void {
    // While reconnecting only RESUME goes out (on the new socket): anything else fails at once.
    const open = opcode === 'RESUME' ? !this.#closed && this.#socket.readyState === OPEN : this.connected;
    if (!open) throw new CloudLinkError('not-connected', `${opcode}: ${this.reconnecting ? 'reconnecting to the server' : 'not connected'}`, { opcode });
    try {
      clientOpcodes[opcode](payload, 'payload');
    } catch (error) {
      if (error instanceof ProtocolError) throw new CloudLinkError('invalid', `${opcode}: ${error.message}`, { opcode });
      throw error;
    }
    this.#socket.send(encodePacket({ opcode, payload, ...extra }));
  }

  #receive(data: unknown): void {
    // Frames that arrived with the one that closed me (ws reads a whole chunk) change nothing now.
    if (this.#closed) return;
    let packet: ServerPacket;
    try {
      packet = decodeServerPacket(typeof data === 'string' ? data : String(data));
    } catch (error) {
      if (!this.reconnecting) this.#received += 1;
      this.emit('error', new CloudLinkError('protocol', `bad packet from server: ${(error as Error).message}`));
      return;
    }
    // Counted as the server counts them: every frame of the session but those before RESUME_OK on a new
    // connection, and NEW_LOBBY (announcements are not numbered nor replayed: docs/protocol-notes.md).
    if (!this.reconnecting && packet.opcode !== 'NEW_LOBBY') this.#received += 1;
    else if (packet.opcode === 'NEW_LOBBY') this.#reads.clear();
    if (packet.opcode === 'RESUME_OK' && this.reconnecting) {
      this.#settle(packet);
      this.#resumed(packet.payload);
      return;
    }
    if (packet.opcode === 'WARNING' && packet.payload === Warning.rateLimited) this.#pacer.refused();
    const hostBefore = this.host?.instance_id;
    this.#updateState(packet);
    // A WARNING answering one of my requests is that request's failure, reported once by whoever awaited it.
    const answered = this.#settle(packet);
    if (!(answered && packet.opcode === 'WARNING')) this.#dispatch(packet);
    if (this.host && this.host.instance_id !== hostBefore) this.emit('host', this.host);
    // After the events: a request resumes once listeners (the hats) have seen the change too.
    this.#checkWaits();
  }

  /** Resolves or rejects the request this packet answers; true if there was one. */
  #settle(packet: ServerPacket): boolean {
    if (packet.listener === undefined) return false;
    const pending = this.#pending.get(packet.listener);
    if (!pending) return false;
    const isWarning = packet.opcode === 'WARNING';
    if (!isWarning && packet.opcode !== pending.replyOpcode) return false;
    this.#pending.delete(packet.listener);
    clearTimeout(pending.timer);
    if (isWarning) pending.reject(new CloudLinkError(serverCode(packet.payload), packet.payload, { opcode: pending.opcode }));
    else pending.resolve(packet);
    return true;
  }

  /** The notices that came before anyone listened (at most a few), once; later ones are only emitted. */
  takeEarlyWarnings(): string[] {
    const early = this.#earlyWarnings ?? [];
    this.#earlyWarnings = null;
    return early;
  }

  #dispatch(packet: ServerPacket): void {
    const emit = this.emit.bind(this) as (event: string, ...args: unknown[]) => void;
    if (packet.opcode === 'WARNING' && this.#earlyWarnings && this.#earlyWarnings.length < EARLY_WARNINGS_KEPT) this.#earlyWarnings.push(packet.payload);
    if (packet.opcode === 'MAKE_OFFER' || packet.opcode === 'MAKE_ANSWER' || packet.opcode === 'ICE') {
      if (packet.origin) emit(packet.opcode, packet.payload, packet.origin);
      return;
    }
    emit(packet.opcode, packet.payload);
  }

  #updateState(packet: ServerPacket): void {
    switch (packet.opcode) {
      case 'TRANSITION':
        this.mode = packet.payload;
        if (packet.payload === '') this.#resetLobby();
        if (packet.payload === 'host') this.host = this.me;
        break;
      case 'NEW_HOST':
        this.host = packet.payload;
        if (packet.payload.instance_id !== this.me?.instance_id) this.peers.set(packet.payload.instance_id, packet.payload);
        break;
      case 'NEW_PEER':
      case 'PEER_JOIN':
        this.peers.set(packet.payload.instance_id, packet.payload);
        break;
      case 'MAKE_OFFER':
      case 'MAKE_ANSWER':
      case 'ICE': {
        // The server relays only within my lobby: an unknown sender is a member who was there before me.
        const from = packet.origin;
        if (!from || this.mode === '' || this.peers.has(from.instance_id) || from.instance_id === this.me?.instance_id || from.instance_id === this.relayId)
          return;
        this.peers.set(from.instance_id, { ...from, user_id: from.user_id ?? from.instance_id });
        break;
      }
      case 'RELAY':
        this.relayId = packet.payload;
        break;
      case 'RELAY_PAIR':
        this.relayId = packet.payload.relay;
        break;
      case 'PEER_LEFT':
        this.#forget(packet.payload);
        break;
      case 'LOBBY_CLOSED':
        this.#resetLobby();
        break;
    }
  }

  #resetLobby(): void {
    this.relayId = null;
    this.lobby = null;
    this.host = null;
    this.mode = '';
    for (const id of [...this.peers.keys()]) this.#forget(id);
  }

  /** Takes a player out of my lobby, remembering who they were. */
  #forget(instanceId: string): void {
    const user = this.peers.get(instanceId);
    if (!user) return;
    this.peers.delete(instanceId);
    this.#departedUsers.delete(instanceId);
    this.#departedUsers.set(instanceId, user);
    if (this.#departedUsers.size > DEPARTED_KEPT) this.#departedUsers.delete(this.#departedUsers.keys().next().value!);
  }

  #startKeepalive(): void {
    if (this.#options.keepaliveMs <= 0 || this.#keepaliveTimer) return;
    this.#keepaliveTimer = setInterval(() => {
      this.keepalive().catch((error: CloudLinkError) => {
        // A drop already being handled (its close came first) is not a keepalive failure.
        if (this.#closed || this.reconnecting) return;
        this.emit('error', new CloudLinkError('timeout', `keepalive failed: ${error.message}`, { opcode: 'KEEPALIVE' }));
        this.#abandon('keepalive lost');
      });
    }, this.#options.keepaliveMs);
  }

  /** Requests in flight fail: their connection is gone (a resumed session does not replay them). */
  #failRequests(why: string): void {
    for (const [listener, pending] of this.#pending) {
      clearTimeout(pending.timer);
      pending.reject(new CloudLinkError('not-connected', why, { opcode: pending.opcode }));
      this.#pending.delete(listener);
    }
    for (const wait of this.#waits) {
      clearTimeout(wait.timer);
      wait.reject(new CloudLinkError('not-connected', why, { opcode: wait.opcode }));
    }
    this.#waits.clear();
  }

  #closedBy(code: number, reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#lifetime.abort();
    this.reconnecting = false;
    clearInterval(this.#keepaliveTimer);
    this.#failRequests(`disconnected: ${reason}`);
    this.#resetLobby();
    this.emit('close', { code, reason });
  }
}

/** A search as the wire spells it. */
const wireFilter = (search: LobbySearch): ClientPayloads['QUICK_JOIN']['filter'] & object => ({
  ...(search.metadata ? { metadata: search.metadata } : {}),
  ...(search.freeSeats ? { free_seats: true } : {}),
  ...(search.noPassword ? { no_password: true } : {}),
});

/** A refused request in words: "join lobby "arena"", "kick player 123". */
function requestName(opcode: ClientOpcode, payload: unknown): string {
  const fields = (payload ?? {}) as { name?: string; method?: ManageMethod; args?: unknown };
  switch (opcode) {
    case 'CREATE_LOBBY':
      return `create lobby "${fields.name}"`;
    case 'JOIN_LOBBY':
      return `join lobby "${fields.name}"`;
    case 'LEAVE_LOBBY':
      return 'leave the lobby';
    case 'MANAGE_LOBBY':
      return MANAGE_NAMES[fields.method!](fields.args);
    default:
      return opcode;
  }
}

const MANAGE_NAMES: Record<ManageMethod, (args: unknown) => string> = {
  lock: () => 'lock the lobby',
  unlock: () => 'unlock the lobby',
  hide: () => 'hide the lobby',
  show: () => 'show the lobby',
  kick: (id) => `kick player ${String(id)}`,
  change_password: () => 'change the lobby password',
  change_max_players: (max) => `set the player limit to ${String(max)}`,
  transfer_ownership: (id) => `make player ${String(id)} the host`,
  close_lobby: () => 'close the lobby',
  set_metadata: () => 'set the lobby metadata',
};

/** What a project shows for a refusal: a sentence for the known codes, else the server's own text. */
function refusalReason(code: ErrorCode, text: string): string {
  return REFUSALS[code] ?? text;
}

const REFUSALS: Partial<Record<ErrorCode, string>> = {
  exists: 'a lobby with that name already exists',
  'already-in-lobby': 'already in a lobby',
  'not-found': 'there is no lobby with that name',
  locked: 'the lobby is locked',
  full: 'the lobby is full',
  password: 'wrong password',
  unauthorized: 'only the host can do that',
  'not-in-lobby': 'not in a lobby',
};

/** `ws://host:port/?ugi=…` from what the project gave (http(s) accepted); a clear error for anything else. */
function serverUrl(text: string, ugi: string | undefined): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new CloudLinkError('invalid', `invalid server URL: ${text}`);
  }
  if (url.protocol === 'http:' || url.protocol === 'https:') url.protocol = url.protocol === 'http:' ? 'ws:' : 'wss:';
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') throw new CloudLinkError('invalid', `server URL must start with ws:// or wss://: ${text}`);
  if (ugi !== undefined) url.searchParams.set('ugi', ugi);
  return url.toString();
}

/** Opens a WebSocket; resolves once it is open, rejects with a clear reason if it cannot. Aborting closes it ('cancelled'). */
function openSocket(url: string, WebSocketClass: WebSocketConstructor, signal?: AbortSignal): Promise<WebSocketLike> {
  if (signal?.aborted) return Promise.reject(cancelled());
  const socket = new WebSocketClass(url);
  const origin = new URL(url).origin;
  return new Promise((resolve, reject) => {
    const abort = () => {
      // The socket still reports its error and close (ws throws on an error nobody listens to); they change nothing now.
      socket.onopen = null;
      socket.onerror = socket.onclose = () => {};
      socket.close(1000, 'cancelled');
      reject(cancelled());
    };
    signal?.addEventListener('abort', abort, { once: true });
    const settle = (outcome: () => void) => {
      signal?.removeEventListener('abort', abort);
      outcome();
    };
    socket.onopen = () => settle(() => resolve(socket));
    socket.onerror = () => settle(() => reject(new CloudLinkError('unreachable', `cannot connect to ${origin}`)));
    socket.onclose = (event) => settle(() => reject(new CloudLinkError('unreachable', `cannot connect to ${origin} (close ${event.code})`)));
  });
}
