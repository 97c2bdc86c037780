// The matchmaking rules over a lobby record, shared by the stores that decide in Node (MemoryStore,
// and RedisStore's read-only listMatching); RedisStore's quick-join script has the same rules in Lua.
import type { LobbyFilter as WireFilter } from '../protocol/index.js';
import { byCodeUnits, type Listed, type LobbyFilter, type LobbyRecord } from './store.js';

/** The wire's filter (snake_case, validated) as the store takes it. */
export const storeFilter = (filter: WireFilter = {}): LobbyFilter => ({
  ...(filter.metadata ? { metadata: filter.metadata } : {}),
  ...(filter.free_seats ? { freeSeats: true } : {}),
  ...(filter.no_password ? { noPassword: true } : {}),
});

const hasFreeSeat = (lobby: LobbyRecord): boolean => lobby.settings.maxPlayers === -1 || lobby.members.length < lobby.settings.maxPlayers;

/** Not hidden, and every field of the filter holds. */
export function matchesFilter(lobby: LobbyRecord, filter: LobbyFilter): boolean {
  if (lobby.settings.hidden) return false;
  if (filter.freeSeats && !hasFreeSeat(lobby)) return false;
  if (filter.noPassword && lobby.settings.password !== null) return false;
  const metadata = lobby.settings.metadata ?? {};
  return Object.entries(filter.metadata ?? {}).every(([key, value]) => Object.hasOwn(metadata, key) && metadata[key] === value);
}

/** What quick join may put a player into: matching, unlocked, no password, a free seat. */
export const quickJoinable = (lobby: LobbyRecord, filter: LobbyFilter): boolean =>
  !lobby.settings.locked && lobby.settings.password === null && hasFreeSeat(lobby) && matchesFilter(lobby, filter);

/** Oldest first (lobbies stored before `created` existed count as oldest), then by name for a stable order. */
export const byCreation = (a: LobbyRecord, b: LobbyRecord): number => (a.created ?? 0) - (b.created ?? 0) || byCodeUnits(a.name, b.name);

/** The first `limit` of `lobbies` (in their order) that `keep` accepts, as `take` makes them, and how many it accepts. */
export function listed<T>(lobbies: Iterable<LobbyRecord>, keep: (lobby: LobbyRecord) => boolean, limit: number, take: (lobby: LobbyRecord) => T): Listed<T> {
  const first: T[] = [];
  let total = 0;
  for (const lobby of lobbies) {
    if (!keep(lobby)) continue;
    if (total < limit) first.push(take(lobby));
    total += 1;
  }
  return { first, total };
}
