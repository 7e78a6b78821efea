-- Adds a session id to its subject's index before the session exists (so that revoking a subject
-- can never miss one), and keeps the index as long as its longest session may be remembered.
-- KEYS[1]: the subject's index. ARGV: id, lifetime ms.
redis.call('SADD', KEYS[1], ARGV[1])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 1
