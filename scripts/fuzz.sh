#!/usr/bin/env bash
# Runs every libFuzzer binary (*_fuzz) in BUILD_DIR for SECONDS each, starting
# from the seed corpus in test/fuzz_corpus/<name>/ (copied, so the repository
# is not modified), JOBS of them at a time (default 2: each fuzzer uses one
# core). Exits non-zero when a fuzzer crashes and names the input.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${1:?usage: fuzz.sh BUILD_DIR SECONDS}
SECONDS_EACH=${2:-60}
JOBS=${JOBS:-2}

# One fuzzer: its summary (or its failure) is printed in one piece when it
# ends, so that parallel runs do not interleave their lines.
run_one() {
  local fuzzer=$1 name work
  name=$(basename "$fuzzer" _fuzz)
  work=$(mktemp -d)
  mkdir -p "$work/corpus" "$work/artifacts"
  if [[ -d "test/fuzz_corpus/$name" ]]; then cp -r "test/fuzz_corpus/$name/." "$work/corpus/"; fi
  local seeds
  seeds=$(ls "$work/corpus" | wc -l)
  # -timeout: an input that runs 10 s is a hang, reported as one (the default waits 20 minutes).
  if ! "$fuzzer" "$work/corpus" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$work/artifacts/" -print_final_stats=1 >"$work/log" 2>&1; then
    {
      printf 'fuzz: %s for %ss (seeds: %s)\n' "$name" "$SECONDS_EACH" "$seeds"
      tail -n 40 "$work/log"
      echo "fuzz: $name FAILED; crashing input(s): $(ls "$work"/artifacts/* 2>/dev/null)"
      echo "fuzz: keep it as a regression seed in test/fuzz_corpus/$name/"
    } >&2
    return 1
  fi
  {
    printf 'fuzz: %s for %ss (seeds: %s)\n' "$name" "$SECONDS_EACH" "$seeds"
    grep -E "stat::number_of_executed_units|cov:" "$work/log" | tail -n 2 | sed 's/^/fuzz:   /'
  }
  rm -rf "$work"
}
export -f run_one
export SECONDS_EACH

mapfile -t fuzzers < <(find "$BUILD_DIR" -name '*_fuzz' -type f -perm -u+x | sort)
[[ ${#fuzzers[@]} -gt 0 ]] || { echo "fuzz: no *_fuzz binaries in $BUILD_DIR" >&2; exit 1; }
# xargs exits non-zero when any run failed; --halt-like behaviour is not
# needed, as each run is bounded by SECONDS.
printf '%s\n' "${fuzzers[@]}" | xargs -P "$JOBS" -I{} bash -c 'run_one "$1"' _ {}
