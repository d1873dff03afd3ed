#!/usr/bin/env bash
# Runs the real-browser tests (tests/browser/*.test.mjs) against an already
# built newsarchive binary, installing only what is missing:
#   - Debian's Chromium at /usr/bin/chromium (apt-get; run as root),
#   - tests/browser/node_modules from package-lock.json (npm ci).
# It never builds: set NEWSARCHIVE_BIN, or build target/debug/newsarchive first.
# Extra arguments go to `node --test`, e.g. --test-name-pattern=search.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cd "$repo"

bin="${NEWSARCHIVE_BIN:-$repo/target/debug/newsarchive}"
if [[ ! -x "$bin" ]]; then
  echo "run.sh: no newsarchive binary at $bin" >&2
  echo "run.sh: build it first (cargo build), or set NEWSARCHIVE_BIN to a built binary" >&2
  exit 1
fi
export NEWSARCHIVE_BIN="$bin"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "run.sh: node and npm are needed (Node.js 20 or newer)" >&2
  exit 1
fi
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if (( node_major < 20 )); then
  echo "run.sh: Node.js 20 or newer is needed, found $(node --version)" >&2
  exit 1
fi

if [[ ! -x /usr/bin/chromium ]]; then
  echo "run.sh: installing Debian's chromium"
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y chromium
fi

# npm ci writes node_modules/.package-lock.json; reinstall when it is missing
# or older than the lockfile.
marker="$here/node_modules/.package-lock.json"
if [[ ! -d "$here/node_modules" || ! -f "$marker" || "$here/package-lock.json" -nt "$marker" ]]; then
  echo "run.sh: npm ci in tests/browser"
  (cd "$here" && npm ci --no-audit --no-fund)
  touch "$marker"
fi

exec node --test --test-reporter=spec "$@" tests/browser/
