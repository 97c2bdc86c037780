// The mesh's WebRTC links, one per peer: opening them (as initiator, or as the answerer of an offer),
// the connect timeout, and healing a link that failed while its peer is still wanted. Healing opens a
// fresh link through the signalling server: the side that opened the failed one offers again, with
// backoff, a bounded number of times; the other side waits for that offer for as long as those
// attempts can take. Either side gives up after that (a 'failed' event that is not retrying).
// A busy machine must not turn slowness into a retry storm: the connect timeout grows with how many
// links are forming at once (a whole lobby joining), and retries wait exponentially longer, jittered
// so that the links of one lobby do not retry in step. An offer the server refused (a busy relay peer)
// closes its link at once, not at its connect timeout, and is offered again on a slower backoff of its
// own, which does not spend the link's retries.
import type SimplePeer from 'simple-peer';
import { REFUSALS_TOLD_EVERY_MS, type RelayedOpcode } from '../../protocol/index.js';
import { Emitter } from '../../peer/emitter.js';
import { PeerLink } from '../../peer/link.js';

export interface LinksOptions {
  /** RTCPeerConnection & co. for Node (@roamhq/wrtc); the browser's own when absent. */
  wrtc?: object;
  /** A link not open within this time is closed (and retried); longer while several form at once (`connectTimeoutFor`). */
  connectTimeoutMs: number;
  /** How many fresh links the initiator opens after a failure before giving up. */
  maxRetries: number;
  /** ICE settings for a link opened now. */
  config: () => RTCConfiguration;
  /** Carries a link's signal to its peer. */
  signal: (peerId: string, signal: SimplePeer.SignalData, opcode: RelayedOpcode) => void;
  /** Should I still be linked to this peer directly (a member not reached through a relay, or the lobby's relay)? */
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
  /** A link closed by itself, or an open one replaced by a fresh link (not dropped). */
  closed: [link: PeerLink, reason: string];
  /**
   * ...while its peer is still wanted, even after catching up with the server: it failed. `retrying`
   * while it is being healed (I open a fresh link, or wait for the peer's); false once healing gave up.
   */
  failed: [link: PeerLink, reason: string, retrying: boolean];
};

interface LinkState {
  link: PeerLink;
  /** performance.now() when the link was opened. */
  createdAt: number;
  timer?: ReturnType<typeof setTimeout>;
  /** The server refused its offer: offer again after at least this long (ms), or never (null). */
  refused?: number | null;
}

/** A peer whose link failed, until a link to it opens again or healing gives up. */
interface Heal {
  /** Fresh links I opened for it so far. */
  attempts: number;
  /** Offers the server refused so far (a busy relay), counted apart from `attempts`. */
  refusals: number;
  /** My next attempt (initiator), or when I stop waiting for the peer's (answerer). */
  timer?: ReturnType<typeof setTimeout>;
}

/** Retries wait between half and one and a half times their nominal delay (jitter). */
const JITTER = 0.5;

const backoff =
  (firstMs: number, maxMs: number) =>
  (attempt: number, random = Math.random()) =>
    Math.min(firstMs * 2 ** (attempt - 1), maxMs) * (1 - JITTER + 2 * JITTER * random);

/**
 * Wait before the initiator's n-th fresh link: nominally 250 ms, doubling, at most 4 s; jittered by
 * ±50 % (`random` in [0, 1)) so that links that failed together do not all retry at the same moment.
 */
export const retryDelayMs = backoff(250, 4000);

const refusedBackoff = backoff(1000, 8000);

/**
 * Wait before offering again after the n-th refusal: the time in which the server would not tell me of
 * another refusal (REFUSALS_TOLD_EVERY_MS, 5 s), then nominally 1 s more, doubling, at most 8 s, jittered.
 * A busy relay frees a slot once a link opens or times out (20 s by default), so REFUSALS_TRIED of these
 * (about 90 s) span a few such timeouts.
 */
export const refusedDelayMs = (refusal: number, random = Math.random()) => REFUSALS_TOLD_EVERY_MS + refusedBackoff(refusal, random);

/** Refused offers after which a link gives up (a failure like any other). */
export const REFUSALS_TRIED = 8;

/** Links forming at once that share one connect timeout; each further group of them adds another. */
export const LINKS_PER_TIMEOUT = 8;

/**
 * The connect timeout of a link while `forming` links (itself included) are forming at once: every
 * link of a lobby that joined together competes for the same CPU and signalling, so the time one of
 * them needs grows with their number (`base` for up to one link, +1/8 of it for each further link).
 */
export const connectTimeoutFor = (base: number, forming: number) => base * (1 + Math.max(0, forming - 1) / LINKS_PER_TIMEOUT);

export class Links extends Emitter<LinksEvents> {
  private readonly states = new Map<string, LinkState>();
  private readonly heals = new Map<string, Heal>();

  constructor(private readonly options: LinksOptions) {
    super();
  }

  get(peerId: string): PeerLink | undefined {
    return this.states.get(peerId)?.link;
  }

  all(): PeerLink[] {
    return [...this.states.values()].map((state) => state.link);
  }

  /** Peers whose link failed and is being healed (or waited for). */
  get healing(): number {
    return this.heals.size;
  }

  /** Opens a link to a peer as the initiator. */
  connect(peerId: string): void {
    this.open(peerId, true);
  }

  /**
   * The server refused the offer of my link to this peer (a WARNING: relay-refusal.ts): it closes now,
   * and is offered again after `retryAfterMs` at least, or not at all (null).
   */
  refused(peerId: string, reason: string, retryAfterMs: number | null): void {
    const state = this.states.get(peerId);
    if (!state?.link.initiator || state.link.connected) return;
    state.refused = retryAfterMs;
    state.link.destroy(reason);
  }

  /** A MAKE_OFFER starts a fresh link (first attempt or a heal): this side answers. */
  answer(peerId: string): PeerLink {
    return this.open(peerId, false);
  }

  private open(peerId: string, initiator: boolean): PeerLink {
    // An open link the peer replaces (it saw the link fail before I did) was lost all the same.
    const replaced = this.states.get(peerId)?.link;
    const wasOpen = replaced?.connected ?? false;
    this.remove(peerId, 'replaced');
    if (wasOpen) this.emit('closed', replaced!, 'replaced by a fresh link');
    const link = new PeerLink({
      peerId,
      initiator,
      wrtc: this.options.wrtc,
      config: this.options.config(),
      onSignal: (signal, opcode) => this.options.signal(peerId, signal, opcode),
    });
    const state: LinkState = { link, createdAt: performance.now() };
    this.states.set(peerId, state);
    this.armConnectTimeout(state, this.options.connectTimeoutMs);
    link.on('open', () => {
      clearTimeout(state.timer);
      // Healed: a link that drops later gets the whole budget again.
      this.forgetHeal(peerId);
      this.emit('open', link);
    });
    link.on('close', (reason) => this.closed(state, reason));
    this.emit('created', link);
    return link;
  }

  /** Links opened and not open (nor closed) yet. */
  private get forming(): number {
    let forming = 0;
    for (const { link } of this.states.values()) if (!link.connected) forming += 1;
    return forming;
  }

  /** Closes the link if it is not open in `delay`, unless by then more links form at once and it may wait longer. */
  private armConnectTimeout(state: LinkState, delay: number): void {
    state.timer = setTimeout(() => {
      const { link } = state;
      const remaining = state.createdAt + connectTimeoutFor(this.options.connectTimeoutMs, this.forming) - performance.now();
      if (remaining > 1) this.armConnectTimeout(state, remaining);
      else link.destroy(link.turnError ? `connect timeout (${link.turnError})` : 'connect timeout');
    }, delay);
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
    const decide = () => this.failedIfWanted(link, reason, state.refused);
    this.options.caughtUp().then(decide, decide);
  }

  private failedIfWanted(link: PeerLink, reason: string, refused: number | null | undefined): void {
    const peerId = link.peerId;
    if (!this.options.wanted(peerId)) return;
    const current = this.states.get(peerId);
    // A fresh link opened meanwhile: already healed.
    if (current?.link.connected) return;
    let heal = this.heals.get(peerId);
    if (!heal) {
      heal = { attempts: 0, refusals: 0 };
      this.heals.set(peerId, heal);
    }
    // A fresh link is already on its way (the peer offered one): its own outcome decides.
    if (current) this.emit('failed', link, reason, true);
    else if (!link.initiator) this.awaitOffer(link, heal, reason);
    else if (refused !== undefined) {
      if (refused === null || heal.refusals >= REFUSALS_TRIED) this.giveUp(link, reason);
      else this.retry(link, heal, reason, Math.max(refused, refusedDelayMs(++heal.refusals)));
    } else if (heal.attempts >= this.options.maxRetries) this.giveUp(link, reason);
    else this.retry(link, heal, reason, retryDelayMs(++heal.attempts));
  }

  /** The initiator opens a fresh link after `delayMs`. */
  private retry(link: PeerLink, heal: Heal, reason: string, delayMs: number): void {
    const peerId = link.peerId;
    clearTimeout(heal.timer);
    heal.timer = setTimeout(() => {
      heal.timer = undefined;
      if (this.heals.get(peerId) === heal && this.options.wanted(peerId) && !this.states.has(peerId)) this.connect(peerId);
    }, delayMs);
    this.emit('failed', link, reason, true);
  }

  /** The answerer waits for the initiator's fresh link, at most as long as all its attempts can take. */
  private awaitOffer(link: PeerLink, heal: Heal, reason: string): void {
    const peerId = link.peerId;
    if (!heal.timer) {
      const { maxRetries, connectTimeoutMs } = this.options;
      // The initiator's timeouts grow with the links it forms at once: as many as I have, at most.
      let budget = (maxRetries + 2) * connectTimeoutFor(connectTimeoutMs, this.states.size + 1);
      // The longest each of the initiator's retries may wait (the top of the jitter).
      for (let attempt = 1; attempt <= maxRetries; attempt++) budget += retryDelayMs(attempt, 1);
      heal.timer = setTimeout(() => {
        heal.timer = undefined;
        if (this.heals.get(peerId) !== heal || !this.options.wanted(peerId) || this.states.get(peerId)?.link.connected) return;
        this.giveUp(link, `${reason}; no fresh link from the peer within ${Math.round(budget / 1000)} s`);
      }, budget);
    }
    this.emit('failed', link, reason, true);
  }

  private giveUp(link: PeerLink, reason: string): void {
    this.forgetHeal(link.peerId);
    this.emit('failed', link, reason, false);
  }

  private forgetHeal(peerId: string): void {
    clearTimeout(this.heals.get(peerId)?.timer);
    this.heals.delete(peerId);
  }

  /** Closes a link without touching its peer's healing (a fresh link replaces it). */
  private remove(peerId: string, reason: string): PeerLink | undefined {
    const state = this.states.get(peerId);
    if (!state) return undefined;
    clearTimeout(state.timer);
    this.states.delete(peerId);
    this.emit('removed', state.link);
    state.link.destroy(reason);
    return state.link;
  }

  /** Closes the link to a peer on purpose and stops healing it; returns the link if there was one. */
  drop(peerId: string, reason: string): PeerLink | undefined {
    this.forgetHeal(peerId);
    return this.remove(peerId, reason);
  }

  /** Drops every link and stops every healing; returns the dropped links. */
  dropAll(reason: string): PeerLink[] {
    for (const peerId of [...this.heals.keys()]) this.forgetHeal(peerId);
    return [...this.states.keys()].map((peerId) => this.remove(peerId, reason)!);
  }
}
