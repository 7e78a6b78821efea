-- Adds a version of a policy. KEYS[1]: the policies hash, KEYS[2]: its pending set (same slot).
-- ARGV: name, values (canonical JSON without the version), channel, force ('1': always a new
-- version; '0': only when the latest differs, as when nodes adopt their configuration), lease ms,
-- the actor (free text, hence last in the entry), and the floor: the highest version of the
-- policy the node has seen stored. A new version is numbered after both the latest here and the
-- floor, so that a Redis that lost its data (restarted empty, flushed) never has a number given
-- again by a node that saw it: a version's claim policy:<name>:<version> names one change.
-- Fields: "<name>" holds the latest version number, "<name>#<n>" the values of version n.
-- A version added leaves a pending entry "c|<name>|<n>|<now>|<actor>" until a node has its
-- policy.changed record durable; a node takes it over when its lease runs out (policyclaims.lua).
-- Returns {version, 1 if added else 0, now, pending entry or ''}.
local now = clock()
local latest = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if ARGV[4] ~= '1' and latest > 0 and redis.call('HGET', KEYS[1], ARGV[1] .. '#' .. latest) == ARGV[2] then
  return {latest, 0, now, ''}
end
local v = math.max(latest, tonumber(ARGV[7])) + 1
redis.call('HSET', KEYS[1], ARGV[1], v, ARGV[1] .. '#' .. v, ARGV[2])
local member = 'c|' .. ARGV[1] .. '|' .. v .. '|' .. now .. '|' .. ARGV[6]
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[5]), member)
redis.call('PUBLISH', ARGV[3], ARGV[1])
return {v, 1, now, member}
