#!/usr/bin/env bash
# Load test of a real `curfew serve` over loopback from a second process (wrk):
#   1. POST /v1/check with touch, keep-alive, on random tokens of live sessions (check.lua), with
#      nginx answering `return 200` to the very same requests (same script, same connections) right
#      before and after it: the ratio to nginx is the HTTP figure's yardstick;
#   2. POST /v1/sessions with durable group commit (create.lua).
# Usage: curfew-bench/load/run.sh [duration, default 20s] [connections, default 64]
# Environment: WARMUP (seconds of check load before the measured runs, default 20, in WARMUP_ROUNDS
#   wrk runs, default 3: see warmup_rounds in lib.sh), PARTS ("check
#   create"), NGINX=0 (no nginx runs), SERVER_CPUS / CLIENT_CPUS (taskset lists, see lib.sh),
#   TRANSPORT (server.transport: auto, io_uring, epoll or nio; default auto).
# Prints wrk's output and one RESULT|name|req/s|p50 ms|p99 ms|non-2xx line per run, and for
# Curfew's runs a CPU|name|... line: its CPU time (user + system) per request, which a busy machine
# disturbs far less than req/s.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$here/../.."
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
duration="${1:-20s}"
conns="${2:-64}"
warmup="${WARMUP:-20}"
parts="${PARTS:-check create}"
rounds="$(warmup_rounds)" || exit 2
work="$(mktemp -d)"
port=$(free_port)
ngx=$(free_port)
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; nginx_stop "$work/nginx"; rm -rf "$work"' EXIT

cat > "$work/curfew.yaml" <<YAML
server: { transport: ${TRANSPORT:-auto} }
policies:
  default: { idle_timeout: 1h, absolute_timeout: 12h, warn_before: 2m, max_extensions: 10 }
# one key opening sessions as fast as it can is what the default open_per_key limit refuses
rate_limits: { enabled: false }
YAML
export CURFEW_API_KEY="load-test-key-0123456789"
CURFEW_JAVA_OPTS="${CURFEW_JAVA_OPTS:-}" start_server "$work/serve.pid" "$root/curfew" serve --config "$work/curfew.yaml" \
  --port "$port" --data "$work/data" > "$work/serve.log" 2>&1
pid=$(cat "$work/serve.pid")
if [ "${NGINX:-1}" = 1 ]; then
  nginx_start "$work/nginx" "  server { listen 127.0.0.1:$ngx; location / { default_type application/json; return 200 '{\"valid\":true}'; } }"
fi
wait_http "http://127.0.0.1:$port/healthz"
url="http://127.0.0.1:$port"
echo "== machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), $(java -version 2>&1 | head -1)"
echo "== pinning: server CPUs ${SERVER_CPUS:-any}, wrk CPUs ${CLIENT_CPUS:-any}"
echo "== load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

echo "== tokens (3s)"
TOKENS="$work/tokens.txt" on_client wrk -t1 -c16 -d3s -s "$here/tokens.lua" "$url/v1/sessions" > /dev/null
echo "tokens: $(wc -l < "$work/tokens.txt")"
export TOKENS="$work/tokens.txt"

# One run of the check warm-up, SECONDS long (in_rounds, lib.sh).
check_round() { on_client wrk -t2 -c"$conns" -d"${1}s" -s "$here/check.lua" "$url/v1/check" > /dev/null; }

for p in $parts; do
  case "$p" in
    check)
      echo "== warm-up: POST /v1/check, ${warmup}s in $rounds runs"
      in_rounds "$rounds" "$warmup" check_round
      if [ "${NGINX:-1}" = 1 ]; then
        echo "== nginx return 200, same POST, $conns connections, $duration"
        wrk_run nginx-before "$work/w" -t2 -c"$conns" -d"$duration" -s "$here/check.lua" "http://127.0.0.1:$ngx/v1/check"
      fi
      echo "== POST /v1/check touch=true, $conns connections, $duration"
      c0="$(ticks "$pid")"
      wrk_run check "$work/w" -t2 -c"$conns" -d"$duration" -s "$here/check.lua" "$url/v1/check"
      echo "CPU|check|$(cpu_per "$c0" "$(ticks "$pid")" "$(wrk_requests "$work/w")") µs per request in curfew serve"
      if [ "${NGINX:-1}" = 1 ]; then
        echo "== nginx return 200 again"
        wrk_run nginx-after "$work/w" -t2 -c"$conns" -d"$duration" -s "$here/check.lua" "http://127.0.0.1:$ngx/v1/check"
      fi
      ;;
    create)
      echo "== POST /v1/sessions, $conns connections, $duration (each 201 after fsync)"
      c0="$(ticks "$pid")"
      wrk_run create "$work/w" -t2 -c"$conns" -d"$duration" -s "$here/create.lua" "$url/v1/sessions"
      echo "CPU|create|$(cpu_per "$c0" "$(ticks "$pid")" "$(wrk_requests "$work/w")") µs per request in curfew serve"
      ;;
    *) echo "unknown part: $p" >&2; exit 2 ;;
  esac
done
echo "== load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
