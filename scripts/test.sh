#!/usr/bin/env bash
# Runs every test of newsarchive, installing first whatever the tests need and
# the machine lacks: Python's feedparser (feeds are checked with a real feed
# parser), warcio (tests write web-archive crawls with it), schemathesis (the API fuzzer), Debian's Chromium and the browser
# tests' npm packages. Then: cargo test (unit and integration tests, on
# SQLite), the integration tests and the API fuzzer again on a throwaway
# PostgreSQL (Debian's postgresql package, installed when missing),
# schemathesis against the API, and the real-browser tests, both against the
# binary cargo test built; last, the benchmark pipeline at a tiny scale
# (bench/run.py: 2,000 articles, a few seconds of load, with its peers
# installed when missing) so that it cannot rot. It asserts no speed; it
# fails only if a step or a request fails.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! python3 -c 'import feedparser' 2>/dev/null; then
  echo "scripts/test.sh: installing feedparser from PyPI"
  python3 -m pip install --quiet --disable-pip-version-check 'feedparser==6.0.14'
fi

if ! python3 -c 'import warcio' 2>/dev/null; then
  echo "scripts/test.sh: installing warcio from PyPI"
  python3 -m pip install --quiet --disable-pip-version-check 'warcio==1.7.5'
fi

if ! python3 -c 'import schemathesis' 2>/dev/null; then
  echo "scripts/test.sh: installing schemathesis from PyPI"
  python3 -m pip install --quiet --disable-pip-version-check 'schemathesis==4.32.5'
fi

cargo test
# The same integration suite again on PostgreSQL: a throwaway server (see
# scripts/postgres.sh; installed from Debian when missing, never skipped),
# a database of its own per test, plus the tests that need a server (marked
# ignored in the run above, which says how many).
(
  source scripts/postgres.sh
  echo "scripts/test.sh: the integration tests again, on PostgreSQL"
  cargo test --test it -- --include-ignored
  echo "scripts/test.sh: the API fuzzer on PostgreSQL"
  psql "$NEWSARCHIVE_TEST_POSTGRES/postgres" -qc 'CREATE DATABASE schemathesis'
  NEWSARCHIVE_DATABASE_URL="$NEWSARCHIVE_TEST_POSTGRES/schemathesis" bash tests/api/run.sh
)
bash tests/api/run.sh
bash tests/browser/run.sh
python3 bench/run.py --count 2000 --seconds 2 --budget 30 --binary target/debug/newsarchive
