-- Takes over the policy versions whose node did not record them within the lease (policy.lua's
-- pending entries): each is leased again, to this node, and returned with the version's values.
-- KEYS[1]: the policies' pending set, KEYS[2]: the policies hash. ARGV: lease ms, most entries.
-- Returns {{entry, values JSON or ''}...}.
local now = clock()
local out = {}
for _, m in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[2]))) do
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[1]), m)
  local name, v = string.match(m, '^c|([^|]+)|(%d+)|')
  out[#out + 1] = {m, redis.call('HGET', KEYS[2], name .. '#' .. v) or ''}
end
return out
