-- Opens a session. KEYS[1]: session key, KEYS[2]: token key.
-- ARGV: shard prefix, id, retention ms, subject, policy, version, idle, absolute, warn, max extensions,
-- renew (ms, 0: never), token hash hex, attributes (JSON), due-hint channel, audience (Audience#wire()),
-- then the policy's concurrency limit (dev.curfew.core.ConcurrencyLimit): max sessions per subject
-- (0: none), when exceeded ('refuse_new' or 'end_oldest'), scope ('subject' or 'audience'), the
-- reason text of a displaced session, the lease ms of a pending ending, and the most live sessions
-- this shard may hold (its share of max_live_sessions, RedisSessionStore.Settings#shardCap), who
-- opens it (the actor of session.created), and the parent of a child session ('' for none).
-- Returns {'ALLOWED', now, '', pending entry, id, row..., {id, row...} of each session it displaced}, or
-- {'REFUSED', now, {ids of the live sessions counted}}, or {'FULL', now}, or {'COLLISION'}.
local shard, id, retention = ARGV[1], ARGV[2], tonumber(ARGV[3])
if redis.call('EXISTS', KEYS[1], KEYS[2]) > 0 then return {'COLLISION'} end
local now = clock()
-- The shard's share of the deployment's limit; a session this opening displaces frees no room
-- first (the embedded engine counts before displacing too).
if tonumber(redis.call('GET', shard .. 'live') or '0') >= tonumber(ARGV[21]) then return {'FULL', now} end
local max, when, scope = tonumber(ARGV[16]), ARGV[17], ARGV[18]
local ukey = subject_live(shard, ARGV[4])
-- The subject's live sessions that the limit counts (the same rule as SessionEngine#openWithin),
-- oldest first; the index forgets entries whose session is gone or ended.
local counted = {}
if max > 0 then
  for _, other in ipairs(redis.call('ZRANGE', ukey, 0, -1)) do
    local o = load(shard .. 's:' .. other)
    if not o or o.er ~= '' then
      redis.call('ZREM', ukey, other)
    elseif now < expires(o) and (scope ~= SCOPE.AUDIENCE or o.aud == ARGV[15]) then
      counted[#counted + 1] = {other, o}
    end
  end
end
local excess = #counted + 1 - max
local displaced = {}
if max > 0 and excess > 0 then
  -- A child session (ARGV[23]: its parent's id) never ends its own parent to make room: it ends
  -- older others, or, when they are too few, is refused.
  local displaceable = {}
  for _, c in ipairs(counted) do
    if c[1] ~= ARGV[23] then displaceable[#displaceable + 1] = c end
  end
  if when ~= WHEN_EXCEEDED.END_OLDEST or #displaceable < excess then
    local ids = {}
    for i, c in ipairs(counted) do ids[i] = c[1] end
    return {'REFUSED', now, ids}
  end
  for i = 1, excess do
    local other, o = displaceable[i][1], displaceable[i][2]
    finish(shard .. 's:' .. other, shard .. 't:', shard, other, o, now, R.CONCURRENCY_LIMIT,
      {ra = CURFEW_ACTOR, rt = ARGV[19], dby = id}, retention, tonumber(ARGV[20]))
    local d = {other}
    for j, v in ipairs(row(o)) do d[1 + j] = v end
    displaced[#displaced + 1] = d
  end
end
local s = {sub = ARGV[4], pol = ARGV[5], ver = ARGV[6], idle = ARGV[7], abs = ARGV[8], warn = ARGV[9],
  maxext = ARGV[10], renew = ARGV[11], c = tostring(now), la = tostring(now),
  ie = tostring(now + tonumber(ARGV[7])), ae = tostring(now + tonumber(ARGV[8])), ext = '0', tok = ARGV[12],
  prev = '', ti = tostring(now), er = '', ea = '', wf = '', attrs = ARGV[13], lr = '', rr = '0', ra = '',
  rt = '', dl = '', db = '', aud = ARGV[15], wa = '', dby = ''}
local set = {}
for _, k in ipairs(F) do
  set[#set + 1] = k
  set[#set + 1] = s[k]
end
redis.call('HSET', KEYS[1], unpack(set))
local ttl = tonumber(ARGV[8]) + retention
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('SET', KEYS[2], id, 'PX', ttl)
redis.call('ZADD', ukey, now, id)
if redis.call('PTTL', ukey) < ttl then redis.call('PEXPIRE', ukey, ttl) end
local at = next_event(s)
redis.call('ZADD', shard .. 'due', at, id)
redis.call('INCR', shard .. 'live')
-- Tell the nodes when this is now the shard's earliest deadline, so that they look in time.
local first = redis.call('ZRANGE', shard .. 'due', 0, 0)
if first[1] == id then redis.call('PUBLISH', ARGV[14], shard .. ' ' .. at) end
-- The opening's pending entry (common.lua's claim_change): what session.created needs that a later
-- change may alter (version, deadlines, values), and who opened it (ARGV[22], last: it is free text).
local member = claim_change(KEYS[1], shard, id, now, tonumber(ARGV[20]), 'o',
  {now, s.ver, s.ie, s.ae, s.idle, s.abs, s.warn, s.maxext, s.renew, ARGV[22]})
local out = {'ALLOWED', now, '', member, id}
for i, v in ipairs(row(s)) do out[5 + i] = v end
for _, d in ipairs(displaced) do out[#out + 1] = d end
return out
