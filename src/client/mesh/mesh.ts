// The peers of my lobby (protocol.md §2–§5): who I am linked to and how each is reached. In a mesh
// lobby the existing member opens a link (links.ts) to each newcomer, signalled through the session
// (signalling.ts); in a relay lobby one link to the relay peer carries everything (relay-route.ts).
// Either way a peer is reached through a Route (route.ts). Named channels are lobby-wide
// (src/peer/channel-table.ts); G_MSG/P_MSG and the other in-band packets go to listeners.
import { channelLabel, decodePeerMessage, encodePeerMessage, type PeerPacket, type User } from '../../protocol/index.js';
import { ChannelTable, type NewChan } from '../../peer/channel-table.js';
import { Emitter } from '../../peer/emitter.js';
import { DEFAULT_CHANNEL, type PeerLink } from '../../peer/link.js';
import type { IceServer } from '../api.js';
import type { KeyPair } from '../e2ee.js';
import { CloudLinkError } from '../errors.js';
import type { Session } from '../session.js';
import { Links } from './links.js';
import { RelayRoute } from './relay-route.js';
import { directRoute, sendOn, type Route } from './route.js';
import { SignalCodec } from './signal-codec.js';
import { Signalling } from './signalling.js';

export interface MeshOptions {
  /** RTCPeerConnection & co. for Node (@roamhq/wrtc); the browser's own when absent. */
  wrtc?: object;
  iceServers?: IceServer[];
  /** Only use TURN relays (hides players' addresses from each other). */
  relayOnly?: boolean;
  /** A link not open within this time is retried. */
  connectTimeoutMs?: number;
  /** How many times the initiator re-opens a link that failed or dropped. */
  maxRetries?: number;
  /** My E2EE keys, when I sent a public key in INIT. */
  keys?: KeyPair | null;
}

export interface MeshMessage {
  from: string;
  channel: string;
  opcode: 'G_MSG' | 'P_MSG';
  payload: unknown;
}

export type MeshEvents = {
  'peer-open': [peerId: string];
  'peer-close': [peerId: string, reason: string];
  'channel-open': [peerId: string, label: string];
  'channel-close': [peerId: string, label: string];
  message: [message: MeshMessage];
  /** Every valid in-band packet other than messages and NEW_CHAN (sync, voice control, PING/PONG). */
  packet: [peerId: string, channel: string, packet: PeerPacket];
  stream: [peerId: string, stream: MediaStream];
  /** Something went wrong that no caller is waiting for (a link failed, a bad packet arrived). */
  error: [error: CloudLinkError];
};

export class Mesh extends Emitter<MeshEvents> {
  private readonly links: Links;
  private readonly signalling: Signalling;
  private readonly channelTable: ChannelTable;
  private readonly codec: SignalCodec;
  /** Set in a relay lobby (§5): one link, to the relay peer, carries everything. */
  private relay: RelayRoute | null = null;
  private readonly unsubscribe: (() => void)[];
  private ice: { iceServers: IceServer[]; relayOnly: boolean };
  /** Sends that could not leave (never silent: each also threw, or was reported when it failed later). */
  failedSends = 0;

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
      maxRetries: options.maxRetries ?? 2,
      config: () => ({ iceServers: this.ice.iceServers, iceTransportPolicy: this.ice.relayOnly ? 'relay' : 'all' }),
      signal: (peerId, signal, opcode) => this.signalling.send(peerId, signal, opcode),
      wanted: (peerId) => this.reachable(peerId),
      // Any request's reply comes after everything the server sent before it.
      caughtUp: () => session.keepalive(),
    });
    const failed = (error: CloudLinkError) => this.emit('error', error);
    this.signalling = new Signalling(session, this.codec, this.links, (peerId) => this.reachable(peerId), failed);
    this.channelTable = new ChannelTable(
      () => this.links.all(),
      (link, payload) => this.announce(link, payload),
    );
    this.wireLinks();
    const joined = (user: User) => this.joined(user.instance_id);
    const left = (why: string) => () => this.dropAll(why);
    this.unsubscribe = [
      session.on('NEW_PEER', joined),
      session.on('PEER_JOIN', joined),
      session.on('RELAY', (relayId) => this.useRelay(relayId)),
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
      link.on('data', (label, text) => this.received(link, label, text));
      link.on('channel-open', (label) => this.emit('channel-open', peerId, label));
      link.on('channel-close', (label) => this.emit('channel-close', peerId, label));
      link.on('stream', (stream) => this.emit('stream', peerId, stream));
    });
    links.on('open', (link) => {
      for (const peer of this.servedBy(link)) this.emit('peer-open', peer);
      this.channelTable.linkOpened(link);
    });
    links.on('removed', (link) => this.signalling.forget(link.peerId));
    links.on('closed', (link, reason) => {
      for (const peer of this.servedBy(link)) this.emit('peer-close', peer, reason);
    });
    links.on('failed', (link, reason, retrying) =>
      this.emit('error', new CloudLinkError('link-failed', `link to ${link.peerId} failed: ${reason}${retrying ? ', retrying' : ''}`, { peer: link.peerId })),
    );
  }

  /** ICE settings for links opened from now on. */
  configure(options: Pick<MeshOptions, 'iceServers' | 'relayOnly'>): void {
    if (options.iceServers) this.ice.iceServers = options.iceServers;
    if (options.relayOnly !== undefined) this.ice.relayOnly = options.relayOnly;
  }

  // ── routes ──────────────────────────────────────────────────────────────────────────

  /** How to reach a member now: through the relay in a relay lobby, else over its own link. */
  private route(peerId: string): Route | undefined {
    if (!this.session.peers.has(peerId)) return undefined;
    if (this.relay) return this.relay.route(peerId);
    const link = this.links.get(peerId);
    return link && directRoute(link);
  }

  /** The members a link reaches: every member for the relay link, else its own peer. */
  private servedBy(link: PeerLink): string[] {
    return this.relay?.carries(link) ? [...this.session.peers.keys()] : [link.peerId];
  }

  /** Members and the lobby's relay peer are the ones I keep links with. */
  private reachable(peerId: string): boolean {
    return this.session.peers.has(peerId) || peerId === this.relay?.id;
  }

  isConnected(peerId: string): boolean {
    return this.route(peerId)?.link.connected ?? false;
  }

  /** Members I can reach now. */
  connectedPeers(): string[] {
    return [...this.session.peers.keys()].filter((peerId) => this.isConnected(peerId));
  }

  /** The relay peer's id in a relay lobby. */
  get relayId(): string | null {
    return this.relay?.id ?? null;
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

  // ── lobby ───────────────────────────────────────────────────────────────────────────

  private joined(peerId: string): void {
    // Through a relay the newcomer is reachable as soon as the relay is (it buffers for them).
    if (!this.relay) this.links.connect(peerId);
    else if (this.isConnected(peerId)) this.emit('peer-open', peerId);
  }

  private left(peerId: string): void {
    this.relay?.forget(peerId);
    const link = this.links.drop(peerId, 'left the lobby');
    if (link || this.relay) this.emit('peer-close', peerId, 'left the lobby');
  }

  /** RELAY: this lobby has a relay peer. Drop direct links; everything goes through one link to it. */
  private useRelay(relayId: string): void {
    if (this.relay?.id === relayId) return;
    this.dropAll('the lobby uses a relay');
    this.relay = new RelayRoute(
      relayId,
      () => this.links.get(relayId),
      this.codec,
      (error) => this.failedLater(error),
    );
    this.links.connect(relayId);
  }

  /** Closes my link to a peer on purpose (it stays in the lobby). */
  drop(peerId: string, reason: string): void {
    if (this.links.drop(peerId, reason)) this.emit('peer-close', peerId, reason);
  }

  private dropAll(reason: string): void {
    for (const link of this.links.dropAll(reason)) this.emit('peer-close', link.peerId, reason);
    this.relay = null;
  }

  /** Leaves the session alone but tears down every link and listener. */
  destroy(): void {
    this.dropAll('closed');
    this.signalling.destroy();
    for (const off of this.unsubscribe) off();
    this.removeAllListeners();
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
    const link = this.route(peerId)?.link;
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

  private announce(link: PeerLink, payload: NewChan): void {
    try {
      sendOn(link, DEFAULT_CHANNEL, encodePeerMessage([{ opcode: 'NEW_CHAN', payload }]), link.peerId);
    } catch (error) {
      this.failedLater(error as CloudLinkError);
    }
  }

  // ── receiving ───────────────────────────────────────────────────────────────────────

  private received(link: PeerLink, channel: string, text: string): void {
    const peer = link.peerId;
    let packets: PeerPacket[];
    try {
      packets = decodePeerMessage(text);
    } catch (error) {
      this.emit('error', new CloudLinkError('protocol', `bad message from ${peer}: ${(error as Error).message}`, { peer }));
      return;
    }
    for (const packet of packets) {
      if (packet.opcode === 'NEW_CHAN') this.channelAnnounced(link, channel, packet.payload);
      // Forwarded by the relay: the sender is in `origin` (and the packet maybe sealed for me).
      else if (this.relay?.carries(link)) this.relay.receive(packet, (from, opened) => this.deliver(from, channel, opened));
      else this.deliver(peer, channel, packet);
    }
  }

  private channelAnnounced(link: PeerLink, channel: string, payload: NewChan): void {
    try {
      this.channelTable.received(link, channel, payload);
    } catch (error) {
      this.emit('error', new CloudLinkError('protocol', (error as Error).message, { peer: link.peerId, opcode: 'NEW_CHAN' }));
    }
  }

  private deliver(from: string, channel: string, packet: PeerPacket): void {
    if ('sealed' in packet) {
      this.emit('error', new CloudLinkError('protocol', `sealed packet from ${from} arrived outside a relay`, { peer: from, opcode: packet.opcode }));
    } else if (packet.opcode === 'G_MSG' || packet.opcode === 'P_MSG') {
      this.emit('message', { from, channel, opcode: packet.opcode, payload: packet.payload });
    } else {
      this.emit('packet', from, channel, packet);
    }
  }

  // ── sending ─────────────────────────────────────────────────────────────────────────

  /** A send failure nobody is waiting for (a sealed relay send, a NEW_CHAN): reported as an error event. */
  private failedLater(error: CloudLinkError): void {
    if (error.code === 'not-open') this.failedSends += 1;
    this.emit('error', error);
  }

  private requireChannel(channel: string): void {
    if (channel !== DEFAULT_CHANNEL && !this.channelTable.has(channel)) throw new CloudLinkError('no-channel', `no channel named "${channel}": open it first`);
  }

  /** Sends in-band packets to one peer as one data-channel message. Throws if it cannot. */
  sendPackets(peerId: string, packets: PeerPacket[], channel = DEFAULT_CHANNEL): void {
    this.requireChannel(channel);
    const route = this.route(peerId);
    // A member whose link failed (or is being retried) is known, just not reachable.
    if (!route) {
      if (this.session.peers.has(peerId)) throw new CloudLinkError('not-open', `peer ${peerId} is not connected`, { peer: peerId });
      throw new CloudLinkError('unknown-peer', `unknown peer ${peerId}`, { peer: peerId });
    }
    try {
      route.send(channel, packets);
    } catch (error) {
      if (error instanceof CloudLinkError && error.code === 'not-open') this.failedSends += 1;
      throw error;
    }
  }

  /** G_MSG to every connected peer. Throws, naming them, if it could not reach some. */
  broadcast(payload: unknown, channel = DEFAULT_CHANNEL): void {
    this.broadcastPackets([{ opcode: 'G_MSG', payload }], channel);
  }

  /**
   * In-band packets for every peer I can reach now: one message on each link on the way (a relay
   * link carries it once and the relay fans it out). Throws 'not-open', naming them, if some could not be reached.
   */
  broadcastPackets(packets: PeerPacket[], channel = DEFAULT_CHANNEL): void {
    this.requireChannel(channel);
    const text = encodePeerMessage(packets);
    const links = new Set<PeerLink>();
    for (const peerId of this.connectedPeers()) links.add(this.route(peerId)!.link);
    const failed: string[] = [];
    for (const link of links) {
      try {
        link.send(channel, text);
      } catch {
        this.failedSends += 1;
        failed.push(link.peerId);
      }
    }
    if (failed.length)
      throw new CloudLinkError('not-open', `channel "${channel}" is not open to ${failed.join(', ')}`, failed.length === 1 ? { peer: failed[0]! } : {});
  }

  /** P_MSG to one peer. */
  sendPrivate(peerId: string, payload: unknown, channel = DEFAULT_CHANNEL): void {
    this.sendPackets(peerId, [{ opcode: 'P_MSG', payload }], channel);
  }
}
