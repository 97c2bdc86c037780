// What a relay peer's server tells a member it refused (WARNING texts; the limits are in
// src/server/relay/relay-limits.ts), named once so the server words them and the client knows which
// refusals of its offer pass: a busy relay frees its slots as links open or time out, and an offer
// budget refills, but a lobby whose relay links its limit stays full.
const BUSY = 'relay: the relay is already setting up ';
const OFFERS = 'relay: too many offers to the relay';
const LINKS = "relay: this lobby's relay already links ";

/**
 * A member whose offers are refused is told (WARNING, and a log line) at most this often; refusals in
 * between are only counted (one log line a second for all). A flood of refused offers then costs the
 * signalling thread the frame's parse and a token check, not a log write and a socket write each. So a
 * client told of a refusal offers again no sooner: a refusal it would not hear of leaves its link
 * waiting for its connect timeout.
 */
export const REFUSALS_TOLD_EVERY_MS = 5000;

export const RelayRefusal = {
  links: (limit: number) => `${LINKS}${limit} players (its limit); offer refused`,
  offers: (limit: number, waitMs: number) => `${OFFERS} (${limit} a minute); try again in ${Math.ceil(waitMs / 1000)} s`,
  negotiations: (limit: number) => `${BUSY}${limit} links (its limit); offer refused, try again when one has opened or timed out`,
  negotiationsPerAddress: (share: number) => `${BUSY}${share} links for your address (its share); offer refused, try again when one has opened or timed out`,
  bytes: (limit: number) => `relay: you send more than ${Math.round(limit / 1024)} KiB/s through the relay; what is over it is dropped`,
};

/**
 * For a WARNING refusing my offer to a relay peer: the least time to wait before offering again (0: the
 * refusal does not say), or null if offering again cannot help. Undefined for any other text.
 */
export function relayRetryAfterMs(text: string): number | null | undefined {
  if (text.startsWith(BUSY)) return 0;
  if (text.startsWith(OFFERS)) return 1000 * Number(/in (\d+) s$/.exec(text)?.[1] ?? 60);
  return text.startsWith(LINKS) ? null : undefined;
}
