-- The hot path: checks (with or without touch) of current tokens of live sessions, in as few steps
-- as Redis can take, several checks in one call: the node gathers the checks that arrive while its
-- previous call is under way (RedisSessionStore's CheckBatches). Each token is decided on its own,
-- in order, exactly as if it came alone; only Redis's TIME is read once for the call. Anything else
-- (unknown or rotated-out token, an ended session, a passed deadline, outside the audience) answers
-- {'SLOW'} for that token: the node then runs session.lua for it, which handles every case.
-- KEYS[i]: the i-th token's key. ARGV, four per token: shard prefix, token hash hex, touch ('1' or
-- '0'), the places the enforcement point speaks for (Audience#wire(); '': the holder's own endpoints).
-- Returns one answer per token, in order: {verdict, now, flag, '', id, {fields of L, the token hash
-- left empty}}, {'SLOW'}, or {'ERROR', message} when that token's check failed (the others are still
-- decided; the node sends that one on to session.lua, as a SLOW one).
-- L: the fields of F (common.lua) that a live session's status and this check need, in F's order
-- (RedisSessionStore reads them as Row.ofLive). The others (the previous token, the ending's fields,
-- refusal counts, the acknowledged warning) are empty or unused while the session is live, and each
-- field read costs the script about as much as a GET; L is read in ~60 % of F's time.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
-- Turning a number into text (Lua's tostring, a printf) is the dearest step of a touch, so each is
-- done once per call: the text of now, and the new idle deadline of each idle timeout seen (now +
-- idle, the same for every session with that timeout, since now is the call's).
local now_text = tostring(now)
local idle_deadlines = {}
local function idle_deadline(idle)
  local d = idle_deadlines[idle]
  if not d then
    local ms = now + tonumber(idle)
    d = {ms, tostring(ms)}
    idle_deadlines[idle] = d
  end
  return d
end

local function check(tkey, prefix, hex, touch, places)
  local id = redis.call('GET', tkey)
  if not id then return {'SLOW'} end
  local skey = prefix .. 's:' .. id
  -- The fields of L, in its order.
  local v = redis.call('HMGET', skey, 'sub', 'pol', 'ver', 'idle', 'abs', 'warn', 'maxext', 'renew', 'c', 'la', 'ie',
    'ae', 'ext', 'tok', 'ti', 'er', 'wf', 'attrs', 'aud')
  -- 14 tok, 16 er, 11 ie, 12 ae: only the current token of a live session before its deadline
  if not v[1] or v[14] ~= hex or v[16] ~= '' then return {'SLOW'} end
  local ie, ae = tonumber(v[11]), tonumber(v[12])
  if now >= expires_at(ie, ae) then return {'SLOW'} end
  -- 19 aud: outside the session's audience, session.lua refuses (and records) without touching.
  -- The same test as common.lua's admits (dev.curfew.core.Audience#admits), inlined for speed.
  if places ~= '' then
    local have, ok = {}, false
    for e in string.gmatch(v[19], '[^\n]+') do have[e] = true end
    for e in string.gmatch(places, '[^\n]+') do
      if have[e] then ok = true end
    end
    if not ok then return {'SLOW'} end
  end
  -- The token's hash goes back to the node for nothing: the answer leaves it out.
  v[14] = ''
  local flag = ''
  if touch == '1' then
    local nie = idle_deadline(v[4])
    v[10] = now_text
    v[11] = nie[2]
    redis.call('HSET', skey, 'la', v[10], 'ie', v[11])
    -- 17 wf, 6 warn: the due entry stays, unless the warning for the new expiry now comes before it
    -- (dev.curfew.core.Deadlines#rearmAfterActivity, as session.lua's rearm).
    local previous = expires_at(ie, ae)
    local nxt = next_event_at(nie[1], ae, tonumber(v[6]), tonumber(v[17]))
    if rearm_after_activity(previous, tonumber(v[17]), nxt) then redis.call('ZADD', prefix .. 'due', nxt, id) end
    local renew = tonumber(v[8])
    if renew > 0 and now - tonumber(v[15]) >= renew then flag = 'rotate_due' end
  end
  return {'ALLOWED', now, flag, '', id, v}
end

local out = {}
for i = 1, #KEYS do
  local a = (i - 1) * 4
  local ok, answer = pcall(check, KEYS[i], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], ARGV[a + 4])
  if ok then
    out[i] = answer
  else
    -- A failed redis.call raises a table with err; a Lua error, a string.
    out[i] = {'ERROR', type(answer) == 'table' and tostring(answer.err) or tostring(answer)}
  end
end
return out
