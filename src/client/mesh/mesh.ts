// The peers of my lobby (protocol.md §2–§5). The Mesh wires its parts to the session's lobby events
// and to the links' events, and answers for them to the client (cloudlink.ts, voice.ts, ping.ts):
// links.ts keeps a WebRTC link per member, signalled through the session (signalling.ts); routes.ts
// says how each member is reached: its own link, or the lobby's relay peer (relay-route.ts) for
// everyone in a relay lobby or for a pair whose direct link could not open (relay-fallback.ts);
// sender.ts sends on those routes and receiver.ts takes what arrives; a member whose link is lost is
// not gone but heals (heal-flow.ts). The Mesh decides when: a member's route opening announces it
// ('peer-open') or ends its heal, a lost route starts one, and a heal that cannot finish falls back
// to the relay or gives up. Named channels are lobby-wide (src/peer/channel-table.ts).
import { channelLabel, relayRetryAfterMs, Warning, type PeerPacket, type User } from '../../protocol/index.js';
import { ChannelTable } from '../../peer/channel-table.js';
import { Emitter } from '../../peer/emitter.js';
import { DEFAULT_CHANNEL, type PeerLink } from '../../peer/link.js';
import type { IceServer } from '../api.js';
import type { KeyPair } from '../e2ee.js';
import { CloudLinkError } from '../errors.js';
import type { Session } from '../session.js';
import { HealFlow } from './heal-flow.js';
import { Links } from './links.js';
import type { MeshEvents } from './mesh-events.js';
import { Receiver } from './receiver.js';
import { RelayFallback } from './relay-fallback.js';
import { ResendLog } from './resend-log.js';
import { Routes } from './routes.js';
import { SendStats } from './send-stats.js';
import { Sender } from './sender.js';
import { SignalCodec } from './signal-codec.js';
import { Signalling } from './signalling.js';

export type { MeshEvents, MeshMessage } from './mesh-events.js';

export interface MeshOptions {
  /** RTCPeerConnection & co. for Node (@roamhq/wrtc); the browser's own when absent. */
  wrtc?: object;
  iceServers?: IceServer[];
  /** Only use TURN relays (hides players' addresses from each other). */
  relayOnly?: boolean;
  /** A link not open within this time is retried. */
  connectTimeoutMs?: number;
  /** How many fresh links the initiator opens for a link that failed or dropped before giving up. */
  maxRetries?: number;
  /** A member without an open direct link for this long is reached through the server's relay, if it has one (0: never). */
  relayFallbackMs?: number;
  /** My E2EE keys, when I sent a public key in INIT. */
  keys?: KeyPair | null;
}

export class Mesh extends Emitter<MeshEvents> {
  private readonly links: Links;
  private readonly signalling: Signalling;
  private readonly channelTable: ChannelTable;
  private readonly codec: SignalCodec;
  private readonly routes: Routes;
  private readonly fallback: RelayFallback;
  private readonly heal: HealFlow;
  private readonly sender: Sender;
  private readonly receiver: Receiver;
  /** Members announced with 'peer-open' (reachable, or healing) and not closed since. */
  private readonly opened = new Set<string>();
  /** What each member was sent and has received on reliable channels, for resending after a heal. */
  private readonly sentLog = new ResendLog();
  private readonly stats = new SendStats((error) => this.emit('error', error));
  private readonly unsubscribe: (() => void)[];
  private ice: { iceServers: IceServer[]; relayOnly: boolean };

  constructor(
    private readonly session: Session,
    options: MeshOptions = {},
  ) {
    super();
    this.ice = { iceServers: options.iceServers ?? [], relayOnly: options.relayOnly ?? false };
    this.codec = new SignalCodec(options.keys ?? null, (id) => session.peers.get(id)?.pubkey);
    this.links = new Links({
      wrtc: options.wrtc,
      connectTimeoutMs: options.connectTimeoutMs ?? 15_000,
      maxRetries: options.maxRetries ?? 4,
      config: () => ({ iceServers: this.ice.iceServers, iceTransportPolicy: this.ice.relayOnly ? 'relay' : 'all' }),
      signal: (peerId, signal, opcode) => this.signalling.send(peerId, signal, opcode),
      wanted: (peerId) => this.routes.linksTo(peerId),
      // Any request's reply comes after everything the server sent before it.
      caughtUp: () => session.keepalive(),
    });
    this.fallback = new RelayFallback(options.relayFallbackMs ?? 10_000, (peerId) => session.useRelay(peerId));
    const failed = (error: CloudLinkError) => this.emit('error', error);
    this.signalling = new Signalling(session, this.codec, this.links, (peerId) => this.routes.linksTo(peerId), failed);
    this.channelTable = new ChannelTable(
      () => this.links.all(),
      (link, payload) => this.sender.announce(link, payload),
    );
    this.routes = new Routes(session.peers, this.links, this.codec, (error) => this.stats.failedLater(error));
    this.heal = new HealFlow(
      this,
      this.stats,
      this.sentLog,
      (peer) => this.routes.route(peer),
      (channel) => this.channelTable.isOrdered(channel),
      (route, channel, packets) => this.sender.sendLogged(route, channel, packets),
    );
    this.sender = new Sender(session.peers, this.routes, this.heal, this.channelTable, this.sentLog, this.stats, this.opened);
    this.receiver = new Receiver(this, this.routes, this.channelTable, this.sentLog, this.heal);
    this.wireLinks();
    const joined = (user: User) => this.joined(user.instance_id);
    const left = (why: string) => () => this.dropAll(why);
    this.unsubscribe = [
      session.on('NEW_PEER', joined),
      session.on('PEER_JOIN', joined),
      session.on('RELAY', (relayId) => this.useRelay(relayId)),
      session.on('RELAY_PAIR', ({ relay, peer }) => this.relayPair(relay, peer)),
      session.on('WARNING', (text) => this.warned(text)),
      session.on('PEER_LEFT', (id) => this.left(id)),
      session.on('TRANSITION', (mode) => mode === '' && this.dropAll('left the lobby')),
      session.on('LOBBY_CLOSED', left('lobby closed')),
      session.on('close', left('disconnected')),
    ];
  }

  private wireLinks(): void {
    const { links } = this;
    links.on('created', (link) => {
      const peerId = link.peerId;
      link.on('data', (label, text) => this.receiver.received(link, label, text));
      link.on('channel-open', (label) => this.emit('channel-open', peerId, label));
      link.on('channel-close', (label) => this.emit('channel-close', peerId, label));
      link.on('stream', (stream) => this.emit('stream', peerId, stream));
      if (this.session.peers.has(peerId)) this.fallback.watch(peerId);
    });
    links.on('open', (link) => {
      // Channels first: what waited for a healing peer, and what 'peer-open' listeners send, may be for them.
      this.channelTable.linkOpened(link);
      for (const peer of this.routes.servedBy(link)) this.reached(peer);
    });
    links.on('removed', (link) => this.signalling.forget(link.peerId));
    links.on('closed', (link, reason) => {
      const shared = this.routes.isRelayLink(link);
      for (const peer of this.routes.servedBy(link)) {
        if (!this.opened.has(peer)) continue;
        // Maybe it is leaving (the server will say so), maybe the link failed: either way, sends wait from now.
        this.heal.start(peer, reason, !shared);
        if (!shared) this.fallback.watch(peer);
      }
    });
    links.on('failed', (link, reason, retrying) => this.linkFailed(link, reason, retrying));
  }

  // ── a member's route comes and goes ─────────────────────────────────────────────────

  /** A link failed while its peer is still wanted (the server confirmed it). */
  private linkFailed(link: PeerLink, reason: string, retrying: boolean): void {
    const healing = this.routes.servedBy(link).filter((peer) => this.heal.has(peer));
    for (const peer of healing) {
      if (retrying) this.heal.confirmed(peer, reason);
      else if (this.routes.isRelayLink(link)) this.gaveUp(peer, reason);
      // A direct link that could not heal: the relay may still reach the peer.
      else void this.fallback.request(peer).then((relayed) => relayed || this.gaveUp(peer, reason));
    }
    if (healing.length) return;
    // Nobody was reached over it yet: a failure to link at all.
    const report = () =>
      this.emit('error', new CloudLinkError('link-failed', `link to ${link.peerId} failed: ${reason}${retrying ? ', retrying' : ''}`, { peer: link.peerId }));
    if (retrying || this.routes.isRelayLink(link) || !this.session.peers.has(link.peerId)) report();
    else void this.fallback.request(link.peerId).then((relayed) => relayed || report());
  }

  /** Healing a member's link gave up: it is unreachable, and what waited for it is not delivered. */
  private gaveUp(peer: string, reason: string): void {
    if (!this.heal.has(peer) || !this.session.peers.has(peer)) return;
    this.opened.delete(peer);
    this.heal.gaveUp(peer, reason);
    this.emit('peer-close', peer, reason);
  }

  /** `peer` may be reachable now: announce it (the first time), or finish its heal. */
  private reached(peer: string): void {
    const route = this.routes.route(peer);
    if (!route?.link.connected) return;
    this.fallback.settled(peer);
    if (this.heal.has(peer)) this.heal.back(route);
    else if (!this.opened.has(peer)) {
      this.opened.add(peer);
      this.emit('peer-open', peer);
    }
  }

  // ── state ───────────────────────────────────────────────────────────────────────────

  /** ICE settings for links opened from now on. */
  configure(options: Pick<MeshOptions, 'iceServers' | 'relayOnly'>): void {
    if (options.iceServers) this.ice.iceServers = options.iceServers;
    if (options.relayOnly !== undefined) this.ice.relayOnly = options.relayOnly;
  }

  /** Whether a member is reached through the relay: everyone in a relay lobby, some pairs in a mesh lobby. */
  viaRelay(peerId: string): boolean {
    return this.routes.viaRelay(peerId);
  }

  isConnected(peerId: string): boolean {
    return this.routes.isConnected(peerId);
  }

  /** Members I can reach now. */
  connectedPeers(): string[] {
    return [...this.session.peers.keys()].filter((peerId) => this.routes.isConnected(peerId));
  }

  /** Members whose link is lost and being healed. */
  healingPeers(): string[] {
    return this.heal.members();
  }

  /** The relay peer's id in a relay lobby (where everything goes through it). */
  get relayId(): string | null {
    return this.routes.lobbyRelayId;
  }

  /** Peers whose signals are for a voice renegotiation (type 1). */
  get voicePeers(): Set<string> {
    return this.signalling.voicePeers;
  }

  /** The link to a peer (or to the relay, by its id), for voice and diagnostics. */
  link(peerId: string): PeerLink | undefined {
    return this.links.get(peerId);
  }

  encrypted(peerId: string): boolean {
    return this.codec.encrypted(peerId);
  }

  /** Sends that could not leave (never silent: each also threw, or was reported when it failed later). */
  get failedSends(): number {
    return this.stats.failedSends;
  }

  /** Messages on fast channels not sent to a member whose link was healing (fast channels may drop). */
  get droppedFast(): number {
    return this.stats.droppedFast;
  }

  /** Messages sent again after a heal because the lost link had not delivered them (RECEIVED). */
  get resent(): number {
    return this.stats.resent;
  }

  // ── lobby ───────────────────────────────────────────────────────────────────────────

  private joined(peerId: string): void {
    // Through a relay the newcomer is reachable as soon as the relay is (it buffers for them).
    if (this.routes.viaRelay(peerId)) this.reached(peerId);
    else this.links.connect(peerId);
  }

  private left(peerId: string): void {
    this.routes.forget(peerId);
    this.fallback.settled(peerId);
    this.links.drop(peerId, 'left the lobby');
    this.heal.abandon(peerId, 'it left the lobby');
    this.sentLog.forget(peerId);
    if (this.opened.delete(peerId)) this.emit('peer-close', peerId, 'left the lobby');
  }

  /** RELAY: this lobby has a relay peer. Drop direct links; everything goes through one link to it. */
  private useRelay(relayId: string): void {
    if (this.routes.lobbyRelayId === relayId) return;
    this.dropAll('the lobby uses a relay');
    this.routes.useLobbyRelay(relayId);
    this.links.connect(relayId);
  }

  /** RELAY_PAIR: the server relays me and `peer` (our direct link could not open); every other pair stays direct. */
  private relayPair(relayId: string, peer: string): void {
    if (!this.routes.relayPair(relayId, peer)) return;
    this.fallback.settled(peer);
    // Its direct link goes. If it was open, the move is a heal: what is sent meanwhile waits for the relay's link.
    this.links.drop(peer, 'relayed');
    if (this.opened.has(peer)) this.heal.start(peer, 'moved to the relay', true);
    if (!this.links.get(relayId)) this.links.connect(relayId);
    this.reached(peer);
  }

  /** A WARNING about the relay: it was lost, or it refused my offer (my link to it stops waiting, and offers again if that may help). */
  private warned(text: string): void {
    if (text === Warning.relayLost) {
      this.relayLost();
      return;
    }
    const retryAfterMs = relayRetryAfterMs(text);
    const relayId = this.routes.relayId;
    if (retryAfterMs !== undefined && relayId) this.links.refused(relayId, text, retryAfterMs);
  }

  /**
   * The server's relay process died under the lobby's relay peer. In a mesh lobby, each pair it carried
   * asks for the relay again (both of us ask; the server starts a new relay peer and answers with
   * RELAY_PAIR naming it); meanwhile sends to them wait, and once the new relay link is up, what the dead
   * one swallowed is sent again (the RECEIVED exchange). A relay lobby is moved by the server (RELAY).
   */
  private relayLost(): void {
    const lost = this.routes.relayLost();
    if (!lost) return;
    const why = 'the relay went away';
    this.links.drop(lost.relayId, why);
    for (const peer of lost.peers) {
      if (this.opened.has(peer)) this.heal.start(peer, why, true);
      void this.fallback.request(peer).then((relayed) => relayed || this.gaveUp(peer, `${why}, and no new relay could be had`));
    }
  }

  /** Closes my link to a peer on purpose (it stays in the lobby). */
  drop(peerId: string, reason: string): void {
    if (!this.links.drop(peerId, reason)) return;
    this.heal.abandon(peerId, reason);
    if (this.opened.delete(peerId)) this.emit('peer-close', peerId, reason);
  }

  private dropAll(reason: string): PeerLink[] {
    const dropped = this.links.dropAll(reason);
    this.fallback.clear();
    this.heal.abandonAll(reason);
    this.sentLog.clear();
    const opened = [...this.opened];
    this.opened.clear();
    this.routes.clear();
    for (const peer of opened) this.emit('peer-close', peer, reason);
    return dropped;
  }

  /**
   * Leaves the session alone but tears down every link and listener. Resolves once WebRTC has let go
   * of every link's connection (PeerLink.released): in Node, await it before the process ends.
   */
  destroy(): Promise<void> {
    const dropped = this.dropAll('closed');
    this.signalling.destroy();
    for (const off of this.unsubscribe) off();
    this.removeAllListeners();
    return Promise.all(dropped.map((link) => link.released)).then(() => {});
  }

  // ── channels ────────────────────────────────────────────────────────────────────────

  channels(): string[] {
    return [DEFAULT_CHANNEL, ...this.channelTable.labels()];
  }

  /** False for a fast (unordered, may drop) channel: the blocks keep only its newest message per sender. */
  isOrdered(label: string): boolean {
    return this.channelTable.isOrdered(label);
  }

  /** Channels open now on the route to a peer (its own link, or the relay link in a relay lobby). */
  openChannels(peerId: string): string[] {
    const link = this.routes.route(peerId)?.link;
    return link?.connected ? [...link.channels.keys()] : [];
  }

  /** Opens a named channel with every peer (now and later). Unordered channels are also unreliable. */
  openChannel(label: string, ordered = true): void {
    channelLabel(label, 'channel');
    if (label === DEFAULT_CHANNEL) throw new CloudLinkError('invalid', '"default" always exists');
    this.channelTable.open(label, ordered);
  }

  closeChannel(label: string): void {
    if (label === DEFAULT_CHANNEL) throw new CloudLinkError('invalid', '"default" cannot be closed');
    this.channelTable.close(label);
  }

  // ── sending ─────────────────────────────────────────────────────────────────────────

  /** Sends in-band packets to one peer as one data-channel message (held while its link heals). Throws if it cannot. */
  sendPackets(peerId: string, packets: PeerPacket[], channel = DEFAULT_CHANNEL): void {
    this.sender.sendPackets(peerId, packets, channel);
  }

  /** G_MSG to every connected peer. Throws, naming them, if it could not reach some. */
  broadcast(payload: unknown, channel = DEFAULT_CHANNEL): void {
    this.broadcastPackets([{ opcode: 'G_MSG', payload }], channel);
  }

  /** In-band packets for every member I can reach now (held for those whose link heals). Throws 'not-open', naming them, if some could not be reached. */
  broadcastPackets(packets: PeerPacket[], channel = DEFAULT_CHANNEL): void {
    this.sender.broadcastPackets(packets, channel);
  }

  /** P_MSG to one peer. */
  sendPrivate(peerId: string, payload: unknown, channel = DEFAULT_CHANNEL): void {
    this.sendPackets(peerId, [{ opcode: 'P_MSG', payload }], channel);
  }
}
