#!/usr/bin/env bash
# Runs testssl.sh (Debian package `testssl.sh`, command `testssl`) against both TLS ports of
# `./curfew serve`: the API and the gateway, each with an EC P-256 certificate made here for
# localhost (self-signed: its trust findings are expected). docs/security.md records what it found.
#
#   scripts/testssl.sh [OUT_DIR]      (default: ./testssl-out; ports: CURFEW_TESTSSL_PORTS="18443 18444")
#
# Writes OUT_DIR/{api,gateway}.log (testssl's own report) and .json (its findings), prints every
# finding of severity LOW or above, and exits 1 if a HIGH or CRITICAL one remains beyond the test
# certificate's own trust (see ACCEPTED below). Needs a JDK 17+, Maven, openssl, testssl and jq.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$(mkdir -p "${1:-testssl-out}" && cd "${1:-testssl-out}" && pwd)"
read -r api_port gw_port <<<"${CURFEW_TESTSSL_PORTS:-18443 18444}"
for tool in openssl testssl jq; do
  command -v "$tool" >/dev/null || { echo "testssl.sh: $tool is not installed (apt-get install openssl testssl.sh jq)" >&2; exit 2; }
done

# Findings that come from the certificate being self-signed for this run, not from Curfew's TLS:
# no CA vouches for it (chain of trust), and it names no CRL or OCSP responder (revocation).
ACCEPTED='^(cert_chain_of_trust|cert_revocation)$'

work="$(mktemp -d)"
server_pid=""
cleanup() {
  local rc=$?   # the script's own status, not the stopped server's
  if [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; then wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT

# A year's validity, so that testssl's "expires in < 30 days" speaks of no real certificate.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 365 \
  -subj /CN=localhost -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
  -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
chmod 600 "$work/key.pem"
cat >"$work/curfew.yaml" <<YAML
server:
  host: 127.0.0.1
  port: $api_port
  tls: {cert: "$work/cert.pem", key: "$work/key.pem"}
gateway:
  port: $gw_port
  tls: {cert: "$work/cert.pem", key: "$work/key.pem"}
  routes:
    - {path: /, upstream: "http://127.0.0.1:9", login_path: /login}
YAML

env -u CURFEW_API_KEY "$here/curfew" serve --config "$work/curfew.yaml" --data "$work/data" >"$out/serve.log" 2>&1 &
server_pid=$!
for _ in $(seq 600); do   # the first run builds the jar
  grep -q "gateway listening on https://" "$out/serve.log" 2>/dev/null && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$out/serve.log" >&2; exit 1; }
  sleep 1
done
grep -q "gateway listening on https://" "$out/serve.log" || { echo "testssl.sh: the server did not start" >&2; exit 1; }

status=0
for target in "api:$api_port" "gateway:$gw_port"; do
  name="${target%%:*}"; port="${target##*:}"
  rm -f "$out/$name.log" "$out/$name.json"
  echo "== $name (127.0.0.1:$port)"
  testssl --quiet --color 0 --warnings off --logfile "$out/$name.log" --jsonfile "$out/$name.json" \
    --ip 127.0.0.1 "localhost:$port" >/dev/null || true   # testssl's exit status counts findings; judged below
  jq -r '.[] | select(.severity|test("LOW|MEDIUM|HIGH|CRITICAL")) | "\(.severity)\t\(.id)\t\(.finding)"' \
    "$out/$name.json"
  blocking="$(jq -r --arg accepted "$ACCEPTED" \
    '.[] | select(.severity|test("HIGH|CRITICAL")) | select(.id|test($accepted)|not) | .id' "$out/$name.json")"
  if [ -n "$blocking" ]; then
    echo "$name: HIGH or CRITICAL beyond the test certificate's trust: $blocking" >&2
    status=1
  fi
done
exit "$status"
