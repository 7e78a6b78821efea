-- One token bucket shared by every node, kept as the Generic Cell Rate Algorithm keeps it (ITU-T
-- Recommendation I.371, virtual scheduling): one number per bucket, its theoretical arrival time
-- (TAT, microseconds on Redis's clock), the instant the bucket is full again. The same rule as
-- RateLimiter.java, on Redis's clock so that nodes whose clocks disagree still count one bucket.
--
-- KEYS[1]  the bucket
-- ARGV[1]  the interval T between tokens, microseconds
-- ARGV[2]  the tolerance tau = (limit - 1) * T, microseconds
-- ARGV[3]  "take": take a token if there is one (nothing changes otherwise);
--          "charge": count something that already happened, even from an empty bucket, which
--          then stays empty for at most one more interval
-- Answers the microseconds until a request would conform: for "take", 0 when the token was taken;
-- for "charge", after the charge (0 while tokens are left).
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
local start = math.max(tat, now)
local new
if ARGV[3] == 'take' then
  local early = start - now - tolerance
  if early > 0 then return early end
  new = start + interval
else
  new = math.min(start + interval, now + tolerance + interval)
end
-- A bucket whose TAT has passed is full, the same as no key: it expires then.
redis.call('SET', KEYS[1], string.format('%.0f', new), 'PX', math.floor((new - now) / 1000) + 1)
if ARGV[3] == 'take' then return 0 end
return math.max(0, new - now - tolerance)
