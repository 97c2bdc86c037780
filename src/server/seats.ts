// Seats held after a drop (issue 13): a player whose connection broke without a goodbye keeps its
// instance id, lobby membership and host role for a grace period, and takes them back with RESUME
// and the token it was given at INIT_OK. Each token is random (192 bits), names one player, is good
// for one RESUME and is replaced by a new one in RESUME_OK. A deliberate leave never holds a seat.
import { randomBytes } from 'node:crypto';
import type { Player } from './player.js';

export interface SeatsOptions {
  /** How long a dropped player's seat is kept; 0 turns holding (and resume tokens) off. */
  graceMs: number;
  /** The seat was not taken back in time: take the player out, as a disconnect did before. */
  release: (player: Player, why: string) => void;
}

export class Seats {
  private readonly byToken = new Map<string, Player>();
  private readonly tokenOf = new Map<Player, string>();
  private readonly timers = new Map<Player, ReturnType<typeof setTimeout>>();

  constructor(private readonly options: SeatsOptions) {}

  get enabled(): boolean {
    return this.options.graceMs > 0;
  }

  get graceMs(): number {
    return this.options.graceMs;
  }

  /** A fresh token for `player` (the one it had before stops working); undefined when holding is off. */
  issue(player: Player): string | undefined {
    if (!this.enabled) return undefined;
    this.forgetToken(player);
    const token = randomBytes(24).toString('base64url');
    this.byToken.set(token, player);
    this.tokenOf.set(player, token);
    return token;
  }

  /** Keeps a dropped player's seat until the grace period ends. */
  hold(player: Player): void {
    clearTimeout(this.timers.get(player));
    const timer = setTimeout(() => {
      this.timers.delete(player);
      this.forgetToken(player);
      this.options.release(player, 'did not come back in time');
    }, this.options.graceMs);
    timer.unref();
    this.timers.set(player, timer);
  }

  /** Whether `player`'s seat is being held (its connection dropped, the grace period still running). */
  held(player: Player): boolean {
    return this.timers.has(player);
  }

  /** The player a token resumes, in `game` — used up: the token works once. */
  claim(token: string, game: string): Player | undefined {
    const player = this.byToken.get(token);
    if (!player || player.game !== game) return undefined;
    this.forgetToken(player);
    clearTimeout(this.timers.get(player));
    this.timers.delete(player);
    return player;
  }

  /** A seat that cannot be resumed after all (it missed more than was kept): released now. */
  release(player: Player, why: string): void {
    this.forget(player);
    this.options.release(player, why);
  }

  /** The player left for good: its token stops working and no timer is left behind. */
  forget(player: Player): void {
    this.forgetToken(player);
    clearTimeout(this.timers.get(player));
    this.timers.delete(player);
  }

  /** Server shutdown: no timer may outlive it. */
  clear(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.byToken.clear();
    this.tokenOf.clear();
  }

  private forgetToken(player: Player): void {
    const token = this.tokenOf.get(player);
    if (token === undefined) return;
    this.tokenOf.delete(player);
    this.byToken.delete(token);
  }
}
