-- wrk script: POST /v1/sessions (durable group commit before each 201).
-- Usage: wrk -t2 -c64 -d20s -s create.lua http://127.0.0.1:8080/v1/sessions  (env CURFEW_API_KEY)
local key = os.getenv("CURFEW_API_KEY")
local n = 0

function request()
  n = n + 1
  return wrk.format("POST", nil, {
    ["Authorization"] = "Bearer " .. key,
    ["Content-Type"] = "application/json",
  }, '{"subject":"load-' .. n .. '"}')
end

function done(summary, latency, requests)
  io.write(string.format("non-2xx-or-3xx: %d\n", summary.errors.status))
  for _, p in pairs({50, 90, 99, 99.9}) do
    io.write(string.format("p%g: %.3f ms\n", p, latency:percentile(p) / 1000))
  end
end
