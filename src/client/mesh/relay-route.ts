// Traffic through a lobby's relay peer (protocol.md §5): instead of one link per member, one link to
// the relay — for every member in a relay lobby, or for the members whose direct link could not open
// in a hybrid lobby. Packets for one member carry `recipient`; packets from members arrive with `origin`.
// Private packets between two players that both have keys are sealed whole (§6), so the relay
// forwards ciphertext it cannot read. Sealing is asynchronous: per-member queues keep the order.
import { decodePeerMessage, encodePeerMessage, isSealedPacket, type PeerPacket } from '../../protocol/index.js';
import type { PeerLink } from '../../peer/link.js';
import { open, seal } from '../e2ee.js';
import { CloudLinkError } from '../errors.js';
import { OrderedQueues } from '../ordered-queues.js';
import { requireOpen, sendOn, type Route } from './route.js';
import type { SignalCodec } from './signal-codec.js';

const isPrivate = (packet: PeerPacket) => packet.opcode === 'P_MSG' || packet.opcode === 'P_VAR' || packet.opcode === 'P_LIST';

export class RelayRoute {
  private readonly outbound = new OrderedQueues();
  private readonly inbound = new OrderedQueues();

  constructor(
    /** The relay peer's instance id. */
    readonly id: string,
    /** A relay lobby: every member is reached through the relay, and it fans unaddressed G_* out to all. */
    readonly lobbyWide: boolean,
    /** The link to the relay, while there is one. */
    private readonly link: () => PeerLink | undefined,
    /** Who has keys, and the shared keys (the same as for signals). */
    private readonly codec: SignalCodec,
    /** A failure after the caller returned (a sealed send, a packet being opened). */
    private readonly failed: (error: CloudLinkError) => void,
  ) {}

  /** Whether this link is the one to the relay. */
  carries(link: PeerLink): boolean {
    return link.peerId === this.id;
  }

  /** The route to one member: the relay link, with every packet addressed to them. */
  route(peer: string): Route | undefined {
    const link = this.link();
    return link && { peer, link, via: 'relay', fansOut: this.lobbyWide, send: (channel, packets) => this.send(link, peer, channel, packets) };
  }

  private send(link: PeerLink, peer: string, channel: string, packets: PeerPacket[]): void {
    const addressed = packets.map((packet) => ({ ...packet, recipient: peer }));
    const sealing = this.codec.encrypted(peer) && addressed.some(isPrivate);
    if (!sealing && !this.outbound.busy(peer)) {
      sendOn(link, channel, encodePeerMessage(addressed), peer);
      return;
    }
    // The packets leave once the ones before them are sealed; what can fail now fails now, to the caller.
    requireOpen(link, channel, peer);
    this.outbound.run(
      peer,
      async () => {
        const out = sealing ? await this.seal(peer, addressed) : addressed;
        sendOn(link, channel, encodePeerMessage(out), peer);
      },
      (error) =>
        this.failed(
          error instanceof CloudLinkError ? error : new CloudLinkError('encryption', `could not send to ${peer} through the relay: ${error.message}`, { peer }),
        ),
    );
  }

  private async seal(peer: string, packets: PeerPacket[]): Promise<PeerPacket[]> {
    const key = await this.codec.key(peer);
    return Promise.all(
      packets.map(async (packet): Promise<PeerPacket> => {
        if (!isPrivate(packet)) return packet;
        const { recipient: _recipient, ...inner } = packet;
        return { opcode: packet.opcode as 'P_MSG', recipient: peer, sealed: await seal(key, inner) };
      }),
    );
  }

  /** A packet the relay forwarded: hands `(from, packet)` to `deliver` (opened if sealed), in order per sender. */
  receive(packet: PeerPacket, deliver: (from: string, packet: PeerPacket) => void): void {
    const from = packet.origin;
    if (!from) {
      this.failed(new CloudLinkError('protocol', 'the relay forwarded a packet without its origin', { opcode: packet.opcode }));
      return;
    }
    if (!isSealedPacket(packet) && !this.inbound.busy(from)) {
      deliver(from, packet);
      return;
    }
    this.inbound.run(
      from,
      async () => {
        if (!isSealedPacket(packet)) {
          deliver(from, packet);
          return;
        }
        if (!this.codec.encrypted(from)) throw new Error('sealed packet from a player without a shared key');
        const inner = await open(await this.codec.key(from), packet.sealed);
        const [opened] = decodePeerMessage(JSON.stringify(inner));
        if (!opened || !isPrivate(opened)) throw new Error('a sealed packet must hold one private packet');
        deliver(from, opened);
      },
      (error) =>
        this.failed(new CloudLinkError('encryption', `packet from ${from} through the relay: ${error.message}`, { peer: from, opcode: packet.opcode })),
    );
  }

  forget(peer: string): void {
    this.outbound.forget(peer);
    this.inbound.forget(peer);
  }
}
