#!/usr/bin/env bash
# The soak (docs/reliability.md): a real `curfew serve` holding SESSIONS live sessions under paced
# mixed traffic for SECONDS; reports heap after GC over time, errors, expiry lateness from the audit
# trail, and audit verify.
#
# Usage: curfew-bench/reliability/soak.sh [SECONDS (600)] [SESSIONS (50000)] [WORK_DIR] [--rate OPS_PER_S] [--workers W]
# Exit 0 when there was no error and the audit log verifies. Server output: WORK_DIR/server.log, GC log: WORK_DIR/gc.log.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
seconds="${1:-600}"
sessions="${2:-50000}"
work="${3:-$(mktemp -d "${TMPDIR:-/tmp}/curfew-soak.XXXXXX")}"
shift $(( $# < 3 ? $# : 3 ))

build() { mvn -q -B "$@" -f "$root/pom.xml" -pl curfew-server,curfew-bench -am package -DskipTests; }
build -o 2>/dev/null || build

exec java -cp "$root/curfew-bench/target/curfew-bench.jar" dev.curfew.bench.reliability.Soak \
  --seconds "$seconds" --sessions "$sessions" --work "$work" --server "java -jar $root/curfew-server/target/curfew.jar" "$@"
