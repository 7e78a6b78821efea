#!/usr/bin/env bash
# Load test of a real `curfew serve` over loopback from a second process (wrk):
#   1. POST /v1/sessions with durable group commit (create.lua)
#   2. POST /v1/check with touch, keep-alive, on random tokens of live sessions (check.lua)
# Usage: curfew-bench/load/run.sh [duration, default 20s] [connections, default 64]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$here/../.."
duration="${1:-20s}"
conns="${2:-64}"
work="$(mktemp -d)"
port=18181
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$work"' EXIT

cat > "$work/curfew.yaml" <<YAML
policies:
  default: { idle_timeout: 1h, absolute_timeout: 12h, warn_before: 2m, max_extensions: 10 }
# one key opening sessions as fast as it can is what the default open_per_key limit refuses
rate_limits: { enabled: false }
YAML
export CURFEW_API_KEY="load-test-key-0123456789"
CURFEW_JAVA_OPTS="${CURFEW_JAVA_OPTS:-}" "$root/curfew" serve --config "$work/curfew.yaml" --port "$port" --data "$work/data" > "$work/serve.log" 2>&1 &
pid=$!
for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.5; done
url="http://127.0.0.1:$port"
echo "== machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), $(java -version 2>&1 | head -1)"
echo "== load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

echo "== warm-up and tokens (5s)"
TOKENS="$work/tokens.txt" wrk -t1 -c16 -d5s -s "$here/tokens.lua" "$url/v1/sessions" > /dev/null
echo "tokens: $(wc -l < "$work/tokens.txt")"

echo "== POST /v1/sessions, $conns connections, $duration (each 201 after fsync)"
wrk -t2 -c"$conns" -d"$duration" --latency -s "$here/create.lua" "$url/v1/sessions"

echo "== POST /v1/check touch=true, $conns connections, $duration"
TOKENS="$work/tokens.txt" wrk -t2 -c"$conns" -d"$duration" --latency -s "$here/check.lua" "$url/v1/check"
echo "== load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
