// The messages between the server and its relay process (relay-process.ts ↔ relay-child.ts), over
// Node's IPC channel. Only signalling and control cross it: members' data goes straight from their
// WebRTC links into the relay process and never through the server's thread.
import type { RelayedOpcode, User } from '../../protocol/index.js';
import type { LogLevel } from '../log.js';
import type { SignalPayload } from '../context.js';

/** A lobby's relay peer, named by a number the server gives it (its key while the relay process lives). */
export type RelayHandle = number;

export type ToRelayProcess =
  | { t: 'create'; lobby: RelayHandle; user: User }
  /** A member's signal; `wide`: the lobby is a relay lobby (G_* packets fan out), as the server knows it now. */
  | { t: 'signal'; lobby: RelayHandle; from: User; opcode: RelayedOpcode; payload: SignalPayload; wide: boolean }
  | { t: 'left'; lobby: RelayHandle; member: string }
  | { t: 'destroy'; lobby: RelayHandle }
  /** The answer to `ask`. */
  | { t: 'member'; lobby: RelayHandle; id: string; member: boolean };

export type FromRelayProcess =
  /** wrtc loaded: the relay process takes work. Then a `heartbeat` (with its link count) every HEARTBEAT_MS. */
  | { t: 'ready' }
  | { t: 'heartbeat'; links: number }
  /** wrtc could not be loaded: no relay on this server (not restarted). */
  | { t: 'unavailable'; reason: string }
  /** The relay peer's own signal for a member. */
  | { t: 'signal'; lobby: RelayHandle; to: string; opcode: RelayedOpcode; payload: SignalPayload }
  /** Is `id` a member of the lobby? (A packet is addressed to someone the relay has no link to.) */
  | { t: 'ask'; lobby: RelayHandle; id: string }
  /** A member's link opened (its negotiation is over: its slot in the negotiation limit is free again). */
  | { t: 'opened'; lobby: RelayHandle; member: string }
  /** A member's link closed (its slots in the lobby's link limit and the negotiation limit are free again). */
  | { t: 'closed'; lobby: RelayHandle; member: string }
  /** Something a member must be told (a refusal): a WARNING with this text. */
  | { t: 'warn'; lobby: RelayHandle; member: string; text: string }
  | { t: 'log'; level: LogLevel; event: string; fields: Record<string, unknown> };

/** How often the relay process says it is alive; silent for HEARTBEAT_MISSES of these, it is killed and restarted. */
export const HEARTBEAT_MS = 1000;
export const HEARTBEAT_MISSES = 10;
