#!/usr/bin/env bash
# Runs every libFuzzer binary (*_fuzz) in BUILD_DIR for SECONDS each, starting
# from the seed corpus in test/fuzz_corpus/<name>/ (copied, so the repository
# is not modified). Exits non-zero on the first crash and names the input.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${1:?usage: fuzz.sh BUILD_DIR SECONDS}
SECONDS_EACH=${2:-60}

found=0
while IFS= read -r fuzzer; do
  found=1
  name=$(basename "$fuzzer" _fuzz)
  work=$(mktemp -d)
  mkdir -p "$work/corpus" "$work/artifacts"
  if [[ -d "test/fuzz_corpus/$name" ]]; then cp -r "test/fuzz_corpus/$name/." "$work/corpus/"; fi
  printf 'fuzz: %s for %ss (seeds: %s)\n' "$name" "$SECONDS_EACH" "$(ls "$work/corpus" | wc -l)"
  # -timeout: an input that runs 10 s is a hang, reported as one (the default waits 20 minutes).
  if ! "$fuzzer" "$work/corpus" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$work/artifacts/" -print_final_stats=1 >"$work/log" 2>&1; then
    tail -n 40 "$work/log"
    echo "fuzz: $name FAILED; crashing input(s): $(ls "$work"/artifacts/* 2>/dev/null)" >&2
    echo "fuzz: keep it as a regression seed in test/fuzz_corpus/$name/" >&2
    exit 1
  fi
  grep -E "stat::number_of_executed_units|cov:" "$work/log" | tail -n 2 | sed 's/^/fuzz:   /'
  rm -rf "$work"
done < <(find "$BUILD_DIR" -name '*_fuzz' -type f -perm -u+x | sort)
[[ $found == 1 ]] || { echo "fuzz: no *_fuzz binaries in $BUILD_DIR" >&2; exit 1; }
