// Round-trip times ("ping") to the server and to each linked player, for the ping reporters.
// Server: a KEEPALIVE and its KEEPALIVE_ACK. Player: an in-band PING {token} on `default`, which the
// player answers at once with PONG {token} on the channel it came on (a relay lobby's relay forwards
// both like any packet). Reading drives the measuring: a read starts a probe when the last one left
// at least `periodMs` ago, so a project that reads every frame measures about once a second and one
// that never reads sends nothing. At most one probe per target is in flight and none has a timer:
// an answer not back within `timeoutMs` is lost (the value becomes unknown) when next read. (A given-up
// KEEPALIVE stays in the session's request table until the session's own request timeout, 10 s, so a
// server slower than that holds at most a few.)
import type { PeerPacket } from '../protocol/index.js';
import { CloudLinkError } from './errors.js';
import type { Mesh } from './mesh/mesh.js';
import type { Session } from './session.js';

/** What a ping reads before the first answer, after an answer was lost, and for a player I have no link to. */
export const UNKNOWN_PING = -1;

export interface PingOptions {
  /** The least time between two probes of one target. */
  periodMs?: number;
  /** An answer not back within this time is lost. */
  timeoutMs?: number;
}

/**
 * A player that answered none of this many probes on its link is taken for a client that does not
 * know PING (an older one reports each as a bad packet): it is not pinged again on that link.
 */
const UNANSWERED_BEFORE_GIVING_UP = 3;

interface Target {
  /** Last round trip in ms; null while unknown. */
  rtt: number | null;
  /** The probe in flight. */
  probe: { token: number; sentAt: number } | null;
  /** When the last probe left (-Infinity: never). */
  sentAt: number;
  sent: number;
  answered: boolean;
  /** Players only: the server always knows KEEPALIVE. */
  mayGiveUp: boolean;
}

const newTarget = (mayGiveUp: boolean): Target => ({ rtt: null, probe: null, sentAt: -Infinity, sent: 0, answered: false, mayGiveUp });

export class Ping {
  private readonly server = newTarget(false);
  /** Linked players that were read, by instance id; forgotten when their link closes. */
  private readonly players = new Map<string, Target>();
  private lastToken = 0;
  private readonly periodMs: number;
  private readonly timeoutMs: number;
  private readonly unsubscribe: (() => void)[];

  constructor(
    private readonly session: Session,
    private readonly mesh: Mesh,
    options: PingOptions = {},
  ) {
    this.periodMs = options.periodMs ?? 1000;
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.unsubscribe = [
      mesh.on('packet', (peer, channel, packet) => this.received(peer, channel, packet)),
      mesh.on('peer-close', (peer) => this.players.delete(peer)),
    ];
  }

  /** Round trip to the server in ms, or UNKNOWN_PING. */
  toServer(): number {
    if (!this.session.connected) return UNKNOWN_PING;
    return this.read(this.server, (token) =>
      this.session.keepalive().then(
        () => this.answered(this.server, token),
        () => {
          /* a lost answer: given up on at the next read, past timeoutMs */
        },
      ),
    );
  }

  /** Round trip to a linked player in ms, or UNKNOWN_PING. */
  toPlayer(peer: string): number {
    // Only members I can reach get an entry, so reading made-up ids stores nothing.
    if (!this.mesh.isConnected(peer)) return UNKNOWN_PING;
    let target = this.players.get(peer);
    if (!target) {
      target = newTarget(true);
      this.players.set(peer, target);
    }
    return this.read(target, (token) => this.mesh.sendPackets(peer, [{ opcode: 'PING', payload: token }]));
  }

  private read(target: Target, send: (token: number) => void): number {
    const now = performance.now();
    if (target.probe && now - target.probe.sentAt >= this.timeoutMs) {
      target.probe = null;
      target.rtt = null;
    }
    const givenUp = target.mayGiveUp && !target.answered && target.sent >= UNANSWERED_BEFORE_GIVING_UP;
    if (!target.probe && !givenUp && now - target.sentAt >= this.periodMs) {
      const token = ++this.lastToken;
      target.probe = { token, sentAt: now };
      target.sentAt = now;
      target.sent += 1;
      try {
        send(token);
      } catch (error) {
        // The link closed under us (its close event follows): no answer will come.
        if (!(error instanceof CloudLinkError)) throw error;
        target.probe = null;
      }
    }
    return target.rtt === null ? UNKNOWN_PING : Math.round(target.rtt);
  }

  private answered(target: Target, token: unknown): void {
    const { probe } = target;
    if (!probe || probe.token !== token) return; // a late answer to a probe given up on, or one never sent
    const rtt = performance.now() - probe.sentAt;
    if (rtt >= this.timeoutMs) return; // lost, even if no read has noticed yet
    target.rtt = rtt;
    target.probe = null;
    target.answered = true;
  }

  private received(peer: string, channel: string, packet: PeerPacket): void {
    if (packet.opcode === 'PING') {
      try {
        this.mesh.sendPackets(peer, [{ opcode: 'PONG', payload: packet.payload }], channel);
      } catch (error) {
        // The link or channel closed since the PING came: the pinger counts it lost.
        if (!(error instanceof CloudLinkError)) throw error;
      }
    } else if (packet.opcode === 'PONG') {
      const target = this.players.get(peer);
      if (target) this.answered(target, packet.payload);
    }
  }

  destroy(): void {
    for (const off of this.unsubscribe) off();
    this.players.clear();
  }
}
