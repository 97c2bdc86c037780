// A Route is how packets reach one peer: over its own direct link, or through the lobby's relay peer
// (relay-route.ts). The mesh picks one per peer and sends through it without asking which it is.
// Whatever the route, a send that cannot leave now throws CloudLinkError 'not-open' to its caller.
import { encodePeerMessage, type PeerPacket } from '../../protocol/index.js';
import type { PeerLink } from '../../peer/link.js';
import { CloudLinkError } from '../errors.js';

export interface Route {
  readonly peer: string;
  /** The link the packets leave on (every relayed peer shares the relay's). */
  readonly link: PeerLink;
  /** Sends packets to this peer only, as one data-channel message. */
  send(channel: string, packets: PeerPacket[]): void;
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
  send: (channel, packets) => sendOn(link, channel, encodePeerMessage(packets), link.peerId),
});
