#!/usr/bin/env bash
# The comparison of the encoder's back ends (docs/design/search.md): builds
# encoder_benchmark three times, on OpenBLAS (what the server uses), on
# Eigen alone and on libtorch (Debian's libtorch-dev, installed here: 160
# packages, ~500 MB, so it is not part of the normal set-up), in
# build-encoder-backends/, and runs each with 1 and 2 threads.
set -euo pipefail
cd "$(dirname "$0")/.."
as_root() { if [[ $(id -u) == 0 ]]; then "$@"; else sudo -n "$@"; fi; }
if ! dpkg-query -W -f='${Status}' libtorch-dev 2>/dev/null | grep -q "install ok installed"; then
  echo "bench-encoder-backends: installing libtorch-dev"
  as_root apt-get install -y -qq --no-install-recommends libtorch-dev >/dev/null
fi
dir=build-encoder-backends
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang \
  -DCMAKE_CXX_COMPILER=clang++ -DMYTSDB_BENCHMARKS=ON -DMYTSDB_ENCODER_COMPARISON=ON >/dev/null
ninja -C "$dir" encoder_benchmark encoder_eigen_benchmark encoder_libtorch_benchmark
mkdir -p "$dir/results"
for backend in encoder encoder_eigen encoder_libtorch; do
  for threads in 1 2; do
    printf '\n==> %s, %s thread(s)\n' "$backend" "$threads"
    ENCODER_THREADS=$threads "$dir/src/search/${backend}_benchmark" --benchmark_repetitions=3 \
      --benchmark_report_aggregates_only=true \
      --benchmark_out="$dir/results/${backend}-${threads}.json" --benchmark_out_format=json "$@"
  done
done
