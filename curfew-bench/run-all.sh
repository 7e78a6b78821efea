#!/usr/bin/env bash
# The whole side-by-side performance table of issue #17 in one command: installs what it needs
# (wrk, nginx with auth_request, redis-benchmark), builds once, runs each part and prints one table
# with the machine, the git commit, each part's Curfew figure, its peer's figure in the same run,
# the ratio, the target, met / not met, and the 1-minute load average before and after the part.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
# shellcheck source-path=SCRIPTDIR source=load/lib.sh
. "$here/load/lib.sh"

all_parts="check,heap,http,create,gateway,redis,expiry-g1,expiry-zgc,scaling"

usage() {
  cat <<USAGE
Usage: curfew-bench/run-all.sh [--quick | --long] [--parts a,b,c] [--no-install] [--no-build]
                                [--scaling-sizes N,N,...] [--scaling-docs]

Parts (default: all, in this order): $all_parts
  check       JMH CheckBenchmark.checkAndTouch, 1 M live sessions, one thread     target >= 2 M ops/s
  heap        HeapPerSession, 1 M sessions                                        target <= 256 B/session
  http        POST /v1/check (wrk, 64 connections) between two runs of nginx
              'return 200' answering the same POST                               target >= 85 %, p99 <= 2 ms
  create      durable POST /v1/sessions (wrk, 64 connections)                     target >= 50 k/s
  gateway     direct nginx, nginx proxy_pass (no auth), the Curfew gateway and
              nginx auth_request + Curfew forward-auth, same upstream             target >= proxy_pass, p50 +0.2 ms
  redis       curfew-bench-peers/run.sh: Curfew through Redis vs Spring Session's
              indexed repository and redis-benchmark GET -c 50                   target >= 10x, >= 100 %
  expiry-g1   ExpiryLateness, 1 M sessions, 20 k checks/s on a second thread, G1  target p99 <= 1 ms, max <= 5 ms
  expiry-zgc  the same with ZGC
  scaling     Scaling: throughput, heap and lateness at 10 k .. 10 M sessions (CSV + PNG)

Modes: default: short warm-ups (5 s JIT warm-up for HTTP, 3x5 s JMH), 10 s measured runs;
  --quick: a smoke test of every part, seconds each, small sizes (figures not comparable);
  --long: 20 s warm-ups and 30 s measured runs, 5 JMH iterations.
Environment overrides: SECS, WARMUP (HTTP seconds), JMH_ARGS, SESSIONS (1000000), EXPIRY_SESSIONS,
  EXPIRY_IDLE (40 s: longer than opening EXPIRY_SESSIONS takes),
  SCALING_SIZES, SCALING_XMX (auto), PIN (1: servers on the first half of the CPUs, wrk and the
  benchmark client on the rest; 0: no taskset), MVN (mvn), MVN_ARGS (extra Maven arguments, e.g.
  -o -Dmaven.repo.local=...), REDIS (127.0.0.1:6379).
--scaling-docs writes the scaling plot to docs/benchmarks-scaling.png and its CSV to
  docs/benchmarks-scaling.csv (default: curfew-bench/target/).
The table is Markdown, printed at the end and kept in curfew-bench/target/run-all.md.
USAGE
}

mode=default
parts="$all_parts"
install=1
build=1
scaling_docs=0
scaling_sizes="${SCALING_SIZES:-}"
while [ $# -gt 0 ]; do
  case "$1" in
    --help | -h) usage; exit 0 ;;
    --quick) mode=quick ;;
    --long) mode=long ;;
    --parts) parts="$2"; shift ;;
    --no-install) install=0 ;;
    --no-build) build=0 ;;
    --scaling-sizes) scaling_sizes="$2"; shift ;;
    --scaling-docs) scaling_docs=1 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
for p in ${parts//,/ }; do
  case ",$all_parts," in *",$p,"*) ;; *) echo "unknown part: $p (see --help)" >&2; exit 2 ;; esac
done
want() { case ",$parts," in *",$1,"*) return 0 ;; *) return 1 ;; esac; }

case "$mode" in
  quick) secs=3; warm=2; jmh="-wi 1 -w 2s -i 1 -r 3s"; sessions=100000; exp_sessions=50000; exp_idle=10
    sizes=10000,100000; sc_warm=1; sc_measure=2; peers="DURATION=3 WARMUP=1 SESSIONS=10000 THREADS=16 IN_FLIGHT=64 GET_REQUESTS=100000 GET_CLIENTS=50" ;;
  long) secs=30; warm=20; jmh="-wi 3 -w 10s -i 5 -r 10s"; sessions=1000000; exp_sessions=1000000; exp_idle=40
    sizes=10000,100000,1000000,10000000; sc_warm=5; sc_measure=10; peers="DURATION=20 WARMUP=5" ;;
  *) secs=10; warm=5; jmh="-wi 3 -w 5s -i 3 -r 5s"; sessions=1000000; exp_sessions=1000000; exp_idle=40
    sizes=10000,100000,1000000,10000000; sc_warm=3; sc_measure=5; peers="DURATION=10 WARMUP=3" ;;
esac
secs="${SECS:-$secs}"
warm="${WARMUP:-$warm}"
jmh="${JMH_ARGS:-$jmh}"
sessions="${SESSIONS:-$sessions}"
exp_sessions="${EXPIRY_SESSIONS:-$exp_sessions}"
# the shortest idle timeout of ExpiryLateness: must stay longer than opening its sessions takes
exp_idle="${EXPIRY_IDLE:-$exp_idle}"
sizes="${scaling_sizes:-$sizes}"
mvn_cmd="${MVN:-mvn}"
# shellcheck disable=SC2206
mvn_args=(${MVN_ARGS:-})

# Pinning: on N CPUs the servers get the first N/2, the load generator the others.
ncpu="$(nproc)"
if [ "${PIN:-1}" = 1 ] && [ "$ncpu" -ge 2 ]; then
  half=$((ncpu / 2))
  export SERVER_CPUS="0-$((half - 1))" CLIENT_CPUS="$half-$((ncpu - 1))"
fi

# --- what it needs ---
need_pkgs=()
if [ "$install" = 1 ]; then
  command -v wrk > /dev/null || need_pkgs+=(wrk)
  { command -v nginx > /dev/null && nginx -V 2>&1 | grep -q http_auth_request; } || need_pkgs+=(nginx-light)
  command -v redis-benchmark > /dev/null || need_pkgs+=(redis-tools)
  command -v taskset > /dev/null || need_pkgs+=(util-linux)
  command -v curl > /dev/null || need_pkgs+=(curl)
  if [ ${#need_pkgs[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" = 0 ] || sudo=sudo
    echo "== installing ${need_pkgs[*]}"
    $sudo apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${need_pkgs[@]}"
    # the package starts a system nginx on port 80; the benchmarks run their own
    $sudo systemctl disable --now nginx 2> /dev/null || true
  fi
fi
command -v java > /dev/null || { echo "a JDK 17+ is needed (java on PATH)" >&2; exit 1; }

# --- build once ---
if [ "$build" = 1 ]; then
  echo "== building curfew-server and curfew-bench"
  (cd "$root" && "$mvn_cmd" "${mvn_args[@]}" -q -B -DskipTests -Djacoco.skip=true -pl curfew-server,curfew-bench -am package)
  if want redis; then
    echo "== building curfew-bench-peers (profile peers)"
    (cd "$root" && "$mvn_cmd" "${mvn_args[@]}" -q -B -DskipTests -Djacoco.skip=true -Ppeers -pl curfew-bench-peers -am package)
  fi
fi
jar="$here/target/curfew-bench.jar"
[ -f "$jar" ] || { echo "missing $jar (run without --no-build)" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
rows="$work/rows"
: > "$rows"
mkdir -p "$here/target"
log="$here/target/run-all.log"
: > "$log"

# row PART CURFEW PEER RATIO TARGET VERDICT LOAD
row() { printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$@" >> "$rows"; }
# verdict CONDITION (an awk expression): met / NOT MET
verdict() { awk "BEGIN { exit !($1) }" && echo met || echo "**NOT MET**"; }
fmt() { awk -v v="$1" 'BEGIN { s = sprintf("%.0f", v); while (s ~ /[0-9][0-9][0-9][0-9]/) sub(/[0-9][0-9][0-9]($|,)/, ",&", s); print s }'; }
calc() { awk "BEGIN { printf \"%.${2:-2}f\", $1 }"; }

# run_part NAME CMD...: runs CMD with its output to the log and $work/out, sets $load ("a → b").
run_part() {
  local name="$1" before
  shift
  before="$(load1)"
  echo "== part $name ($(date -u +%H:%M:%S), load $before)" | tee -a "$log"
  set +e
  "$@" > "$work/out" 2>&1
  local rc=$?
  set -e
  cat "$work/out" >> "$log"
  load="$before → $(load1)"
  if [ "$rc" != 0 ]; then
    echo "   part $name failed (exit $rc); see $log" | tee -a "$log"
    row "$name" "failed (exit $rc)" - - - - "$load"
    return 1
  fi
}
result() { grep "^RESULT|$1|" "$work/out" | head -1 | cut -d'|' -f"$2"; }

part_check() {
  # shellcheck disable=SC2086
  # JMH reads the name as a regular expression: anchored, or checkAndTouchFromArray runs too
  run_part check on_client java -jar "$jar" 'CheckBenchmark.checkAndTouch$' -p sessions="$sessions" -f 1 -t 1 $jmh \
    -rf csv -rff "$work/jmh.csv" || return 0
  local ops
  ops="$(awk -F, '$1 == "\"dev.curfew.bench.CheckBenchmark.checkAndTouch\"" { print $5 }' "$work/jmh.csv")"
  row "in-process check-and-touch, $(fmt "$sessions") sessions, one thread (JMH)" "$(fmt "$ops") ops/s" - - \
    "≥ 2,000,000 ops/s" "$(verdict "$ops >= 2000000")" "$load"
}

part_heap() {
  run_part heap java -Xmx4g -cp "$jar" dev.curfew.bench.HeapPerSession "$sessions" || return 0
  local b
  b="$(sed -n 's/.*bytes_per_session=\([0-9.]*\).*/\1/p' "$work/out")"
  row "heap per live session, $(fmt "$sessions") sessions" "$b B" - - "≤ 256 B" "$(verdict "$b <= 256")" "$load"
}

part_http() {
  local which="$1" name=http
  [ "$which" = create ] && name=create
  run_part "$name" env WARMUP="$warm" PARTS="$which" "$here/load/run.sh" "${secs}s" 64 || return 0
  if [ "$which" = check ]; then
    local c c50 c99 n1 n2 n
    c="$(result check 3)"; c50="$(result check 4)"; c99="$(result check 5)"
    n1="$(result nginx-before 3)"; n2="$(result nginx-after 3)"
    n="$(calc "($n1 + $n2) / 2" 0)"
    row "POST /v1/check vs nginx return 200 (same POST, wrk 64 conn.)" "$(fmt "$c") req/s, p50 $c50 ms, p99 $c99 ms" \
      "$(fmt "$n") req/s (before $(fmt "$n1"), after $(fmt "$n2")), p99 $(result nginx-before 5) / $(result nginx-after 5) ms" \
      "$(calc "100 * $c / $n" 0) %" "≥ 85 %, p99 ≤ 2 ms" "$(verdict "$c >= 0.85 * $n && $c99 <= 2")" "$load"
  else
    local r
    r="$(result create 3)"
    row "durable POST /v1/sessions (wrk 64 conn.)" "$(fmt "$r") req/s, p50 $(result create 4) ms, p99 $(result create 5) ms" \
      - - "≥ 50,000/s" "$(verdict "$r >= 50000")" "$load"
  fi
}

part_gateway() {
  run_part gateway env CURFEW_WARMUP_SECS="$warm" "$here/load/gateway.sh" "$secs" || return 0
  local d p g a g50 p50 a50
  d="$(result direct 3)"; p="$(result nginx-proxy 3)"; g="$(result gateway 3)"; a="$(result nginx-auth-request 3)"
  g50="$(result gateway 4)"; p50="$(result nginx-proxy 4)"; a50="$(result nginx-auth-request 4)"
  row "gateway vs nginx proxy_pass, no auth (direct: $(fmt "$d") req/s, p50 $(result direct 4) ms)" \
    "$(fmt "$g") req/s, p50 $g50 ms" "$(fmt "$p") req/s, p50 $p50 ms" "$(calc "100 * $g / $p" 0) %, p50 $(calc "$g50 - $p50" 3) ms" \
    "≥ 100 %, p50 within 0.2 ms" "$(verdict "$g >= $p && $g50 - $p50 <= 0.2")" "$load"
  row "gateway vs nginx auth_request + Curfew forward-auth" "$(fmt "$g") req/s, p50 $g50 ms" "$(fmt "$a") req/s, p50 $a50 ms" \
    "$(calc "$g / $a" 2)×" "far ahead (> 1× here)" "$(verdict "$g > $a")" "$load"
}

part_redis() {
  # shellcheck disable=SC2086
  run_part redis env NO_BUILD=1 REDIS="${REDIS:-127.0.0.1:6379}" $peers "$root/curfew-bench-peers/run.sh" || return 0
  local best spring get50
  best="$(awk -F'|' '$1 == "RESULT" && $2 == "curfew-redis" && $5 > m { m = $5 } END { print m + 0 }' "$work/out")"
  spring="$(awk -F'|' '$1 == "RESULT" && $2 == "spring-session-indexed" && $5 > m { m = $5 } END { print m + 0 }' "$work/out")"
  get50="$(awk -F'|' '$1 == "RESULT" && $2 ~ /^redis-benchmark GET/ && $4 == 50 && $5 > m { m = $5 } END { print m + 0 }' "$work/out")"
  if [ "$best" = 0 ] || [ "$spring" = 0 ] || [ "$get50" = 0 ]; then
    row "Redis check-and-touch" "missing figure (curfew $best, spring $spring, GET $get50); see the log" - - - - "$load"
    return 0
  fi
  row "Redis check-and-touch vs Spring Session indexed (best concurrency each)" "$(fmt "$best") checks/s" "$(fmt "$spring") checks/s" \
    "$(calc "$best / $spring" 1)×" "≥ 10×" "$(verdict "$best >= 10 * $spring")" "$load"
  row "Redis check-and-touch vs redis-benchmark GET -c 50 (higher of two)" "$(fmt "$best") checks/s" "$(fmt "$get50") GET/s" \
    "$(calc "100 * $best / $get50" 0) %" "≥ 100 %" "$(verdict "$best >= $get50")" "$load"
}

part_expiry() {
  local gc="$1" flag
  [ "$gc" = zgc ] && flag=-XX:+UseZGC || flag=-XX:+UseG1GC
  run_part "expiry-$gc" java -Xmx6g "$flag" -cp "$jar" dev.curfew.bench.ExpiryLateness "$exp_sessions" \
    --check-rate 20000 --idle "$exp_idle" || return 0
  local line p50 p99 max rate stall
  line="$(grep '^expiries=' "$work/out")"
  p50="$(sed -n 's/.* p50=\([0-9]*\).*/\1/p' <<< "$line")"
  p99="$(sed -n 's/.* p99=\([0-9]*\) .*/\1/p' <<< "$line")"
  max="$(sed -n 's/.* max=\([0-9]*\).*/\1/p' <<< "$line")"
  rate="$(sed -n 's/.*achieved_rate=\([0-9]*\).*/\1/p' "$work/out")"
  # how late a 1 ms park woke meanwhile: what the machine, not the engine, added
  stall="$(sed -n 's/^stalls: a 1 ms park woke late by p50=[0-9.]* p99=[0-9.]* max=\([0-9.]*\) ms; \([0-9]*\) of \([0-9]*\) parks.*/\2 of \3 over 5 ms late, max \1 ms/p' "$work/out")"
  row "expiry lateness, $(fmt "$exp_sessions") sessions, ${gc^^}, $(fmt "$rate") checks/s alongside" \
    "p50 $p50 ms, p99 $p99 ms, max $max ms${stall:+ (1 ms parks meanwhile: $stall)}" - - \
    "p99 ≤ 1 ms, max ≤ 5 ms" "$(verdict "$p99 <= 1 && $max <= 5")" "$load"
}

part_scaling() {
  local largest xmx csv png
  largest="$(tr ',' '\n' <<< "$sizes" | sort -n | tail -1)"
  # about 1 KB a session for the engine, the test's tokens and headroom, at least 2 GiB
  xmx="${SCALING_XMX:-$(( largest / 1000000 + 2 ))g}"
  if [ "$scaling_docs" = 1 ]; then
    csv="$root/docs/benchmarks-scaling.csv"; png="$root/docs/benchmarks-scaling.png"
  else
    csv="$here/target/scaling.csv"; png="$here/target/scaling.png"
  fi
  # The heap fixed and touched at start, as CheckBenchmark's: a growing heap's first-touch faults
  # would land in the measured checks (docs/benchmarks.md, check and touch).
  run_part scaling on_client java -Xms"$xmx" -Xmx"$xmx" -XX:+AlwaysPreTouch -cp "$jar" dev.curfew.bench.Scaling --sizes "$sizes" \
    --warmup "$sc_warm" --measure "$sc_measure" --csv "$csv" --png "$png" || return 0
  grep '^RESULT|scaling|' "$work/out" | while IFS='|' read -r _ _ n ops bytes _ _ p50 p99 max; do
    row "how cost grows: $(fmt "$n") live sessions" "$(fmt "$ops") checks/s; $bytes B/session; lateness p50 $p50 / p99 $p99 / max $max ms" \
      - - "table and plot (${png#"$root"/})" - "$load"
  done
}

# The kernel's access monitor (DAMON), if it runs: on a virtual machine its sampling can hold up a
# process with a large heap for tens of milliseconds (docs/benchmarks.md, expiry lateness).
damon() {
  local d state ops sample
  for d in /sys/kernel/mm/damon/admin/kdamonds/[0-9]*; do
    [ -r "$d/state" ] || continue
    state="$(cat "$d/state")"
    ops="$(cat "$d/contexts/0/operations" 2>/dev/null || echo '?')"
    sample="$(cat "$d/contexts/0/monitoring_attrs/intervals/sample_us" 2>/dev/null || echo '?')"
    printf '%s (%s, sampling every %s µs) ' "$state" "$ops" "$sample"
  done
}

started="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
header() {
  echo "## Curfew side by side ($mode mode), $started"
  echo
  echo "- machine: $(nproc) CPUs, $(lscpu | sed -n 's/^Model name: *//p'), $(free -g | awk '/^Mem:/ {print $2}') GiB RAM, kernel $(uname -r)"
  echo "- JDK: $(java -version 2>&1 | sed -n 2p)"
  echo "- kernel access monitor (DAMON): $(d="$(damon)"; echo "${d:-none running}" | sed "s/ *$//")"
  echo "- commit: $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$root" diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)')"
  if [ -n "${SERVER_CPUS:-}" ]; then
    echo "- pinning (taskset): servers on CPUs $SERVER_CPUS, wrk and the in-process benchmarks on CPUs $CLIENT_CPUS"
  else
    echo "- pinning: none"
  fi
  echo "- measured ${secs} s per HTTP run after ${warm} s of warm-up; JMH: $jmh; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
}
header | tee -a "$log"

for p in ${parts//,/ }; do
  case "$p" in
    check) part_check ;;
    heap) part_heap ;;
    http) part_http check ;;
    create) part_http create ;;
    gateway) part_gateway ;;
    redis) part_redis ;;
    expiry-g1) part_expiry g1 ;;
    expiry-zgc) part_expiry zgc ;;
    scaling) part_scaling ;;
  esac
done

{
  header
  echo "| part | Curfew | peer (same run) | ratio | target | verdict | load 1 min before → after |"
  echo "|---|---|---|---|---|---|---|"
  cat "$rows"
  echo
  echo "Full output: curfew-bench/target/run-all.log. On a machine shared with other work, a figure is"
  echo "only as good as its load column: on $(nproc) CPUs anything above $(nproc) means the part had less than the machine."
} > "$here/target/run-all.md"
echo
cat "$here/target/run-all.md"
