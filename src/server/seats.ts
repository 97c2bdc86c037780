// Seats held after a drop (issue 13): a player whose connection broke without a goodbye keeps its
// instance id, lobby membership and host role for a grace period, and takes them back with RESUME
// and the token it was given at INIT_OK. Each token is random (192 bits), names one player, is good
// for one RESUME and is replaced by a new one in RESUME_OK. A deliberate leave never holds a seat.
// The tokens and the hold are the store's (issueToken/holdSeat/resumeSeat); the grace timer and the
// held Player (its replay window) are this node's.
import type { LobbyStore } from './store.js';
import type { Player } from './player.js';

export interface SeatsOptions {
  /** How long a dropped player's seat is kept; 0 turns holding (and resume tokens) off. */
  graceMs: number;
  store: LobbyStore;
  /** This node's players by instance id (a resumed seat's Player is found there). */
  players: Map<string, Player>;
  /** The seat was not taken back in time: take the player out, as a disconnect did before. */
  release: (player: Player, why: string) => void;
}

export class Seats {
  private readonly timers = new Map<Player, ReturnType<typeof setTimeout>>();

  constructor(private readonly options: SeatsOptions) {}

  get enabled(): boolean {
    return this.options.graceMs > 0;
  }

  /** Seats held right now (GET /metrics). */
  get held(): number {
    return this.timers.size;
  }

  get graceMs(): number {
    return this.options.graceMs;
  }

  /** A fresh token for `player` (the one it had before stops working); undefined when holding is off. */
  async issue(player: Player): Promise<string | undefined> {
    return this.enabled ? this.options.store.issueToken(player.game, player.id) : undefined;
  }

  /** Keeps a dropped player's seat until the grace period ends. */
  async hold(player: Player): Promise<void> {
    clearTimeout(this.timers.get(player));
    const timer = setTimeout(() => {
      this.timers.delete(player);
      this.options.release(player, 'did not come back in time');
    }, this.options.graceMs);
    timer.unref();
    this.timers.set(player, timer);
    await this.options.store.holdSeat(player.game, player.id);
  }

  /** The player a token resumes in `game` and its next token — the token is used up: it works once. */
  async claim(token: string, game: string): Promise<{ player: Player; token: string } | undefined> {
    const resumed = await this.options.store.resumeSeat(game, token);
    const player = resumed && this.options.players.get(resumed.user.instance_id);
    if (!resumed || !player) return undefined;
    clearTimeout(this.timers.get(player));
    this.timers.delete(player);
    return { player, token: resumed.token };
  }

  /** A seat that cannot be resumed after all (it missed more than was kept): released now (release forgets its timer). */
  release(player: Player, why: string): void {
    this.options.release(player, why);
  }

  /** The player left for good: no timer is left behind (its token goes with it from the store). */
  forget(player: Player): void {
    clearTimeout(this.timers.get(player));
    this.timers.delete(player);
  }

  /** Server shutdown: no timer may outlive it. */
  clear(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
}
