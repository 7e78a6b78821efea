-- Opens a session. KEYS[1]: session key, KEYS[2]: token key.
-- ARGV: shard prefix, id, retention ms, subject, policy, version, idle, absolute, warn, max extensions,
-- renew (ms, 0: never), token hash hex, attributes (JSON), due-hint channel, audience (Audience#wire()).
local shard, id, retention = ARGV[1], ARGV[2], tonumber(ARGV[3])
if redis.call('EXISTS', KEYS[1], KEYS[2]) > 0 then return {'COLLISION'} end
local now = clock()
local s = {sub = ARGV[4], pol = ARGV[5], ver = ARGV[6], idle = ARGV[7], abs = ARGV[8], warn = ARGV[9],
  maxext = ARGV[10], renew = ARGV[11], c = tostring(now), la = tostring(now),
  ie = tostring(now + tonumber(ARGV[7])), ae = tostring(now + tonumber(ARGV[8])), ext = '0', tok = ARGV[12],
  prev = '', ti = tostring(now), er = '', ea = '', wf = '', attrs = ARGV[13], lr = '', rr = '0', ra = '',
  rt = '', dl = '', db = '', aud = ARGV[15], wa = ''}
local set = {}
for _, k in ipairs(F) do
  set[#set + 1] = k
  set[#set + 1] = s[k]
end
redis.call('HSET', KEYS[1], unpack(set))
local ttl = tonumber(ARGV[8]) + retention
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('SET', KEYS[2], id, 'PX', ttl)
local at = next_event(s)
redis.call('ZADD', shard .. 'due', at, id)
redis.call('INCR', shard .. 'live')
-- Tell the nodes when this is now the shard's earliest deadline, so that they look in time.
local first = redis.call('ZRANGE', shard .. 'due', 0, 0)
if first[1] == id then redis.call('PUBLISH', ARGV[14], shard .. ' ' .. at) end
local out = {'ALLOWED', now, '', '', id}
for i, v in ipairs(row(s)) do out[5 + i] = v end
return out
