// One lobby's relay peer (protocol.md §5): a WebRTC peer inside the server process. Each member
// opens one link to it; what a member sends is forwarded — G_* to every other member, anything
// with `recipient` to that member only — stamped with the sender as `origin`. Sealed private
// packets (§6) pass through unread. Voice is not relayed.
// It reuses the client's PeerLink: the relay is a peer like any other, so it shares the peer code.
import { decodePeerMessage, encodePeerMessage, type PeerPacket, type RelayedOpcode, type User } from '../../protocol/index.js';
import { DEFAULT_CHANNEL, PeerLink, type SignalKind } from '../../client/mesh/link.js';
import type { RelaySignalSink, SignalPayload } from '../context.js';

const OPCODE_OF: Record<SignalKind, RelayedOpcode> = { offer: 'MAKE_OFFER', answer: 'MAKE_ANSWER', ice: 'ICE' };
/** Messages held for a member whose link or channel is not open yet. */
const MAX_HELD = 1000;

export interface RelayPeerOptions {
  wrtc: object;
  /** Sees every message a member sent to the relay (tests use it to prove sealed packets stay sealed). */
  observe?: (from: string, channel: string, text: string) => void;
  onError?: (message: string) => void;
}

export class RelayPeer {
  private readonly links = new Map<string, PeerLink>();
  /** Lobby channels (label → ordered), opened on every member's link. */
  private readonly channels = new Map<string, boolean>();
  private readonly held = new Map<string, { channel: string; text: string }[]>();
  forwarded = 0;

  constructor(
    readonly user: User,
    private readonly isMember: (instanceId: string) => boolean,
    private readonly send: RelaySignalSink,
    private readonly options: RelayPeerOptions,
  ) {}

  get memberLinks(): number {
    return this.links.size;
  }

  signal(from: User, opcode: RelayedOpcode, payload: SignalPayload): void {
    const member = from.instance_id;
    // Members open the link: a MAKE_OFFER starts a fresh one (first attempt or a retry).
    if (opcode === 'MAKE_OFFER') this.open(member);
    try {
      this.links.get(member)?.signal(payload.contents as Parameters<PeerLink['signal']>[0]);
    } catch (error) {
      this.options.onError?.(`bad signal from ${member}: ${(error as Error).message}`);
    }
  }

  private open(member: string): void {
    this.links.get(member)?.destroy('replaced');
    const link = new PeerLink({
      peerId: member,
      initiator: false,
      wrtc: this.options.wrtc,
      config: { iceServers: [] },
      onSignal: (signal, kind) => this.send(member, OPCODE_OF[kind], { type: 0, contents: signal }),
    });
    this.links.set(member, link);
    link.on('open', () => {
      for (const [label, ordered] of this.channels) this.announce(link, label, ordered);
      this.release(member);
    });
    link.on('channel-open', () => this.release(member));
    link.on('data', (channel, text) => this.received(member, channel, text));
    link.on('close', () => {
      if (this.links.get(member) === link) this.links.delete(member);
    });
  }

  private announce(link: PeerLink, label: string, ordered: boolean): void {
    if (link.hasChannel(label)) return;
    const id = link.allocateChannelId();
    link.addChannel(label, id, ordered);
    link.send(DEFAULT_CHANNEL, encodePeerMessage([{ opcode: 'NEW_CHAN', payload: { id, label, ordered } }]));
  }

  private received(from: string, channel: string, text: string): void {
    this.options.observe?.(from, channel, text);
    let packets: PeerPacket[];
    try {
      packets = decodePeerMessage(text);
    } catch (error) {
      this.options.onError?.(`bad message from ${from}: ${(error as Error).message}`);
      return;
    }
    const out = new Map<string, PeerPacket[]>();
    const to = (member: string, packet: PeerPacket) => {
      const list = out.get(member);
      if (list) list.push(packet);
      else out.set(member, [packet]);
    };
    for (const packet of packets) {
      if (packet.opcode === 'NEW_CHAN') {
        this.channelOpened(from, channel, packet.payload);
        continue;
      }
      if (packet.opcode === 'HANGUP' || packet.opcode === 'DECLINE') continue; // voice is not relayed
      const { recipient, ...rest } = packet;
      const forwarded = { ...rest, origin: from } as PeerPacket;
      if (recipient !== undefined) {
        if (recipient !== from && this.isMember(recipient)) to(recipient, forwarded);
      } else if (packet.opcode.startsWith('G_')) {
        for (const member of this.links.keys()) if (member !== from) to(member, forwarded);
      }
    }
    for (const [member, list] of out) this.deliver(member, channel, encodePeerMessage(list));
  }

  /** A member announced a channel: open it on that link, and on every other member's link. */
  private channelOpened(from: string, channel: string, { id, label, ordered }: { id: number; label: string; ordered: boolean }): void {
    const link = this.links.get(from);
    if (!link || channel !== DEFAULT_CHANNEL || label === DEFAULT_CHANNEL) return;
    link.noteChannelId(id);
    const mine = link.channelId(label);
    if (mine === null || mine > id) {
      if (mine !== null) link.removeChannel(label, true);
      link.addChannel(label, id, ordered);
    }
    if (this.channels.has(label)) return;
    this.channels.set(label, ordered);
    for (const [member, other] of this.links) if (member !== from && other.connected) this.announce(other, label, ordered);
  }

  private deliver(member: string, channel: string, text: string): void {
    const link = this.links.get(member);
    const held = this.held.get(member);
    if (link?.channels.has(channel) && !held?.length) {
      link.send(channel, text);
      this.forwarded += 1;
      return;
    }
    // Not reachable yet (joining, or the channel is still opening): hold it, bounded.
    const queue = held ?? [];
    if (queue.length >= MAX_HELD) queue.shift();
    queue.push({ channel, text });
    this.held.set(member, queue);
  }

  private release(member: string): void {
    const queue = this.held.get(member);
    const link = this.links.get(member);
    if (!queue || !link) return;
    while (queue.length && link.channels.has(queue[0]!.channel)) {
      const { channel, text } = queue.shift()!;
      link.send(channel, text);
      this.forwarded += 1;
    }
    if (!queue.length) this.held.delete(member);
  }

  memberLeft(member: string): void {
    this.links.get(member)?.destroy('left the lobby');
    this.links.delete(member);
    this.held.delete(member);
  }

  destroy(): void {
    for (const link of this.links.values()) link.destroy('lobby closed');
    this.links.clear();
    this.held.clear();
  }
}
