#!/usr/bin/env bash
# Gateway vs direct upstream, same run: wrk on loopback, 64 connections, against nginx answering a
# fixed 200 (the upstream costs as little as possible, so the figures show the gateway's own cost).
# Usage: curfew-bench/load/gateway.sh [seconds]   (needs nginx, wrk, curl, a JDK and Maven)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
secs=${1:-15}
tmp=$(mktemp -d)
trap 'kill $(cat "$tmp/curfew.pid" 2>/dev/null) 2>/dev/null || true; nginx -p "$tmp" -c "$tmp/nginx.conf" -s stop 2>/dev/null || true; rm -rf "$tmp"' EXIT
up=18901; api=18902; gw=18903
user=$([ "$(id -u)" = 0 ] && echo "user root;" || true)
cat > "$tmp/nginx.conf" <<NGINX
$user
worker_processes 1;
pid $tmp/nginx.pid;
error_log $tmp/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $tmp/b; proxy_temp_path $tmp/p; fastcgi_temp_path $tmp/f; uwsgi_temp_path $tmp/u; scgi_temp_path $tmp/s;
  server { listen 127.0.0.1:$up; location / { default_type text/plain; return 200 "ok\n"; } }
}
NGINX
nginx -p "$tmp" -e "$tmp/error.log" -c "$tmp/nginx.conf"
[ -f curfew-server/target/curfew.jar ] || mvn -q -B -DskipTests -pl curfew-server -am package
cat > "$tmp/curfew.yaml" <<YAML
gateway:
  port: $gw
  routes:
    - path: /
      upstream: http://127.0.0.1:$up
      login_path: /login
YAML
export CURFEW_API_KEY=bench-key-0123456789abcdef
java ${CURFEW_JAVA_OPTS:-} -jar curfew-server/target/curfew.jar serve --config "$tmp/curfew.yaml" --port $api --data "$tmp/data" > "$tmp/curfew.log" 2>&1 &
echo $! > "$tmp/curfew.pid"
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$api/healthz" >/dev/null && break; sleep 0.2; done
token=$(curl -sf -H "Authorization: Bearer $CURFEW_API_KEY" -H 'Content-Type: application/json' \
  -d '{"subject":"bench"}' "http://127.0.0.1:$api/v1/sessions" | sed 's/.*"token":"\([^"]*\)".*/\1/')
curl -sf -o /dev/null -H "Cookie: __Host-curfew=$token" "http://127.0.0.1:$gw/" || { echo "gateway refused the session"; exit 1; }
echo "machine: $(nproc) CPUs, $(lscpu | sed -n 's/^Model name: *//p')"
# JIT warm-up: 20 s, because after 3 s the C2 compiler thread still used ~75 % of a CPU during the
# measured run (top -H), which took a third of the gateway's throughput on a 2-CPU machine.
wrk -t2 -c64 -d"${CURFEW_WARMUP_SECS:-20}s" "http://127.0.0.1:$gw/" -H "Cookie: __Host-curfew=$token" >/dev/null
echo "== direct (nginx)"; wrk -t2 -c64 -d"${secs}s" --latency "http://127.0.0.1:$up/"
echo "== through the gateway (session checked and touched on every request)"
wrk -t2 -c64 -d"${secs}s" --latency "http://127.0.0.1:$gw/" -H "Cookie: __Host-curfew=$token"
