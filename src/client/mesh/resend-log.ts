// What each member was sent, and has received from it, on reliable channels: counts since it joined,
// and the last messages sent. A link that dies loses what was still on its way, unnoticed by the
// sender; when it heals, each side says how many messages it received (RECEIVED), and the other
// resends the rest from here, before anything newer. Counts cover the member across links and routes.
import type { PeerPacket } from '../../protocol/index.js';

/** Messages kept per member and channel for resending... */
export const KEPT_MESSAGES_MAX = 1000;
/** ...and their encoded size at most (characters of JSON). */
export const KEPT_BYTES_MAX = 1024 * 1024;

interface Stream {
  /** Messages sent to the member on this channel so far. */
  sent: number;
  /** The last of them, oldest first: kept[i] is message number `sent - kept.length + i`. */
  kept: { packets: PeerPacket[]; size: number }[];
  bytes: number;
  /** Messages received from the member on this channel so far. */
  received: number;
}

export interface Missing {
  /** What to send again, in order per channel. */
  resend: { channel: string; packets: PeerPacket[] }[];
  /** Messages the member misses that are no longer kept. */
  gone: number;
}

export class ResendLog {
  private readonly members = new Map<string, Map<string, Stream>>();

  private stream(member: string, channel: string): Stream {
    let streams = this.members.get(member);
    if (!streams) {
      streams = new Map();
      this.members.set(member, streams);
    }
    let stream = streams.get(channel);
    if (!stream) {
      stream = { sent: 0, kept: [], bytes: 0, received: 0 };
      streams.set(channel, stream);
    }
    return stream;
  }

  /** A message left for `member` on a reliable channel (`size`: its encoded length). */
  sent(member: string, channel: string, packets: PeerPacket[], size: number): void {
    const stream = this.stream(member, channel);
    stream.sent += 1;
    stream.kept.push({ packets, size });
    stream.bytes += size;
    while (stream.kept.length > KEPT_MESSAGES_MAX || stream.bytes > KEPT_BYTES_MAX) stream.bytes -= stream.kept.shift()!.size;
  }

  /** A message arrived from `member` on a reliable channel. */
  received(member: string, channel: string): void {
    this.stream(member, channel).received += 1;
  }

  /** What I received from `member` so far, per channel (my RECEIVED). */
  receivedFrom(member: string): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const [channel, stream] of this.members.get(member) ?? []) if (stream.received) counts[channel] = stream.received;
    return counts;
  }

  /** `member` received `counts` (its RECEIVED): what it misses of what I sent. */
  missing(member: string, counts: Record<string, number>): Missing {
    const result: Missing = { resend: [], gone: 0 };
    for (const [channel, stream] of this.members.get(member) ?? []) {
      const got = Math.min(counts[channel] ?? 0, stream.sent);
      const firstKept = stream.sent - stream.kept.length;
      result.gone += Math.max(0, firstKept - got);
      for (const { packets } of stream.kept.slice(Math.max(0, got - firstKept))) result.resend.push({ channel, packets });
    }
    return result;
  }

  forget(member: string): void {
    this.members.delete(member);
  }

  clear(): void {
    this.members.clear();
  }
}
