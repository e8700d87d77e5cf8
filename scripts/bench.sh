#!/usr/bin/env bash
# Runs every Google Benchmark binary of the release build and keeps the JSON
# results in build/bench/ (see docs/BENCHMARKS.md for recorded figures).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p build/bench
found=0
for b in $(find build/src -name '*_benchmark' -type f -perm -u+x | sort); do
  found=1
  name=$(basename "$b")
  printf '\n==> %s\n' "$name"
  "$b" --benchmark_min_time=0.2 --benchmark_out="build/bench/$name.json" \
       --benchmark_out_format=json "$@"
done
[[ $found == 1 ]] || { echo "bench: no benchmark binaries in build/; run make build" >&2; exit 1; }
