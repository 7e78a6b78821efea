# shellcheck shell=bash
# Shared helpers of the load scripts (run.sh, gateway.sh) and of ../run-all.sh; sourced, not run.
# Pinning: when SERVER_CPUS / CLIENT_CPUS are set (taskset CPU lists), the servers (Curfew, nginx)
# run on SERVER_CPUS and wrk on CLIENT_CPUS, so that the load generator does not take CPU from
# the server it measures, and Curfew and nginx get the same CPUs.

load1() { cut -d' ' -f1 /proc/loadavg; }

# warmup_rounds: WARMUP_ROUNDS (3 by default), the runs one after the other that a warm-up is split
# into, so that the measured run is not the first to follow closed connections: code the JVM compiled
# before any connection closed is thrown away (deoptimised) at the first closes and compiled again
# (docs/benchmarks.md, PostgreSQL gateway). Anything but a whole number from 1 is an error.
warmup_rounds() {
  local rounds="${WARMUP_ROUNDS:-3}"
  [[ "$rounds" =~ ^[1-9][0-9]*$ ]] || { echo "WARMUP_ROUNDS must be a whole number from 1: $rounds" >&2; return 2; }
  echo "$rounds"
}

# in_rounds ROUNDS SECONDS CMD...: runs CMD... ROUNDS times, one after the other, each time with one
# more argument: its share of SECONDS, rounded up (a warm-up split as warmup_rounds says).
in_rounds() {
  local rounds="$1" total="$2" round
  shift 2
  for ((round = 0; round < rounds; round++)); do "$@" $(( (total + rounds - 1) / rounds )); done
}

# on_server CMD...: runs CMD pinned to SERVER_CPUS (if set).
on_server() {
  if [ -n "${SERVER_CPUS:-}" ]; then taskset -c "$SERVER_CPUS" "$@"; else "$@"; fi
}

# start_server PIDFILE CMD...: starts CMD in the background, pinned to SERVER_CPUS (if set), and
# writes its own PID to PIDFILE. (`on_server CMD &` would background a subshell running the
# function, and killing that subshell's PID leaves the server running.)
start_server() {
  local pidfile="$1"
  shift
  if [ -n "${SERVER_CPUS:-}" ]; then taskset -c "$SERVER_CPUS" "$@" & else "$@" & fi
  echo $! > "$pidfile"
}

# on_client CMD...: runs CMD pinned to CLIENT_CPUS (if set).
on_client() {
  if [ -n "${CLIENT_CPUS:-}" ]; then taskset -c "$CLIENT_CPUS" "$@"; else "$@"; fi
}

# wait_http URL: waits up to 60 s for a 2xx answer.
wait_http() {
  local _
  for _ in $(seq 1 300); do curl -sf -o /dev/null "$1" && return 0; sleep 0.2; done
  echo "no answer from $1" >&2
  return 1
}

# wrk_result NAME FILE: one line RESULT|NAME|req/s|p50 ms|p99 ms|non-2xx from wrk --latency output.
wrk_result() {
  awk -v name="$1" '
    function ms(v) {
      if (v ~ /us$/) return substr(v, 1, length(v) - 2) / 1000
      if (v ~ /ms$/) return substr(v, 1, length(v) - 2) + 0
      if (v ~ /s$/) return substr(v, 1, length(v) - 1) * 1000
      return v + 0
    }
    /^ +50%/ { p50 = ms($2) }
    /^ +99%/ { p99 = ms($2) }
    /^Requests\/sec:/ { rps = $2 }
    /^ +Non-2xx or 3xx responses:/ { bad = $NF }
    END { printf "RESULT|%s|%.0f|%.3f|%.3f|%d\n", name, rps, p50, p99, bad }' "$2"
}

# wrk_run NAME FILE WRK-ARGS...: runs wrk (pinned to the client CPUs) with --latency, keeps its
# output in FILE, prints it and its RESULT line.
wrk_run() {
  local name="$1" file="$2"
  shift 2
  on_client wrk --latency "$@" > "$file"
  cat "$file"
  wrk_result "$name" "$file"
}

# nginx_start DIR SERVER-BLOCKS: one nginx master with one worker (pinned to the server CPUs), its
# files under DIR, the given server blocks inside http {}.
nginx_start() {
  local dir="$1" servers="$2" user=""
  [ "$(id -u)" = 0 ] && user="user root;"
  mkdir -p "$dir"
  cat > "$dir/nginx.conf" <<NGINX
$user
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $dir/b; proxy_temp_path $dir/p; fastcgi_temp_path $dir/f; uwsgi_temp_path $dir/u; scgi_temp_path $dir/s;
$servers
}
NGINX
  on_server nginx -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf"
}

nginx_stop() {
  nginx -p "$1" -c "$1/nginx.conf" -s stop 2>/dev/null || true
}

# free_port: a random TCP port in 20000-59999 that nothing listens on now (the machine may run
# other benchmarks at the same time, so fixed ports are not used).
free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 40000))
    ss -ltnH "sport = :$p" 2>/dev/null | grep -q . || { echo "$p"; return; }
  done
}

# ticks PID: the CPU time (user and system clock ticks) process PID has used so far.
ticks() { awk '{print $14, $15}' "/proc/$1/stat"; }

# cpu_per BEFORE AFTER N: µs of CPU per operation between two ticks readings, as
# "user+system (user + system)"; "—" when N < 1.
cpu_per() {
  awk -v b="$1" -v a="$2" -v n="$3" -v hz="$(getconf CLK_TCK)" 'BEGIN {split(b, x, " "); split(a, y, " ");
    if (n < 1) { print "—"; exit } u = (y[1] - x[1]) * 1e6 / hz / n; s = (y[2] - x[2]) * 1e6 / hz / n;
    printf "%.0f (%.0f + %.0f)", u + s, u, s}'
}

# wrk_requests FILE: how many requests the wrk run whose output is in FILE completed.
wrk_requests() { awk '/requests in/ {print $1}' "$1"; }
