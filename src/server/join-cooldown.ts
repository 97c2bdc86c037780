// A player who keeps joining and leaving makes every member of each lobby it passes through open a
// WebRTC link to it (and drop it again). So a player may join at most once per cooldown: a join (or a
// quick join) sooner is refused with the wait. Kept on the player, so a resume keeps it; reconnecting
// as a new player does not escape the fan-out budget of its address (fanout-budget.ts).
import { Warning } from '../protocol/index.js';

export const DEFAULT_JOIN_COOLDOWN_MS = 1000;

/** The refusal while a player that last joined at `lastJoinAt` must still wait, or null. */
export function joinCooldownRefusal(lastJoinAt: number, cooldownMs: number, now = Date.now()): string | null {
  const wait = lastJoinAt + cooldownMs - now;
  return wait > 0 ? `${Warning.joinCooldown}: try again in ${Math.ceil(wait / 1000)} s` : null;
}
