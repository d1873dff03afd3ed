#!/usr/bin/env bash
# The crash campaign of tests/it/crash.rs at length, with release builds:
# kill -9 at random moments (imports alone and beside a server, healing
# rebuilds, reindex), trial after trial into one archive, each ending with
# `newsarchive check` clean and every article found at its latest edition.
#
#   scripts/crash_soak.sh [SECONDS] [SEED]     (default 900 s, seed from the clock)
#
# Prints every trial, then the trial count and the result; exits non-zero on
# the first failing trial (its seed and number replay it).
set -euo pipefail
cd "$(dirname "$0")/.."
budget=${1:-900}
seed=${2:-$(date +%s)}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
echo "crash soak: ${budget} s, seed ${seed}"
status=0
NEWSARCHIVE_CRASH_TRIALS=${NEWSARCHIVE_CRASH_TRIALS:-1000000} \
NEWSARCHIVE_CRASH_SECONDS=$budget \
NEWSARCHIVE_CRASH_SEED=$seed \
NEWSARCHIVE_CRASH_ARTICLES=${NEWSARCHIVE_CRASH_ARTICLES:-3000} \
    cargo test --release --test it crash::a_campaign -- --nocapture 2>&1 | tee "$log" || status=$?
trials=$(grep -c '^trial [0-9]*: .*: clean' "$log" || true)
if [ "$status" -eq 0 ]; then
    echo "crash soak result: ${trials} trials, 0 failures (seed ${seed})"
else
    echo "crash soak result: FAILED after ${trials} clean trials (seed ${seed}); see the panic above"
fi
exit "$status"
