// Sending in-band packets to the members of my lobby: each on the member's route (routes.ts), held
// while its link heals (heal-flow.ts), and kept for resending when the channel is reliable
// (resend-log.ts). A send that cannot leave throws 'not-open' to its caller, naming who was missed.
import { encodePeerMessage, type PeerPacket, type User } from '../../protocol/index.js';
import type { ChannelTable, NewChan } from '../../peer/channel-table.js';
import { DEFAULT_CHANNEL, type PeerLink } from '../../peer/link.js';
import { CloudLinkError } from '../errors.js';
import type { HealFlow } from './heal-flow.js';
import type { ResendLog } from './resend-log.js';
import { sendOn, type Route } from './route.js';
import type { Routes } from './routes.js';
import type { SendStats } from './send-stats.js';

export class Sender {
  constructor(
    /** The lobby's members (the session's). */
    private readonly members: ReadonlyMap<string, User>,
    private readonly routes: Routes,
    private readonly heal: HealFlow,
    private readonly channelTable: ChannelTable,
    private readonly sentLog: ResendLog,
    private readonly stats: SendStats,
    /** Members announced with 'peer-open' and not closed since. */
    private readonly opened: ReadonlySet<string>,
  ) {}

  private requireChannel(channel: string): void {
    if (channel !== DEFAULT_CHANNEL && !this.channelTable.has(channel)) throw new CloudLinkError('no-channel', `no channel named "${channel}": open it first`);
  }

  /** Sends a project's (or the sync engine's) packets on a route; on a reliable channel they are kept for resending. */
  sendLogged(route: Route, channel: string, packets: PeerPacket[], encoded = encodePeerMessage(packets)): void {
    route.send(channel, packets, encoded);
    if (this.channelTable.isOrdered(channel)) this.sentLog.sent(route.peer, channel, packets, encoded.length);
  }

  /** Sends on a member's route, or holds the message if the route is a link that just died (its close is still on the way). */
  private sendOrHold(route: Route, channel: string, packets: PeerPacket[], encoded: string): void {
    try {
      this.sendLogged(route, channel, packets, encoded);
    } catch (error) {
      if (!this.diedUnnoticed(route)) throw error;
      this.heal.hold(route.peer, channel, packets, encoded);
    }
  }

  /**
   * A link whose `default` channel is no longer open has died (the other side went, its channels
   * closed) before its close event reached me: the member's healing starts now, as the close will
   * start it — on the pair's own link with the RECEIVED exchange; on a relay's link, shared by every
   * member it carries, without.
   */
  private diedUnnoticed(route: Route): boolean {
    if (!this.opened.has(route.peer)) return false;
    if (route.link.channels.get(DEFAULT_CHANNEL)?.readyState === 'open') return false;
    this.heal.start(route.peer, 'connection closed', route.via === 'direct');
    return true;
  }

  /** Sends in-band packets to one peer as one data-channel message (held while its link heals). Throws if it cannot. */
  sendPackets(peerId: string, packets: PeerPacket[], channel: string): void {
    this.requireChannel(channel);
    const healing = this.heal.has(peerId);
    const route = healing ? undefined : this.routes.route(peerId);
    // A member whose link is opening, or failed for good, is known, just not reachable.
    if (!route && !healing) {
      if (this.members.has(peerId)) throw new CloudLinkError('not-open', `peer ${peerId} is not connected`, { peer: peerId });
      throw new CloudLinkError('unknown-peer', `unknown peer ${peerId}`, { peer: peerId });
    }
    const text = encodePeerMessage(packets);
    try {
      if (route) this.sendOrHold(route, channel, packets, text);
      else this.heal.hold(peerId, channel, packets, text);
    } catch (error) {
      if (error instanceof CloudLinkError && error.code === 'not-open') this.stats.failedSends += 1;
      throw error;
    }
  }

  /**
   * In-band packets for every member I can reach now, and held for those whose link heals: encoded
   * once, one message per route (a relay lobby's relay link carries it once and the relay fans it
   * out). Throws 'not-open', naming them, if some could not be reached.
   */
  broadcastPackets(packets: PeerPacket[], channel: string): void {
    this.requireChannel(channel);
    const text = encodePeerMessage(packets);
    const fannedOut = new Set<PeerLink>();
    const failed: string[] = [];
    let refused: Error | undefined;
    for (const peer of this.members.keys()) {
      if (this.heal.has(peer)) {
        try {
          this.heal.hold(peer, channel, packets, text);
        } catch (error) {
          this.stats.failedSends += 1;
          failed.push(peer);
          refused ??= error as Error;
        }
        continue;
      }
      const route = this.routes.route(peer);
      if (!route?.link.connected || fannedOut.has(route.link)) continue;
      try {
        if (!route.fansOut) this.sendOrHold(route, channel, packets, text);
        else {
          // Unaddressed: the relay hands it to every other member.
          fannedOut.add(route.link);
          sendOn(route.link, channel, text, peer);
        }
      } catch {
        this.stats.failedSends += 1;
        failed.push(route.fansOut ? route.link.peerId : peer);
      }
    }
    if (failed.length)
      throw new CloudLinkError(
        'not-open',
        `channel "${channel}" is not open to ${failed.join(', ')}${refused ? ` (${refused.message})` : ''}`,
        failed.length === 1 ? { peer: failed[0]! } : {},
      );
  }

  /** My NEW_CHAN on a link's `default` channel (the channel table's announcement; a failure is reported, nobody waits for it). */
  announce(link: PeerLink, payload: NewChan): void {
    try {
      sendOn(link, DEFAULT_CHANNEL, encodePeerMessage([{ opcode: 'NEW_CHAN', payload }]), link.peerId);
    } catch (error) {
      this.stats.failedLater(error as CloudLinkError);
    }
  }
}
