// Server limits lifted for tests that run lobby requests as fast as a script can (fifty create/join/leave
// cycles): joins sooner than the join cooldown, more fan-out than a connection's budget, and (CHURN_LIMITS_OFF)
// more packets than a player's rate limit lets through. What those limits do is tested in
// test/server/fair-limits.test.ts and test/mesh/churn.test.ts.
import type { ServerOptions } from '../../src/server/server.js';

export const LOBBY_CHURN_ALLOWED = {
  joinCooldownMs: 0,
  fanout: { perSecond: 1_000_000, perAddressPerSecond: 1_000_000 },
} satisfies ServerOptions;

export const CHURN_LIMITS_OFF = {
  rateLimit: { perSecond: 10_000, burst: 10_000 },
  ...LOBBY_CHURN_ALLOWED,
} satisfies ServerOptions;
