// What the mesh tells its users (the client facade, voice, ping, tests), and what the mesh's own
// modules emit on its behalf.
import type { PeerPacket } from '../../protocol/index.js';
import type { CloudLinkError } from '../errors.js';

export interface MeshMessage {
  from: string;
  channel: string;
  opcode: 'G_MSG' | 'P_MSG';
  payload: unknown;
}

export type MeshEvents = {
  /** A member is reachable (its link opened, or the relay's). */
  'peer-open': [peerId: string];
  /** ...no longer: it left, I left, healing gave up, or I dropped the link. */
  'peer-close': [peerId: string, reason: string];
  /** The link to a member that is still in the lobby was lost: it is being healed, and reliable sends to it wait. */
  'link-lost': [peerId: string, reason: string];
  /** ...and is back: what waited has been sent. */
  'link-back': [peerId: string];
  'channel-open': [peerId: string, label: string];
  'channel-close': [peerId: string, label: string];
  message: [message: MeshMessage];
  /** Every valid in-band packet other than messages and NEW_CHAN (sync, voice control, PING/PONG). */
  packet: [peerId: string, channel: string, packet: PeerPacket];
  stream: [peerId: string, stream: MediaStream];
  /** Something went wrong that no caller is waiting for (a link failed, a bad packet arrived). */
  error: [error: CloudLinkError];
};
