// A Route is how packets reach one peer: over its own direct link, or through the lobby's relay peer
// (relay-route.ts) — for everyone in a relay lobby, or for one pair whose direct link could not open
// (a hybrid lobby). The mesh picks one per peer and sends through it without asking which it is.
// Whatever the route, a send that cannot leave now throws CloudLinkError 'not-open' to its caller.
import { encodePeerMessage, type PeerPacket } from '../../protocol/index.js';
import type { PeerLink } from '../../peer/link.js';
import { CloudLinkError } from '../errors.js';

export interface Route {
  readonly peer: string;
  /** The link the packets leave on (every relayed peer shares the relay's). */
  readonly link: PeerLink;
  readonly via: 'direct' | 'relay';
  /** One unaddressed message on `link` reaches every member (a relay lobby's relay fans G_* out): a broadcast leaves once. */
  readonly fansOut: boolean;
  /** Sends packets to this peer only, as one data-channel message; `encoded` is them encoded already, for a route that sends them unchanged. */
  send(channel: string, packets: PeerPacket[], encoded?: string): void;
}

/** Throws 'not-open' unless `channel` of `link` is open or opening (the link on the way to `peer`). */
export function requireOpen(link: PeerLink, channel: string, peer: string): void {
  if (!link.connected) throw new CloudLinkError('not-open', `peer ${peer} is not connected yet`, { peer });
  if (!link.hasChannel(channel)) throw new CloudLinkError('not-open', `channel "${channel}" to ${link.peerId} is not open`, { peer });
}

/** Sends text on a link, or throws 'not-open'. */
export function sendOn(link: PeerLink, channel: string, text: string, peer: string): void {
  requireOpen(link, channel, peer);
  try {
    link.send(channel, text);
  } catch (error) {
    throw new CloudLinkError('not-open', `could not send to ${peer}: ${(error as Error).message}`, { peer });
  }
}

/** The peer's own WebRTC link. */
export const directRoute = (link: PeerLink): Route => ({
  peer: link.peerId,
  link,
  via: 'direct',
  fansOut: false,
  send: (channel, packets, encoded) => sendOn(link, channel, encoded ?? encodePeerMessage(packets), link.peerId),
});
