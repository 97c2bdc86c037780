// The links the relay process is setting up at once, counted by the server (relay-process.ts) so that an
// offer over the limit is refused before it crosses over and builds a peer connection. A member's offer
// takes a slot until its link opens or closes (the relay process says which); a member holds one slot
// per lobby (a new offer replaces its link). A slot the relay process never reported on is freed a little
// after the relay's own deadline for opening a link (relay-peer.ts closes the link by then).
// One address holds at most its share of the slots, so that one client with many connections (or many
// stuck offers) cannot take them all from players elsewhere.
import { KeyedCounts } from '../keyed-counts.js';
import type { RelayHandle } from './relay-ipc.js';

/** Past the relay's deadline, how long a slot waits for the relay process's word before it is freed anyway. */
export const NEGOTIATION_GRACE_MS = 5000;

interface Slot {
  /** Started at (Date.now()). */
  at: number;
  /** Whose share it counts against: the member's address. */
  address: string;
}

/** Why an offer cannot have a slot: every slot is taken, or its address holds its share. */
export type NoSlot = 'full' | 'share';

export class RelayNegotiations {
  /** The slots, by lobby and member. */
  private readonly started = new Map<RelayHandle, Map<string, Slot>>();
  /** Slots held, by address. */
  private readonly held = new KeyedCounts();

  /**
   * @param limit slots in all
   * @param perAddress slots one address may hold (0: no share, only the limit)
   * @param deadlineMs the relay's deadline for opening a link
   */
  constructor(
    readonly limit: number,
    readonly perAddress: number,
    private readonly deadlineMs: number,
  ) {}

  get size(): number {
    return this.held.total;
  }

  /** Slots `address` holds. */
  heldBy(address: string): number {
    return this.held.of(address);
  }

  /**
   * Why `member` (from `address`) may not start a negotiation, or null if it may: a slot is free and its
   * address holds less than its share, or it holds one already (its new offer replaces its link).
   */
  refusal(lobby: RelayHandle, member: string, address: string): NoSlot | null {
    if (this.started.get(lobby)?.has(member)) return null;
    if (this.held.total >= this.limit) return 'full';
    return this.perAddress > 0 && this.heldBy(address) >= this.perAddress ? 'share' : null;
  }

  /** `member`'s offer goes on to the relay process: it holds a slot from now (after `refusal` said null). */
  start(lobby: RelayHandle, member: string, address: string, now: number): void {
    let members = this.started.get(lobby);
    if (!members) {
      members = new Map();
      this.started.set(lobby, members);
    }
    const held = members.get(member);
    if (held) this.held.remove(held.address); // its slot moves to this offer (and this address)
    members.set(member, { at: now, address });
    this.held.add(address);
  }

  /** `member`'s link opened, closed, or the member left: its slot is free. */
  done(lobby: RelayHandle, member: string): void {
    const members = this.started.get(lobby);
    const slot = members?.get(member);
    if (!slot) return;
    members!.delete(member);
    this.held.remove(slot.address);
    if (!members!.size) this.started.delete(lobby);
  }

  /** The lobby's relay peer is gone: its slots are free. */
  forget(lobby: RelayHandle): void {
    for (const member of [...(this.started.get(lobby)?.keys() ?? [])]) this.done(lobby, member);
  }

  /** Frees the slots the relay process never reported on. */
  sweep(now: number): void {
    for (const [lobby, members] of this.started)
      for (const [member, slot] of members) if (now - slot.at > this.deadlineMs + NEGOTIATION_GRACE_MS) this.done(lobby, member);
  }

  clear(): void {
    this.started.clear();
    this.held.clear();
  }
}
