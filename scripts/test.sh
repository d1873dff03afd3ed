#!/usr/bin/env bash
# Runs every test of newsarchive, installing first whatever the tests need and
# the machine lacks: Python's feedparser (feeds are checked with a real feed
# parser), schemathesis (the API fuzzer), Debian's Chromium and the browser
# tests' npm packages. Then: cargo test (unit and integration tests),
# schemathesis against the API, and the real-browser tests, both against the
# binary cargo test built.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! python3 -c 'import feedparser' 2>/dev/null; then
  echo "scripts/test.sh: installing feedparser from PyPI"
  python3 -m pip install --quiet --disable-pip-version-check 'feedparser==6.0.14'
fi

if ! python3 -c 'import schemathesis' 2>/dev/null; then
  echo "scripts/test.sh: installing schemathesis from PyPI"
  python3 -m pip install --quiet --disable-pip-version-check 'schemathesis==4.32.5'
fi

cargo test
bash tests/api/run.sh
bash tests/browser/run.sh
