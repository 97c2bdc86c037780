// CloudLinkClient: the core client as one object — session, mesh, sync and voice wired together
// behind the CoreClient interface the blocks use. No Scratch knowledge here.
// It is where failures are reported: whatever fails in a public call, or in the background (a link,
// a packet, the server), becomes one CloudLinkError, made "last error" and fired as 'error' once.
import { isSyncOpcode, Warning, type LobbyInfo, type LobbyMetadata, type LobbySummary, type User } from '../protocol/index.js';
import { Emitter } from '../peer/emitter.js';
import { DEFAULT_CHANNEL } from '../peer/link.js';
import type {
  ClientEvents,
  ConnectionState,
  ConnectOptions,
  CoreClient,
  IceServer,
  LobbyOptions,
  LobbySearch,
  QuickJoinOptions,
  QuickJoinResult,
} from './api.js';
import { openConnection, sameSettings, settingsOf, type Connection, type ConnectionSettings } from './connection.js';
import { cancelled, CloudLinkError, serverCode } from './errors.js';
import { iceServersFor } from './ice-servers.js';
import type { Mesh } from './mesh/mesh.js';
import { UNKNOWN_PING, type PingOptions } from './ping.js';
import { CLOSE_SESSION_LOST, type Mode, type Session } from './session.js';
import { SyncEngine, type Scope, type SyncStore } from './sync/engine.js';
import type { ReconnectPolicy } from './reconnect-policy.js';
import type { Voice } from './voice.js';
import type { WebSocketConstructor } from './websocket.js';

export interface CloudLinkClientOptions {
  /** WebSocket class (the browser's by default; `ws` in Node). */
  WebSocket?: WebSocketConstructor;
  /** WebRTC implementation for Node (@roamhq/wrtc); the browser's own by default. */
  wrtc?: object;
  keepaliveMs?: number;
  connectTimeoutMs?: number;
  /** Backoff of the reconnect loop (tests shorten it). */
  reconnect?: Partial<ReconnectPolicy>;
  /** How often the ping reporters measure (tests measure faster). */
  ping?: PingOptions;
  /** A player I cannot link with directly for this long is reached through the server's relay, if it has one (default 10 s; 0: never). */
  relayFallbackMs?: number;
}

/** A connect under way: later connects with the same settings share it. */
interface Attempt {
  settings: ConnectionSettings;
  abort: AbortController;
  done: Promise<void>;
}

const isObject = (value: unknown): value is object => (typeof value === 'object' && value !== null) || typeof value === 'function';

export class CloudLinkClient extends Emitter<ClientEvents> implements CoreClient {
  private connection: Connection | null = null;
  private attempt: Attempt | null = null;
  /** The project's own STUN/TURN list; null until it sets one (then the defaults apply: ice-servers.ts). */
  private iceServers: IceServer[] | null = null;
  private relayOnly = false;
  private autoReconnect = true;
  private failure: CloudLinkError | null = null;
  /** Every error reported so far (and what it was reported as), so none is reported twice. */
  private readonly reported = new WeakMap<object, CloudLinkError>();
  /** Networked variables and lists; lives across connections so bindings survive a reconnect. */
  readonly sync: SyncEngine;

  constructor(private readonly options: CloudLinkClientOptions = {}) {
    super();
    this.sync = new SyncEngine(
      {
        myId: () => this.myId,
        peers: () => this.connection?.mesh.connectedPeers() ?? [],
        host: () => this.connection?.session.host?.instance_id ?? null,
        send: (peer, packets) => this.requireMesh().sendPackets(peer, packets),
        broadcast: (packets) => {
          const mesh = this.connection?.mesh;
          if (!mesh?.relayId) return false;
          mesh.broadcastPackets(packets);
          return true;
        },
      },
      (error) => this.report(error),
    );
  }

  // ── errors ──────────────────────────────────────────────────────────────────────────

  /** Makes a failure "last error" and fires 'error' — once per error, however often it is seen. */
  private report(error: unknown): CloudLinkError {
    const known = isObject(error) ? this.reported.get(error) : undefined;
    if (known) return known;
    const failure = CloudLinkError.from(error);
    this.reported.set(failure, failure);
    if (isObject(error)) this.reported.set(error, failure);
    this.failure = failure;
    this.emit('error', failure);
    return failure;
  }

  /** Reports a failure from outside the core (e.g. a block naming a missing variable); one already reported is ignored. */
  reportError(error: unknown): void {
    this.report(error);
  }

  /**
   * Runs a public call: a failure, thrown or rejected, is reported and passed on as a CloudLinkError.
   * Calls that answer with a promise pass an async function, so even their checks reject rather than throw.
   */
  private reporting<T>(work: () => T): T {
    try {
      const result = work();
      if (!(result instanceof Promise)) return result;
      return result.catch((error: unknown) => {
        throw this.report(error);
      }) as T;
    } catch (error) {
      throw this.report(error);
    }
  }

  get lastError(): CloudLinkError | null {
    return this.failure;
  }

  /** Forgets the last error, so a project can tell a later failure from an old one. */
  clearLastError(): void {
    this.failure = null;
  }

  // ── connection ──────────────────────────────────────────────────────────────────────

  setIceServers(servers: IceServer[] | null): void {
    this.iceServers = servers;
    const connection = this.connection;
    connection?.mesh.configure({ iceServers: iceServersFor(connection.settings.url, servers, connection.session.iceServers) });
  }

  setAutoReconnect(on: boolean): void {
    this.autoReconnect = on;
  }

  setRelayOnly(relayOnly: boolean): void {
    this.relayOnly = relayOnly;
    this.connection?.mesh.configure({ relayOnly });
  }

  /**
   * Connects and identifies. A connect with the same server, name and game id while one is under way
   * shares it (one socket, one INIT); while connected it succeeds at once and says 'connected' again
   * (the green flag pressed again). Anything else is refused ('already-connected'): disconnect first.
   */
  connect(options: ConnectOptions): Promise<void> {
    return this.reporting(async () => {
      const settings = settingsOf(options);
      if (this.attempt) {
        if (sameSettings(this.attempt.settings, settings)) return this.attempt.done;
        throw new CloudLinkError('already-connected', 'already connecting: disconnect first');
      }
      if (this.connection) {
        // Pressed again while a drop is being resumed: the resume is the connect.
        if (this.connection.session.reconnecting && sameSettings(this.connection.settings, settings)) return;
        if (!this.connected || !sameSettings(this.connection.settings, settings))
          throw new CloudLinkError('already-connected', 'already connected: disconnect first');
        this.emit('connected');
        return;
      }
      const abort = new AbortController();
      const done = this.open(options, abort.signal).finally(() => {
        if (this.attempt?.abort === abort) this.attempt = null;
      });
      this.attempt = { settings, abort, done };
      return done;
    });
  }

  private async open(options: ConnectOptions, signal: AbortSignal): Promise<void> {
    const { WebSocket, wrtc, keepaliveMs, connectTimeoutMs, reconnect, ping, relayFallbackMs } = this.options;
    const connection = await openConnection(
      options,
      {
        WebSocket,
        wrtc,
        keepaliveMs,
        connectTimeoutMs,
        reconnect,
        ping,
        relayFallbackMs,
        ice: () => ({ iceServers: this.iceServers, relayOnly: this.relayOnly }),
        autoReconnect: () => this.autoReconnect,
      },
      signal,
    );
    if (signal.aborted) {
      connection.mesh.destroy();
      connection.session.close();
      throw cancelled();
    }
    this.connection = connection;
    this.wire(connection);
    this.emit('connected');
    // A notice that came with INIT_OK, before anyone listened (e.g. the token was not checked).
    for (const text of connection.session.takeEarlyWarnings()) this.serverWarning(text);
  }

  /** A WARNING that answered no request of mine (kicked, rate limited, a notice): reported as an error. */
  private serverWarning(text: string): void {
    // The answer to a signal (the only request sent without a listener) for a peer the server no longer
    // has: I signal only members, so it crossed a leave, kick or close whose own packet came before it.
    if (text === Warning.peerInvalid) return;
    this.report(new CloudLinkError(serverCode(text), `server: ${text}`));
  }

  /** Closes the connection; a connect still under way is cancelled (its socket closed, its callers get 'cancelled'). */
  disconnect(): void {
    this.attempt?.abort.abort();
    this.attempt = null;
    this.connection?.session.close(1000, 'disconnected by the project');
  }

  private wire(connection: Connection): void {
    const { session, mesh, voice, off } = connection;
    const peerJoined = (user: User) => this.emit('peer-join', user);
    const report = (error: CloudLinkError) => void this.report(error);
    off.push(
      session.on('TRANSITION', (mode) => this.emit('mode', mode)),
      // Every change of host, the player who becomes host by migration included (its TRANSITION host tells it first).
      session.on('host', (user) => this.emit('host', user.instance_id)),
      session.on('NEW_PEER', peerJoined),
      session.on('PEER_JOIN', peerJoined),
      session.on('PEER_LEFT', (id) => this.emit('peer-leave', id)),
      session.on('NEW_LOBBY', (name) => this.emit('lobby-new', name)),
      session.on('LOBBY_CLOSED', (name) => this.emit('lobby-closed', name)),
      // Only WARNINGs that answer no request of mine arrive here (e.g. kicked, rate limited).
      session.on('WARNING', (text) => this.serverWarning(text)),
      session.on('VIOLATION', (text) => this.report(new CloudLinkError('violation', `server closed the connection: ${text}`))),
      session.on('error', report),
      session.on('reconnecting', (reason) => this.emit('reconnecting', reason)),
      session.on('resumed', () => this.emit('reconnected')),
      session.on('close', ({ code, reason }) => this.closed(connection, code, reason)),
      mesh.on('peer-open', (peer) => {
        this.sync.peerJoined(peer);
        this.emit('peer-connected', peer);
      }),
      mesh.on('peer-close', (peer) => this.sync.peerLeft(peer)),
      mesh.on('link-lost', (peer) => this.emit('link-lost', peer)),
      mesh.on('link-back', (peer) => {
        // What changed while the link was down (sync packets are not held) catches up as on a new link.
        this.sync.peerJoined(peer);
        this.emit('link-back', peer);
      }),
      mesh.on('message', ({ from, channel, opcode, payload }) =>
        this.emit('message', {
          from,
          channel,
          kind: opcode === 'G_MSG' ? 'broadcast' : 'private',
          payload,
          ...(mesh.isOrdered(channel) ? {} : { fast: true as const }),
        }),
      ),
      mesh.on('packet', (peer, _channel, packet) => {
        if (isSyncOpcode(packet.opcode)) this.sync.receive(peer, packet);
      }),
      mesh.on('channel-open', (peer, label) => this.emit('channel-open', peer, label)),
      mesh.on('channel-close', (peer, label) => this.emit('channel-close', peer, label)),
      mesh.on('error', report),
      voice.on('voice', (event, peer) => this.emit('voice', event, peer)),
      voice.on('error', report),
    );
  }

  private closed(connection: Connection, code: number, reason: string): void {
    if (this.connection !== connection) return;
    // The project hears why: the seat is gone, so it has to connect (and create or join) again.
    if (code === CLOSE_SESSION_LOST) this.report(new CloudLinkError('session-lost', reason));
    this.connection = null;
    for (const off of connection.off) off();
    connection.voice.destroy();
    connection.ping.destroy();
    connection.mesh.destroy();
    this.emit('mode', '');
    this.emit('disconnected', reason);
  }

  private require(): Connection {
    if (!this.connection) throw new CloudLinkError('not-connected', 'not connected');
    return this.connection;
  }

  private requireSession(): Session {
    return this.require().session;
  }

  private requireMesh(): Mesh {
    return this.require().mesh;
  }

  private requireVoice(): Voice {
    return this.require().voice;
  }

  get connected(): boolean {
    return this.connection?.session.connected ?? false;
  }

  get connectionState(): ConnectionState {
    if (!this.connection) return 'disconnected';
    return this.connection.session.reconnecting ? 'reconnecting' : 'connected';
  }

  get myId(): string {
    return this.connection?.session.me?.instance_id ?? '';
  }

  get myUsername(): string {
    return this.connection?.session.me?.username ?? '';
  }

  get mode(): Mode {
    return this.connection?.session.mode ?? '';
  }

  // ── lobbies ─────────────────────────────────────────────────────────────────────────

  createLobby(options: LobbyOptions): Promise<void> {
    return this.reporting(async () => this.requireSession().createLobby(options));
  }

  joinLobby(name: string, password = ''): Promise<void> {
    return this.reporting(async () => this.requireSession().joinLobby(name, password));
  }

  leaveLobby(): Promise<void> {
    return this.reporting(async () => this.requireSession().leaveLobby());
  }

  listLobbies(): Promise<string[]> {
    return this.reporting(async () => this.requireSession().listLobbies());
  }

  findLobby(name: string): Promise<LobbyInfo | null> {
    return this.reporting(async () => this.requireSession().findLobby(name));
  }

  get lobby(): string {
    return this.connection?.session.lobby ?? '';
  }

  findLobbies(search: LobbySearch = {}): Promise<LobbySummary[]> {
    return this.reporting(async () => this.requireSession().findLobbies(search));
  }

  quickJoin(options: QuickJoinOptions): Promise<QuickJoinResult> {
    return this.reporting(async () => {
      const result = await this.requireSession().quickJoin(options);
      this.emit('matched', result.name, result.created);
      return result;
    });
  }

  setLobbyMetadata = (change: Record<string, string | number | null>) => this.manage('set_metadata', change);

  lobbyMetadata(): Promise<LobbyMetadata> {
    return this.reporting(async () => {
      const session = this.requireSession();
      if (!session.lobby) throw new CloudLinkError('not-in-lobby', 'my lobby metadata: not in a lobby');
      return (await session.findLobby(session.lobby))?.metadata ?? {};
    });
  }

  get isHost(): boolean {
    return this.connection?.session.isHost ?? false;
  }

  get hostId(): string {
    return this.connection?.session.host?.instance_id ?? '';
  }

  private manage(method: Parameters<Session['manage']>[0], args: unknown = null): Promise<void> {
    return this.reporting(async () => this.requireSession().manage(method, args));
  }

  lockLobby = () => this.manage('lock');
  unlockLobby = () => this.manage('unlock');
  hideLobby = () => this.manage('hide');
  showLobby = () => this.manage('show');
  setMaxPlayers = (max: number) => this.manage('change_max_players', max);
  setPassword = (password: string) => this.manage('change_password', password);
  kick = (instanceId: string) => this.manage('kick', instanceId);
  transferHost = (instanceId: string) => this.manage('transfer_ownership', instanceId);
  closeLobby = () => this.manage('close_lobby');

  // ── players ─────────────────────────────────────────────────────────────────────────

  players(): string[] {
    return [...(this.connection?.session.peers.keys() ?? [])];
  }

  usernameOf(instanceId: string): string {
    if (instanceId === this.myId) return this.myUsername;
    const session = this.connection?.session;
    // A player who just left keeps a name (the "when a player leaves" script shows who).
    return (session?.peers.get(instanceId) ?? session?.departed(instanceId))?.username ?? '';
  }

  isPeerConnected(instanceId: string): boolean {
    return this.connection?.mesh.isConnected(instanceId) ?? false;
  }

  disconnectPeer(instanceId: string): void {
    this.reporting(() => this.requireMesh().drop(instanceId, 'disconnected by the project'));
  }

  serverPing(): number {
    return this.connection?.ping.toServer() ?? UNKNOWN_PING;
  }

  playerPing(instanceId: string): number {
    return this.connection?.ping.toPlayer(instanceId) ?? UNKNOWN_PING;
  }

  // ── channels and messages ───────────────────────────────────────────────────────────

  openChannel(label: string, ordered: boolean): void {
    this.reporting(() => this.requireMesh().openChannel(label, ordered));
  }

  closeChannel(label: string): void {
    this.reporting(() => this.requireMesh().closeChannel(label));
  }

  channels(): string[] {
    return this.connection?.mesh.channels() ?? [DEFAULT_CHANNEL];
  }

  openChannels(peer: string): string[] {
    return this.connection?.mesh.openChannels(peer) ?? [];
  }

  broadcast(payload: unknown, channel = DEFAULT_CHANNEL): void {
    this.reporting(() => this.requireMesh().broadcast(payload, channel));
  }

  sendPrivate(peer: string, payload: unknown, channel = DEFAULT_CHANNEL): void {
    this.reporting(() => this.requireMesh().sendPrivate(peer, payload, channel));
  }

  // ── sync ────────────────────────────────────────────────────────────────────────────

  bindNetworked(id: string, scope: Scope, store: SyncStore): void {
    this.reporting(() => this.sync.bind(id, scope, store));
  }

  unbindNetworked(id: string, scope: Scope): void {
    this.sync.unbind(id, scope);
  }

  /** Once per frame (the blocks' frame hook): send this frame's changes. */
  flushSync(): void {
    this.sync.flush();
  }

  // ── voice ───────────────────────────────────────────────────────────────────────────

  get hasMicrophone(): boolean {
    return this.connection?.voice.hasMicrophone ?? false;
  }

  requestMicrophone(): Promise<void> {
    return this.reporting(async () => this.requireVoice().requestMicrophone());
  }

  call(peer: string): Promise<void> {
    return this.reporting(async () => this.requireVoice().call(peer));
  }

  answer(peer: string): Promise<void> {
    return this.reporting(async () => this.requireVoice().answer(peer));
  }

  decline(peer: string): void {
    this.reporting(() => this.requireVoice().decline(peer));
  }

  hangup(peer: string): void {
    this.reporting(() => this.requireVoice().hangup(peer));
  }

  setMuted(peer: string, muted: boolean): void {
    this.reporting(() => this.requireVoice().setMuted(peer, muted));
  }

  setVolume(peer: string, volume: number): void {
    this.reporting(() => this.requireVoice().setVolume(peer, volume));
  }

  setVoicePosition(peer: string, x: number, y: number, z: number): void {
    this.reporting(() => this.requireVoice().setPosition(peer, x, y, z));
  }

  callState(peer: string): string {
    return this.connection?.voice.state(peer) ?? 'idle';
  }

  /** The peer links of the current connection (for diagnostics). */
  get mesh(): Mesh | null {
    return this.connection?.mesh ?? null;
  }

  voiceInfo(peer: string) {
    const graph = this.connection?.voice.graph(peer);
    if (!graph) return null;
    const [x, y, z] = graph.position;
    return { volume: Math.round(graph.gain * 100), x, y, z, muted: graph.muted, loudness: graph.analyser?.() ?? 0 };
  }
}
