// How the client retries a dropped connection: exponential backoff with jitter (so a server that
// comes back is not hit by every client in the same instant), and a time after which it gives up.

export interface ReconnectPolicy {
  /** Delay before the first attempt. */
  firstDelayMs: number;
  /** Delays double up to this. */
  maxDelayMs: number;
  /** After this long without a resume the session is lost (longer than the server's default 30 s grace). */
  giveUpMs: number;
}

export const DEFAULT_RECONNECT: ReconnectPolicy = { firstDelayMs: 250, maxDelayMs: 3000, giveUpMs: 60_000 };

export const resolvePolicy = (policy: Partial<ReconnectPolicy>): ReconnectPolicy => ({ ...DEFAULT_RECONNECT, ...policy });

/** Delay before attempt `attempt` (0-based): first·2^attempt capped at max, times a random factor in [0.5, 1.5). */
export function reconnectDelay(policy: ReconnectPolicy, attempt: number, random: () => number = Math.random): number {
  const base = Math.min(policy.maxDelayMs, policy.firstDelayMs * 2 ** Math.min(attempt, 30));
  return Math.round(base * (0.5 + random()));
}
