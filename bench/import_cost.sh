#!/usr/bin/env bash
# The cost of a change to the write path: imports the same NDJSON file into a
# fresh data directory with two newsarchive binaries (a baseline and a
# candidate), alternating, RUNS times each, and prints wall time, CPU time,
# peak RSS and the data directory's size for every run.
# Usage: bash bench/import_cost.sh BASELINE_BIN CANDIDATE_BIN FILE.ndjson [RUNS]
# Build a baseline with, e.g.:
#   git worktree add /tmp/base REV && cargo build --release --manifest-path /tmp/base/Cargo.toml --target-dir /tmp/base-target
set -euo pipefail
base=${1:?baseline binary}; cand=${2:?candidate binary}; file=${3:?NDJSON file}; runs=${4:-3}
articles=$(wc -l < "$file")
for run in $(seq "$runs"); do
  for which in baseline candidate; do
    bin=$base; [ "$which" = candidate ] && bin=$cand
    data=$(mktemp -d)
    /usr/bin/time -f "%e %U %S %M" -o "$data.time" "$bin" --data "$data" import "$file" >/dev/null 2>&1
    read -r wall user sys rss < "$data.time"
    size=$(du -sk "$data" | cut -f1)
    awk -v w="$which" -v r="$run" -v wall="$wall" -v user="$user" -v sys="$sys" -v rss="$rss" \
        -v size="$size" -v n="$articles" 'BEGIN {
      printf "%-9s run %d: %6.2f s wall (%5.0f articles/s), %6.2f s user, %5.2f s sys, peak RSS %d MiB, data %d MiB\n",
             w, r, wall, n / wall, user, sys, rss / 1024, size / 1024 }'
    rm -rf "$data" "$data.time"
  done
done
