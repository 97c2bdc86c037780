// Which route reaches each member of my lobby (route.ts): its own direct link, or the lobby's relay
// peer (relay-route.ts) — for everyone in a relay lobby (RELAY, §5), or in a mesh lobby for the
// members whose direct link could not open (RELAY_PAIR, a hybrid lobby). Which links I keep, and
// whom a link reaches, follow from that choice.
import type { PeerPacket, User } from '../../protocol/index.js';
import type { PeerLink } from '../../peer/link.js';
import { CloudLinkError } from '../errors.js';
import type { Links } from './links.js';
import { RelayRoute } from './relay-route.js';
import { directRoute, type Route } from './route.js';
import type { SignalCodec } from './signal-codec.js';

export class Routes {
  /** The lobby's relay peer, once I use it: for everyone in a relay lobby (§5), else for the pairs in `relayed`. */
  private relay: RelayRoute | null = null;
  /** Members reached through the relay in a mesh lobby (our direct link could not open). */
  private readonly relayed = new Set<string>();

  constructor(
    /** The lobby's members (the session's, kept up to date by it). */
    private readonly members: ReadonlyMap<string, User>,
    private readonly links: Links,
    /** Who has keys, and the shared keys: the relay seals private packets with them. */
    private readonly codec: SignalCodec,
    /** A failure nobody waits for (a relayed send that failed after its caller returned, a bad RELAY_PAIR). */
    private readonly failed: (error: CloudLinkError) => void,
  ) {}

  /** Whether a member is reached through the relay: everyone in a relay lobby, some pairs in a mesh lobby. */
  viaRelay(peerId: string): boolean {
    return this.relay !== null && (this.relay.lobbyWide || this.relayed.has(peerId));
  }

  /** How to reach a member now: through the relay, or over its own link. */
  route(peerId: string): Route | undefined {
    if (!this.members.has(peerId)) return undefined;
    if (this.viaRelay(peerId)) return this.relay!.route(peerId);
    const link = this.links.get(peerId);
    return link && directRoute(link);
  }

  /** Whether a member's route is up now. */
  isConnected(peerId: string): boolean {
    return this.route(peerId)?.link.connected ?? false;
  }

  /** Whether `link` is the one to the relay peer (shared by every relayed member). */
  isRelayLink(link: PeerLink): boolean {
    return this.relay?.carries(link) ?? false;
  }

  /** The members a link reaches: those relayed, for the relay link; else its own peer. */
  servedBy(link: PeerLink): string[] {
    const members = [...this.members.keys()];
    if (this.isRelayLink(link)) return members.filter((peer) => this.viaRelay(peer));
    return members.includes(link.peerId) && !this.viaRelay(link.peerId) ? [link.peerId] : [];
  }

  /** Whom I keep a WebRTC link with (and take signals from): members I reach directly, and the relay peer I use. */
  linksTo(peerId: string): boolean {
    return peerId === this.relay?.id || (this.members.has(peerId) && !this.viaRelay(peerId));
  }

  /** A packet that came in on the relay link: handed to `deliver` with its sender, opened if it was sealed for me. */
  fromRelay(packet: PeerPacket, deliver: (from: string, packet: PeerPacket) => void): void {
    this.relay!.receive(packet, deliver);
  }

  /** The relay peer I use (for everyone, or for some pairs), if any. */
  get relayId(): string | null {
    return this.relay?.id ?? null;
  }

  /** The relay peer's id in a relay lobby (where everything goes through it). */
  get lobbyRelayId(): string | null {
    return this.relay?.lobbyWide ? this.relay.id : null;
  }

  /** RELAY: every member is reached through `relayId` from now on (the direct links are dropped by then). */
  useLobbyRelay(relayId: string): void {
    this.relay = this.relayRoute(relayId, true);
  }

  /**
   * RELAY_PAIR: `peer` is reached through `relayId` from now on, every other pair staying direct. False
   * when nothing changes: not a member, already relayed, a relay lobby, or a relay other than the lobby's (reported).
   */
  relayPair(relayId: string, peer: string): boolean {
    if (!this.members.has(peer) || this.relay?.lobbyWide || this.relayed.has(peer)) return false;
    if (this.relay && this.relay.id !== relayId) {
      this.failed(new CloudLinkError('protocol', `RELAY_PAIR names relay ${relayId}, but this lobby's relay is ${this.relay.id}`, { opcode: 'RELAY_PAIR' }));
      return false;
    }
    this.relay ??= this.relayRoute(relayId, false);
    this.relayed.add(peer);
    return true;
  }

  private relayRoute(relayId: string, lobbyWide: boolean): RelayRoute {
    return new RelayRoute(relayId, lobbyWide, () => this.links.get(relayId), this.codec, this.failed);
  }

  /**
   * The server says the lobby's relay peer is gone (Warning.relayLost). In a mesh lobby, the members I
   * reached through it are reached by nothing until the server names a new one (RELAY_PAIR): they are
   * returned, with the dead relay's id. Null in a relay lobby (the server sends RELAY) or without a relay.
   */
  relayLost(): { relayId: string; peers: string[] } | null {
    if (!this.relay || this.relay.lobbyWide) return null;
    const lost = { relayId: this.relay.id, peers: [...this.relayed] };
    this.clear();
    return lost;
  }

  /** A member left: what the relay kept for it goes. */
  forget(peerId: string): void {
    this.relay?.forget(peerId);
    this.relayed.delete(peerId);
  }

  /** I left the lobby (or it became a relay lobby): no relay until the server names one. */
  clear(): void {
    this.relay = null;
    this.relayed.clear();
  }
}
