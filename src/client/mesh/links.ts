// The mesh's WebRTC links, one per peer: opening them (as initiator, or as the answerer of an offer),
// the connect timeout, and the bounded retry of a link that failed while its peer is still there.
import type SimplePeer from 'simple-peer';
import type { RelayedOpcode } from '../../protocol/index.js';
import { Emitter } from '../../peer/emitter.js';
import { PeerLink } from '../../peer/link.js';

export interface LinksOptions {
  /** RTCPeerConnection & co. for Node (@roamhq/wrtc); the browser's own when absent. */
  wrtc?: object;
  /** A link not open within this time is closed (and retried). */
  connectTimeoutMs: number;
  /** How many times the initiator re-opens a link that failed or dropped. */
  maxRetries: number;
  /** ICE settings for a link opened now. */
  config: () => RTCConfiguration;
  /** Carries a link's signal to its peer. */
  signal: (peerId: string, signal: SimplePeer.SignalData, opcode: RelayedOpcode) => void;
  /** Should I still be linked to this peer (a member, or the lobby's relay)? */
  wanted: (peerId: string) => boolean;
  /**
   * Settles once every lobby change the server sent before now has been applied (a round trip).
   * A link closed by a leave, kick or lobby close often closes before the server's word of it arrives.
   */
  caughtUp: () => Promise<unknown>;
}

export type LinksEvents = {
  /** A new link: attach listeners to it. */
  created: [link: PeerLink];
  open: [link: PeerLink];
  /** A link left the table (dropped, replaced or closed): forget what was kept for it. */
  removed: [link: PeerLink];
  /** A link closed by itself (not dropped). */
  closed: [link: PeerLink, reason: string];
  /** ...while its peer is still wanted, even after catching up with the server: it failed; `retrying` when I will open it again. */
  failed: [link: PeerLink, reason: string, retrying: boolean];
};

interface LinkState {
  link: PeerLink;
  attempt: number;
  timer?: ReturnType<typeof setTimeout>;
}

export class Links extends Emitter<LinksEvents> {
  private readonly states = new Map<string, LinkState>();
  private readonly retryTimers = new Set<ReturnType<typeof setTimeout>>();

  constructor(private readonly options: LinksOptions) {
    super();
  }

  get(peerId: string): PeerLink | undefined {
    return this.states.get(peerId)?.link;
  }

  all(): PeerLink[] {
    return [...this.states.values()].map((state) => state.link);
  }

  /** Opens a link to a peer as the initiator. */
  connect(peerId: string, attempt = 1): void {
    this.open(peerId, true, attempt);
  }

  /** A MAKE_OFFER starts a fresh link (first attempt or a retry): this side answers. */
  answer(peerId: string): PeerLink {
    return this.open(peerId, false, 1);
  }

  private open(peerId: string, initiator: boolean, attempt: number): PeerLink {
    this.drop(peerId, 'replaced');
    const link = new PeerLink({
      peerId,
      initiator,
      wrtc: this.options.wrtc,
      config: this.options.config(),
      onSignal: (signal, opcode) => this.options.signal(peerId, signal, opcode),
    });
    const state: LinkState = { link, attempt };
    this.states.set(peerId, state);
    state.timer = setTimeout(() => link.destroy(link.turnError ? `connect timeout (${link.turnError})` : 'connect timeout'), this.options.connectTimeoutMs);
    link.on('open', () => {
      clearTimeout(state.timer);
      // The retry budget is per failure: a link that opened and drops later gets it afresh.
      state.attempt = 1;
      this.emit('open', link);
    });
    link.on('close', (reason) => this.closed(state, reason));
    this.emit('created', link);
    return link;
  }

  private closed(state: LinkState, reason: string): void {
    const { link } = state;
    clearTimeout(state.timer);
    if (this.states.get(link.peerId) !== state) return;
    this.states.delete(link.peerId);
    this.emit('removed', link);
    this.emit('closed', link, reason);
    if (!this.options.wanted(link.peerId)) return;
    // The peer may be leaving, be kicked, or I may be: only the server knows. Ask it first, so a link
    // closed by a lobby change is not reported as a failure. (A failed round trip decides nothing.)
    const decide = () => this.failedIfWanted(state, reason);
    this.options.caughtUp().then(decide, decide);
  }

  private failedIfWanted(state: LinkState, reason: string): void {
    const { link } = state;
    if (!this.options.wanted(link.peerId)) return;
    // The peer is still there: the link failed. The side that opened it tries again (unless a new link is already opening).
    const retrying = link.initiator && state.attempt <= this.options.maxRetries && !this.states.has(link.peerId);
    this.emit('failed', link, reason, retrying);
    if (!retrying) return;
    const timer = setTimeout(() => {
      this.retryTimers.delete(timer);
      if (this.options.wanted(link.peerId) && !this.states.has(link.peerId)) this.connect(link.peerId, state.attempt + 1);
    }, 250 * state.attempt);
    this.retryTimers.add(timer);
  }

  /** Closes the link to a peer on purpose; returns it if there was one. */
  drop(peerId: string, reason: string): PeerLink | undefined {
    const state = this.states.get(peerId);
    if (!state) return undefined;
    clearTimeout(state.timer);
    this.states.delete(peerId);
    this.emit('removed', state.link);
    state.link.destroy(reason);
    return state.link;
  }

  /** Drops every link and cancels pending retries; returns the dropped links. */
  dropAll(reason: string): PeerLink[] {
    for (const timer of this.retryTimers) clearTimeout(timer);
    this.retryTimers.clear();
    return [...this.states.keys()].map((peerId) => this.drop(peerId, reason)!);
  }
}
