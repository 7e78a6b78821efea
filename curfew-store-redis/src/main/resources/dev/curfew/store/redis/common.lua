-- Shared by every Curfew script but check.lua (prepended, after the generated prelude, when the script is loaded).
-- A session is one hash under "<prefix>:{<shard>}:s:<id>"; its tokens are strings under
-- "<prefix>:{<shard>}:t:<sha256 hex>" holding the id. Every key of one session carries the same
-- hash tag, so a script that starts from a token or an id touches one slot of a Redis Cluster.
-- Time is Redis's own (TIME), so every node decides on one clock.
local F = {'sub', 'pol', 'ver', 'idle', 'abs', 'warn', 'maxext', 'renew', 'c', 'la', 'ie', 'ae', 'ext',
  'tok', 'prev', 'ti', 'er', 'ea', 'wf', 'attrs', 'lr', 'rr', 'ra', 'rt', 'dl', 'db', 'aud', 'wa', 'dby'}

-- The live sessions of one subject in this shard, by creation time: every session of a subject is
-- opened in the shard its subject names (RedisKeys#shardOfSubject), so that one script can count
-- them and open one more atomically (open.lua), in one slot of a Redis Cluster.
local function subject_live(shard, sub)
  return shard .. 'u:' .. redis.sha1hex(sub)
end

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

-- The deadline rules (dev.curfew.core.Deadlines, in the prelude) applied to a session's fields.
local function expires(s) return expires_at(num(s, 'ie'), num(s, 'ae')) end
local function timeout_reason(s) return timeout_reason_of(num(s, 'ie'), num(s, 'ae')) end
local function warning_due(s) return warning_due_at(expires(s), num(s, 'warn'), tonumber(s.wf)) end
local function next_event(s) return next_event_at(num(s, 'ie'), num(s, 'ae'), num(s, 'warn'), tonumber(s.wf)) end

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
  redis.call('ZREM', subject_live(shard, s.sub), id)
end

-- The pending entry of a change that is not an ending (extension, rotation, acknowledgement,
-- policy applied, warning), left in the step that makes the change: "<kind>|<id>|<n>|<values>",
-- <n> the session's own change counter ('cn'), so that "<id>:<n>" names the change and its record
-- (the record's "claim") among all sessions and nodes. The values are what the change's record
-- needs beyond the session's subject and policy name, which never change (RedisSessionStore's
-- Claims). The node that made the change records it and removes the entry once the record is
-- durable; when its lease runs out first, another node records it from the entry (due.lua).
local function claim_change(skey, shard, id, now, lease, kind, values)
  local n = redis.call('HINCRBY', skey, 'cn', 1)
  local member = kind .. '|' .. id .. '|' .. n
  for _, v in ipairs(values) do member = member .. '|' .. tostring(v) end
  redis.call('ZADD', shard .. 'pending', now + lease, member)
  return member
end

-- dev.curfew.core.Audience#admits: whether a session's audience shares a place with the places an
-- enforcement point speaks for. Both are Audience#wire() (entries joined by newlines, an entry never
-- holds whitespace). A test in this module checks this function against the core's rule.
local function admits(aud, at)
  local have = {}
  for e in string.gmatch(aud, '[^\n]+') do have[e] = true end
  for e in string.gmatch(at, '[^\n]+') do
    if have[e] then return true end
  end
  return false
end

-- At most one refusal record per session per second (spec/audit.md, session.refused), whatever the
-- refusal: returns the refusals held back since the last record when this one is to be recorded,
-- nil when it is only counted.
local function refusal_due(skey, s, now)
  if s.lr == '' or now - tonumber(s.lr) >= 1000 then
    local repeats = tonumber(s.rr) or 0
    s.lr, s.rr = tostring(now), '0'
    redis.call('HSET', skey, 'lr', now, 'rr', 0)
    return repeats
  end
  s.rr = tostring((tonumber(s.rr) or 0) + 1)
  redis.call('HINCRBY', skey, 'rr', 1)
  return nil
end

local function min_num(a, b)
  if tonumber(a) <= tonumber(b) then return a end
  return b
end

-- dev.curfew.core.Policy#narrowedBy: the values a live session runs under once a new version is
-- applied, each field the tighter of the session's and the new one's (renew 0: never, the loosest;
-- warn: the new one unless it no longer fits under the idle timeout). A test in this module checks
-- this function against the core's rule. n: {ver, idle, abs, warn, maxext, renew}.
local function narrow(s, n)
  local idle = min_num(s.idle, n.idle)
  local renew
  if tonumber(s.renew) <= 0 then renew = n.renew
  elseif tonumber(n.renew) <= 0 then renew = s.renew
  else renew = min_num(s.renew, n.renew) end
  local warn = s.warn
  if tonumber(n.warn) < tonumber(idle) then warn = n.warn end
  s.ver, s.idle, s.abs, s.warn, s.maxext, s.renew = n.ver, idle, min_num(s.abs, n.abs), warn,
    min_num(s.maxext, n.maxext), renew
end
