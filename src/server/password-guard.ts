// Wrong lobby passwords are budgeted: per lobby and per remote address, a bucket of failures that
// refills over a minute. While either bucket is empty an attempt is refused before scrypt runs, so
// guessing is bounded (at most `perLobby` + refill per minute for one lobby) and cannot fill the hashing
// threads (password.ts) with hashes that slow honest joins elsewhere. Checks also run one at a time per
// lobby and per address, so a burst of guesses holds at most one hashing thread per lobby (and per
// address) and honest joins elsewhere find the others free. Per node: with several nodes, each bounds
// what reaches it.
import { PairedBuckets } from './paired-buckets.js';
import { KeyedLanes } from './keyed-lanes.js';

export interface PasswordGuardOptions {
  /** Wrong passwords one lobby takes per minute (also the burst). */
  perLobby: number;
  /** Wrong passwords one address may try per minute, over all lobbies (also the burst). */
  perAddress: number;
}

export const DEFAULT_PASSWORD_GUARD: PasswordGuardOptions = { perLobby: 30, perAddress: 10 };

const MINUTE = 60_000;
/** Checks that may wait behind the running one, per lobby and per address; past that, refused for a second. */
const QUEUED_CHECKS = 2;
const BUSY_WAIT_MS = 1000;

export interface PasswordCheck {
  right: boolean;
  /** Milliseconds to wait before trying again when the check was refused unrun (0: it ran). */
  waitMs: number;
  /** This wrong guess spent the lobby's budget, and its host was not told in the last minute. */
  tellHost: boolean;
}

export class PasswordGuard {
  private readonly buckets: PairedBuckets;
  private readonly sweeper: ReturnType<typeof setInterval>;
  /** When each lobby's host was last told of a guessing burst. */
  private readonly told = new Map<string, number>();
  private readonly lobbyLanes = new KeyedLanes(QUEUED_CHECKS);
  private readonly addressLanes = new KeyedLanes(QUEUED_CHECKS);

  constructor(
    options: PasswordGuardOptions,
    private readonly now: () => number = Date.now,
  ) {
    this.buckets = new PairedBuckets(
      { size: options.perLobby, perMs: options.perLobby / MINUTE },
      { size: options.perAddress, perMs: options.perAddress / MINUTE },
    );
    this.sweeper = setInterval(() => {
      this.buckets.sweep(this.now());
      for (const [lobby, at] of this.told) if (this.now() - at >= MINUTE) this.told.delete(lobby);
    }, MINUTE).unref();
  }

  /**
   * Runs `verify` (scrypt) for a password to `lobby` from `address` when its turn comes in both lanes
   * and neither budget is spent; a wrong password spends both budgets. `verify` is told whether the
   * address has guessed wrong lately: if not, its hash may go ahead of the guessers' (password.ts).
   */
  check(lobby: string, address: string, verify: (clean: boolean) => Promise<boolean>): Promise<PasswordCheck> {
    const busy: PasswordCheck = { right: false, waitMs: BUSY_WAIT_MS, tellHost: false };
    const inLobbyLane = () => this.lobbyLanes.run(lobby, () => this.checkNow(lobby, address, verify)) ?? Promise.resolve(busy);
    return this.addressLanes.run(address, inLobbyLane) ?? Promise.resolve(busy);
  }

  private async checkNow(lobby: string, address: string, verify: (clean: boolean) => Promise<boolean>): Promise<PasswordCheck> {
    // Decided when the turn comes: the guesses queued ahead may have spent the budget meanwhile.
    const now = this.now();
    const waitMs = this.buckets.waitMs(lobby, address, now);
    if (waitMs > 0) return { right: false, waitMs, tellHost: false };
    if (await verify(this.buckets.addressIsFull(address, now))) return { right: true, waitMs: 0, tellHost: false };
    return { right: false, waitMs: 0, tellHost: this.failed(lobby, address) };
  }

  /** A wrong password was tried. True when the lobby's budget ran out and its host was not told this last minute. */
  private failed(lobby: string, address: string): boolean {
    const now = this.now();
    if (this.buckets.spend(lobby, address, now) >= 1) return false;
    if (now - (this.told.get(lobby) ?? -Infinity) < MINUTE) return false;
    this.told.set(lobby, now);
    return true;
  }

  stop(): void {
    clearInterval(this.sweeper);
  }
}
