// Traffic through a lobby's relay peer (protocol.md §5): instead of one link per member, one link to
// the relay. Packets for one member carry `recipient`; packets from members arrive with `origin`.
// Private packets between two players that both have keys are sealed whole (§6), so the relay
// forwards ciphertext it cannot read. Sealing is asynchronous: per-member queues keep the order.
import { decodePeerMessage, isSealedPacket, type PeerPacket } from '../../protocol/index.js';
import { open, seal } from '../e2ee.js';
import { OrderedQueues } from '../ordered-queues.js';
import type { SignalCodec } from './signal-codec.js';

const isPrivate = (packet: PeerPacket) => packet.opcode === 'P_MSG' || packet.opcode === 'P_VAR' || packet.opcode === 'P_LIST';

export class RelayRoute {
  private readonly outbound = new OrderedQueues();
  private readonly inbound = new OrderedQueues();

  constructor(
    /** The relay peer's instance id. */
    readonly id: string,
    /** Who has keys, and the shared keys (the same as for signals). */
    private readonly codec: SignalCodec,
  ) {}

  /** Addresses packets to one member (sealing private ones when we can) and hands them to `send`, in order. */
  address(peer: string, packets: PeerPacket[], send: (packets: PeerPacket[]) => void, failed: (error: Error) => void): void {
    const addressed = packets.map((packet) => ({ ...packet, recipient: peer }));
    const sealing = this.codec.encrypted(peer) && addressed.some(isPrivate);
    if (!sealing && !this.outbound.busy(peer)) return send(addressed);
    this.outbound.run(
      peer,
      async () => {
        if (!sealing) return send(addressed);
        const key = await this.codec.key(peer);
        const sealed = await Promise.all(
          addressed.map(async (packet): Promise<PeerPacket> => {
            if (!isPrivate(packet)) return packet;
            const { recipient: _recipient, ...inner } = packet;
            return { opcode: packet.opcode as 'P_MSG', recipient: peer, sealed: await seal(key, inner) };
          }),
        );
        send(sealed);
      },
      (error) => failed(new Error(`could not send to ${peer} through the relay: ${error.message}`)),
    );
  }

  /** A packet the relay forwarded: hands `(from, packet)` to `deliver` (opened if sealed), in order per sender. */
  receive(packet: PeerPacket, deliver: (from: string, packet: PeerPacket) => void, failed: (error: Error) => void): void {
    const from = packet.origin;
    if (!from) return failed(new Error('the relay forwarded a packet without its origin'));
    if (!isSealedPacket(packet) && !this.inbound.busy(from)) return deliver(from, packet);
    this.inbound.run(
      from,
      async () => {
        if (!isSealedPacket(packet)) return deliver(from, packet);
        if (!this.codec.encrypted(from)) throw new Error('sealed packet from a player without a shared key');
        const inner = await open(await this.codec.key(from), packet.sealed);
        const [opened] = decodePeerMessage(JSON.stringify(inner));
        if (!opened || !isPrivate(opened)) throw new Error('a sealed packet must hold one private packet');
        deliver(from, opened);
      },
      (error) => failed(new Error(`packet from ${from} through the relay: ${error.message}`)),
    );
  }

  forget(peer: string): void {
    this.outbound.forget(peer);
    this.inbound.forget(peer);
  }
}
