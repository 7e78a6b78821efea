#!/usr/bin/env bash
# Issue 15's benchmark: tools/call per second and p50, direct to an MCP server and through the MCP
# gateway, the load from a second JVM. Options as system properties, e.g.
#   curfew-gateway-mcp/bench/run.sh -Dmcp.bench.rounds=5 -Dmcp.bench.concurrency=32
# (defaults: 16 concurrent calls, 15 s warm-up of each, 3 rounds of 10 s each alternating direct and gateway).
set -euo pipefail
cd "$(dirname "$0")/../.."
mvn -B -q -DskipTests -Djacoco.skip=true install -pl curfew-gateway-mcp -am
mvn -B -pl curfew-gateway-mcp test -Djacoco.skip=true -Dmcp.bench=true -Dtest=McpGatewayBenchmark \
  -Dsurefire.failIfNoSpecifiedTests=false "$@" \
  | grep -E "^(MCP tools/call|round )" || true
cat curfew-gateway-mcp/target/surefire-reports/dev.curfew.gateway.mcp.McpGatewayBenchmark-output.txt 2>/dev/null \
  | grep -E "^(MCP tools/call|round )" || true
