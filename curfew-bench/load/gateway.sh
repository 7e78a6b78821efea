#!/usr/bin/env bash
# The HTTP gateway against nginx, same run: wrk on loopback, 64 connections, against nginx answering
# a fixed 200 (the upstream costs as little as possible, so the figures show each proxy's own cost):
#   1. direct to the upstream;
#   2. nginx proxy_pass to the same upstream, no auth (keep-alive upstream connections);
#   3. the Curfew gateway (session checked and touched on every request);
#   4. nginx auth_request -> Curfew GET /v1/forward-auth (docs/forward-auth.md), then proxy_pass.
# Usage: curfew-bench/load/gateway.sh [seconds]   (needs nginx with auth_request, wrk, curl, a JDK
#   and Maven)
# Environment: CURFEW_WARMUP_SECS (20) in WARMUP_ROUNDS (3) wrk runs, PARTS ("direct proxy gateway auth-request"),
#   SERVER_CPUS / CLIENT_CPUS (taskset lists, see lib.sh), TRANSPORT (server.transport: auto, io_uring,
#   epoll or nio; default auto). Prints one RESULT line per run, and a CPU line with the Curfew
#   gateway's CPU time (user + system) per request.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here/../.."
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
secs=${1:-15}
parts="${PARTS:-direct proxy gateway auth-request}"
tmp=$(mktemp -d)
# the server stops (final snapshot) before its data directory goes
trap 'kill "$(cat "$tmp/curfew.pid" 2>/dev/null)" 2>/dev/null || true; wait 2>/dev/null; nginx_stop "$tmp/nginx"; rm -rf "$tmp"' EXIT
up=$(free_port); api=$(free_port); gw=$(free_port); px=$(free_port); au=$(free_port)
nginx_start "$tmp/nginx" "
  upstream app { server 127.0.0.1:$up; keepalive 64; }
  upstream curfew { server 127.0.0.1:$api; keepalive 64; }
  server { listen 127.0.0.1:$up; location / { default_type text/plain; return 200 \"ok\n\"; } }
  server {
    listen 127.0.0.1:$px;
    location / { proxy_http_version 1.1; proxy_set_header Connection \"\"; proxy_pass http://app; }
  }
  server {
    listen 127.0.0.1:$au;
    location = /_curfew_auth {
      internal;
      proxy_pass http://curfew/v1/forward-auth;
      proxy_http_version 1.1;
      proxy_set_header Connection \"\";
      proxy_pass_request_body off;
      proxy_set_header Content-Length \"\";
      proxy_set_header X-Curfew-Passive \"\";
      proxy_set_header X-Curfew-Audience \"app:bench\";
      proxy_set_header X-Original-URI \$request_uri;
    }
    location / {
      auth_request /_curfew_auth;
      auth_request_set \$curfew_subject \$upstream_http_x_curfew_subject;
      auth_request_set \$curfew_session \$upstream_http_x_curfew_session_id;
      auth_request_set \$curfew_expires \$upstream_http_x_curfew_expires_at;
      proxy_set_header X-Curfew-Subject \$curfew_subject;
      proxy_set_header X-Curfew-Session-Id \$curfew_session;
      proxy_set_header X-Curfew-Expires-At \$curfew_expires;
      proxy_set_header X-Curfew-Passive \"\";
      proxy_hide_header Cache-Control;
      add_header Cache-Control \"no-store\" always;
      proxy_http_version 1.1;
      proxy_set_header Connection \"\";
      proxy_pass http://app;
    }
  }"
[ -f curfew-server/target/curfew.jar ] || mvn -q -B -DskipTests -pl curfew-server -am package
# The sessions of the bench key may be used on the gateway route and on the app nginx guards.
cat > "$tmp/curfew.yaml" <<YAML
server: { transport: ${TRANSPORT:-auto} }
api_keys:
  - { name: bench, key_env: CURFEW_BENCH_KEY, audience: [ "app:bench", "route:/" ] }
gateway:
  port: $gw
  routes:
    - path: /
      upstream: http://127.0.0.1:$up
      login_path: /login
YAML
export CURFEW_BENCH_KEY=bench-key-0123456789abcdef
# shellcheck disable=SC2086
start_server "$tmp/curfew.pid" java ${CURFEW_JAVA_OPTS:-} -jar curfew-server/target/curfew.jar serve --config "$tmp/curfew.yaml" \
  --port $api --data "$tmp/data" > "$tmp/curfew.log" 2>&1
wait_http "http://127.0.0.1:$api/healthz"
token=$(curl -sf -H "Authorization: Bearer $CURFEW_BENCH_KEY" -H 'Content-Type: application/json' \
  -d '{"subject":"bench"}' "http://127.0.0.1:$api/v1/sessions" | sed 's/.*"token":"\([^"]*\)".*/\1/') \
  || { echo "could not open a session"; tail -20 "$tmp/curfew.log"; exit 1; }
cookie="Cookie: __Host-curfew=$token"
curl -sf -o /dev/null -H "$cookie" "http://127.0.0.1:$gw/" || { echo "gateway refused the session"; exit 1; }
curl -sf -o /dev/null -H "$cookie" "http://127.0.0.1:$au/" || { echo "nginx auth_request refused the session"; exit 1; }
echo "machine: $(nproc) CPUs, $(lscpu | sed -n 's/^Model name: *//p'); pinning: servers ${SERVER_CPUS:-any}, wrk ${CLIENT_CPUS:-any}"
# JIT warm-up: 20 s, because after 3 s the C2 compiler thread still used ~75 % of a CPU during the
# measured run (top -H), which took a third of the gateway's throughput on a 2-CPU machine.
warm="${CURFEW_WARMUP_SECS:-20}"
# ... in rounds of wrk runs (warmup_rounds, in_rounds: lib.sh)
rounds="$(warmup_rounds)" || exit 2
warm_round() { on_client wrk -t2 -c64 -d"${2}s" "$1" -H "$cookie" >/dev/null; }
warm_up() { in_rounds "$rounds" "$warm" warm_round "$1"; }
warm_up "http://127.0.0.1:$gw/"
for p in $parts; do
  case "$p" in
    direct) echo "== direct (nginx)"; wrk_run direct "$tmp/w" -t2 -c64 -d"${secs}s" "http://127.0.0.1:$up/" ;;
    proxy) echo "== nginx proxy_pass, no auth"; wrk_run nginx-proxy "$tmp/w" -t2 -c64 -d"${secs}s" "http://127.0.0.1:$px/" ;;
    gateway)
      echo "== through the Curfew gateway (session checked and touched on every request)"
      c0="$(ticks "$(cat "$tmp/curfew.pid")")"
      wrk_run gateway "$tmp/w" -t2 -c64 -d"${secs}s" "http://127.0.0.1:$gw/" -H "$cookie"
      echo "CPU|gateway|$(cpu_per "$c0" "$(ticks "$(cat "$tmp/curfew.pid")")" "$(wrk_requests "$tmp/w")") µs per request in curfew serve" ;;
    auth-request)
      echo "== nginx auth_request -> Curfew forward-auth (warm-up ${warm}s, then measured)"
      warm_up "http://127.0.0.1:$au/"
      wrk_run nginx-auth-request "$tmp/w" -t2 -c64 -d"${secs}s" "http://127.0.0.1:$au/" -H "$cookie" ;;
    *) echo "unknown part: $p" >&2; exit 2 ;;
  esac
done
