-- Shared by every Curfew script (prepended when the script is loaded).
-- A session is one hash under "<prefix>:{<shard>}:s:<id>"; its tokens are strings under
-- "<prefix>:{<shard>}:t:<sha256 hex>" holding the id. Every key of one session carries the same
-- hash tag, so a script that starts from a token or an id touches one slot of a Redis Cluster.
-- Time is Redis's own (TIME), so every node decides on one clock.
local F = {'sub', 'pol', 'ver', 'idle', 'abs', 'warn', 'maxext', 'renew', 'c', 'la', 'ie', 'ae', 'ext',
  'tok', 'prev', 'ti', 'er', 'ea', 'wf', 'attrs', 'lr', 'rr', 'ra', 'rt', 'dl', 'db'}

local function clock()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function load(skey)
  local v = redis.call('HMGET', skey, unpack(F))
  if not v[1] then return nil end
  local s = {}
  for i, k in ipairs(F) do s[k] = v[i] or '' end
  return s
end

local function num(s, k) return tonumber(s[k]) end

local function expires(s) return math.min(num(s, 'ie'), num(s, 'ae')) end

-- The reason a session ends at its deadline; a tie goes to the absolute deadline.
local function timeout_reason(s)
  if num(s, 'ae') <= num(s, 'ie') then return 'absolute_timeout' end
  return 'idle_timeout'
end

-- The next instant the deadline scheduler must look at a live session.
local function next_event(s)
  local e = expires(s)
  local warn = num(s, 'warn')
  if warn > 0 and tonumber(s.wf) ~= e then return math.min(e - warn, e) end
  return e
end

-- The session's fields in the order of F, for the node to build its status and records from.
local function row(s)
  local out = {}
  for i, k in ipairs(F) do out[i] = s[k] end
  return out
end

-- The one place a session ends: state, deadline set, live count, the tokens' lifetime, and a
-- pending entry that stays until a node has written the ending to its audit log (a node that
-- dies before that leaves it to the others, see due.lua).
local function finish(skey, tprefix, shard, id, s, now, reason, fields, retention, lease)
  s.er = reason
  s.ea = tostring(now)
  local set = {'er', reason, 'ea', now}
  for k, v in pairs(fields) do
    s[k] = v
    set[#set + 1] = k
    set[#set + 1] = v
  end
  redis.call('HSET', skey, unpack(set))
  redis.call('HDEL', skey, 'nt') -- an ended session hands out no token, sealed or not
  redis.call('PEXPIRE', skey, retention)
  redis.call('PEXPIRE', tprefix .. s.tok, retention)
  if s.prev ~= '' then redis.call('PEXPIRE', tprefix .. s.prev, retention) end
  redis.call('ZREM', shard .. 'due', id)
  redis.call('ZADD', shard .. 'pending', now + lease, 'e|' .. id)
  redis.call('DECR', shard .. 'live')
end
