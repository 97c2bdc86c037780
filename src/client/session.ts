// The out-of-band half of the core client: one WebSocket to the signaling server, requests that
// resolve on their own reply (correlated by `listener`), typed events for every server opcode,
// keepalive, and the player's view of its lobby (id, mode, host, peers).
import {
  clientOpcodes,
  decodeServerPacket,
  encodePacket,
  ProtocolError,
  Reply,
  type ClientOpcode,
  type ClientPayloads,
  type LobbyInfo,
  type ManageMethod,
  type Origin,
  type RelayedOpcode,
  type ServerOpcode,
  type ServerPacket,
  type ServerPayloads,
  type User,
} from '../protocol/index.js';
import { Emitter } from '../peer/emitter.js';
import { CloudLinkError, serverCode } from './errors.js';
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
}

type RelayedEvents = { [K in RelayedOpcode]: [payload: ServerPayloads[K], origin: Origin] };
type PlainEvents = { [K in Exclude<ServerOpcode, RelayedOpcode>]: [payload: ServerPayloads[K]] };

export type SessionEvents = PlainEvents &
  RelayedEvents & {
    /** The socket closed (by either side); `reason` says why when known. */
    close: [info: { code: number; reason: string }];
    /** A problem the project should be able to show (bad packet from the server, keepalive lost...). */
    error: [error: CloudLinkError];
  };

export interface CreateLobbyOptions {
  name: string;
  maxPlayers?: number;
  password?: string;
  locked?: boolean;
  hidden?: boolean;
  enableRelay?: boolean;
}

interface Pending {
  opcode: ClientOpcode;
  replyOpcode: ServerOpcode;
  resolve: (packet: ServerPacket) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

const REPLY_OF: Partial<Record<ClientOpcode, ServerOpcode>> = {
  INIT: 'INIT_OK',
  KEEPALIVE: 'KEEPALIVE_ACK',
  LIST_LOBBIES: 'LIST_ACK',
  FIND_LOBBY: 'FIND_ACK',
  CREATE_LOBBY: 'CREATE_ACK',
  JOIN_LOBBY: 'JOIN_ACK',
  LEAVE_LOBBY: 'LEAVE_ACK',
  MANAGE_LOBBY: 'MANAGE_ACK',
};

const OPEN = 1;

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

  private readonly pending = new Map<string, Pending>();
  private nextListener = 1;
  private keepaliveTimer: ReturnType<typeof setInterval> | undefined;
  private closed = false;

  private constructor(
    private readonly socket: WebSocketLike,
    private readonly options: Required<Pick<SessionOptions, 'requestTimeoutMs' | 'keepaliveMs'>>,
  ) {
    super();
    socket.onmessage = (event) => this.receive(event.data);
    socket.onclose = (event) => this.closedBy(event.code, event.reason || 'connection closed');
    socket.onerror = () => {
      /* onclose follows with the code; nothing useful to add here */
    };
  }

  /** Opens the WebSocket; resolves once it is open, rejects with a clear reason if it cannot. */
  static connect(options: SessionOptions): Promise<Session> {
    const WebSocketClass = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!WebSocketClass) return Promise.reject(new CloudLinkError('unsupported', 'no WebSocket implementation available'));
    let url: URL;
    try {
      url = new URL(options.url);
    } catch {
      return Promise.reject(new CloudLinkError('invalid', `invalid server URL: ${options.url}`));
    }
    if (url.protocol === 'http:' || url.protocol === 'https:') url.protocol = url.protocol === 'http:' ? 'ws:' : 'wss:';
    if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
      return Promise.reject(new CloudLinkError('invalid', `server URL must start with ws:// or wss://: ${options.url}`));
    }
    if (options.ugi !== undefined) url.searchParams.set('ugi', options.ugi);
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(cancelled());
    const socket = new WebSocketClass(url.toString());
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
      socket.onopen = () =>
        settle(() =>
          resolve(
            new Session(socket, {
              requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
              keepaliveMs: options.keepaliveMs ?? 20_000,
            }),
          ),
        );
      socket.onerror = () => settle(() => reject(new CloudLinkError('unreachable', `cannot connect to ${url.origin}`)));
      socket.onclose = (event) => settle(() => reject(new CloudLinkError('unreachable', `cannot connect to ${url.origin} (close ${event.code})`)));
    });
  }

  get connected(): boolean {
    return !this.closed && this.socket.readyState === OPEN;
  }

  get isHost(): boolean {
    return this.mode === 'host';
  }

  async init(username: string, extra: { token?: string; pubkey?: string } = {}): Promise<User> {
    const reply = await this.request('INIT', { username, ...extra });
    const ok = reply.payload as ServerPayloads['INIT_OK'];
    this.me = { ...ok, ...(extra.pubkey ? { pubkey: extra.pubkey } : {}) };
    this.startKeepalive();
    return this.me;
  }

  /** Round-trip time of one KEEPALIVE in milliseconds. */
  async keepalive(): Promise<number> {
    const started = Date.now();
    await this.request('KEEPALIVE', undefined);
    return Date.now() - started;
  }

  async listLobbies(): Promise<string[]> {
    return (await this.request('LIST_LOBBIES', undefined)).payload as string[];
  }

  /** The lobby's public info, or null when there is no such lobby. */
  async findLobby(name: string): Promise<LobbyInfo | null> {
    const info = (await this.request('FIND_LOBBY', name)).payload as ServerPayloads['FIND_ACK'];
    return info === Reply.notFound ? null : info;
  }

  async createLobby(options: CreateLobbyOptions): Promise<void> {
    await this.expectOk('CREATE_LOBBY', {
      name: options.name,
      max_players: options.maxPlayers ?? -1,
      password: options.password ?? '',
      locked: options.locked ?? false,
      hidden: options.hidden ?? false,
      enable_relay: options.enableRelay ?? false,
    });
    this.lobby = options.name;
  }

  async joinLobby(name: string, password = ''): Promise<void> {
    await this.expectOk('JOIN_LOBBY', { name, password });
    this.lobby = name;
  }

  async leaveLobby(): Promise<void> {
    await this.expectOk('LEAVE_LOBBY', undefined);
  }

  /** Host-only lobby management; rejects with the server's reason (e.g. "unauthorized"). */
  async manage(method: ManageMethod, args: unknown = null): Promise<void> {
    await this.expectOk('MANAGE_LOBBY', { method, args });
  }

  /** Relays a WebRTC signal to a member of my lobby; the server stamps `origin`. */
  sendSignal<K extends RelayedOpcode>(opcode: K, recipient: string, payload: ClientPayloads[K]): void {
    this.send(opcode, payload, { recipient });
  }

  close(code = 1000, reason = 'client closed'): void {
    if (this.closed) return;
    this.socket.close(code, reason);
    this.closedBy(code, reason);
  }

  private async expectOk(opcode: ClientOpcode, payload: unknown): Promise<void> {
    const reply = await this.request(opcode, payload);
    if (reply.payload !== Reply.ok) throw new CloudLinkError(serverCode(String(reply.payload)), `${opcode}: ${String(reply.payload)}`, { opcode });
  }

  /** Sends a request and resolves with its reply; a WARNING carrying our listener rejects it. */
  private request(opcode: ClientOpcode, payload: unknown): Promise<ServerPacket> {
    const replyOpcode = REPLY_OF[opcode];
    if (!replyOpcode) throw new Error(`${opcode} has no reply`);
    const listener = `cl5-${this.nextListener++}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(listener);
        reject(new CloudLinkError('timeout', `${opcode}: no reply from the server within ${this.options.requestTimeoutMs} ms`, { opcode }));
      }, this.options.requestTimeoutMs);
      this.pending.set(listener, { opcode, replyOpcode, resolve, reject, timer });
      try {
        this.send(opcode, payload, { listener });
      } catch (error) {
        clearTimeout(timer);
        this.pending.delete(listener);
        reject(error);
      }
    });
  }

  private send(opcode: ClientOpcode, payload: unknown, extra: { recipient?: string; listener?: string }): void {
    if (!this.connected) throw new CloudLinkError('not-connected', `${opcode}: not connected`, { opcode });
    try {
      clientOpcodes[opcode](payload, 'payload');
    } catch (error) {
      if (error instanceof ProtocolError) throw new CloudLinkError('invalid', `${opcode}: ${error.message}`, { opcode });
      throw error;
    }
    this.socket.send(encodePacket({ opcode, payload, ...extra }));
  }

  private receive(data: unknown): void {
    let packet: ServerPacket;
    try {
      packet = decodeServerPacket(typeof data === 'string' ? data : String(data));
    } catch (error) {
      this.emit('error', new CloudLinkError('protocol', `bad packet from server: ${(error as Error).message}`));
      return;
    }
    this.updateState(packet);
    // A WARNING answering one of my requests is that request's failure, reported once by whoever awaited it.
    if (this.settle(packet) && packet.opcode === 'WARNING') return;
    this.dispatch(packet);
  }

  /** Resolves or rejects the request this packet answers; true if there was one. */
  private settle(packet: ServerPacket): boolean {
    if (packet.listener === undefined) return false;
    const pending = this.pending.get(packet.listener);
    if (!pending) return false;
    const isWarning = packet.opcode === 'WARNING';
    if (!isWarning && packet.opcode !== pending.replyOpcode) return false;
    this.pending.delete(packet.listener);
    clearTimeout(pending.timer);
    if (isWarning) pending.reject(new CloudLinkError(serverCode(packet.payload), packet.payload, { opcode: pending.opcode }));
    else pending.resolve(packet);
    return true;
  }

  private dispatch(packet: ServerPacket): void {
    const emit = this.emit.bind(this) as (event: string, ...args: unknown[]) => void;
    if (packet.opcode === 'MAKE_OFFER' || packet.opcode === 'MAKE_ANSWER' || packet.opcode === 'ICE') {
      if (packet.origin) emit(packet.opcode, packet.payload, packet.origin);
      return;
    }
    emit(packet.opcode, packet.payload);
  }

  private updateState(packet: ServerPacket): void {
    switch (packet.opcode) {
      case 'TRANSITION':
        this.mode = packet.payload;
        if (packet.payload === '') this.resetLobby();
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
      case 'PEER_LEFT':
        this.peers.delete(packet.payload);
        break;
      case 'LOBBY_CLOSED':
        this.resetLobby();
        break;
    }
  }

  private resetLobby(): void {
    this.relayId = null;
    this.lobby = null;
    this.host = null;
    this.mode = '';
    this.peers.clear();
  }

  private startKeepalive(): void {
    if (this.options.keepaliveMs <= 0 || this.keepaliveTimer) return;
    this.keepaliveTimer = setInterval(() => {
      this.keepalive().catch((error: CloudLinkError) => {
        if (this.closed) return;
        this.emit('error', new CloudLinkError('timeout', `keepalive failed: ${error.message}`, { opcode: 'KEEPALIVE' }));
        this.close(4000, 'keepalive lost');
      });
    }, this.options.keepaliveMs);
  }

  private closedBy(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.keepaliveTimer);
    for (const [listener, pending] of this.pending) {
      clearTimeout(pending.timer);
      pending.reject(new CloudLinkError('not-connected', `disconnected: ${reason}`, { opcode: pending.opcode }));
      this.pending.delete(listener);
    }
    this.resetLobby();
    this.emit('close', { code, reason });
  }
}

/** What a connect attempt ended by disconnect() rejects with. */
export const cancelled = () => new CloudLinkError('cancelled', 'connecting was cancelled by disconnect');
