// WebRTC signals between my links and the server (protocol.md §2): a link's signals leave through the
// session (sealed when both players have keys, §6) and come back as MAKE_OFFER, MAKE_ANSWER and ICE.
import type SimplePeer from 'simple-peer';
import { SIGNAL_DATA, SIGNAL_VOICE, type Origin, type RelayedOpcode } from '../../protocol/index.js';
import { CloudLinkError } from '../errors.js';
import type { Session } from '../session.js';
import type { Links } from './links.js';
import type { SignalCodec } from './signal-codec.js';

export class Signalling {
  /** Peers whose signals are for a voice renegotiation (type 1). */
  readonly voicePeers = new Set<string>();
  private readonly unsubscribe: (() => void)[];

  constructor(
    private readonly session: Session,
    private readonly codec: SignalCodec,
    private readonly links: Links,
    /** Members and the lobby's relay peer are the ones I exchange signals with. */
    private readonly reachable: (peerId: string) => boolean,
    private readonly failed: (error: CloudLinkError) => void,
  ) {
    this.unsubscribe = (['MAKE_OFFER', 'MAKE_ANSWER', 'ICE'] as const).map((opcode) =>
      session.on(opcode, (payload, origin) => this.received(opcode, payload.contents, origin)),
    );
  }

  send(peerId: string, signal: SimplePeer.SignalData, opcode: RelayedOpcode): void {
    const type = this.voicePeers.has(peerId) ? SIGNAL_VOICE : SIGNAL_DATA;
    this.codec.encode(
      peerId,
      signal,
      (contents) => {
        if (this.session.connected && this.reachable(peerId)) this.session.sendSignal(opcode, peerId, { type, contents });
      },
      (error) => this.failed(new CloudLinkError('encryption', error.message, { peer: peerId, opcode })),
    );
  }

  private received(opcode: RelayedOpcode, contents: unknown, origin: Origin): void {
    const peerId = origin.instance_id;
    if (!this.reachable(peerId)) return;
    this.codec.decode(
      peerId,
      contents,
      (signal) => {
        const link = opcode === 'MAKE_OFFER' ? this.links.answer(peerId) : this.links.get(peerId);
        try {
          link?.signal(signal as SimplePeer.SignalData);
        } catch (error) {
          this.failed(new CloudLinkError('protocol', `bad signal from ${peerId}: ${(error as Error).message}`, { peer: peerId, opcode }));
        }
      },
      (error) => this.failed(new CloudLinkError('encryption', error.message, { peer: peerId, opcode })),
    );
  }

  /** A link left: its next signals start a fresh link, not a voice renegotiation. */
  forget(peerId: string): void {
    this.codec.forget(peerId);
    this.voicePeers.delete(peerId);
  }

  destroy(): void {
    for (const off of this.unsubscribe) off();
  }
}
