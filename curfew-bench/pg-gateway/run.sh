#!/usr/bin/env bash
# pgbench -S (select-only) with 16 clients against the machine's PostgreSQL three ways, in one run:
# direct, through PgBouncer (session pooling, started here on a loopback port with its own config)
# and through Curfew's PostgreSQL gateway (`curfew serve` with one databases: entry). Prints one
# Markdown table row per path: TPS, mean and median (p50) latency, the CPU time per transaction
# (user + system, from /proc/PID/stat) of the process in the middle (PgBouncer's, or the gateway's
# JVM), and the load average. CPU time per transaction hardly depends on what else the machine runs,
# unlike the throughput.
# Usage: curfew-bench/pg-gateway/run.sh [SECONDS] [CLIENTS]   (defaults 20 s, 16 clients; WARMUP=15 s
#        in WARMUP_ROUNDS=3 runs;
#        PATHS="direct pgbouncer curfew" chooses the paths and their order; HOOK=cmd runs cmd with the
#        middle process's pid as its argument while each timed run goes, e.g. a profiler; the paths
#        floor-vertx and floor-netty are RelayFloor, a relay that parses and checks nothing, on the
#        gateway's transport: what the relay under the gateway costs without it)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
seconds="${1:-20}"
clients="${2:-16}"
# Seconds of the same load before each measured run, for every path alike. 15 s by default: after
# 5 s the gateway's JIT compiler threads still used 1.6 s of CPU in the first 10 s of the measured
# run (per-thread ticks), which a long-running gateway never pays again.
warmup="${WARMUP:-15}"
# ticks, cpu_per (CPU time of the process in the middle) and warmup_rounds: curfew-bench/load/lib.sh
# shellcheck source=../load/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../load/lib.sh"
# ... in rounds of pgbench runs (warmup_rounds, in_rounds)
rounds="$(warmup_rounds)" || exit 2
pg_host=127.0.0.1
pg_port=5432
db=curfew_bench_pgw
bouncer_port=6543
curfew_port=6544
floor_port=6545
api_port=18088
work="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  psql -X -q -h $pg_host -p $pg_port -U postgres -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

command -v pgbench >/dev/null || { echo "pgbench missing: apt-get install postgresql-contrib" >&2; exit 1; }
command -v pgbouncer >/dev/null || { echo "pgbouncer missing: apt-get install pgbouncer" >&2; exit 1; }

psql -X -q -h $pg_host -p $pg_port -U postgres -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
pgbench -q -i -s 10 -h $pg_host -p $pg_port -U postgres $db >/dev/null 2>&1

# PgBouncer: session pooling, trust on loopback, Curfew's upstream user forced in the [databases] line.
cat > "$work/pgbouncer.ini" <<INI
[databases]
$db = host=$pg_host port=$pg_port dbname=$db user=postgres
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $bouncer_port
unix_socket_dir =
auth_type = any
pool_mode = session
max_client_conn = 200
default_pool_size = $((clients + 4))
logfile = $work/pgbouncer.log
pidfile = $work/pgbouncer.pid
INI
# PgBouncer refuses to run as root: there, it runs as the postgres user.
chmod 755 "$work"
if [ "$(id -u)" = 0 ]; then
  touch "$work/pgbouncer.log" && chown postgres "$work/pgbouncer.log" && chmod 777 "$work"
  runuser -u postgres -- pgbouncer "$work/pgbouncer.ini" >/dev/null 2>&1 &
else
  pgbouncer "$work/pgbouncer.ini" >/dev/null 2>&1 &
fi
pids+=($!)

# Curfew: a policy long enough that nothing ends during the run; statements not audited.
export BENCH_API_KEY="bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
cat > "$work/curfew.yaml" <<YAML
server: {host: 127.0.0.1, port: $api_port}
data_dir: $work/curfew-data
api_keys: [{name: bench, key_env: BENCH_API_KEY}]
rate_limits: {enabled: false}
policies:
  default: {idle_timeout: 1h, absolute_timeout: 8h}
databases:
  - name: bench
    protocol: postgres
    listen: 127.0.0.1:$curfew_port
    upstream: $pg_host:$pg_port
    database: $db
    user: postgres
    audit_statements: "off"
YAML
"$here/curfew" serve --config "$work/curfew.yaml" >"$work/curfew.log" 2>&1 &
pids+=($!)
curfew_pid=$!
for _ in $(seq 1 120); do
  grep -q "database bench (postgres) listening" "$work/curfew.log" 2>/dev/null && break
  sleep 1
done
grep -q "database bench (postgres) listening" "$work/curfew.log" || { cat "$work/curfew.log" >&2; exit 1; }
# PgBouncer's own process (as root, $! above is runuser's), from its pid file.
for _ in $(seq 1 50); do [ -s "$work/pgbouncer.pid" ] && break; sleep 0.1; done
bouncer_pid="$(cat "$work/pgbouncer.pid")"
token="$(curl -fsS -X POST "http://127.0.0.1:$api_port/v1/sessions" -H "Authorization: Bearer $BENCH_API_KEY" \
  -H 'Content-Type: application/json' -d '{"subject": "bench", "audience": ["db:bench"]}' | sed -E 's/.*"token" *: *"([^"]+)".*/\1/')"

# One warm-up run of pgbench, not counted: PORT USER PASSWORD SECONDS (in_rounds).
warm_round() {
  (cd "$work" && PGPASSWORD="$3" PGSSLMODE=disable pgbench -n -S -c "$clients" -j 2 -T "$4" \
    -h 127.0.0.1 -p "$1" -U "$2" $db >/dev/null 2>&1) || true
}

# One run: TPS from pgbench's summary, p50 from its per-transaction log (3rd column: latency in µs).
run() {
  local name="$1" port="$2" user="$3" password="$4" middle="${5:-}"
  rm -f "$work"/log.*
  local out c0="" c1=""
  # Warm-up, not counted: the gateway's JVM compiles its hot paths, every path opens its backends.
  in_rounds "$rounds" "$warmup" warm_round "$port" "$user" "$password"
  [ -n "$middle" ] && c0="$(ticks "$middle")"
  local hook_pid=""
  if [ -n "${HOOK:-}" ] && [ -n "$middle" ]; then $HOOK "$middle" & hook_pid=$!; fi
  out="$(cd "$work" && PGPASSWORD="$password" PGSSLMODE=disable pgbench -n -S -c "$clients" -j 2 -T "$seconds" \
    -h 127.0.0.1 -p "$port" -U "$user" -l --log-prefix=log $db 2>&1)" || { echo "$name: pgbench failed: $out" >&2; return 1; }
  [ -n "$middle" ] && c1="$(ticks "$middle")"
  [ -n "$hook_pid" ] && wait "$hook_pid"
  local tps mean p50 load cpu="—" n
  tps="$(echo "$out" | sed -nE 's/^tps = ([0-9.]+).*/\1/p' | head -1)"
  mean="$(echo "$out" | sed -nE 's/^latency average = ([0-9.]+) ms/\1/p')"
  p50="$(cat "$work"/log.* | awk '{print $3}' | sort -n | awk '{a[NR]=$1} END {printf "%.3f", a[int((NR+1)/2)]/1000}')"
  load="$(cut -d' ' -f1-3 /proc/loadavg)"
  n="$(echo "$out" | sed -nE 's/^number of transactions actually processed: ([0-9]+).*/\1/p')"
  [ -n "$middle" ] && cpu="$(cpu_per "$c0" "$c1" "${n:-0}")"
  echo "| $name | $tps | $mean | $p50 | $cpu | $load |"
}

echo "pgbench -S -c $clients -j 2 -T $seconds, scale 10; $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ)"
echo "| path | TPS | mean latency ms | p50 latency ms | CPU µs per transaction in the middle (user + sys) | load average (1/5/15 min) at the end |"
echo "|---|---|---|---|---|---|"
for path in ${PATHS:-direct pgbouncer curfew}; do
  case "$path" in
    direct) run direct $pg_port postgres "" ;;
    pgbouncer) run "PgBouncer (session pooling)" $bouncer_port postgres "" "$bouncer_pid" ;;
    curfew) run "Curfew gateway" $curfew_port bench "$token" "$curfew_pid" ;;
    floor-vertx|floor-netty)
      kind="${path#floor-}"
      floor_jar="$here/curfew-bench/target/curfew-bench.jar"
      [ -f "$floor_jar" ] || { echo "$floor_jar missing: mvn -q -B -pl curfew-bench -am package -DskipTests" >&2; exit 1; }
      java ${CURFEW_JAVA_OPTS:-} -cp "$floor_jar" dev.curfew.bench.RelayFloor "$kind" \
        "$floor_port" "$pg_host:$pg_port" >"$work/floor-$kind.log" 2>&1 &
      floor_pid=$!
      pids+=($floor_pid)
      for _ in $(seq 1 100); do grep -q listening "$work/floor-$kind.log" 2>/dev/null && break; sleep 0.1; done
      grep -q listening "$work/floor-$kind.log" || { cat "$work/floor-$kind.log" >&2; exit 1; }
      run "RelayFloor $kind ($(sed -nE 's/.*\((.*)\) listening.*/\1/p' "$work/floor-$kind.log"))" "$floor_port" postgres "" "$floor_pid"
      kill "$floor_pid"; wait "$floor_pid" 2>/dev/null || true ;;
    *) echo "unknown path in PATHS: $path (direct, pgbouncer, curfew, floor-vertx, floor-netty)" >&2; exit 2 ;;
  esac
done
