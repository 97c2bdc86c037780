// Wraps relayed WebRTC signals for one side of each peer pair: sealed with the pair's AES key
// when both players have keys (§6), in the clear otherwise. Encryption is asynchronous, so every
// peer gets its own queue: signals must reach simple-peer in the order they were produced.
import { isSealed, open, seal, type KeyPair } from '../e2ee.js';

export class SignalCodec {
  private readonly outbound = new Map<string, Promise<void>>();
  private readonly inbound = new Map<string, Promise<void>>();

  constructor(
    private readonly keys: KeyPair | null,
    /** The peer's public key, if it sent one in INIT. */
    private readonly peerKey: (peerId: string) => string | undefined,
  ) {}

  /** Whether signals with this peer are end-to-end encrypted. */
  encrypted(peerId: string): boolean {
    return this.keys !== null && this.peerKey(peerId) !== undefined;
  }

  private key(peerId: string): Promise<CryptoKey> {
    return this.keys!.sharedKey(this.peerKey(peerId)!);
  }

  /** Hands `contents` (sealed if needed) to `deliver`, in order per peer. */
  encode(peerId: string, contents: unknown, deliver: (contents: unknown) => void, failed: (error: Error) => void): void {
    if (!this.encrypted(peerId) && !this.outbound.has(peerId)) return deliver(contents);
    this.chain(this.outbound, peerId, async () => {
      deliver(this.encrypted(peerId) ? await seal(await this.key(peerId), contents) : contents);
    }, failed);
  }

  /** Hands the plain signal to `deliver`, in order per peer; a sealed signal we cannot open fails. */
  decode(peerId: string, contents: unknown, deliver: (contents: unknown) => void, failed: (error: Error) => void): void {
    if (!isSealed(contents) && !this.inbound.has(peerId)) return deliver(contents);
    this.chain(this.inbound, peerId, async () => {
      if (!isSealed(contents)) return deliver(contents);
      if (!this.encrypted(peerId)) throw new Error('encrypted signal from a peer without a shared key');
      deliver(await open(await this.key(peerId), contents));
    }, failed);
  }

  forget(peerId: string): void {
    this.outbound.delete(peerId);
    this.inbound.delete(peerId);
  }

  private chain(queues: Map<string, Promise<void>>, peerId: string, step: () => Promise<void>, failed: (error: Error) => void): void {
    const previous = queues.get(peerId) ?? Promise.resolve();
    const next = previous.then(step).catch((error: Error) => failed(new Error(`signal with ${peerId} failed: ${error.message}`)));
    queues.set(peerId, next);
    // Drop the queue once it drains, so clear-text pairs go back to the synchronous path.
    void next.then(() => {
      if (queues.get(peerId) === next) queues.delete(peerId);
    });
  }
}
