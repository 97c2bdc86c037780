// What arrives on my links (protocol.md §3): decoded and validated, counted for RECEIVED when it is a
// sender's message on a reliable channel, NEW_CHAN to the channel table, what the relay forwarded
// unwrapped (relay-route.ts); then G_MSG/P_MSG as messages, RECEIVED to the heal (heal-flow.ts), and
// every other packet to the 'packet' listeners (sync, voice, ping).
import { decodePeerMessage, type PeerPacket } from '../../protocol/index.js';
import type { ChannelTable, NewChan } from '../../peer/channel-table.js';
import type { Emitter } from '../../peer/emitter.js';
import type { PeerLink } from '../../peer/link.js';
import { CloudLinkError } from '../errors.js';
import type { HealFlow } from './heal-flow.js';
import type { MeshEvents } from './mesh-events.js';
import type { ResendLog } from './resend-log.js';
import type { Routes } from './routes.js';

/** Packets a project or the sync engine sent (not a link's own NEW_CHAN or RECEIVED). */
const isApplication = (packet: PeerPacket) => packet.opcode !== 'NEW_CHAN' && packet.opcode !== 'RECEIVED';

export class Receiver {
  constructor(
    private readonly events: Emitter<MeshEvents>,
    private readonly routes: Routes,
    private readonly channelTable: ChannelTable,
    private readonly sentLog: ResendLog,
    private readonly heal: HealFlow,
  ) {}

  /** One data-channel message from `link` on `channel`. */
  received(link: PeerLink, channel: string, text: string): void {
    const peer = link.peerId;
    let packets: PeerPacket[];
    try {
      packets = decodePeerMessage(text);
    } catch (error) {
      this.events.emit('error', new CloudLinkError('protocol', `bad message from ${peer}: ${(error as Error).message}`, { peer }));
      return;
    }
    const relayed = this.routes.isRelayLink(link);
    // Counted for RECEIVED: one message from its sender (through the relay, the relay's copy of one).
    const first = packets.find(isApplication);
    if (first && this.channelTable.isOrdered(channel)) {
      const from = relayed ? first.origin : peer;
      if (from !== undefined) this.sentLog.received(from, channel);
    }
    for (const packet of packets) {
      if (packet.opcode === 'NEW_CHAN') this.channelAnnounced(link, channel, packet.payload);
      // Forwarded by the relay: the sender is in `origin` (and the packet maybe sealed for me).
      else if (relayed) this.routes.fromRelay(packet, (from, opened) => this.deliver(from, channel, opened));
      else this.deliver(peer, channel, packet);
    }
  }

  private channelAnnounced(link: PeerLink, channel: string, payload: NewChan): void {
    try {
      this.channelTable.received(link, channel, payload);
    } catch (error) {
      this.events.emit('error', new CloudLinkError('protocol', (error as Error).message, { peer: link.peerId, opcode: 'NEW_CHAN' }));
    }
  }

  private deliver(from: string, channel: string, packet: PeerPacket): void {
    if ('sealed' in packet) {
      this.events.emit('error', new CloudLinkError('protocol', `sealed packet from ${from} arrived outside a relay`, { peer: from, opcode: packet.opcode }));
    } else if (packet.opcode === 'G_MSG' || packet.opcode === 'P_MSG') {
      this.events.emit('message', { from, channel, opcode: packet.opcode, payload: packet.payload });
    } else if (packet.opcode === 'RECEIVED') {
      this.heal.received(from, packet.payload.received, packet.payload.ask);
    } else {
      this.events.emit('packet', from, channel, packet);
    }
  }
}
