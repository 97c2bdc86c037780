// One lobby's relay peer (protocol.md §5): a WebRTC peer inside the server process. Each member
// opens one link to it; what a member sends is forwarded — G_* to every other member (in a relay
// lobby), anything with `recipient` to that member only — stamped with the sender as `origin`. In a
// mesh lobby only the pairs that could not link directly use it, and every packet names its recipient. Sealed private
// packets (§6) pass through unread. Voice is not relayed.
// The relay is a peer like any other: its links and lobby channels are the shared src/peer/ ones.
import { decodePeerMessage, encodePeerMessage, type PeerPacket, type RelayedOpcode, type User } from '../../protocol/index.js';
import { ChannelTable, type NewChan } from '../../peer/channel-table.js';
import { nodeWrtc } from '../../peer/node-wrtc.js';
import { DEFAULT_CHANNEL, PeerLink } from '../../peer/link.js';
import type { RelaySignalSink, SignalPayload } from '../context.js';
import type { Logger } from '../log.js';
import { DEFAULT_RELAY_LIMITS } from './relay-limits.js';

/** Messages held for a member whose link or channel is not open yet. */
const MAX_HELD = 1000;

export interface RelayPeerOptions {
  wrtc: object;
  /** The server's log: what goes wrong on a relay link (a bad packet, a listener that threw) is logged there. */
  log: Logger;
  /** Sees every message a member sent to the relay (tests use it to prove sealed packets stay sealed). */
  observe?: (from: string, channel: string, text: string) => void;
  /** Whether a member may send a message this long (in characters) through the relay now; what it refuses is dropped unread. */
  admit?: (member: string, bytes: number) => boolean;
  /** A member's link opened. */
  linkOpened?: (member: string) => void;
  /** A member's link closed (or failed to open). */
  linkClosed?: (member: string) => void;
  /** A link (current or replaced) closed and WebRTC has let go of it: its connection may be collected now. */
  linkReleased?: () => void;
  /** A member's link that has not opened by then is closed and freed (a failed or abandoned negotiation). */
  openDeadlineMs?: number;
}

export class RelayPeer {
  private readonly links = new Map<string, PeerLink>();
  /** Lobby channels, opened on every member's link. */
  private readonly channels = new ChannelTable(
    () => this.links.values(),
    (link, payload) => this.announce(link, payload),
  );
  private readonly held = new Map<string, { channel: string; text: string }[]>();
  forwarded = 0;

  constructor(
    readonly user: User,
    private readonly isMember: (instanceId: string) => boolean,
    /** A relay lobby: unaddressed G_* packets fan out to every member (in a mesh lobby they are refused). */
    private readonly lobbyWide: () => boolean,
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
      this.warn(member, `bad signal: ${(error as Error).message}`);
    }
  }

  private warn(member: string, message: string): void {
    this.options.log('warn', 'relay.error', { relay: this.user.instance_id, member, message });
  }

  private open(member: string): void {
    // Out of the table first: the old link's close is not this member's link closing.
    const replaced = this.links.get(member);
    this.links.delete(member);
    replaced?.destroy('replaced');
    const link = new PeerLink({
      peerId: member,
      initiator: false,
      // A closed connection stays referenced until WebRTC has let go of it (held-connection.ts).
      wrtc: nodeWrtc(this.options.wrtc),
      config: { iceServers: [] },
      onSignal: (signal, opcode) => this.send(member, opcode, { type: 0, contents: signal }),
      onListenerError: (event, error) =>
        this.options.log('error', 'relay.listener_failed', { relay: this.user.instance_id, member, event, error: String(error) }),
    });
    this.links.set(member, link);
    const deadline = setTimeout(() => link.destroy('did not open in time'), this.options.openDeadlineMs ?? DEFAULT_RELAY_LIMITS.negotiationMs);
    deadline.unref?.();
    link.on('open', () => {
      clearTimeout(deadline);
      this.options.linkOpened?.(member);
      this.channels.linkOpened(link);
      this.release(member);
    });
    link.on('channel-open', () => this.release(member));
    link.on('data', (channel, text) => {
      if (!this.options.admit || this.options.admit(member, text.length)) this.received(link, channel, text);
    });
    link.on('close', () => {
      clearTimeout(deadline);
      void link.released.then(() => this.options.linkReleased?.());
      if (this.links.get(member) !== link) return;
      this.links.delete(member);
      this.options.linkClosed?.(member);
    });
  }

  private announce(link: PeerLink, payload: NewChan): void {
    try {
      link.send(DEFAULT_CHANNEL, encodePeerMessage([{ opcode: 'NEW_CHAN', payload }]));
    } catch (error) {
      this.warn(link.peerId, `could not announce channel "${payload.label}": ${(error as Error).message}`);
    }
  }

  private received(link: PeerLink, channel: string, text: string): void {
    const from = link.peerId;
    this.options.observe?.(from, channel, text);
    let packets: PeerPacket[];
    try {
      packets = decodePeerMessage(text);
    } catch (error) {
      this.warn(from, `bad message: ${(error as Error).message}`);
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
        this.channelAnnounced(link, channel, packet.payload);
        continue;
      }
      if (packet.opcode === 'HANGUP' || packet.opcode === 'DECLINE') continue; // voice is not relayed
      const { recipient, ...rest } = packet;
      const forwarded = { ...rest, origin: from } as PeerPacket;
      if (recipient !== undefined) {
        if (recipient !== from && this.isMember(recipient)) to(recipient, forwarded);
      } else if (packet.opcode.startsWith('G_') && this.lobbyWide()) {
        for (const member of this.links.keys()) if (member !== from) to(member, forwarded);
      } else {
        this.warn(from, `${packet.opcode} without a recipient dropped: this relay forwards only addressed packets`);
      }
    }
    for (const [member, list] of out) this.deliver(member, channel, encodePeerMessage(list));
  }

  /** A member announced a channel: it is opened on that link, and on every other member's link. */
  private channelAnnounced(link: PeerLink, channel: string, payload: NewChan): void {
    try {
      this.channels.received(link, channel, payload);
    } catch (error) {
      this.warn(link.peerId, (error as Error).message);
    }
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

  /** Closes every member's link; resolves once WebRTC has let go of them all (PeerLink.released). */
  destroy(): Promise<void> {
    const links = [...this.links.values()];
    for (const link of links) link.destroy('lobby closed');
    this.links.clear();
    this.held.clear();
    return Promise.all(links.map((link) => link.released)).then(() => {});
  }
}
