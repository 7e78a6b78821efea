#!/usr/bin/env bash
# The crash loop (docs/reliability.md): a real `curfew serve` under mixed load, killed with SIGKILL
# at random moments KILLS times, restarted and checked after each kill against the harness's own
# ledger of acknowledged changes, with `curfew audit verify` after every kill.
#
# Usage: curfew-bench/reliability/crash-loop.sh [KILLS (50)] [WORK_DIR (a new temporary one)] [harness options...]
#   harness options: --seed S, --workers W, --load-ms MIN:MAX, --startup-kills FRACTION
# Exit 0 when nothing was violated. The server's output is in WORK_DIR/server.log.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
kills="${1:-50}"
work="${2:-$(mktemp -d "${TMPDIR:-/tmp}/curfew-crash-loop.XXXXXX")}"
shift $(( $# < 2 ? $# : 2 ))

build() { mvn -q -B "$@" -f "$root/pom.xml" -pl curfew-server,curfew-bench -am package -DskipTests; }
build -o 2>/dev/null || build

exec java -cp "$root/curfew-bench/target/curfew-bench.jar" dev.curfew.bench.reliability.CrashLoop \
  --kills "$kills" --work "$work" --server "java -jar $root/curfew-server/target/curfew.jar" "$@"
