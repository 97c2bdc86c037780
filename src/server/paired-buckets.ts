// Two keyed token buckets spent together: one for who asks (a connection, a lobby) and one for the
// address it comes from, so reconnecting or spreading over lobbies does not refill the budget. A request
// waits for whichever of the two is emptier.
import { KeyedBuckets } from './keyed-buckets.js';

export interface BucketShape {
  size: number;
  /** Tokens added per millisecond. */
  perMs: number;
}

export class PairedBuckets {
  private readonly own: KeyedBuckets;
  private readonly address: KeyedBuckets;

  constructor(own: BucketShape, address: BucketShape) {
    this.own = new KeyedBuckets(own.size, own.perMs);
    this.address = new KeyedBuckets(address.size, address.perMs);
  }

  /** Milliseconds until both buckets hold a token (0: now). */
  waitMs(key: string, address: string, now: number): number {
    return Math.max(this.own.waitMs(key, now), this.address.waitMs(address, now));
  }

  /** Spends `amount` from both, into debt if need be; returns what is left in `key`'s bucket. */
  spend(key: string, address: string, now: number, amount = 1): number {
    this.address.spend(address, now, amount);
    return this.own.spend(key, now, amount);
  }

  /** Whether `address` has spent nothing lately. */
  addressIsFull(address: string, now: number): boolean {
    return this.address.isFull(address, now);
  }

  /** Spends `amount` from `address`'s bucket alone (what its connections spent elsewhere), into debt if need be. */
  spendAddress(address: string, now: number, amount: number): void {
    this.address.spend(address, now, amount);
  }

  sweep(now: number): void {
    this.own.sweep(now);
    this.address.sweep(now);
  }
}
