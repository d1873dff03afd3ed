#!/usr/bin/env bash
# Fuzzes the JSON API with schemathesis (every operation in
# /api/openapi.json, every check, an admin token for the writes, the feed
# list and /metrics) against a real
# server on 127.0.0.1 with the sample articles, built by `cargo test`.
# Fails on any schemathesis failure or error, and on any panic the server logs.
# Usage: bash tests/api/run.sh [more schemathesis options]
set -euo pipefail
cd "$(dirname "$0")/../.."

binary=target/debug/newsarchive
[ -x "$binary" ] || cargo build
work=$(mktemp -d)
server=""
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

"$binary" --data "$work/data" import samples >/dev/null
token=$("$binary" --data "$work/data" token create --name schemathesis --scope admin 2>/dev/null | head -n 1)
# No rate limits: schemathesis sends thousands of requests a minute.
"$binary" --data "$work/data" serve --listen 127.0.0.1:0 \
  --write-rate-limit 0 --search-rate-limit 0 --download-rate-limit 0 --no-follow >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 100); do
  address=$(grep -o 'listening on http://[0-9.:]*' "$work/server.log" | cut -d' ' -f3 || true)
  [ -n "$address" ] && break
  sleep 0.1
done
[ -n "$address" ] || { cat "$work/server.log"; echo "tests/api/run.sh: the server did not start"; exit 1; }

status=0
SCHEMATHESIS_HOOKS=hooks PYTHONPATH=tests/api schemathesis --config-file tests/api/schemathesis.toml run "$address/api/openapi.json" \
  --checks all \
  --exclude-checks use_after_free \
  --header "Authorization: Bearer $token" \
  --max-examples "${SCHEMATHESIS_EXAMPLES:-40}" \
  --no-color \
  "$@" || status=$?

if grep -n 'panicked' "$work/server.log"; then
  echo "tests/api/run.sh: the server panicked (log lines above)"
  status=1
fi
exit "$status"
