#!/usr/bin/env bash
# Check-and-touch through one local Redis, in one run, against the same server:
#   1. redis-benchmark -t get, no pipelining (-P 1): the rate of one round trip per check;
#   2. Spring Session's RedisIndexedSessionRepository (the reference of the targets) and its plain
#      RedisSessionRepository (Spring Boot's default repository type): findById +
#      setLastAccessedTime + save per check, at 8/16/32/64 threads;
#   3. Curfew's SessionStore.check(token, touch=true) through Redis, at the same threads, and with
#      64/128/256/512 asynchronous checks in flight from one thread;
#   4. redis-benchmark GET -c 50 again, to see how far the machine drifted during the run;
# then one table, with the machine (CPU, cores, JDK, Redis) and the load average of each part. The
# targets are computed against the higher of the two GET -c 50 rates.
#
# Usage: curfew-bench-peers/run.sh
# Environment (defaults): REDIS=127.0.0.1:6379 DURATION=20 WARMUP=5 SESSIONS=100000 THREADS=8,16,32,64
#   IN_FLIGHT=64,128,256,512 GET_REQUESTS=500000 GET_CLIENTS="50 8 16 32 64 128 256 512" CURFEW_STORE=redis
#   (embedded: a smoke test of the driver, never a Redis figure) PARTS="get spring spring-default curfew get-end"
#   JAVA_OPTS="" NO_BUILD=1 (use the jar as built)
# Keys are written under curfew-bench-peers:* only and deleted afterwards; the server is never
# flushed or reconfigured.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$here/.."
redis="${REDIS:-127.0.0.1:6379}"
host="${redis%:*}"
port="${redis##*:}"
duration="${DURATION:-20}"
warmup="${WARMUP:-5}"
sessions="${SESSIONS:-100000}"
threads="${THREADS:-8,16,32,64}"
in_flight="${IN_FLIGHT:-64,128,256,512}"
get_requests="${GET_REQUESTS:-500000}"
get_clients="${GET_CLIENTS:-50 8 16 32 64 128 256 512}"
store="${CURFEW_STORE:-redis}"
parts="${PARTS:-get spring spring-default curfew get-end}"
jar="$here/target/curfew-bench-peers.jar"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
results="$work/results"
: > "$results"

load1() { cut -d' ' -f1 /proc/loadavg; }

if [ "${NO_BUILD:-0}" != 1 ]; then
  echo "== building curfew-bench-peers"
  (cd "$root" && mvn -q -B -Ppeers -pl curfew-bench-peers -am package -DskipTests)
fi
redis-cli -h "$host" -p "$port" ping > /dev/null || { echo "no Redis at $redis" >&2; exit 1; }

echo "== $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "== machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), L3 $(lscpu | sed -n 's/^L3 cache: *//p'), $(free -g | awk '/^Mem:/ {print $2}') GiB RAM"
echo "== JDK: $(java -version 2>&1 | sed -n 2p)"
echo "== Redis: $(redis-cli -h "$host" -p "$port" info server | tr -d '\r' | sed -n 's/^redis_version://p') at $redis; $(redis-benchmark --version)"
echo "== uptime: $(uptime)"
echo "== sessions $sessions, warm-up ${warmup}s and ${duration}s measured at each concurrency, JAVA_OPTS='${JAVA_OPTS:-}'"

# Runs one part; its RESULT lines go to $results with the part's load average before and after.
part() {
  local before after
  before="$(load1)"
  "$@" | tee "$work/part"
  after="$(load1)"
  grep '^RESULT|' "$work/part" | sed "s/\$/|$before → $after/" >> "$results" || true
}

# get_part LABEL CLIENTS...
get_part() {
  local label="$1" c
  shift
  for c in "$@"; do
    echo "== redis-benchmark -h $host -p $port -t get -n $get_requests -c $c -P 1 --csv"
    redis-benchmark -h "$host" -p "$port" -t get -n "$get_requests" -c "$c" -P 1 --csv | tr -d '"' \
      | awk -F, -v c="$c" -v label="$label" '$1 == "GET" {
          print; printf "RESULT|%s|clients|%d|%.0f|%.3f|-|%.3f|-|%.3f|0|0|1.00|get 1.00\n", label, c, $2, $5, $7, $8 }'
  done
}

java_part() {
  local rc
  set +e
  # shellcheck disable=SC2086
  java ${JAVA_OPTS:-} -jar "$jar" "$@" --redis "$redis" --sessions "$sessions" --threads "$threads" \
    --warmup "$warmup" --duration "$duration" 2>&1 | grep -v '^SLF4J'
  rc="${PIPESTATUS[0]}"
  set -e
  # 3: the Curfew store is not plugged in (its row says so); anything else is a failure.
  if [ "$rc" != 0 ] && [ "$rc" != 3 ]; then echo "== FAILED: $1 exited with $rc"; fi
}

for p in $parts; do
  case "$p" in
    get) part get_part "redis-benchmark GET" $get_clients ;;
    spring) part java_part spring ;;
    spring-default) part java_part spring-default ;;
    curfew) part java_part curfew --store "$store" --in-flight "$in_flight" ;;
    get-end) part get_part "redis-benchmark GET (end of run)" 50 ;;
    *) echo "unknown part: $p" >&2; exit 2 ;;
  esac
done
echo "== uptime: $(uptime)"

echo
echo "== check-and-touch through Redis $redis, one run ($(date -u +%Y-%m-%dT%H:%MZ))"
awk -F'|' '
  { n++; peer[n]=$2; mode[n]=$3; conc[n]=$4; rate[n]=$5; p50[n]=$6; p99[n]=$8; p999[n]=$9; max[n]=$10
    refused[n]=$11; failed[n]=$12; cmds[n]=$13; load[n]=$15
    if ($2 ~ /^redis-benchmark GET/ && $4 == 50 && $5 > get50) get50 = $5
    if ($2 ~ /^redis-benchmark GET/ && $5 > getany) { getany = $5; getanyc = $4 }
    if ($2 == "spring-session-indexed" && $5 > spring) spring = $5 }
  function f(x) { return x == "" || x == "-" ? "-" : x }
  function th(x,   s) { s = sprintf("%.0f", x); while (s ~ /[0-9][0-9][0-9][0-9]/) sub(/[0-9][0-9][0-9]($|,)/, ",&", s); return s }
  END {
    print "| peer | mode | concurrency | checks/s | p50 ms | p99 ms | p99.9 ms | max ms | Redis commands per check | vs Spring Session indexed (best) | vs GET -c 50 (higher) | load |"
    print "|---|---|---|---|---|---|---|---|---|---|---|---|"
    for (i = 1; i <= n; i++) {
      if (mode[i] == "not-run") {
        printf "| %s | | | to be filled by the same script (RedisSessionStore not plugged in: curfew-bench-peers/src/main/java/dev/curfew/bench/peers/RedisStoreFactory.java) | | | | | | | | %s |\n", peer[i], load[i]
        continue
      }
      smoke = peer[i] ~ /embedded/
      vs_spring = (spring > 0 && !smoke) ? sprintf("%.1f×", rate[i] / spring) : "-"
      vs_get = (get50 > 0 && !smoke) ? sprintf("%.0f %%", 100 * rate[i] / get50) : "-"
      label = smoke ? peer[i] " (SMOKE: not through Redis)" : peer[i]
      if (refused[i] + failed[i] > 0) label = label sprintf(" (refused %d, failed %d)", refused[i], failed[i])
      printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", label, mode[i], conc[i], th(rate[i]),
        f(p50[i]), f(p99[i]), f(p999[i]), f(max[i]), f(cmds[i]), vs_spring, vs_get, load[i]
      if (peer[i] == "curfew-redis" && rate[i] > best) best = rate[i]
    }
    print ""
    if (best > 0) {
      printf "targets (best Curfew row, %s checks/s): >= 10x Spring Session (%s/s): %.1fx %s; >= 100 %% of GET -c 50 (%s/s): %.0f %% %s\n",
        th(best), th(spring), best / spring, best >= 10 * spring ? "MET" : "NOT MET", th(get50), 100 * best / get50,
        best >= get50 ? "MET" : "NOT MET"
      if (getany > 0) printf "(GET at its best concurrency, -c %d: %s/s; the best Curfew row is %.0f %% of it)\n", getanyc, th(getany), 100 * best / getany
    } else {
      print "targets: no Curfew figure through Redis in this run"
    }
  }' "$results"
