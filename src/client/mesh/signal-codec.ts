// Wraps relayed WebRTC signals for one side of each peer pair: sealed with the pair's AES key
// when both players have keys (§6), in the clear otherwise. Encryption is asynchronous, so every
// peer gets its own queue: signals must reach simple-peer in the order they were produced.
import { isSealed, open, seal, type KeyPair } from '../e2ee.js';
import { OrderedQueues } from '../ordered-queues.js';

export class SignalCodec {
  private readonly outbound = new OrderedQueues();
  private readonly inbound = new OrderedQueues();

  constructor(
    private readonly keys: KeyPair | null,
    /** The peer's public key, if it sent one in INIT. */
    private readonly peerKey: (peerId: string) => string | undefined,
  ) {}

  /** Whether traffic with this peer is end-to-end encrypted. */
  encrypted(peerId: string): boolean {
    return this.keys !== null && this.peerKey(peerId) !== undefined;
  }

  /** The AES key shared with this peer (only when `encrypted`). */
  key(peerId: string): Promise<CryptoKey> {
    return this.keys!.sharedKey(this.peerKey(peerId)!);
  }

  /** Hands `contents` (sealed if needed) to `deliver`, in order per peer. */
  encode(peerId: string, contents: unknown, deliver: (contents: unknown) => void, failed: (error: Error) => void): void {
    if (!this.encrypted(peerId) && !this.outbound.busy(peerId)) {
      deliver(contents);
      return;
    }
    this.outbound.run(
      peerId,
      async () => deliver(this.encrypted(peerId) ? await seal(await this.key(peerId), contents) : contents),
      (error) => failed(new Error(`signal with ${peerId} failed: ${error.message}`)),
    );
  }

  /** Hands the plain signal to `deliver`, in order per peer; a sealed signal we cannot open fails. */
  decode(peerId: string, contents: unknown, deliver: (contents: unknown) => void, failed: (error: Error) => void): void {
    if (!isSealed(contents) && !this.inbound.busy(peerId)) {
      deliver(contents);
      return;
    }
    this.inbound.run(
      peerId,
      async () => {
        if (!isSealed(contents)) return deliver(contents);
        if (!this.encrypted(peerId)) throw new Error('encrypted signal from a peer without a shared key');
        deliver(await open(await this.key(peerId), contents));
      },
      (error) => failed(new Error(`signal with ${peerId} failed: ${error.message}`)),
    );
  }

  forget(peerId: string): void {
    this.outbound.forget(peerId);
    this.inbound.forget(peerId);
  }
}
