// Wrong lobby passwords are budgeted: per lobby and per remote address, a bucket of failures that
// refills over a minute. While either bucket is empty an attempt is refused before scrypt runs, so
// guessing is bounded (at most `perLobby` + refill per minute for one lobby) and cannot fill libuv's
// thread pool with hashes that slow honest joins elsewhere. Per node: with several nodes, each bounds
// what reaches it.
import { KeyedBuckets } from './keyed-buckets.js';

export interface PasswordGuardOptions {
  /** Wrong passwords one lobby takes per minute (also the burst). */
  perLobby: number;
  /** Wrong passwords one address may try per minute, over all lobbies (also the burst). */
  perAddress: number;
}

export const DEFAULT_PASSWORD_GUARD: PasswordGuardOptions = { perLobby: 30, perAddress: 10 };

const MINUTE = 60_000;

export class PasswordGuard {
  private readonly lobbies: KeyedBuckets;
  private readonly addresses: KeyedBuckets;
  private readonly sweeper: ReturnType<typeof setInterval>;
  /** When each lobby's host was last told of a guessing burst. */
  private readonly told = new Map<string, number>();

  constructor(
    options: PasswordGuardOptions,
    private readonly now: () => number = Date.now,
  ) {
    this.lobbies = new KeyedBuckets(options.perLobby, options.perLobby / MINUTE);
    this.addresses = new KeyedBuckets(options.perAddress, options.perAddress / MINUTE);
    this.sweeper = setInterval(() => {
      this.lobbies.sweep(this.now());
      this.addresses.sweep(this.now());
      for (const [lobby, at] of this.told) if (this.now() - at >= MINUTE) this.told.delete(lobby);
    }, MINUTE).unref();
  }

  /** Milliseconds before a password for `lobby` from `address` may be checked (0: now). */
  waitMs(lobby: string, address: string): number {
    const now = this.now();
    return Math.max(this.lobbies.waitMs(lobby, now), this.addresses.waitMs(address, now));
  }

  /** A wrong password was tried. True when the lobby's budget ran out and its host was not told this last minute. */
  failed(lobby: string, address: string): boolean {
    const now = this.now();
    this.addresses.spend(address, now);
    if (this.lobbies.spend(lobby, now) >= 1) return false;
    if (now - (this.told.get(lobby) ?? -Infinity) < MINUTE) return false;
    this.told.set(lobby, now);
    return true;
  }

  stop(): void {
    clearInterval(this.sweeper);
  }
}
