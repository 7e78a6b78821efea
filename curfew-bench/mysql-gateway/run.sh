#!/usr/bin/env bash
# mysqlslap against the machine's MariaDB two ways, in one run: direct, and through Curfew's MySQL
# gateway (`curfew serve` with one databases: entry, protocol: mysql); and, where HAProxy is
# installed, a third: through HAProxy in TCP mode, a relay that checks nothing, to tell what any relay
# costs here (MySQL has no PgBouncer to compare with). All paths log in upstream as the same user with
# a password (mysql_native_password), created here and dropped at the end.
# Prints one Markdown table row per path: queries per second (from mysqlslap's average time),
# the mean time per query of one client, the CPU time per query (user + system, from /proc/PID/stat,
# over the 16-client batches) of the gateway's JVM and of MariaDB, and the load average. CPU time per
# query hardly depends on what else the machine runs, unlike the throughput.
# Usage: curfew-bench/mysql-gateway/run.sh [QUERIES_PER_CLIENT] [CLIENTS]   (defaults 2000, 16)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
per_client="${1:-2000}"
clients="${2:-16}"
my_host=127.0.0.1
my_port=3306
db=curfew_bench_myw
user=curfew_bench_myw
curfew_port=13306
haproxy_port=13307
api_port=18089
work="$(mktemp -d)"
pids=()
root() { mariadb -h $my_host -P $my_port -u root -e "$1"; }
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  root "DROP DATABASE IF EXISTS $db; DROP USER IF EXISTS '$user'@'%'" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

command -v mysqlslap >/dev/null || { echo "mysqlslap missing: apt-get install mariadb-client" >&2; exit 1; }

export BENCH_DB_PASSWORD="pw-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
root "DROP DATABASE IF EXISTS $db; DROP USER IF EXISTS '$user'@'%'; CREATE DATABASE $db;
      CREATE USER '$user'@'%' IDENTIFIED BY '$BENCH_DB_PASSWORD'; GRANT ALL ON $db.* TO '$user'@'%'"

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
    protocol: mysql
    listen: 127.0.0.1:$curfew_port
    upstream: $my_host:$my_port
    database: $db
    user: $user
    password_env: BENCH_DB_PASSWORD
    audit_statements: "off"
YAML
"$here/curfew" serve --config "$work/curfew.yaml" >"$work/curfew.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 120); do
  grep -q "database bench (mysql) listening" "$work/curfew.log" 2>/dev/null && break
  sleep 1
done
grep -q "database bench (mysql) listening" "$work/curfew.log" || { cat "$work/curfew.log" >&2; exit 1; }
token=$(curl -fsS -X POST "http://127.0.0.1:$api_port/v1/sessions" -H "Authorization: Bearer $BENCH_API_KEY" \
  -H 'Content-Type: application/json' -d '{"subject":"bench","audience":["db:bench"]}' | sed -E 's/.*"token":"([^"]+)".*/\1/')

# HAProxy, where installed: TCP mode, one listener relaying to MariaDB, two threads (the cores here).
haproxy_pid=""
if command -v haproxy >/dev/null; then
  cat > "$work/haproxy.cfg" <<CFG
global
  maxconn 1000
  nbthread $(nproc)
defaults
  mode tcp
  timeout connect 5s
  timeout client 60s
  timeout server 60s
listen mysql
  bind 127.0.0.1:$haproxy_port
  server db $my_host:$my_port
CFG
  haproxy -f "$work/haproxy.cfg" >"$work/haproxy.log" 2>&1 &
  pids+=($!)
  haproxy_pid=$!
  sleep 0.5
fi

# ticks and cpu_per: CPU time of a process (curfew-bench/load/lib.sh)
# shellcheck source=../load/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../load/lib.sh"
mariadb_pid="$(pgrep -o -x mariadbd || pgrep -o -x mysqld)"
curfew_pid="${pids[0]}"

# mysqlslap: one query, run CLIENTS ways at once, PER_CLIENT times each; its timings are of the whole batch.
slap() { # port user password concurrency queries; a path that fails says why and stops the run
  local out seconds
  out="$(mysqlslap -h 127.0.0.1 -P "$1" -u "$2" -p"$3" --create-schema=$db --query="SELECT 1 + 1" \
    --concurrency="$4" --number-of-queries="$5" --iterations=3 2>&1)" || true
  seconds="$(echo "$out" | awk '/Average number of seconds/ {print $(NF-1)}')"
  [ -n "$seconds" ] || { echo "mysqlslap on port $1 failed: $out" >&2; exit 1; }
  echo "$seconds"
}
echo "mysqlslap SELECT 1 + 1, $clients clients x $per_client queries, 3 iterations; $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ)"
echo "| path | queries/s ($clients clients) | mean ms per query (1 client) | relay CPU µs/query (user + sys) | MariaDB CPU µs/query (user + sys) | load average (1/5/15 min) at the end |"
echo "|---|---|---|---|---|---|"
for path in direct haproxy curfew; do
  case $path in
    direct) port=$my_port; u=$user; pw=$BENCH_DB_PASSWORD; middle="" ;;
    haproxy) [ -n "$haproxy_pid" ] || continue; port=$haproxy_port; u=$user; pw=$BENCH_DB_PASSWORD; middle=$haproxy_pid ;;
    curfew) port=$curfew_port; u=bench; pw=$token; middle=$curfew_pid ;;
  esac
  slap $port $u "$pw" "$clients" $((per_client * clients)) >/dev/null # warm-up (the JVM's compiler), not counted
  gw0="$(ticks "${middle:-$$}")"; db0="$(ticks "$mariadb_pid")"
  many=$(slap $port $u "$pw" "$clients" $((per_client * clients)))
  gw1="$(ticks "${middle:-$$}")"; db1="$(ticks "$mariadb_pid")"
  gwq="$(cpu_per "$gw0" "$gw1" $((3 * per_client * clients)))"; dbq="$(cpu_per "$db0" "$db1" $((3 * per_client * clients)))"
  [ -n "$middle" ] || gwq="—"
  one=$(slap $port $u "$pw" 1 "$per_client")
  qps=$(awk -v s="$many" -v n=$((per_client * clients)) 'BEGIN {printf "%d", n / s}')
  ms=$(awk -v s="$one" -v n="$per_client" 'BEGIN {printf "%.3f", 1000 * s / n}')
  echo "| $path | $qps | $ms | $gwq | $dbq | $(cut -d' ' -f1-3 /proc/loadavg) |"
done
