-- Puts back the versions of a policy that a node knows, after Redis lost them (a restart without
-- persistence, a flush). KEYS[1]: the policies hash. ARGV: name, channel, then the values of
-- versions 1..n in order (canonical JSON without the version, as policy.lua stores them).
-- A version Redis holds is kept (a node may have added it since); a missing one is written; the
-- latest becomes n unless Redis's is higher. No pending entry: each version was added, and its
-- policy.changed recorded, before Redis lost it. Returns the number of fields written.
local name = ARGV[1]
local n = #ARGV - 2
local written = 0
for v = 1, n do
  written = written + redis.call('HSETNX', KEYS[1], name .. '#' .. v, ARGV[v + 2])
end
if tonumber(redis.call('HGET', KEYS[1], name) or '0') < n then
  redis.call('HSET', KEYS[1], name, n)
  written = written + 1
end
if written > 0 then redis.call('PUBLISH', ARGV[2], name) end
return written
