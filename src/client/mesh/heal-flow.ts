// The heal of a member whose link was lost while it stays in the lobby (docs/architecture.md, "Links
// heal"). Meanwhile its reliable sends wait (healing.ts) and fast ones drop; 'link-lost' once the
// server confirmed it is still there. When a route to it is up again, and the pair's own path was
// what went, each side says what it received (RECEIVED) and sends again what the other misses
// (resend-log.ts); then what waited leaves, and 'link-back'. A heal that gives up, or ends because
// the member left, reports what waited as not delivered.
import type { PeerPacket } from '../../protocol/index.js';
import type { Emitter } from '../../peer/emitter.js';
import { DEFAULT_CHANNEL } from '../../peer/link.js';
import { CloudLinkError } from '../errors.js';
import { Healing, type HeldSend, type Lost } from './healing.js';
import type { MeshEvents } from './mesh-events.js';
import { KEPT_MESSAGES_MAX, type ResendLog } from './resend-log.js';
import type { Route } from './route.js';
import type { SendStats } from './send-stats.js';

/** How long a member whose route is back may take to say what reached it (RECEIVED) before what waited for it leaves anyway. */
export const RECEIVED_WAIT_MS = 5000;

export class HealFlow {
  private readonly healing = new Healing();

  constructor(
    private readonly events: Emitter<MeshEvents>,
    private readonly stats: SendStats,
    /** What each member was sent and has received on reliable channels. */
    private readonly sentLog: ResendLog,
    /** A member's route now (a heal may end on another route than the lost one). */
    private readonly route: (peer: string) => Route | undefined,
    private readonly isOrdered: (channel: string) => boolean,
    /** Sends new messages on a route, kept for resending. */
    private readonly sendLogged: (route: Route, channel: string, packets: PeerPacket[]) => void,
  ) {}

  has(peer: string): boolean {
    return this.healing.has(peer);
  }

  members(): string[] {
    return this.healing.members();
  }

  /** The route to `peer` went (`resumable`: its own path, so the RECEIVED exchange follows): sends wait from now. */
  start(peer: string, reason: string, resumable: boolean): void {
    this.healing.start(peer, reason, resumable);
  }

  /**
   * A send to a member whose link is healing: held until it is back if the channel is reliable (throws
   * 'not-open' when that does not fit), dropped if it is fast (such channels may drop; counted).
   */
  hold(peer: string, channel: string, packets: PeerPacket[], encoded: string): void {
    if (!this.isOrdered(channel)) {
      this.stats.droppedFast += 1;
      return;
    }
    this.healing.hold(peer, { channel, packets, size: encoded.length });
  }

  /** The server confirmed that `peer`, whose link failed, is still there: 'link-lost', once. */
  confirmed(peer: string, reason: string): void {
    this.reportLost(peer, this.healing.get(peer)!, reason);
  }

  /** True if this emitted 'link-lost'. */
  private reportLost(peer: string, lost: Lost, reason: string): boolean {
    if (lost.reported) return false;
    lost.reported = true;
    this.events.emit('link-lost', peer, reason);
    return true;
  }

  /** A route to healing `route.peer` is up: after the RECEIVED exchange (when the pair's own path was lost), it is healed. */
  back(route: Route): void {
    const peer = route.peer;
    const lost = this.healing.get(peer)!;
    if (!lost.resumable) {
      this.healed(peer);
      return;
    }
    if (lost.waiting) return;
    // Say what reached me over the lost link; what waits leaves once I know what reached the peer.
    this.sendReceived(route, true);
    if (lost.peerReceived) this.healed(peer);
    else lost.waiting = setTimeout(() => this.healed(peer), RECEIVED_WAIT_MS);
  }

  private sendReceived(route: Route, ask: boolean): void {
    try {
      route.send(DEFAULT_CHANNEL, [{ opcode: 'RECEIVED', payload: { received: this.sentLog.receivedFrom(route.peer), ask } }]);
    } catch (error) {
      this.stats.failedLater(CloudLinkError.from(error));
    }
  }

  /** RECEIVED from a member: what reached it from me. */
  received(from: string, received: Record<string, number>, ask: boolean): void {
    const lost = this.healing.get(from);
    if (lost?.resumable) {
      lost.peerReceived = received;
      if (lost.waiting) this.healed(from);
      return;
    }
    // Only the member noticed a loss (its own path to me went): it resends from what I tell it.
    const route = this.route(from);
    if (!lost && ask && route?.link.connected) this.sendReceived(route, false);
  }

  /** The route to a healing member is back: first what the lost link did not deliver, then what waited; 'link-back'. */
  private healed(peer: string): void {
    const route = this.route(peer);
    const lost = this.healing.get(peer);
    if (!lost) return;
    if (!route?.link.connected) {
      // Lost again meanwhile: the next route will ask again.
      lost.waiting = undefined;
      return;
    }
    // Its listeners still see the link lost: what they send waits, and leaves below.
    if (this.reportLost(peer, lost, lost.reason) && (this.healing.get(peer) !== lost || !route.link.connected)) return;
    this.healing.end(peer);
    if (lost.resumable) this.resend(route, lost.peerReceived);
    this.sendHeld(route, lost.held);
    this.events.emit('link-back', peer);
  }

  /** Sends again what `route.peer` said it did not receive (`peerReceived`, its RECEIVED). */
  private resend(route: Route, peerReceived: Record<string, number> | undefined): void {
    const peer = route.peer;
    if (!peerReceived) {
      this.events.emit(
        'error',
        new CloudLinkError(
          'not-open',
          `${peer} did not say within ${RECEIVED_WAIT_MS / 1000} s what reached it over the lost link: messages sent just before the loss may be missing`,
          {
            peer,
          },
        ),
      );
      return;
    }
    const { resend, gone } = this.sentLog.missing(peer, peerReceived);
    this.stats.resent += resend.length;
    this.sendAll(route, resend, 'sent again after the heal');
    if (!gone) return;
    this.stats.notDelivered(
      gone,
      new CloudLinkError(
        'not-open',
        `${gone} messages sent to ${peer} just before its link was lost did not arrive and are no longer kept (the last ${KEPT_MESSAGES_MAX} per channel are)`,
        {
          peer,
        },
      ),
    );
  }

  private sendHeld(route: Route, held: HeldSend[]): void {
    this.sendAll(route, held, 'waited for the heal', true);
  }

  /** Sends messages in order; those that fail are reported together. `logged`: new messages, kept for resending. */
  private sendAll(route: Route, sends: { channel: string; packets: PeerPacket[] }[], what: string, logged = false): void {
    let failed = 0;
    let first: Error | undefined;
    for (const { channel, packets } of sends) {
      try {
        if (logged) this.sendLogged(route, channel, packets);
        else route.send(channel, packets);
      } catch (error) {
        failed += 1;
        first ??= error as Error;
      }
    }
    if (!failed) return;
    this.stats.notDelivered(
      failed,
      new CloudLinkError('not-open', `${failed} of ${sends.length} messages that ${what} could not be sent to ${route.peer}: ${first!.message}`, {
        peer: route.peer,
      }),
    );
  }

  /** Healing `peer` gave up: it is unreachable, and what waited for it is not delivered. */
  gaveUp(peer: string, reason: string): void {
    const lost = this.healing.end(peer)!;
    const undelivered = lost.held.length ? `; ${lost.held.length} messages waiting for it were not delivered` : '';
    this.stats.notDelivered(lost.held.length, new CloudLinkError('link-failed', `link to ${peer} failed: ${reason}${undelivered}`, { peer }));
  }

  /** Ends a member's healing without a link (it left, or I dropped it): what waited is reported as not delivered. */
  abandon(peer: string, why: string): void {
    const lost = this.healing.end(peer);
    if (!lost?.held.length) return;
    this.stats.notDelivered(
      lost.held.length,
      new CloudLinkError('not-open', `${lost.held.length} messages waiting for ${peer} were not delivered: ${why}`, { peer }),
    );
  }

  /** Every heal ends (I left the lobby, or it became a relay lobby). */
  abandonAll(why: string): void {
    for (const peer of this.healing.members()) this.abandon(peer, why);
  }
}
