// Fan-out is charged to whoever caused it. A lobby request can make the server message many others: a
// join tells every member (NEW_PEER / PEER_JOIN) and lets each of them signal the joiner outside its own
// limits (signal-credit.ts); a visible create or `show` is announced to every idle player (coalesced:
// lobby-announcer.ts); a leave tells every member (PEER_LEFT). Each such request is charged, in
// messages, to a budget of its connection and one of its address (reconnecting does not refill it).
// A create, join or show is refused while either budget is in debt (with the wait, never silently);
// a leave is never refused, only charged. One large charge is allowed (a join into a big lobby), and
// then the wait matches its size.
import { Warning } from '../protocol/index.js';
import { PairedBuckets } from './paired-buckets.js';

export interface FanoutOptions {
  /** Messages per second a connection's budget refills; it holds FANOUT_BURST_SECONDS of them. */
  perSecond: number;
  /** ...and the budget all connections of one address share. */
  perAddressPerSecond: number;
}

export const DEFAULT_FANOUT: FanoutOptions = { perSecond: 20, perAddressPerSecond: 1000 };

/** A budget holds this many seconds of its refill: a few lobby changes in a row are fine. */
export const FANOUT_BURST_SECONDS = 20;

/** What a visible create or `show` counts as: each idle player gets it in a batch shared with other lobbies. */
export const ANNOUNCEMENT_MESSAGES = 20;

export interface Causer {
  readonly id: string;
  readonly address: string;
}

export class FanoutBudget {
  private readonly buckets: PairedBuckets;
  /** Told what each address spends here (cluster/fanout-share.ts: the other nodes spend it too). */
  private onSpent: ((address: string, messages: number) => void) | undefined;
  private readonly sweeper: ReturnType<typeof setInterval>;

  constructor(
    options: FanoutOptions,
    private readonly now: () => number = Date.now,
  ) {
    this.buckets = new PairedBuckets(
      { size: FANOUT_BURST_SECONDS * options.perSecond, perMs: options.perSecond / 1000 },
      { size: FANOUT_BURST_SECONDS * options.perAddressPerSecond, perMs: options.perAddressPerSecond / 1000 },
    );
    this.sweeper = setInterval(() => this.sweep(), 10_000).unref();
  }

  /** Milliseconds before `causer` may cause fan-out again (0: now). */
  waitMs(causer: Causer): number {
    return this.buckets.waitMs(causer.id, causer.address, this.now());
  }

  /** The refusal while `causer` may not cause fan-out, or null. */
  refusal(causer: Causer): string | null {
    const wait = this.waitMs(causer);
    return wait > 0 ? `${Warning.lobbyChanges}: try again in ${Math.ceil(wait / 1000)} s` : null;
  }

  /** Charges `messages` caused by `causer`, into debt if need be. */
  charge(causer: Causer, messages: number): void {
    if (messages <= 0) return;
    this.buckets.spend(causer.id, causer.address, this.now(), messages);
    this.onSpent?.(causer.address, messages);
  }

  /** `listener` hears of every charge, by address (one listener: cluster/fanout-share.ts). */
  shareWith(listener: (address: string, messages: number) => void): void {
    this.onSpent = listener;
  }

  /** `address`'s connections on another node spent `messages`: its budget here is spent too. */
  spentElsewhere(address: string, messages: number): void {
    if (messages > 0) this.buckets.spendAddress(address, this.now(), messages);
  }

  private sweep(): void {
    this.buckets.sweep(this.now());
  }

  stop(): void {
    clearInterval(this.sweeper);
  }
}
