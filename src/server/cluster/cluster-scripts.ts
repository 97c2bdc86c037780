// The Lua scripts of routing between nodes (cluster.ts). Redis is the sequencer of every player's
// outgoing frames: a frame is appended to the player's log and numbered in the same script that looks
// up the node holding the player and publishes it there, so the log's order, the numbers and what the
// owner node writes to the socket all agree, whichever node sent each frame. Each script runs whole
// (no other node's command interleaves), which also makes ownership changes (a resume on another node,
// a dead node's player claimed by a survivor) atomic against frames in flight.
//
// Keys (prefix `cl5:` by default): `player:{id}` hash (node, game, kind 'player'|'relay', seq; for a
// relay also lobby), `player:{id}:log` list (the last LOG_FRAMES frames), `node:{node}:players` set,
// `node:{node}:alive` (heartbeat, with a TTL), `nodes` set, `epoch`. Channel `node:{node}`. The keys of
// one script are not in one hash slot: this needs a single Redis (or a replicated one), not Redis Cluster.

/** Frames kept per player for a resume on any node (a resume that needs older ones is refused). */
export const LOG_FRAMES = 512;

/** Lua: the frames of a player's log (which ends at number `seq`) numbered after `after`: {seq, frames}, or 'gap' when some are no longer kept. */
const LOG_AFTER = `
local function logAfter(log, seq, after)
  local before = seq - redis.call('LLEN', log)
  if after > seq or after < before then return 'gap' end
  return { seq, redis.call('LRANGE', log, after - before, -1) }
end`;

/**
 * Messages on a node's channel: `f <id> <seq> <frame>` (a numbered frame for a player it holds),
 * `r <relay id> <frame>` (a frame for a relay peer it runs: a signal, with its sender's address, or a lobby event),
 * `e <id>` (the player resumed on another node: forget it here without releasing its seat).
 */
export const CLUSTER_SCRIPTS = {
  // KEYS: player, node players. ARGV: id, node, game, kind, seq base, lobby ('' for a player).
  register: {
    keys: 2,
    lua: `
redis.call('HSET', KEYS[1], 'node', ARGV[2], 'game', ARGV[3], 'kind', ARGV[4], 'seq', ARGV[5], 'lobby', ARGV[6])
redis.call('SADD', KEYS[2], ARGV[1])
return 1`,
  },

  // KEYS: player, log, node players. ARGV: id. The player is gone for good: its log with it.
  unregister: {
    keys: 3,
    lua: `
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('SREM', KEYS[3], ARGV[1])
return 1`,
  },

  // No KEYS (each frame names its player). ARGV: prefix, sending node, log length, then per frame five
  // values: player id, frame, lobby the player must be in ('' = no check), the sender's game, and the
  // sender's address as a JSON string ('' = none). A frame for a relay peer gets that address as its
  // last field, "address" (senderAddress in cluster.ts): the relay's share per address counts it.
  // Every frame a node produced in one turn of its event loop, in order, in one script. Answers one integer
  // per frame (cluster.ts decodes them): the frame's number in the player's sequence when the sender holds
  // the player (it writes the frame from this answer), 0 when another node does (published there) or none
  // does, -1 no such player, -2 the check failed, -3 handed to a relay peer's node.
  append: {
    keys: 0,
    lua: `
local prefix, sender, keep = ARGV[1], ARGV[2], tonumber(ARGV[3])
local answers = {}
for i = 4, #ARGV, 5 do
  local id, frame, lobby, game, address = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]
  local player = prefix .. 'player:' .. id
  local held = redis.call('HMGET', player, 'node', 'kind')
  local node = held[1]
  local answer
  if not node then
    answer = -1
  elseif held[2] == 'relay' then
    if lobby ~= '' and (redis.call('HGET', player, 'lobby') ~= lobby or redis.call('HGET', player, 'game') ~= game) then
      answer = -2
    else
      if address ~= '' then frame = string.sub(frame, 1, -2) .. ',"address":' .. address .. '}' end
      redis.call('PUBLISH', prefix .. 'node:' .. node, 'r ' .. id .. ' ' .. frame)
      answer = -3
    end
  elseif lobby ~= '' and redis.call('HGET', prefix .. '{' .. game .. '}:memberOf', id) ~= lobby then
    answer = -2
  else
    local seq = redis.call('HINCRBY', player, 'seq', 1)
    local log = player .. ':log'
    if redis.call('RPUSH', log, frame) > keep then redis.call('LTRIM', log, -keep, -1) end
    if node == sender then
      answer = seq
    else
      if node ~= '' then redis.call('PUBLISH', prefix .. 'node:' .. node, 'f ' .. id .. ' ' .. seq .. ' ' .. frame) end
      answer = 0
    end
  end
  answers[#answers + 1] = answer
end
return answers`,
  },

  // KEYS: player, log. ARGV: after. The player's logged frames numbered after \`after\`: {seq, frames},
  // or 'gap' when some of them are no longer kept, 'gone' when the player is.
  since: {
    keys: 2,
    lua: `${LOG_AFTER}
local seq = tonumber(redis.call('HGET', KEYS[1], 'seq'))
if not seq then return 'gone' end
return logAfter(KEYS[2], seq, tonumber(ARGV[1]))`,
  },

  // KEYS: player, log, new node's players. ARGV: prefix, id, new node, received.
  // A resume on \`new node\`: it holds the player from now on (frames appended after this are published
  // to it); the old node, if another, is told to forget its copy. Answers {seq, frames after received},
  // or 'gap' (the node holds it all the same, to release it), or 'gone'.
  takeOver: {
    keys: 3,
    lua: `${LOG_AFTER}
local old = redis.call('HGET', KEYS[1], 'node')
local seq = tonumber(redis.call('HGET', KEYS[1], 'seq'))
if not old or not seq then return 'gone' end
redis.call('HSET', KEYS[1], 'node', ARGV[3])
redis.call('SADD', KEYS[3], ARGV[2])
if old ~= ARGV[3] and old ~= '' then
  redis.call('SREM', ARGV[1] .. 'node:' .. old .. ':players', ARGV[2])
  redis.call('PUBLISH', ARGV[1] .. 'node:' .. old, 'e ' .. ARGV[2])
end
return logAfter(KEYS[2], seq, tonumber(ARGV[4]))`,
  },

  // KEYS: player, dead node's players, dead node's heartbeat. ARGV: id, dead node, '1' to claim relay peers only.
  // A survivor claims one player (or relay peer) of a dead node for release; exactly one claim wins (a
  // resume elsewhere, or another survivor's claim, changed the owner first). Answers {game, kind, lobby},
  // or false (nothing to do; a node that came back keeps its players).
  claimOrphan: {
    keys: 3,
    lua: `
if redis.call('EXISTS', KEYS[3]) == 1 then return false end
local kind = redis.call('HGET', KEYS[1], 'kind')
if ARGV[3] == '1' and kind ~= 'relay' then return false end
redis.call('SREM', KEYS[2], ARGV[1])
if redis.call('HGET', KEYS[1], 'node') ~= ARGV[2] then return false end
redis.call('HSET', KEYS[1], 'node', '')
return { redis.call('HGET', KEYS[1], 'game'), kind, redis.call('HGET', KEYS[1], 'lobby') }`,
  },
} as const;

export type ClusterScript = keyof typeof CLUSTER_SCRIPTS;
