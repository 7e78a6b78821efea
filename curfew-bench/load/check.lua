-- wrk script: POST /v1/check with a random token from tokens.txt (one per line), touch true.
-- Usage: wrk -t2 -c64 -d20s -s check.lua http://127.0.0.1:8080/v1/check  (env CURFEW_API_KEY, TOKENS)
local tokens = {}
local key = os.getenv("CURFEW_API_KEY")

function init(args)
  local path = os.getenv("TOKENS") or "tokens.txt"
  for line in io.lines(path) do
    tokens[#tokens + 1] = line
  end
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 100000)
end

function request()
  local t = tokens[math.random(#tokens)]
  return wrk.format("POST", nil, {
    ["Authorization"] = "Bearer " .. key,
    ["Content-Type"] = "application/json",
  }, '{"token":"' .. t .. '","touch":true}')
end

function done(summary, latency, requests)
  io.write(string.format("non-2xx-or-3xx: %d\n", summary.errors.status))
  for _, p in pairs({50, 90, 99, 99.9}) do
    io.write(string.format("p%g: %.3f ms\n", p, latency:percentile(p) / 1000))
  end
end
