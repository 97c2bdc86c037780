// The links the relay process is setting up at once, counted by the server (relay-process.ts) so that an
// offer over the limit is refused before it crosses over and builds a peer connection. A member's offer
// takes a slot until its link opens or closes (the relay process says which); a member holds one slot
// per lobby (a new offer replaces its link). A slot the relay process never reported on is freed a little
// after the relay's own deadline for opening a link (relay-peer.ts closes the link by then).
import type { RelayHandle } from './relay-ipc.js';

/** Past the relay's deadline, how long a slot waits for the relay process's word before it is freed anyway. */
const GRACE_MS = 5000;

export class RelayNegotiations {
  /** Started at (Date.now()), by lobby and member. */
  private readonly started = new Map<RelayHandle, Map<string, number>>();
  private count = 0;

  constructor(
    readonly limit: number,
    private readonly deadlineMs: number,
  ) {}

  get size(): number {
    return this.count;
  }

  /** Whether `member` may start a negotiation: a slot is free, or it holds one already (its new offer replaces its link). */
  admits(lobby: RelayHandle, member: string): boolean {
    return this.count < this.limit || !!this.started.get(lobby)?.has(member);
  }

  /** `member`'s offer goes on to the relay process: it holds a slot from now (after `admits`). */
  start(lobby: RelayHandle, member: string, now: number): void {
    let members = this.started.get(lobby);
    if (!members) {
      members = new Map();
      this.started.set(lobby, members);
    }
    if (!members.has(member)) this.count += 1;
    members.set(member, now);
  }

  /** `member`'s link opened, closed, or the member left: its slot is free. */
  done(lobby: RelayHandle, member: string): void {
    const members = this.started.get(lobby);
    if (!members?.delete(member)) return;
    this.count -= 1;
    if (!members.size) this.started.delete(lobby);
  }

  /** The lobby's relay peer is gone: its slots are free. */
  forget(lobby: RelayHandle): void {
    this.count -= this.started.get(lobby)?.size ?? 0;
    this.started.delete(lobby);
  }

  /** Frees the slots the relay process never reported on. */
  sweep(now: number): void {
    for (const [lobby, members] of this.started) for (const [member, at] of members) if (now - at > this.deadlineMs + GRACE_MS) this.done(lobby, member);
  }

  clear(): void {
    this.started.clear();
    this.count = 0;
  }
}
