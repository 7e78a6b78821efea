#!/usr/bin/env bash
# The SSH gateway benchmark (SshGatewayBenchmark): keystroke echo round trip and cat of 100 MB,
# directly to a private sshd and through the gateway, side by side in one run. Needs openssh-server.
# Prints the figures; docs/benchmarks.md keeps them with the machine and load they were taken on.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
if ! mvn -B -q -pl curfew-gateway-ssh -am verify -Dtest=SshGatewayBenchmark -Dsurefire.failIfNoSpecifiedTests=false \
    -Djacoco.skip=true -Dcurfew.bench=true >"$log" 2>&1; then
  cat "$log"
  exit 1
fi
grep -h -A3 'SSH gateway benchmark' "$log" curfew-gateway-ssh/target/surefire-reports/*SshGatewayBenchmark* 2>/dev/null | head -4
