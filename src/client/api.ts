// The public face of the core client, as the TurboWarp blocks (and any other front end) see it.
// Everything is plain data: ids are instance id strings, payloads any JSON value.
import type { LobbyInfo, LobbyMetadata, LobbySummary, User } from '../protocol/index.js';
import type { CloudLinkError } from './errors.js';
import type { LobbySearch, CreateLobbyOptions as LobbyOptions, Mode, QuickJoinOptions, QuickJoinResult } from './session.js';
import type { Scope, SyncStore } from './sync/engine.js';

export type { LobbyOptions, LobbySearch, QuickJoinOptions, QuickJoinResult };

export interface IceServer {
  urls: string | string[];
  username?: string;
  credential?: string;
}

export interface ConnectOptions {
  /** ws:// or wss:// URL of the signaling server. */
  url: string;
  /** Empty with a `token`: the server names the player (from the token, or a guest name). */
  username: string;
  /** Game id partitioning lobbies (the `ugi` query); defaults to "default". */
  ugi?: string;
  token?: string;
  /** Create an ECDH key pair and send its public key, enabling E2EE with other keyed players. */
  encryption?: boolean;
  /** KEEPALIVE period in seconds; 0 turns it off. */
  keepaliveSeconds?: number;
  /**
   * Other nodes of the same server (sharing players and lobbies through Redis): a dropped connection is
   * resumed on the next one in [url, ...fallbackUrls], so a node that died or drains is left for another.
   */
  fallbackUrls?: string[];
}

export interface ReceivedMessage {
  from: string;
  channel: string;
  /** 'broadcast' for G_MSG, 'private' for P_MSG. */
  kind: 'broadcast' | 'private';
  payload: unknown;
  /** Set (true) only when it came on a fast channel (unordered, may drop), where only the newest state matters. */
  fast?: true;
}

export type VoiceEvent = 'ringing' | 'answered' | 'declined' | 'hungup';

/** 'reconnecting' while a dropped connection is being resumed (lobby, id and peer links kept meanwhile). */
export type ConnectionState = 'connected' | 'reconnecting' | 'disconnected';

export interface ClientEvents {
  connected: [];
  disconnected: [reason: string];
  /** The connection to the server dropped; it is being resumed (peer links stay up). */
  reconnecting: [reason: string];
  /** The session was resumed on a new connection: same id, same lobby, same host. */
  reconnected: [];
  /** Anything that went wrong, reported once: a stable `code`, a reason a project can show, and the `peer` or `opcode` it concerns. */
  error: [error: CloudLinkError];
  mode: [mode: Mode];
  host: [instanceId: string];
  'peer-join': [user: User];
  /** The data link to a peer is open (after peer-join). */
  'peer-connected': [instanceId: string];
  /** The data link to a player still in my lobby was lost; it is being healed, and reliable messages to them wait. */
  'link-lost': [instanceId: string];
  /** ...and is back: what waited has been sent, networked data catches up. */
  'link-back': [instanceId: string];
  'peer-leave': [instanceId: string];
  'lobby-new': [name: string];
  'lobby-closed': [name: string];
  /** A quick join put me in a lobby: `created` when it made a new one (I am its host). */
  matched: [lobby: string, created: boolean];
  message: [message: ReceivedMessage];
  'channel-open': [peer: string, label: string];
  'channel-close': [peer: string, label: string];
  voice: [event: VoiceEvent, peer: string];
}

/** What the blocks need from the core. Implemented by CloudLinkClient (src/client/cloudlink.ts). */
export interface CoreClient {
  on<K extends keyof ClientEvents>(event: K, listener: (...args: ClientEvents[K]) => void): () => void;

  // connection
  /** The project's STUN/TURN list; null: back to the default list (as if the project never set one). */
  setIceServers(servers: IceServer[] | null): void;
  setRelayOnly(relayOnly: boolean): void;
  connect(options: ConnectOptions): Promise<void>;
  disconnect(): void;
  readonly connected: boolean;
  readonly connectionState: ConnectionState;
  /** Whether a dropped connection is resumed by itself (on by default). */
  setAutoReconnect(on: boolean): void;
  readonly myId: string;
  readonly myUsername: string;
  readonly mode: Mode;
  /** The latest failure (null until one happens). */
  readonly lastError: CloudLinkError | null;
  /** Forgets the last error (lastError becomes null); nothing else clears it. */
  clearLastError(): void;
  /** Makes a failure "last error" and fires the error event, unless it was reported already. */
  reportError(error: unknown): void;

  // lobbies
  createLobby(options: LobbyOptions): Promise<void>;
  joinLobby(name: string, password?: string): Promise<void>;
  leaveLobby(): Promise<void>;
  listLobbies(): Promise<string[]>;
  findLobby(name: string): Promise<LobbyInfo | null>;
  readonly lobby: string;
  readonly isHost: boolean;
  // matchmaking (docs/protocol-notes.md "Matchmaking")
  /** Visible lobbies matching the search, with metadata and player counts, oldest first. */
  findLobbies(search?: LobbySearch): Promise<LobbySummary[]>;
  /** Joins the oldest open lobby matching the filter, or creates one; emits 'matched'. */
  quickJoin(options: QuickJoinOptions): Promise<QuickJoinResult>;
  /** Host only: sets these metadata entries of my lobby (null removes one). */
  setLobbyMetadata(change: Record<string, string | number | null>): Promise<void>;
  /** My lobby's metadata, asked of the server (not-in-lobby when I am in none). */
  lobbyMetadata(): Promise<LobbyMetadata>;
  readonly hostId: string;
  lockLobby(): Promise<void>;
  unlockLobby(): Promise<void>;
  hideLobby(): Promise<void>;
  showLobby(): Promise<void>;
  setMaxPlayers(max: number): Promise<void>;
  setPassword(password: string): Promise<void>;
  kick(instanceId: string): Promise<void>;
  transferHost(instanceId: string): Promise<void>;
  closeLobby(): Promise<void>;

  // players
  /** Instance ids of the other members of my lobby. */
  players(): string[];
  /** Also of a player who left my lobby lately (so the leave can be shown with a name). */
  usernameOf(instanceId: string): string;
  /** Is the data link to this peer open? */
  isPeerConnected(instanceId: string): boolean;
  /** Drop my data link to a peer (it stays in the lobby). */
  disconnectPeer(instanceId: string): void;
  /**
   * Round-trip time to the server in ms (a KEEPALIVE), or -1 until known. Reading measures: about once
   * a second while read, nothing while not (src/client/ping.ts).
   */
  serverPing(): number;
  /** The same to a linked player (an in-band PING / PONG); -1 also when there is no link to them. */
  playerPing(instanceId: string): number;

  // channels and messages
  openChannel(label: string, ordered: boolean): void;
  closeChannel(label: string): void;
  /** The lobby's channels: `default` and every named channel opened so far (open or still opening). */
  channels(): string[];
  /** The channels open now towards one peer, so a sender can wait until its channel is usable. */
  openChannels(peer: string): string[];
  broadcast(payload: unknown, channel?: string): void;
  sendPrivate(peer: string, payload: unknown, channel?: string): void;

  // networked variables and lists (protocol.md §4)
  bindNetworked(id: string, scope: Scope, store: SyncStore): void;
  unbindNetworked(id: string, scope: Scope): void;
  /** Once per frame: send this frame's changes. */
  flushSync(): void;

  // voice (protocol.md §7)
  requestMicrophone(): Promise<void>;
  readonly hasMicrophone: boolean;
  call(peer: string): Promise<void>;
  answer(peer: string): Promise<void>;
  decline(peer: string): void;
  hangup(peer: string): void;
  setMuted(peer: string, muted: boolean): void;
  /** 0–100. */
  setVolume(peer: string, volume: number): void;
  setVoicePosition(peer: string, x: number, y: number, z: number): void;
  /** 'idle' | 'calling' | 'ringing' | 'in call'. */
  callState(peer: string): string;
  /** The live audio graph of a call: volume (%), 3-D position, my mute, and the loudness (RMS) of their voice. */
  voiceInfo(peer: string): { volume: number; x: number; y: number; z: number; muted: boolean; loudness: number } | null;
}
