// One WebRTC link to one peer: a simple-peer connection whose own data channel is `default`,
// plus negotiated named channels (their ids are chosen by channel-table.ts). It knows nothing
// about lobbies or the server; the client's mesh and the server's relay peer both use it.
import SimplePeer from 'simple-peer';
import type { RelayedOpcode } from '../protocol/index.js';
import { CandidateFilter } from './candidate-filter.js';
import { Emitter, type ListenerErrorSink } from './emitter.js';
import { releaseOf } from './held-connection.js';

export const DEFAULT_CHANNEL = 'default';
/** Messages a channel that is still opening holds at most (a few frames of a busy game). */
const MAX_HELD = 1000;
/**
 * A connection whose ICE stays 'disconnected' this long (the peer's packets stopped: its network
 * went, its machine sleeps) is closed as failed, so that it heals; WebRTC itself may wait ~30 s more.
 */
export const DISCONNECTED_GRACE_MS = 5000;

export interface LinkOptions {
  peerId: string;
  initiator: boolean;
  /** RTCPeerConnection & co. for Node (@roamhq/wrtc, best through nodeWrtc: node-wrtc.ts); the browser's own when absent. */
  wrtc?: object;
  config: RTCConfiguration;
  /** A signal for the other side, and the server opcode that carries it: the link's first offer or answer, ICE for anything after. */
  onSignal: (signal: SimplePeer.SignalData, opcode: RelayedOpcode) => void;
  /** Where this link's throwing listeners are reported (the console by default). */
  onListenerError?: ListenerErrorSink;
}

export type LinkEvents = {
  open: [];
  close: [reason: string];
  'channel-open': [label: string];
  'channel-close': [label: string];
  data: [label: string, text: string];
  stream: [stream: MediaStream];
};

interface PeerInternals {
  _pc: RTCPeerConnection & { onicecandidateerror: ((event: RTCPeerConnectionIceErrorEvent) => void) | null };
  _channel: RTCDataChannel | null;
  _onChannelMessage: (event: MessageEvent) => void;
}

export class PeerLink extends Emitter<LinkEvents> {
  readonly peerId: string;
  readonly initiator: boolean;
  readonly peer: SimplePeer.Instance;
  /** Open channels by label (`default` once connected). */
  readonly channels = new Map<string, RTCDataChannel>();
  /** Messages sent on a named channel while it was still opening, sent in order once it opens. */
  private readonly held = new Map<string, string[]>();
  /** Named channels created but not open yet. */
  private readonly pendingChannels = new Map<string, RTCDataChannel>();
  connected = false;
  closed = false;
  /** What a TURN server last answered this link's ICE agent with, e.g. a refused credential; said when the link fails to open. */
  turnError: string | null = null;
  /** Signals handed to `onSignal` (offer, answer, candidates, renegotiations). */
  signalsSent = 0;
  /** This link's own candidates worth sending (UDP, each once); `candidates.skipped` counts the rest. */
  readonly candidates = new CandidateFilter();
  private firstSignalSent = false;
  private disconnectedTimer: ReturnType<typeof setTimeout> | undefined;
  /** The connection's own release (a promise does not keep the connection referenced). */
  private readonly connectionReleased: Promise<void>;

  constructor(options: LinkOptions) {
    super(options.onListenerError);
    this.peerId = options.peerId;
    this.initiator = options.initiator;
    this.peer = new SimplePeer({
      initiator: options.initiator,
      wrtc: options.wrtc as SimplePeer.Options['wrtc'],
      config: options.config,
      channelName: DEFAULT_CHANNEL,
      trickle: true,
    });
    this.peer.on('signal', (signal: SimplePeer.SignalData) => {
      if (signal.type === 'candidate' && signal.candidate && !this.candidates.accept(signal.candidate)) return;
      this.signalsSent += 1;
      const opening = !this.firstSignalSent && (signal.type === 'offer' || signal.type === 'answer');
      if (opening) this.firstSignalSent = true;
      options.onSignal(signal, !opening ? 'ICE' : signal.type === 'offer' ? 'MAKE_OFFER' : 'MAKE_ANSWER');
    });
    this.connectionReleased = releaseOf(this.internals._pc);
    // Take the default channel's messages straight from simple-peer's handler: its stream layer would
    // copy each into a Buffer, and messages that arrive before its 'connect' event must not be lost.
    this.internals._onChannelMessage = (event: MessageEvent) => this.received(DEFAULT_CHANNEL, event.data);
    // A TURN server that answered with an error (300–699: 401 for a wrong or expired credential). Other
    // ICE errors (701: a server unreachable from one network interface) are routine and not kept.
    this.internals._pc.onicecandidateerror = (event) => {
      if (/^turns?:/.test(event.url) && event.errorCode >= 300 && event.errorCode < 700)
        this.turnError = `TURN server ${event.url} answered ${event.errorCode} ${event.errorText}`;
    };
    this.peer.on('connect', () => this.opened());
    this.peer.on('stream', (stream: MediaStream) => this.emit('stream', stream));
    this.peer.on('iceStateChange', (state: RTCIceConnectionState) => this.iceState(state));
    this.peer.on('error', (error: Error) => this.shutdown(error.message));
    this.peer.on('close', () => this.shutdown('connection closed'));
  }

  private get internals(): PeerInternals {
    return this.peer as unknown as PeerInternals;
  }

  /** Feeds a signal from the remote side. */
  signal(signal: SimplePeer.SignalData): void {
    if (!this.closed) this.peer.signal(signal);
  }

  private opened(): void {
    const channel = this.internals._channel;
    if (!channel || this.closed) return;
    this.connected = true;
    this.channels.set(DEFAULT_CHANNEL, channel);
    this.emit('open');
  }

  private iceState(state: RTCIceConnectionState): void {
    clearTimeout(this.disconnectedTimer);
    if (state !== 'disconnected' || this.closed) return;
    this.disconnectedTimer = setTimeout(() => this.shutdown(`ICE disconnected for ${DISCONNECTED_GRACE_MS / 1000} s`), DISCONNECTED_GRACE_MS);
  }

  private received(label: string, data: unknown): void {
    // Events already queued when it closed: what a closed link delivers no longer counts.
    if (this.closed) return;
    this.emit('data', label, typeof data === 'string' ? data : new TextDecoder().decode(data as ArrayBuffer));
  }

  hasChannel(label: string): boolean {
    return this.channels.has(label) || this.pendingChannels.has(label);
  }

  channelId(label: string): number | null {
    return (this.channels.get(label) ?? this.pendingChannels.get(label))?.id ?? null;
  }

  /** The label of the channel using `id` on this link, if any. */
  labelOfId(id: number): string | undefined {
    for (const map of [this.channels, this.pendingChannels]) for (const [label, channel] of map) if (channel.id === id) return label;
    return undefined;
  }

  /** Creates the negotiated channel `label` with `id` on this side; the other side does the same. */
  addChannel(label: string, id: number, ordered: boolean): void {
    if (this.closed || this.hasChannel(label)) return;
    const channel = this.internals._pc.createDataChannel(label, {
      negotiated: true,
      id,
      ordered,
      // Unordered channels are also unreliable, so they are really fast (upstream's were not).
      ...(ordered ? {} : { maxRetransmits: 0 }),
    });
    channel.binaryType = 'arraybuffer';
    this.pendingChannels.set(label, channel);
    const opened = () => {
      if (this.pendingChannels.get(label) !== channel) return;
      this.pendingChannels.delete(label);
      this.channels.set(label, channel);
      for (const text of this.held.get(label) ?? []) channel.send(text);
      this.held.delete(label);
      this.emit('channel-open', label);
    };
    channel.onopen = opened;
    channel.onmessage = (event: MessageEvent) => this.received(label, event.data);
    channel.onclose = () => {
      const wasOpen = this.channels.get(label) === channel;
      if (wasOpen) this.channels.delete(label);
      if (this.pendingChannels.get(label) === channel) this.pendingChannels.delete(label);
      if (!this.hasChannel(label)) this.held.delete(label);
      if (wasOpen && !this.closed) this.emit('channel-close', label);
    };
    // On an established connection a negotiated channel may be open at once, without an open event.
    if (channel.readyState === 'open') opened();
  }

  /**
   * Closes a named channel (on both sides: negotiated channels share one SCTP stream). `silent` when
   * it is being replaced by the same label under another id (a simultaneous open): no close event.
   */
  removeChannel(label: string, silent = false): void {
    if (label === DEFAULT_CHANNEL) return;
    const open = this.channels.get(label);
    const channel = open ?? this.pendingChannels.get(label);
    this.channels.delete(label);
    this.pendingChannels.delete(label);
    // Replaced under another id (silent): what waits for it goes out on the replacement.
    if (!silent) this.held.delete(label);
    channel?.close();
    if (open && !silent) this.emit('channel-close', label);
  }

  /**
   * Sends text on a channel. One still opening (announced a moment ago, e.g. right after the link
   * opened) holds it and sends it first once open, so a project that sends at once loses nothing.
   * Throws with the reason when it cannot.
   */
  send(label: string, text: string): void {
    // `channels` holds only open channels (kept by their open/close events): reading readyState
    // here instead would cost a synchronous hop to WebRTC's thread in Node (~45 µs with wrtc).
    const channel = this.channels.get(label);
    if (channel) {
      channel.send(text);
      return;
    }
    if (!this.pendingChannels.has(label)) throw new Error(`channel "${label}" to ${this.peerId} is not open`);
    const held = this.held.get(label) ?? [];
    if (held.length >= MAX_HELD) throw new Error(`channel "${label}" to ${this.peerId} is still opening and ${MAX_HELD} messages wait for it`);
    held.push(text);
    this.held.set(label, held);
  }

  addStream(stream: MediaStream): void {
    this.peer.addStream(stream);
  }

  removeStream(stream: MediaStream): void {
    this.peer.removeStream(stream);
  }

  /**
   * Resolves once WebRTC has let go of this link's connection after it closed (held-connection.ts):
   * await it before ending a process or test that made links with @roamhq/wrtc. Resolved while open.
   */
  get released(): Promise<void> {
    return this.closed ? this.connectionReleased : Promise.resolve();
  }

  private shutdown(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.connected = false;
    clearTimeout(this.disconnectedTimer);
    this.channels.clear();
    this.pendingChannels.clear();
    this.held.clear();
    this.peer.destroy();
    this.emit('close', reason);
  }

  destroy(reason = 'closed'): void {
    this.shutdown(reason);
  }
}
