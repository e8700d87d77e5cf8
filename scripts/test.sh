#!/usr/bin/env bash
# The whole test suite, as `make test` and CI run it (after `make build`):
#   1. unit tests (ctest) of the release build;
#   2. the same unit tests and the server under ASan + UBSan;
#   3. every libFuzzer target for a bounded time (FUZZ_SECONDS each, default
#      10, two at a time; `make test-full` gives each 30 s and `make fuzz` 60 s);
#   4. the web UI's type check (tsc);
#   5. integration tests (pytest) against the real server binary, the UI's
#      in headless Chromium among them, the last runner, so its summary line
#      closes the output.
set -euo pipefail
cd "$(dirname "$0")/.."

JOBS="${JOBS:-2}"
FUZZ_SECONDS="${FUZZ_SECONDS:-10}"
export CC=clang CXX=clang++

# Each step names the time since the suite started, so that the slow ones show.
step() { printf '\n==> [%dm%02ds] %s\n' $((SECONDS / 60)) $((SECONDS % 60)) "$*"; }

step "unit tests (build/)"
ctest --test-dir build --output-on-failure -j "$JOBS"

if [[ "${SKIP_ASAN:-0}" != 1 ]]; then
  step "unit tests under AddressSanitizer + UndefinedBehaviorSanitizer (build-asan/)"
  [[ -f build-asan/build.ninja ]] || cmake -S . -B build-asan -G Ninja \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMYTSDB_SANITIZE=ON -DMYTSDB_BENCHMARKS=OFF >/dev/null
  ninja -C build-asan -j "$JOBS"
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir build-asan --output-on-failure -j "$JOBS"
  step "ingestion, read API, PromQL and cold tier against the sanitized server (build-asan/mytsdb)"
  # A sanitizer report aborts the server, which fails the test that hit it.
  MYTSDB_BINARY=build-asan/mytsdb ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=halt_on_error=1 \
    .venv/bin/python -m pytest test/integration/test_remote_write.py \
    test/integration/test_read_api.py test/integration/test_cold_tier.py \
    test/integration/test_cold_crash.py test/integration/test_query_api.py \
    test/integration/test_promql_differential.py test/integration/test_sql.py test/integration/test_scrape.py \
    -q -p no:cacheprovider
fi

if [[ "${SKIP_TSAN:-0}" != 1 ]]; then
  step "concurrent unit tests under ThreadSanitizer (build-tsan/)"
  [[ -f build-tsan/build.ninja ]] || cmake -S . -B build-tsan -G Ninja \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMYTSDB_TSAN=ON -DMYTSDB_BENCHMARKS=OFF >/dev/null
  ninja -C build-tsan -j "$JOBS" common_test head_test wal_test storage_test cold_test http_test query_test rules_test \
      alertmanager_test search_test scrape_test
  # Every test of the parts where threads meet: the compact mutex, appenders
  # and readers of the head, WAL group commit, reads during persists,
  # compaction and retention, backfill group commit, the HTTP server and its
  # worker pools, rule groups on their threads, the Alertmanager's timers,
  # workers and API, the scrape loops and pools. The storage fault matrix
  # runs single-threaded and is left to the other builds.
  for t in common head wal storage cold http query rules alertmanager scrape; do
    TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$PWD/scripts/tsan.supp" \
      "build-tsan/src/$t/${t}_test" --gtest_filter='-StorageFaultTest*' --gtest_brief=1
  done
  # Search: questions sharing the second core, and a search that ranks
  # while its question is embedded on another thread (the rest embeds
  # thousands of texts, too slow under TSan).
  TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$PWD/scripts/tsan.supp" \
    build-tsan/src/search/search_test --gtest_brief=1 \
    --gtest_filter='SentenceEncoderTest.Concurrent*:RemoteEmbedderTest.*:SearchServiceTest.*'

fi

if [[ "${SKIP_FUZZ:-0}" != 1 ]]; then
  step "fuzzers, ${FUZZ_SECONDS}s each, ${JOBS} at a time (build-fuzz/)"
  [[ -f build-fuzz/build.ninja ]] || cmake -S . -B build-fuzz -G Ninja \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMYTSDB_FUZZ=ON -DMYTSDB_BENCHMARKS=OFF >/dev/null
  ninja -C build-fuzz -j "$JOBS" fuzzers
  JOBS="$JOBS" bash scripts/fuzz.sh build-fuzz "$FUZZ_SECONDS"
fi

step "web UI type check (tsc)"
(cd web && node_modules/.bin/tsc --noEmit -p .)

step "integration tests (pytest, real server binary; the UI's in headless Chromium)"
.venv/bin/python -m pytest test/integration -q -p no:cacheprovider --durations=8 "$@"
