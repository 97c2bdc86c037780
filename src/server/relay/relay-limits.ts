// What one member may ask of a lobby's relay peer (each a flag of main.ts); the refusals it is warned
// with are worded in src/protocol/relay-refusal.ts, where the client reads them too. Offers and links
// are checked by the server before a signal reaches the relay process (an offer refused there never
// builds a peer connection); bytes are counted in the relay process, where the data arrives.
export interface RelayLimits {
  /** MAKE_OFFERs one member may send to relay peers per minute (each builds a WebRTC peer connection). */
  offersPerMinute: number;
  /** Members one lobby's relay peer links to at once (its fan-out is one copy per link). */
  linksPerLobby: number;
  /** Bytes per second one member may send through the relay, in bursts of two seconds' worth; more is dropped. */
  bytesPerSecond: number;
  /**
   * Links the relay process negotiates at once, all lobbies together: each costs ~16 fds and 2 threads
   * while ICE runs, and an offer whose ICE never comes holds them until `negotiationMs`.
   */
  negotiations: number;
  /**
   * Of those, how many the members of one address may hold (0: no share): one client with many
   * connections, whose offers never complete, cannot hold every slot and have players elsewhere refused.
   */
  negotiationsPerAddress: number;
  /** A member's link to a relay peer not open by then is closed, and its negotiation slot freed. */
  negotiationMs: number;
}

/**
 * One address's share unless one is set: half the slots (rounded up), whatever their number. One address
 * never holds more than half of them, and a class behind one school router linking to its relay lobby at
 * once gets half at a time (the rest are refused and retry at their connect timeout).
 */
export const shareOf = (negotiations: number): number => Math.ceil(negotiations / 2);

export const DEFAULT_RELAY_LIMITS: RelayLimits = {
  offersPerMinute: 12,
  linksPerLobby: 64,
  bytesPerSecond: 256 * 1024,
  negotiations: 32,
  negotiationsPerAddress: shareOf(32),
  negotiationMs: 20_000,
};

/** `limits` with the defaults for what they leave out; the share follows their `negotiations`. */
export function relayLimitsOf(limits: Partial<RelayLimits> = {}): RelayLimits {
  const negotiations = limits.negotiations ?? DEFAULT_RELAY_LIMITS.negotiations;
  return { ...DEFAULT_RELAY_LIMITS, negotiationsPerAddress: shareOf(negotiations), ...limits };
}

/** How the relay process is run (flags of main.ts). */
export interface RelayProcessBudget {
  /** V8 heap of the relay process (--max-old-space-size); past it the process dies and is restarted. */
  memoryMib: number;
  /** Its CPU priority (nice, 0–19): higher yields the CPU to the signalling server under load. */
  nice: number;
}

export const DEFAULT_RELAY_BUDGET: RelayProcessBudget = { memoryMib: 256, nice: 10 };
