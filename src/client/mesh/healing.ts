// Members whose link was lost while they stay in the lobby, and what was sent to them meanwhile.
// Sends on reliable channels wait here, bounded, and leave in order once the member is reachable
// again (after what the lost link failed to deliver, resend-log.ts); a send that does not fit fails
// at once ('not-open'), and what still waits when healing ends without a link is reported as not
// delivered. Nothing is dropped without a word.
import type { PeerPacket } from '../../protocol/index.js';
import { CloudLinkError } from '../errors.js';

/** Messages held for one healing member at most... */
export const HELD_MESSAGES_MAX = 1000;
/** ...and their encoded size at most (characters of JSON). */
export const HELD_BYTES_MAX = 1024 * 1024;

export interface HeldSend {
  channel: string;
  packets: PeerPacket[];
  size: number;
}

export interface Lost {
  /** Why the link was lost. */
  reason: string;
  /** 'link-lost' was emitted (the server confirmed the member is still there). */
  reported: boolean;
  /**
   * The pair's own path was lost (its direct link): both sides noticed, and each tells the other what
   * it received (RECEIVED) before the held sends leave. Not so when a shared relay link was lost.
   */
  resumable: boolean;
  held: HeldSend[];
  bytes: number;
  /** My route to the member is back and I wait for its RECEIVED (until this timer). */
  waiting?: ReturnType<typeof setTimeout>;
  /** What the member said it received from me (its RECEIVED), once it did. */
  peerReceived?: Record<string, number>;
}

export class Healing {
  private readonly lost = new Map<string, Lost>();

  get(member: string): Lost | undefined {
    return this.lost.get(member);
  }

  has(member: string): boolean {
    return this.lost.has(member);
  }

  /** The route to `member` went: from now on its reliable sends are held. A new loss during a heal restarts the RECEIVED exchange. */
  start(member: string, reason: string, resumable: boolean): void {
    const lost = this.lost.get(member);
    if (!lost) {
      this.lost.set(member, { reason, reported: false, resumable, held: [], bytes: 0 });
      return;
    }
    clearTimeout(lost.waiting);
    lost.waiting = undefined;
    lost.peerReceived = undefined;
    lost.resumable ||= resumable;
  }

  /** Holds one message for a healing member, or throws 'not-open' when it does not fit. */
  hold(member: string, send: HeldSend): void {
    const lost = this.lost.get(member)!;
    if (lost.held.length >= HELD_MESSAGES_MAX || lost.bytes + send.size > HELD_BYTES_MAX) {
      throw new CloudLinkError(
        'not-open',
        `the link to ${member} is healing and ${lost.held.length} messages (${lost.bytes} bytes) already wait for it (at most ${HELD_MESSAGES_MAX}, ${HELD_BYTES_MAX} bytes): not sent`,
        { peer: member },
      );
    }
    lost.held.push(send);
    lost.bytes += send.size;
  }

  /** Healing is over (back, or given up): its record, with the held sends in order. */
  end(member: string): Lost | undefined {
    const lost = this.lost.get(member);
    clearTimeout(lost?.waiting);
    this.lost.delete(member);
    return lost;
  }

  members(): string[] {
    return [...this.lost.keys()];
  }
}
