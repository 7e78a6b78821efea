-- Claims what is due in one shard, exactly once across nodes: expiries (the session ends here and
-- now), warnings, and pending entries whose claimant did not confirm in time (it died): endings,
-- warnings, and the changes a request made (common.lua's claim_change).
-- KEYS[1]: the shard's due set (its hash tag names the shard).
-- ARGV: shard prefix, most entries per call, retention ms, lease ms.
-- Returns {now, earliest remaining deadline or '', {kind, id, extra, row...}...}.
local shard, max, retention, lease = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local sprefix, tprefix = shard .. 's:', shard .. 't:'
local now = clock()
local out = {now, ''}
local function emit(kind, id, extra, s)
  local e = {kind, id, tostring(extra or '')}
  if s then for i, v in ipairs(row(s)) do e[3 + i] = v end end
  out[#out + 1] = e
end
-- Pending entries whose lease ran out: claimed again, by this node.
for _, m in ipairs(redis.call('ZRANGEBYSCORE', shard .. 'pending', '-inf', now, 'LIMIT', 0, max)) do
  redis.call('ZADD', shard .. 'pending', now + lease, m)
  local id = string.match(m, '^%a|([^|]+)')
  emit('redeliver', id, m, load(sprefix .. id))
end
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, max)) do
  local skey = sprefix .. id
  local s = load(skey)
  if not s or s.er ~= '' then
    redis.call('ZREM', KEYS[1], id)
  elseif now >= expires(s) then
    local deadline = expires(s)
    finish(skey, tprefix, shard, id, s, now, timeout_reason(s), {dl = deadline, db = 'timer'}, retention, lease)
    emit('expired', id, '', s)
  elseif warning_due(s) and now >= warning_at(expires(s), num(s, 'warn')) then
    local e = expires(s)
    s.wf = tostring(e)
    redis.call('HSET', skey, 'wf', s.wf)
    redis.call('ZADD', KEYS[1], e, id)
    emit('warning', id, claim_change(skey, shard, id, now, lease, 'w', {now, s.ver, e}), s)
  else
    redis.call('ZADD', KEYS[1], next_event(s), id)
  end
end
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if first[2] then out[2] = first[2] end
return out
