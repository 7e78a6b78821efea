-- wrk script: opens sessions and writes their tokens to $TOKENS (one per line), for check.lua.
-- Usage: wrk -t1 -c16 -d5s -s tokens.lua http://127.0.0.1:8080/v1/sessions  (env CURFEW_API_KEY, TOKENS)
local key = os.getenv("CURFEW_API_KEY")
local out = io.open(os.getenv("TOKENS") or "tokens.txt", "a")
local n = 0

function request()
  n = n + 1
  return wrk.format("POST", nil, {
    ["Authorization"] = "Bearer " .. key,
    ["Content-Type"] = "application/json",
  }, '{"subject":"tok-' .. n .. '"}')
end

function response(status, headers, body)
  local t = body:match('"token":"(cft_[%w_-]+)"')
  if t then out:write(t, "\n") end
end
