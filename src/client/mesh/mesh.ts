// The full mesh of a lobby (protocol.md §2–§3): one PeerLink per other member, opened by the
// existing member towards each newcomer and signalled through the session; named channels
// announced with NEW_CHAN; G_MSG/P_MSG and the other in-band packets routed to listeners.
import type SimplePeer from 'simple-peer';
import {
  channelLabel,
  decodePeerMessage,
  encodePeerMessage,
  SIGNAL_DATA,
  SIGNAL_VOICE,
  type Origin,
  type PeerPacket,
  type RelayedOpcode,
  type User,
} from '../../protocol/index.js';
import type { IceServer } from '../api.js';
import type { KeyPair } from '../e2ee.js';
import { Emitter } from '../../peer/emitter.js';
import { CloudLinkError } from '../errors.js';
import type { Session } from '../session.js';
import { DEFAULT_CHANNEL, PeerLink, type SignalKind } from './link.js';
import { RelayRoute } from './relay-route.js';
import { SignalCodec } from './signal-codec.js';

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
  /** Every valid in-band packet other than messages and NEW_CHAN (sync, voice control). */
  packet: [peerId: string, channel: string, packet: PeerPacket];
  stream: [peerId: string, stream: MediaStream];
  error: [error: CloudLinkError];
};

const notOpen = (peer: string, message: string) => new CloudLinkError('not-open', message, { peer });

const OPCODE_OF: Record<SignalKind, RelayedOpcode> = { offer: 'MAKE_OFFER', answer: 'MAKE_ANSWER', ice: 'ICE' };

interface LinkState {
  link: PeerLink;
  attempt: number;
  timer?: ReturnType<typeof setTimeout>;
}

export class Mesh extends Emitter<MeshEvents> {
  private readonly links = new Map<string, LinkState>();
  /** Named channels of this lobby (label → ordered), created on every link. */
  private readonly wanted = new Map<string, boolean>();
  private readonly codec: SignalCodec;
  /** Set in a relay lobby (§5): one link, to the relay peer, carries everything. */
  private relay: RelayRoute | null = null;
  private readonly unsubscribe: (() => void)[];
  private readonly retryTimers = new Set<ReturnType<typeof setTimeout>>();
  /** Peers whose signals are for a voice renegotiation (type 1). */
  readonly voicePeers = new Set<string>();
  /** Sends that could not be delivered (never silent: each also threw). */
  failedSends = 0;
  private options: Required<Omit<MeshOptions, 'wrtc' | 'keys'>> & Pick<MeshOptions, 'wrtc'>;

  constructor(
    private readonly session: Session,
    options: MeshOptions = {},
  ) {
    super();
    this.options = {
      wrtc: options.wrtc,
      iceServers: options.iceServers ?? [],
      relayOnly: options.relayOnly ?? false,
      connectTimeoutMs: options.connectTimeoutMs ?? 15_000,
      maxRetries: options.maxRetries ?? 2,
    };
    this.codec = new SignalCodec(options.keys ?? null, (id) => session.peers.get(id)?.pubkey);
    const joined = (user: User) => {
      // Through a relay the newcomer is reachable as soon as the relay is (it buffers for them).
      if (this.relay) {
        if (this.isConnected(user.instance_id)) this.emit('peer-open', user.instance_id);
      } else this.connect(user.instance_id, 1);
    };
    const left = (why: string) => () => this.dropAll(why);
    this.unsubscribe = [
      session.on('NEW_PEER', joined),
      session.on('PEER_JOIN', joined),
      session.on('RELAY', (relayId) => this.useRelay(relayId)),
      session.on('PEER_LEFT', (id) => {
        if (!this.relay) return this.drop(id, 'left the lobby');
        this.relay.forget(id);
        this.emit('peer-close', id, 'left the lobby');
      }),
      session.on('TRANSITION', (mode) => mode === '' && this.dropAll('left the lobby')),
      session.on('LOBBY_CLOSED', left('lobby closed')),
      session.on('close', left('disconnected')),
      session.on('MAKE_OFFER', (payload, origin) => this.signalled('MAKE_OFFER', payload.contents, origin)),
      session.on('MAKE_ANSWER', (payload, origin) => this.signalled('MAKE_ANSWER', payload.contents, origin)),
      session.on('ICE', (payload, origin) => this.signalled('ICE', payload.contents, origin)),
    ];
  }

  /** ICE settings for links opened from now on. */
  configure(options: Pick<MeshOptions, 'iceServers' | 'relayOnly'>): void {
    if (options.iceServers) this.options.iceServers = options.iceServers;
    if (options.relayOnly !== undefined) this.options.relayOnly = options.relayOnly;
  }

  /** Peers I can reach now: those with an open link, or every member once the relay link is open. */
  connectedPeers(): string[] {
    if (this.relay) return this.relayLink()?.connected ? [...this.session.peers.keys()] : [];
    return [...this.links].filter(([, state]) => state.link.connected).map(([id]) => id);
  }

  isConnected(peerId: string): boolean {
    if (this.relay) return this.session.peers.has(peerId) && (this.relayLink()?.connected ?? false);
    return this.links.get(peerId)?.link.connected ?? false;
  }

  /** The relay peer's id in a relay lobby. */
  get relayId(): string | null {
    return this.relay?.id ?? null;
  }

  private relayLink(): PeerLink | undefined {
    return this.relay ? this.links.get(this.relay.id)?.link : undefined;
  }

  /** Members and the lobby's relay peer are the ones I exchange signals with. */
  private reachable(peerId: string): boolean {
    return this.session.peers.has(peerId) || peerId === this.relay?.id;
  }

  /** RELAY: this lobby has a relay peer. Drop direct links; everything goes through one link to it. */
  private useRelay(relayId: string): void {
    if (this.relay?.id === relayId) return;
    for (const peerId of [...this.links.keys()]) this.drop(peerId, 'the lobby uses a relay');
    this.relay = new RelayRoute(relayId, this.codec);
    this.connect(relayId, 1);
  }

  link(peerId: string): PeerLink | undefined {
    return this.links.get(peerId)?.link;
  }

  encrypted(peerId: string): boolean {
    return this.codec.encrypted(peerId);
  }

  channels(): string[] {
    return [DEFAULT_CHANNEL, ...this.wanted.keys()];
  }

  /** Channels open now on the route to a peer (its own link, or the relay link in a relay lobby). */
  openChannels(peerId: string): string[] {
    if (!this.isConnected(peerId)) return [];
    const link = this.relay ? this.relayLink() : this.links.get(peerId)?.link;
    return link ? [...link.channels.keys()] : [];
  }

  // ── links ───────────────────────────────────────────────────────────────────────────

  private config(): RTCConfiguration {
    return { iceServers: this.options.iceServers, iceTransportPolicy: this.options.relayOnly ? 'relay' : 'all' };
  }

  private connect(peerId: string, attempt: number): void {
    this.open(peerId, true, attempt);
  }

  private open(peerId: string, initiator: boolean, attempt: number): PeerLink {
    this.drop(peerId, 'replaced', false);
    const link = new PeerLink({
      peerId,
      initiator,
      wrtc: this.options.wrtc,
      config: this.config(),
      onSignal: (signal, kind) => this.sendSignal(peerId, signal, kind),
    });
    const state: LinkState = { link, attempt };
    this.links.set(peerId, state);
    state.timer = setTimeout(() => link.destroy('connect timeout'), this.options.connectTimeoutMs);

    link.on('open', () => {
      clearTimeout(state.timer);
      // The retry budget is per failure: a link that opened and drops later gets it afresh.
      state.attempt = 1;
      // The relay link opening makes every member reachable.
      for (const peer of peerId === this.relay?.id ? this.session.peers.keys() : [peerId]) this.emit('peer-open', peer);
      for (const [label, ordered] of this.wanted) this.announce(link, label, ordered);
    });
    link.on('close', (reason) => this.closed(state, reason));
    link.on('data', (label, text) => this.received(link, label, text));
    link.on('channel-open', (label) => this.emit('channel-open', peerId, label));
    link.on('channel-close', (label) => this.emit('channel-close', peerId, label));
    link.on('stream', (stream) => this.emit('stream', peerId, stream));
    return link;
  }

  private closed(state: LinkState, reason: string): void {
    const peerId = state.link.peerId;
    clearTimeout(state.timer);
    if (this.links.get(peerId) !== state) return;
    this.links.delete(peerId);
    this.codec.forget(peerId);
    for (const peer of peerId === this.relay?.id ? this.session.peers.keys() : [peerId]) this.emit('peer-close', peer, reason);
    if (!this.reachable(peerId)) return;
    // The peer is still in the lobby: the link failed. The side that opened it tries again.
    const retry = state.link.initiator && state.attempt <= this.options.maxRetries;
    this.emit('error', new CloudLinkError('link-failed', `link to ${peerId} failed: ${reason}${retry ? ', retrying' : ''}`, { peer: peerId }));
    if (retry) {
      const timer = setTimeout(() => {
        this.retryTimers.delete(timer);
        if (this.reachable(peerId) && !this.links.has(peerId)) this.connect(peerId, state.attempt + 1);
      }, 250 * state.attempt);
      this.retryTimers.add(timer);
    }
  }

  /** Closes the link to a peer on purpose (it left, or I did). */
  drop(peerId: string, reason: string, announce = true): void {
    const state = this.links.get(peerId);
    if (!state) return;
    clearTimeout(state.timer);
    this.links.delete(peerId);
    this.codec.forget(peerId);
    this.voicePeers.delete(peerId);
    state.link.destroy(reason);
    if (announce) this.emit('peer-close', peerId, reason);
  }

  private dropAll(reason: string): void {
    for (const timer of this.retryTimers) clearTimeout(timer);
    this.retryTimers.clear();
    for (const peerId of [...this.links.keys()]) this.drop(peerId, reason);
    this.relay = null;
  }

  /** Leaves the session alone but tears down every link and listener. */
  destroy(): void {
    this.dropAll('closed');
    for (const off of this.unsubscribe) off();
    this.removeAllListeners();
  }

  // ── signalling ──────────────────────────────────────────────────────────────────────

  private sendSignal(peerId: string, signal: SimplePeer.SignalData, kind: SignalKind): void {
    const type = this.voicePeers.has(peerId) ? SIGNAL_VOICE : SIGNAL_DATA;
    this.codec.encode(
      peerId,
      signal,
      (contents) => {
        if (this.session.connected && this.reachable(peerId)) this.session.sendSignal(OPCODE_OF[kind], peerId, { type, contents });
      },
      (error) => this.emit('error', new CloudLinkError('encryption', error.message, { peer: peerId })),
    );
  }

  private signalled(opcode: RelayedOpcode, contents: unknown, origin: Origin): void {
    const peerId = origin.instance_id;
    if (!this.reachable(peerId)) return;
    this.codec.decode(
      peerId,
      contents,
      (signal) => {
        // A MAKE_OFFER always starts a fresh link (first attempt or a retry); the rest feed the current one.
        const link = opcode === 'MAKE_OFFER' ? this.open(peerId, false, 1) : this.links.get(peerId)?.link;
        try {
          link?.signal(signal as SimplePeer.SignalData);
        } catch (error) {
          this.emit('error', new CloudLinkError('protocol', `bad signal from ${peerId}: ${(error as Error).message}`, { peer: peerId, opcode }));
        }
      },
      (error) => this.emit('error', new CloudLinkError('encryption', error.message, { peer: peerId, opcode })),
    );
  }

  // ── channels ────────────────────────────────────────────────────────────────────────

  /** Opens a named channel with every peer (now and later). Unordered channels are also unreliable. */
  openChannel(label: string, ordered = true): void {
    channelLabel(label, 'channel');
    if (label === DEFAULT_CHANNEL) throw new CloudLinkError('invalid', '"default" always exists');
    // Already wanted: keep its ordering, but (re)open it on links where it is missing (e.g. the
    // other side closed it: negotiated channels close on both ends).
    const known = this.wanted.get(label);
    if (known === undefined) this.wanted.set(label, ordered);
    for (const { link } of this.links.values()) if (link.connected) this.announce(link, label, known ?? ordered);
  }

  closeChannel(label: string): void {
    if (label === DEFAULT_CHANNEL) throw new CloudLinkError('invalid', '"default" cannot be closed');
    this.wanted.delete(label);
    for (const { link } of this.links.values()) link.removeChannel(label);
  }

  private announce(link: PeerLink, label: string, ordered: boolean): void {
    if (link.hasChannel(label)) return;
    const id = link.allocateChannelId();
    link.addChannel(label, id, ordered);
    this.trySend(link, DEFAULT_CHANNEL, encodePeerMessage([{ opcode: 'NEW_CHAN', payload: { id, label, ordered } }]));
  }

  /**
   * NEW_CHAN from a peer. Channel ids are per link. Collision rule: on each link the initiator
   * allocates even ids and the answerer odd ones, and both advance past every id they receive, so
   * two different labels never get the same id. When both sides open the same label at once (two
   * different ids), the lower id wins on both sides; the loser's channel is closed silently.
   * A NEW_CHAN reusing an id already taken by another label (a non-conforming peer) is refused.
   */
  private channelAnnounced(link: PeerLink, channel: string, payload: { id: number; label: string; ordered: boolean }): void {
    const peer = link.peerId;
    if (channel !== DEFAULT_CHANNEL) {
      this.emit('error', new CloudLinkError('protocol', `NEW_CHAN is only valid on "default" (got it on "${channel}")`, { peer, opcode: 'NEW_CHAN' }));
      return;
    }
    const { id, label, ordered } = payload;
    if (label === DEFAULT_CHANNEL) {
      this.emit('error', new CloudLinkError('protocol', `NEW_CHAN from ${peer} for "default" ignored`, { peer, opcode: 'NEW_CHAN' }));
      return;
    }
    const taken = link.labelOfId(id);
    if (taken !== undefined && taken !== label) {
      this.emit('error', new CloudLinkError('protocol', `NEW_CHAN from ${peer}: id ${id} for "${label}" is already used by "${taken}"`, { peer, opcode: 'NEW_CHAN' }));
      return;
    }
    link.noteChannelId(id);
    const mine = link.channelId(label);
    if (mine === null || mine > id) {
      try {
        if (mine !== null) link.removeChannel(label, true);
        link.addChannel(label, id, ordered);
      } catch (error) {
        this.emit('error', new CloudLinkError('protocol', `cannot open channel "${label}" with ${peer}: ${(error as Error).message}`, { peer, opcode: 'NEW_CHAN' }));
        return;
      }
    }
    // Channels are lobby-wide: a label new to me is opened on my other links too.
    if (!this.wanted.has(label)) this.openChannel(label, ordered);
  }

  // ── data ────────────────────────────────────────────────────────────────────────────

  private received(link: PeerLink, channel: string, text: string): void {
    let packets: PeerPacket[];
    try {
      packets = decodePeerMessage(text);
    } catch (error) {
      this.emit('error', new CloudLinkError('protocol', `bad message from ${link.peerId}: ${(error as Error).message}`, { peer: link.peerId }));
      return;
    }
    for (const packet of packets) {
      if (packet.opcode === 'NEW_CHAN') this.channelAnnounced(link, channel, packet.payload);
      else if (link.peerId === this.relay?.id) {
        // Forwarded by the relay: the sender is in `origin` (and the packet maybe sealed for me).
        this.relay.receive(
          packet,
          (from, opened) => this.deliver(from, channel, opened),
          (error) => this.emit('error', new CloudLinkError('encryption', error.message, packet.origin === undefined ? {} : { peer: packet.origin })),
        );
      } else this.deliver(link.peerId, channel, packet);
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

  private trySend(link: PeerLink, channel: string, text: string): boolean {
    try {
      link.send(channel, text);
      return true;
    } catch (error) {
      this.failedSends += 1;
      this.emit('error', new CloudLinkError('not-open', (error as Error).message, { peer: link.peerId }));
      return false;
    }
  }

  private requireChannel(channel: string): void {
    if (channel !== DEFAULT_CHANNEL && !this.wanted.has(channel)) throw new CloudLinkError('no-channel', `no channel named "${channel}": open it first`);
  }

  private connectedLink(peerId: string): PeerLink {
    const state = this.links.get(peerId);
    // A member whose link failed (or is being retried) is known, just not reachable.
    if (!state) throw this.session.peers.has(peerId) ? notOpen(peerId, `peer ${peerId} is not connected`) : new CloudLinkError('unknown-peer', `unknown peer ${peerId}`, { peer: peerId });
    if (!state.link.connected) throw notOpen(peerId, `peer ${peerId} is not connected yet`);
    return state.link;
  }

  /** Sends in-band packets to one peer as one data-channel message. Throws if it cannot. */
  sendPackets(peerId: string, packets: PeerPacket[], channel = DEFAULT_CHANNEL): void {
    this.requireChannel(channel);
    if (this.relay) {
      if (!this.session.peers.has(peerId)) throw new CloudLinkError('unknown-peer', `unknown peer ${peerId}`, { peer: peerId });
      const relay = this.connectedLink(this.relay.id);
      this.relay.address(
        peerId,
        packets,
        (addressed) => this.trySend(relay, channel, encodePeerMessage(addressed)),
        (error) => this.emit('error', new CloudLinkError('encryption', error.message, { peer: peerId })),
      );
      return;
    }
    const link = this.connectedLink(peerId);
    const text = encodePeerMessage(packets);
    try {
      link.send(channel, text);
    } catch (error) {
      this.failedSends += 1;
      throw notOpen(peerId, (error as Error).message);
    }
  }

  /** G_MSG to every connected peer. Throws, naming them, if it could not reach some. */
  broadcast(payload: unknown, channel = DEFAULT_CHANNEL): void {
    this.broadcastPackets([{ opcode: 'G_MSG', payload }], channel);
  }

  /** In-band packets for every peer: one message on each link (or one to the relay, which fans out). */
  broadcastPackets(packets: PeerPacket[], channel = DEFAULT_CHANNEL): void {
    this.requireChannel(channel);
    const text = encodePeerMessage(packets);
    if (this.relay) {
      const relay = this.connectedLink(this.relay.id);
      try {
        relay.send(channel, text);
      } catch (error) {
        this.failedSends += 1;
        throw notOpen(this.relay.id, (error as Error).message);
      }
      return;
    }
    const failed: string[] = [];
    for (const { link } of this.links.values()) {
      if (!link.connected) continue;
      try {
        link.send(channel, text);
      } catch {
        this.failedSends += 1;
        failed.push(link.peerId);
      }
    }
    if (failed.length) throw new CloudLinkError('not-open', `channel "${channel}" is not open to ${failed.join(', ')}`);
  }

  /** P_MSG to one peer. */
  sendPrivate(peerId: string, payload: unknown, channel = DEFAULT_CHANNEL): void {
    this.sendPackets(peerId, [{ opcode: 'P_MSG', payload }], channel);
  }
}
