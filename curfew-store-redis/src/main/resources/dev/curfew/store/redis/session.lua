-- One operation on one session, atomically, on Redis's clock.
-- KEYS[1]: the token key (ARGV[1] = 'token') or the session key (ARGV[1] = 'id')
-- ARGV: mode, op, shard prefix "<prefix>:{<shard>}:", token hash hex or '', retention ms, lease ms, op args...
-- Returns {verdict, now, flag, extra, id, row...} or {'NOT_FOUND', now}.
local mode, op, shard, presented = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local retention, lease = tonumber(ARGV[5]), tonumber(ARGV[6])
local sprefix, tprefix = shard .. 's:', shard .. 't:'
local now = clock()
local id, skey
if mode == 'token' then
  id = redis.call('GET', KEYS[1])
  if not id then return {'NOT_FOUND', now} end
  skey = sprefix .. id
else
  skey = KEYS[1]
  id = string.sub(skey, #sprefix + 1)
end
local s = load(skey)
if not s then return {'NOT_FOUND', now} end
if mode == 'token' and presented ~= s.tok and presented ~= s.prev then return {'NOT_FOUND', now} end

local function answer(verdict, flag, extra)
  local out = {verdict, now, flag or '', tostring(extra or ''), id}
  for i, v in ipairs(row(s)) do out[5 + i] = v end
  return out
end

local function finish_here(reason, fields)
  finish(skey, tprefix, shard, id, s, now, reason, fields, retention, lease)
end

-- Activity moved the expiry from previous: the due entry stays, unless the warning for the new
-- expiry now comes before it (dev.curfew.core.Deadlines#rearmAfterActivity).
local function rearm(previous)
  if rearm_after_activity(previous, tonumber(s.wf), next_event(s)) then
    redis.call('ZADD', shard .. 'due', next_event(s), id)
  end
end

if op == 'peek' then return answer('PEEK') end

-- The previous token of a rotation within its grace ('gu', set by the rotation from the node's
-- RotationGrace) acts on the session; its check is handed the current token, sealed under the
-- previous one ('nt', see SealedToken). After the grace, it is a replay: the session is taken over, end it.
local in_grace = mode == 'token' and presented == s.prev and now < (tonumber(redis.call('HGET', skey, 'gu')) or 0)
if mode == 'token' and s.er == '' and presented == s.prev and not in_grace then
  finish_here(R.REPLAYED, {ra = CURFEW_ACTOR, rt = REPLAYED_TEXT})
  return answer('ENDED', 'replayed')
end
-- A deadline passed: end it now, whoever asks first.
if s.er == '' and now >= expires(s) then
  local deadline = expires(s)
  finish_here(timeout_reason(s), {dl = deadline, db = 'request'})
  return answer('ENDED', 'expired')
end
if s.er ~= '' then
  if mode == 'token' then
    -- Refusals of an ended token are recorded at most once a second, with the repeats between.
    local repeats = refusal_due(skey, s, now)
    if repeats then return answer('ENDED', 'refused_record', repeats) end
  end
  return answer('ENDED')
end

if op == 'check' then
  -- ARGV[8]: the places the enforcement point speaks for ('': the holder's own endpoints).
  if ARGV[8] and ARGV[8] ~= '' and not admits(s.aud, ARGV[8]) then
    local repeats = refusal_due(skey, s, now)
    if repeats then return answer('WRONG_AUDIENCE', 'refused_record', repeats) end
    return answer('WRONG_AUDIENCE')
  end
  if ARGV[7] == '1' then
    local previous = expires(s)
    s.la = tostring(now)
    s.ie = tostring(now + num(s, 'idle'))
    redis.call('HSET', skey, 'la', s.la, 'ie', s.ie)
    rearm(previous)
  end
  if in_grace then return answer('ALLOWED', 'grace', redis.call('HGET', skey, 'nt')) end
  if ARGV[7] == '1' and num(s, 'renew') > 0 and now - num(s, 'ti') >= num(s, 'renew') then
    return answer('ALLOWED', 'rotate_due')
  end
  return answer('ALLOWED')
elseif op == 'rotate' then
  -- ARGV[7]: the new token's hash; ARGV[8]: the new token sealed under the presented one; ARGV[9]:
  -- the grace in ms. Only the current token rotates, and only when due; a request that lost the
  -- race to rotate (it holds the previous token now) is handed the winner's token.
  if in_grace then return answer('ALLOWED', 'grace', redis.call('HGET', skey, 'nt')) end
  if presented ~= s.tok or num(s, 'renew') <= 0 or now - num(s, 'ti') < num(s, 'renew') then
    return answer('ALLOWED')
  end
  if s.prev ~= '' then redis.call('DEL', tprefix .. s.prev) end
  local ttl = num(s, 'ae') - now + retention
  redis.call('SET', tprefix .. ARGV[7], id, 'PX', ttl)
  s.prev, s.tok, s.ti = s.tok, ARGV[7], tostring(now)
  redis.call('HSET', skey, 'prev', s.prev, 'tok', s.tok, 'ti', s.ti, 'gu', now + tonumber(ARGV[9]), 'nt', ARGV[8])
  return answer('ALLOWED', 'rotated', claim_change(skey, shard, id, now, lease, 'r', {now, s.ver}))
elseif op == 'extend' then
  -- A refusal's extra: the repeats to record with it, or '' when it is only counted.
  if num(s, 'ext') >= num(s, 'maxext') then return answer('REFUSED', REFUSAL.NO_EXTENSIONS, refusal_due(skey, s, now)) end
  if num(s, 'ae') <= num(s, 'ie') then return answer('REFUSED', REFUSAL.ABSOLUTE_LIMIT, refusal_due(skey, s, now)) end
  local previous = expires(s)
  s.la = tostring(now)
  s.ie = tostring(now + num(s, 'idle'))
  s.ext = tostring(num(s, 'ext') + 1)
  redis.call('HSET', skey, 'la', s.la, 'ie', s.ie, 'ext', s.ext)
  rearm(previous)
  return answer('ALLOWED', 'extended',
    claim_change(skey, shard, id, now, lease, 'x', {now, previous, s.ver, s.ie, s.ae, s.ext}))
elseif op == 'ack' then
  -- Only a warning that was sent, and each once: a holder cannot write records at will.
  if s.wf == '' or s.wa == s.wf then
    local flag = REFUSAL.WARNING_ALREADY_ACKNOWLEDGED
    if s.wf == '' then flag = REFUSAL.NO_WARNING_SENT end
    return answer('REFUSED', flag, refusal_due(skey, s, now))
  end
  s.wa = s.wf
  redis.call('HSET', skey, 'wa', s.wa)
  return answer('ALLOWED', 'acknowledged', claim_change(skey, shard, id, now, lease, 'a', {now, s.ver, s.wa}))
elseif op == 'get' then
  return answer('ALLOWED')
elseif op == 'logout' then
  finish_here(R.LOGGED_OUT, {})
  return answer('ALLOWED', 'ended')
elseif op == 'revoke' then
  -- ARGV[9]: the end reason when not 'revoked' (an IdP's logout: 'idp_logout'); the caller checks it.
  finish_here(ARGV[9] or R.REVOKED, {ra = ARGV[7], rt = ARGV[8]})
  return answer('ALLOWED', 'ended')
elseif op == 'apply' then
  -- A new version of the session's policy, narrowed field by field against the session's own
  -- values (common.lua's narrow): ARGV[7..13] = name, version, idle, absolute, warn, max
  -- extensions, renew (ms, 0: never).
  if s.pol ~= ARGV[7] then return answer('SKIPPED') end
  local previous = expires(s)
  narrow(s, {ver = ARGV[8], idle = ARGV[9], abs = ARGV[10], warn = ARGV[11], maxext = ARGV[12], renew = ARGV[13]})
  s.ie = tostring(math.min(num(s, 'ie'), num(s, 'la') + num(s, 'idle')))
  s.ae = tostring(math.min(num(s, 'ae'), num(s, 'c') + num(s, 'abs')))
  redis.call('HSET', skey, 'ver', s.ver, 'idle', s.idle, 'abs', s.abs, 'warn', s.warn, 'maxext', s.maxext,
    'renew', s.renew, 'ie', s.ie, 'ae', s.ae)
  local member = claim_change(skey, shard, id, now, lease, 'p',
    {now, previous, s.ver, s.ie, s.ae, s.idle, s.abs, s.warn, s.maxext, s.renew})
  if now >= expires(s) then
    local deadline = expires(s)
    finish_here(timeout_reason(s), {dl = deadline, db = 'request'})
    return answer('ALLOWED', 'applied_ended', member)
  end
  redis.call('ZADD', shard .. 'due', next_event(s), id)
  return answer('ALLOWED', 'applied', member)
end
return redis.error_reply('unknown operation ' .. op)
