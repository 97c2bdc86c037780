// The Lua scripts RedisStore runs: each command that decides a lobby rule is one script, so Redis runs
// it whole while no other client's command interleaves (several server nodes share one Redis). Every
// script gets the game's keys (KEYS, in GAME_KEYS order) then the set of games (GAMES_KEY), its own
// arguments (ARGV) then the game's name, and answers one JSON string. Lobbies are stored as JSON, one
// field per lobby; the password is an opaque string (redis-store.ts).

/** The keys of one game, in the order the scripts take them. */
export const GAME_KEYS = [
  'players',
  'names',
  'lobbies',
  'memberOf',
  'tokens',
  'tokenOf',
  'held',
  'lobbySeq',
  'openLobbies',
  'visibleLobbies',
  'lobbiesChanged',
] as const;

/** The one key that is not a game's: the set of games with a player or a lobby (`{prefix}games`). */
export const GAMES_KEY = 'games';

// players: hash id → user JSON; names: hash username skeleton (protocol/username.ts) → id; lobbies: hash name → lobby JSON;
// memberOf: hash id → lobby name; tokens: hash token → id; tokenOf: hash id → token; held: set of ids;
// lobbySeq: string, the number of lobbies created in the game (a lobby's \`created\`), deleted with the
// game's last player and lobby (pruneGame);
// openLobbies: sorted set of the names of the lobbies quick join may put a player in (not locked, not
// hidden, no password, a free seat), scored by \`created\`: kept by saveLobby and deleteLobby, which every
// change of a lobby goes through, so quick join reads only those instead of every lobby of the game;
// visibleLobbies: sorted set of the names of the lobbies that are not hidden, scored by \`created\`, kept
// the same way: LIST_LOBBIES reads the oldest page of it and its size, not every lobby;
// lobbiesChanged: string, set anew by every change of any lobby of the game (those two helpers again): Redis's
// clock in microseconds, and always above its last value. A node keeps what it read of the game's lobbies
// (for a filtered LIST) for as long as this stays what it was; started from the clock again after the key
// went with the game, it does not come back to a value it had.
// games: set of the names of the games with a player or a lobby, added by addPlayer and saveLobby, removed by
// pruneGame: the status page and the metrics read it instead of scanning the keyspace.
const PRELUDE = `
local players, names, lobbies, memberOf, tokens, tokenOf, held = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7]
local lobbySeq, openLobbies, visibleLobbies, lobbiesChanged, games = KEYS[8], KEYS[9], KEYS[10], KEYS[11], KEYS[12]
local game = ARGV[#ARGV]
local null = cjson.null
local function reply(value) return cjson.encode(value) end
local function getLobby(name)
  local raw = redis.call('HGET', lobbies, name)
  if not raw then return nil end
  return cjson.decode(raw)
end
-- What quick join may join, whatever its metadata (lobby-filter.ts, quickJoinable).
local function open(lobby)
  local settings = lobby.settings
  if settings.hidden or settings.locked or settings.password ~= null then return false end
  return settings.maxPlayers == -1 or #lobby.members < settings.maxPlayers
end
-- Keeps \`name\` in the sorted set \`key\` (scored by creation) while \`member\` holds, out of it otherwise.
local function indexed(key, member, lobby)
  if member then redis.call('ZADD', key, lobby.created or 0, lobby.name)
  else redis.call('ZREM', key, lobby.name) end
end
local function changed()
  local now = redis.call('TIME')
  local stamp = now[1] * 1000000 + now[2]
  local before = tonumber(redis.call('GET', lobbiesChanged) or '0')
  if stamp <= before then stamp = before + 1 end
  redis.call('SET', lobbiesChanged, string.format('%.0f', stamp))
end
local function saveLobby(lobby)
  redis.call('HSET', lobbies, lobby.name, cjson.encode(lobby))
  redis.call('SADD', games, game)
  changed()
  indexed(openLobbies, open(lobby), lobby)
  indexed(visibleLobbies, not lobby.settings.hidden, lobby)
end
local function memberIndex(lobby, id)
  for i, member in ipairs(lobby.members) do
    if member.instance_id == id then return i end
  end
  return nil
end
-- The lobby \`host\` is host of, or nil and why not.
local function hosted(host)
  local name = redis.call('HGET', memberOf, host)
  local lobby = name and getLobby(name)
  if not lobby then return nil, 'not-in-lobby' end
  if lobby.host.instance_id ~= host then return nil, 'unauthorized' end
  return lobby
end
-- A game with no players and no lobbies left keeps no key (its other keys went with their last entry):
-- its lobby counter goes too, as MemoryStore forgets such a game.
local function pruneGame()
  if redis.call('EXISTS', players, lobbies) == 0 then
    redis.call('DEL', lobbySeq, lobbiesChanged)
    redis.call('SREM', games, game)
  end
end
local function deleteLobby(lobby)
  for _, member in ipairs(lobby.members) do redis.call('HDEL', memberOf, member.instance_id) end
  redis.call('HDEL', lobbies, lobby.name)
  redis.call('ZREM', openLobbies, lobby.name)
  redis.call('ZREM', visibleLobbies, lobby.name)
  changed()
  pruneGame()
end
-- Takes member \`id\` out; the host moves to the earliest remaining member; the last one out deletes the lobby.
local function remove(lobby, id)
  local left = table.remove(lobby.members, memberIndex(lobby, id))
  redis.call('HDEL', memberOf, id)
  local newHost = null
  local closed = #lobby.members == 0
  if closed then
    deleteLobby(lobby)
  else
    if lobby.host.instance_id == id then
      lobby.host = lobby.members[1]
      newHost = lobby.host
    end
    saveLobby(lobby)
  end
  return { left = left, lobby = lobby, newHost = newHost, closed = closed }
end
`;

const BODIES = {
  // ARGV: user JSON, its username's skeleton. The name is claimed with HSETNX: checked and claimed at once.
  addPlayer: `
local user = cjson.decode(ARGV[1])
if redis.call('HSETNX', names, ARGV[2], user.instance_id) == 0 then return reply('taken') end
redis.call('HSET', players, user.instance_id, ARGV[1])
redis.call('SADD', games, game)
return reply('ok')`,

  // ARGV: instance id, its username's skeleton ('' when unknown).
  removePlayer: `
local id = ARGV[1]
local token = redis.call('HGET', tokenOf, id)
if token then redis.call('HDEL', tokens, token) end
redis.call('HDEL', tokenOf, id)
redis.call('SREM', held, id)
local raw = redis.call('HGET', players, id)
if raw then
  redis.call('HDEL', players, id)
  if redis.call('HGET', names, ARGV[2]) == id then redis.call('HDEL', names, ARGV[2]) end
  pruneGame()
end
return reply(null)`,

  // No ARGV. Indexes every lobby of the game again (openLobbies, visibleLobbies, games) and marks it changed: a
  // node runs it for each game at start, for what nodes of a version before an index left out of it.
  reindex: `
if redis.call('EXISTS', players, lobbies) > 0 then redis.call('SADD', games, game) end
local all = redis.call('HVALS', lobbies)
for _, raw in ipairs(all) do
  local lobby = cjson.decode(raw)
  indexed(openLobbies, open(lobby), lobby)
  indexed(visibleLobbies, not lobby.settings.hidden, lobby)
end
if #all > 0 then changed() end
return reply(null)`,

  // ARGV: how many names at most. The oldest visible lobbies' names and how many are visible (cjson writes
  // an empty list as {}).
  list: `
return reply({ first = redis.call('ZRANGE', visibleLobbies, 0, tonumber(ARGV[1]) - 1), total = redis.call('ZCARD', visibleLobbies) })`,

  lobbyOf: `
local name = redis.call('HGET', memberOf, ARGV[1])
return reply(name and getLobby(name) or null)`,

  // ARGV: game, name, host JSON, settings JSON.
  create: `
local host = cjson.decode(ARGV[3])
local settings = cjson.decode(ARGV[4])
if redis.call('HEXISTS', memberOf, host.instance_id) == 1 then return reply({ outcome = 'in-lobby' }) end
if redis.call('HEXISTS', lobbies, ARGV[2]) == 1 then return reply({ outcome = 'exists' }) end
local lobby = { game = ARGV[1], name = ARGV[2], host = host, members = { host }, settings = settings, relay = null, created = redis.call('INCR', lobbySeq) }
saveLobby(lobby)
redis.call('HSET', memberOf, host.instance_id, ARGV[2])
return reply({ outcome = 'ok', lobby = lobby })`,

  // ARGV: name, player JSON, the password string the caller checked ('' = none checked).
  // A lobby with a password the caller has not checked answers 'check' with it; the caller checks it
  // outside (scrypt) and runs this again with it: then every rule is decided again, and a password
  // that changed meanwhile is refused (compare and set).
  join: `
local player = cjson.decode(ARGV[2])
local checked = ARGV[3]
if redis.call('HEXISTS', memberOf, player.instance_id) == 1 then return reply({ outcome = 'in-lobby' }) end
local lobby = getLobby(ARGV[1])
if not lobby then return reply({ outcome = 'not-found' }) end
local settings = lobby.settings
if settings.locked then return reply({ outcome = 'locked' }) end
if settings.maxPlayers ~= -1 and #lobby.members >= settings.maxPlayers then return reply({ outcome = 'full' }) end
local password = settings.password == null and '' or settings.password
if password ~= checked then
  if checked == '' then return reply({ outcome = 'check', password = password }) end
  return reply({ outcome = 'password' })
end
lobby.members[#lobby.members + 1] = player
saveLobby(lobby)
redis.call('HSET', memberOf, player.instance_id, ARGV[1])
return reply({ outcome = 'ok', lobby = lobby })`,

  // ARGV: instance id.
  leave: `
local name = redis.call('HGET', memberOf, ARGV[1])
local lobby = name and getLobby(name)
if not lobby then return reply(null) end
return reply(remove(lobby, ARGV[1]))`,

  // ARGV: host id, target id.
  kick: `
local lobby, why = hosted(ARGV[1])
if not lobby then return reply({ outcome = why }) end
if not memberIndex(lobby, ARGV[2]) then return reply({ outcome = 'not-a-member' }) end
if ARGV[2] == ARGV[1] then return reply({ outcome = 'self' }) end
return reply({ outcome = 'ok', departure = remove(lobby, ARGV[2]) })`,

  // ARGV: host id, change JSON (only the fields that change).
  setSettings: `
local lobby, why = hosted(ARGV[1])
if not lobby then return reply({ outcome = why }) end
local change = cjson.decode(ARGV[2])
local max = change.maxPlayers
if max ~= nil and max ~= -1 and max < #lobby.members then return reply({ outcome = 'below-current-players' }) end
local shown = lobby.settings.hidden and change.hidden == false
for key, value in pairs(change) do lobby.settings[key] = value end
saveLobby(lobby)
return reply({ outcome = 'ok', lobby = lobby, shown = shown })`,

  // ARGV: game, player JSON, filter JSON (LobbyFilter), name prefix, settings JSON. The rules of
  // lobby-filter.ts (quickJoinable, byCreation), here so that picking and joining are one step.
  quickJoin: `
local player = cjson.decode(ARGV[2])
if redis.call('HEXISTS', memberOf, player.instance_id) == 1 then return reply({ outcome = 'in-lobby' }) end
local filter = cjson.decode(ARGV[3])
local function matches(lobby)
  local metadata = type(lobby.settings.metadata) == 'table' and lobby.settings.metadata or {}
  if type(filter.metadata) == 'table' then
    for key, value in pairs(filter.metadata) do
      if metadata[key] ~= value then return false end
    end
  end
  return true
end
-- The open lobbies, oldest first (equal scores: by name, as byCreation orders them); the first that matches.
local oldest = nil
for _, name in ipairs(redis.call('ZRANGE', openLobbies, 0, -1)) do
  local lobby = getLobby(name)
  if lobby and open(lobby) and matches(lobby) then
    oldest = lobby
    break
  end
end
if oldest then
  oldest.members[#oldest.members + 1] = player
  saveLobby(oldest)
  redis.call('HSET', memberOf, player.instance_id, oldest.name)
  return reply({ outcome = 'joined', lobby = oldest })
end
-- The counter makes the name new, unless someone created that very name by hand: then the next number.
local n = tonumber(redis.call('GET', lobbySeq) or '0') + 1
while redis.call('HEXISTS', lobbies, ARGV[4] .. '-' .. n) == 1 do n = n + 1 end
redis.call('SET', lobbySeq, n)
local name = ARGV[4] .. '-' .. n
local lobby = { game = ARGV[1], name = name, host = player, members = { player }, settings = cjson.decode(ARGV[5]), relay = null, created = n }
saveLobby(lobby)
redis.call('HSET', memberOf, player.instance_id, name)
return reply({ outcome = 'created', lobby = lobby })`,

  // ARGV: host id, target id.
  setHost: `
local lobby, why = hosted(ARGV[1])
if not lobby then return reply({ outcome = why }) end
local index = memberIndex(lobby, ARGV[2])
if not index then return reply({ outcome = 'not-a-member' }) end
if ARGV[2] == ARGV[1] then return reply({ outcome = 'already-host' }) end
local previous = lobby.host
lobby.host = lobby.members[index]
saveLobby(lobby)
return reply({ outcome = 'ok', lobby = lobby, previous = previous })`,

  // ARGV: host id.
  close: `
local lobby, why = hosted(ARGV[1])
if not lobby then return reply({ outcome = why }) end
deleteLobby(lobby)
return reply({ outcome = 'ok', lobby = lobby })`,

  // ARGV: name, relay user JSON, '1' when lobby-wide.
  setRelay: `
local lobby = getLobby(ARGV[1])
if not lobby or #lobby.members == 0 then return reply(null) end
lobby.relay = cjson.decode(ARGV[2])
if ARGV[3] == '1' then lobby.settings.relayEnabled = true end
saveLobby(lobby)
return reply(lobby)`,

  // ARGV: instance id, the new token (random, made by the caller). The old token stops working.
  issueToken: `
local old = redis.call('HGET', tokenOf, ARGV[1])
if old then redis.call('HDEL', tokens, old) end
redis.call('HSET', tokens, ARGV[2], ARGV[1])
redis.call('HSET', tokenOf, ARGV[1], ARGV[2])
return reply(ARGV[2])`,

  // ARGV: instance id. Only a registered player's seat is held.
  holdSeat: `
if redis.call('HEXISTS', players, ARGV[1]) == 1 then redis.call('SADD', held, ARGV[1]) end
return reply(null)`,

  // ARGV: token, the next token. Uses the token up, ends the hold, issues the next.
  resumeSeat: `
local id = redis.call('HGET', tokens, ARGV[1])
local raw = id and redis.call('HGET', players, id)
if not raw then return reply(null) end
redis.call('SREM', held, id)
redis.call('HDEL', tokens, ARGV[1])
redis.call('HSET', tokens, ARGV[2], id)
redis.call('HSET', tokenOf, id, ARGV[2])
return reply({ user = cjson.decode(raw), token = ARGV[2] })`,
} as const;

export type ScriptName = keyof typeof BODIES;

/**
 * Not a game's script: the counts of the games ARGV[2..] (names from the set KEYS[1]), as [game, players,
 * lobbies]; ARGV[1] the key prefix. A game with neither (emptied by a node of a version before the set) is
 * taken out of the set. It reads keys it is not given (one Redis, never Redis Cluster: architecture.md).
 * ~3 µs of Redis a game: RedisStore asks for a few hundred at a time, so that no call holds Redis long.
 */
export const GAMES_SCRIPT = `
local out = {}
for i = 2, #ARGV do
  local game = ARGV[i]
  local players = redis.call('HLEN', ARGV[1] .. '{' .. game .. '}:players')
  local lobbies = redis.call('HLEN', ARGV[1] .. '{' .. game .. '}:lobbies')
  if players + lobbies == 0 then redis.call('SREM', KEYS[1], game) else out[#out + 1] = { game, players, lobbies } end
end
return out`;

/** Each script's full Lua text: the shared helpers, then its body. */
export const SCRIPTS = Object.fromEntries(Object.entries(BODIES).map(([name, body]) => [name, PRELUDE + body])) as Record<ScriptName, string>;
