// CloudLinkClient: the core client as one object — session, mesh, sync and voice wired together
// behind the CoreClient interface the blocks use. No Scratch knowledge here.
import { isSyncOpcode, type LobbyInfo, type User } from '../protocol/index.js';
import type { ClientEvents, ConnectOptions, CoreClient, IceServer, LobbyOptions } from './api.js';
import { KeyPair } from './e2ee.js';
import { Emitter } from '../peer/emitter.js';
import { DEFAULT_CHANNEL } from './mesh/link.js';
import { Mesh } from './mesh/mesh.js';
import { Session, type Mode } from './session.js';
import { SyncEngine, type Scope, type SyncStore } from './sync/engine.js';
import { Voice } from './voice.js';
import type { WebSocketConstructor } from './websocket.js';

export interface CloudLinkClientOptions {
  /** WebSocket class (the browser's by default; `ws` in Node). */
  WebSocket?: WebSocketConstructor;
  /** WebRTC implementation for Node (@roamhq/wrtc); the browser's own by default. */
  wrtc?: object;
  keepaliveMs?: number;
  connectTimeoutMs?: number;
}

interface Connection {
  /** What it was opened with, to recognise a repeated connect. */
  as: { url: string; username: string; ugi: string };
  session: Session;
  mesh: Mesh;
  voice: Voice;
  off: (() => void)[];
}

export class CloudLinkClient extends Emitter<ClientEvents> implements CoreClient {
  private connection: Connection | null = null;
  private iceServers: IceServer[] = [];
  private relayOnly = false;
  private error = '';
  /** Networked variables and lists; lives across connections so bindings survive a reconnect. */
  readonly sync: SyncEngine;

  constructor(private readonly options: CloudLinkClientOptions = {}) {
    super();
    this.sync = new SyncEngine(
      {
        myId: () => this.myId,
        peers: () => this.connection?.mesh.connectedPeers() ?? [],
        send: (peer, packets) => this.requireMesh().sendPackets(peer, packets),
        broadcast: (packets) => {
          const mesh = this.connection?.mesh;
          if (!mesh?.relayId) return false;
          mesh.broadcastPackets(packets);
          return true;
        },
      },
      (message) => this.fail(message),
    );
  }

  // ── connection ──────────────────────────────────────────────────────────────────────

  setIceServers(servers: IceServer[]): void {
    this.iceServers = servers;
    this.connection?.mesh.configure({ iceServers: servers });
  }

  setRelayOnly(relayOnly: boolean): void {
    this.relayOnly = relayOnly;
    this.connection?.mesh.configure({ relayOnly });
  }

  async connect(options: ConnectOptions): Promise<void> {
    if (this.connection) {
      // The green flag pressed again: the same connection is already there, so the block succeeds.
      const same = this.connected && this.connection.as.url === options.url && this.connection.as.username === options.username && this.connection.as.ugi === (options.ugi ?? 'default');
      if (!same) throw this.fail('already connected: disconnect first');
      this.emit('connected');
      return;
    }
    try {
      const keys = options.encryption ? await KeyPair.generate() : null;
      const session = await Session.connect({
        url: options.url,
        ugi: options.ugi ?? 'default',
        WebSocket: this.options.WebSocket,
        keepaliveMs: options.keepaliveSeconds !== undefined ? options.keepaliveSeconds * 1000 : this.options.keepaliveMs,
      });
      try {
        await session.init(options.username, { token: options.token, pubkey: keys?.publicKey });
      } catch (error) {
        session.close();
        throw error;
      }
      const mesh = new Mesh(session, {
        wrtc: this.options.wrtc,
        iceServers: this.iceServers,
        relayOnly: this.relayOnly,
        keys,
        connectTimeoutMs: this.options.connectTimeoutMs,
      });
      const voice = new Voice(mesh);
      this.connection = { as: { url: options.url, username: options.username, ugi: options.ugi ?? 'default' }, session, mesh, voice, off: [] };
      this.wire(this.connection);
      this.emit('connected');
    } catch (error) {
      throw this.fail((error as Error).message);
    }
  }

  disconnect(): void {
    this.connection?.session.close(1000, 'disconnected by the project');
  }

  private wire(connection: Connection): void {
    const { session, mesh, voice, off } = connection;
    const peerJoined = (user: User) => this.emit('peer-join', user);
    off.push(
      session.on('TRANSITION', (mode) => this.emit('mode', mode)),
      session.on('NEW_HOST', (user) => this.emit('host', user.instance_id)),
      session.on('NEW_PEER', peerJoined),
      session.on('PEER_JOIN', peerJoined),
      session.on('PEER_LEFT', (id) => this.emit('peer-leave', id)),
      session.on('NEW_LOBBY', (name) => this.emit('lobby-new', name)),
      session.on('LOBBY_CLOSED', (name) => this.emit('lobby-closed', name)),
      session.on('WARNING', (text) => this.fail(`server: ${text}`)),
      session.on('VIOLATION', (text) => this.fail(`server closed the connection: ${text}`)),
      session.on('error', (error) => this.fail(error.message)),
      session.on('close', ({ reason }) => this.closed(connection, reason)),
      mesh.on('peer-open', (peer) => {
        this.sync.peerJoined(peer);
        this.emit('peer-connected', peer);
      }),
      mesh.on('peer-close', (peer) => this.sync.peerLeft(peer)),
      mesh.on('message', ({ from, channel, opcode, payload }) =>
        this.emit('message', { from, channel, kind: opcode === 'G_MSG' ? 'broadcast' : 'private', payload }),
      ),
      mesh.on('packet', (peer, _channel, packet) => {
        if (isSyncOpcode(packet.opcode)) this.sync.receive(peer, packet);
      }),
      mesh.on('channel-open', (peer, label) => this.emit('channel-open', peer, label)),
      mesh.on('channel-close', (peer, label) => this.emit('channel-close', peer, label)),
      mesh.on('error', ({ peer, message }) => this.fail(message, peer)),
      voice.on('voice', (event, peer) => this.emit('voice', event, peer)),
      voice.on('error', ({ peer, message }) => this.fail(message, peer)),
    );
  }

  private closed(connection: Connection, reason: string): void {
    if (this.connection !== connection) return;
    this.connection = null;
    for (const off of connection.off) off();
    connection.voice.destroy();
    connection.mesh.destroy();
    this.emit('mode', '');
    this.emit('disconnected', reason);
  }

  /** Records an error for "last error" and the error hat; returns it (marked reported) to throw. */
  private fail(message: string, peer?: string): Error {
    this.error = message;
    this.emit('error', peer === undefined ? { message } : { message, peer });
    return Object.assign(new Error(message), { reported: true });
  }

  /** Records a failure that happened outside the core (e.g. a block naming a missing variable). */
  reportError(error: unknown): void {
    if ((error as { reported?: boolean })?.reported) return;
    this.fail(error instanceof Error ? error.message : String(error));
  }

  /** Runs a request; a failure becomes "last error" (and an error event) before it rejects. */
  private async attempt<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw this.fail((error as Error).message);
    }
  }

  private requireSession(): Session {
    if (!this.connection) throw new Error('not connected');
    return this.connection.session;
  }

  private requireMesh(): Mesh {
    if (!this.connection) throw new Error('not connected');
    return this.connection.mesh;
  }

  private requireVoice(): Voice {
    if (!this.connection) throw new Error('not connected');
    return this.connection.voice;
  }

  get connected(): boolean {
    return this.connection?.session.connected ?? false;
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

  get lastError(): string {
    return this.error;
  }

  // ── lobbies ─────────────────────────────────────────────────────────────────────────

  createLobby(options: LobbyOptions): Promise<void> {
    return this.attempt(() => this.requireSession().createLobby(options));
  }

  joinLobby(name: string, password = ''): Promise<void> {
    return this.attempt(() => this.requireSession().joinLobby(name, password));
  }

  leaveLobby(): Promise<void> {
    return this.attempt(() => this.requireSession().leaveLobby());
  }

  listLobbies(): Promise<string[]> {
    return this.attempt(() => this.requireSession().listLobbies());
  }

  findLobby(name: string): Promise<LobbyInfo | null> {
    return this.attempt(() => this.requireSession().findLobby(name));
  }

  get lobby(): string {
    return this.connection?.session.lobby ?? '';
  }

  get isHost(): boolean {
    return this.connection?.session.isHost ?? false;
  }

  get hostId(): string {
    return this.connection?.session.host?.instance_id ?? '';
  }

  private manage(method: Parameters<Session['manage']>[0], args: unknown = null): Promise<void> {
    return this.attempt(() => this.requireSession().manage(method, args));
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
    return this.connection?.session.peers.get(instanceId)?.username ?? '';
  }

  isPeerConnected(instanceId: string): boolean {
    return this.connection?.mesh.isConnected(instanceId) ?? false;
  }

  disconnectPeer(instanceId: string): void {
    this.requireMesh().drop(instanceId, 'disconnected by the project');
  }

  // ── channels and messages ───────────────────────────────────────────────────────────

  private guard(run: () => void): void {
    try {
      run();
    } catch (error) {
      throw this.fail((error as Error).message);
    }
  }

  openChannel(label: string, ordered: boolean): void {
    this.guard(() => this.requireMesh().openChannel(label, ordered));
  }

  closeChannel(label: string): void {
    this.guard(() => this.requireMesh().closeChannel(label));
  }

  channels(): string[] {
    return this.connection?.mesh.channels() ?? [DEFAULT_CHANNEL];
  }

  openChannels(peer: string): string[] {
    return this.connection?.mesh.openChannels(peer) ?? [];
  }

  broadcast(payload: unknown, channel = DEFAULT_CHANNEL): void {
    this.guard(() => this.requireMesh().broadcast(payload, channel));
  }

  sendPrivate(peer: string, payload: unknown, channel = DEFAULT_CHANNEL): void {
    this.guard(() => this.requireMesh().sendPrivate(peer, payload, channel));
  }

  // ── sync ────────────────────────────────────────────────────────────────────────────

  bindNetworked(id: string, scope: Scope, store: SyncStore): void {
    this.guard(() => this.sync.bind(id, scope, store));
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
    return this.attempt(() => this.requireVoice().requestMicrophone());
  }

  call(peer: string): Promise<void> {
    return this.attempt(() => this.requireVoice().call(peer));
  }

  answer(peer: string): Promise<void> {
    return this.attempt(() => this.requireVoice().answer(peer));
  }

  decline(peer: string): void {
    this.guard(() => this.requireVoice().decline(peer));
  }

  hangup(peer: string): void {
    this.guard(() => this.requireVoice().hangup(peer));
  }

  setMuted(peer: string, muted: boolean): void {
    this.guard(() => this.requireVoice().setMuted(peer, muted));
  }

  setVolume(peer: string, volume: number): void {
    this.guard(() => this.requireVoice().setVolume(peer, volume));
  }

  setVoicePosition(peer: string, x: number, y: number, z: number): void {
    this.guard(() => this.requireVoice().setPosition(peer, x, y, z));
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
