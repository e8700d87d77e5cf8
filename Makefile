# MyTSDB: the two commands a newcomer needs are `make run` and `make test`.
# Both install what is missing (scripts/setup.sh is idempotent), then build.

BUILD_DIR    ?= build
ASAN_DIR     ?= build-asan
FUZZ_DIR     ?= build-fuzz
DATA_DIR     ?= ./data
LISTEN       ?= 127.0.0.1:9663
JOBS         ?= 2
CMAKE_FLAGS  ?=
FUZZ_SECONDS ?= 60

export CC  := clang
export CXX := clang++

.PHONY: all setup build run test test-full fuzz bench bench-search bench-scrape bench-encoder-backends bench-compare bench-compare-1m bench-scale bench-interleaved bench-interference soak clean

all: build

setup:
	@bash scripts/setup.sh

$(BUILD_DIR)/build.ninja:
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS)

# The server, then the web UI's bundle into $(BUILD_DIR)/ui, where the server
# finds it (docs/UI.md).
build: setup $(BUILD_DIR)/build.ninja
	ninja -C $(BUILD_DIR) -j $(JOBS)
	node web/build.mjs --out $(BUILD_DIR)/ui

run: build
	$(BUILD_DIR)/mytsdb serve --data-dir $(DATA_DIR) --listen $(LISTEN)

# Unit tests (ctest), the same under ASan/UBSan, a bounded fuzz run, then the
# Python integration tests against the real server binary (scripts/test.sh).
test: build
	bash scripts/test.sh

# The same with the slow matrices whole: every file-system call of every
# maintenance step failed in turn (make test samples 4 per call kind), the
# churn test with 1,000,000 series (make test: 200,000), 30 s for each
# fuzzer (make test: 10 s), and the integration tests marked full_only (the
# benchmark harnesses' further workloads).
test-full: build
	MYTSDB_TEST_FULL=1 MYTSDB_FAULT_MATRIX=full MYTSDB_CHURN_WAVES=10 MYTSDB_CHURN_SERIES=100000 FUZZ_SECONDS=30 bash scripts/test.sh

# One, two and three writers on one table in object storage (moto on
# 127.0.0.1): ingest, persist, merge and query figures, and the store's
# requests and bytes per million samples (docs/SCALING.md, "Capacity").
bench-scale: build
	.venv/bin/python bench/scale.py $(BENCH_ARGS)

# Google Benchmark micro-benchmarks (chunk, WAL, remote-write decode, head).
bench: build
	bash scripts/bench.sh

# Semantic search: hit rates over real exporters' catalogs, then indexing
# 100,000 families and query latency (docs/SEARCH.md, docs/BENCHMARKS.md).
bench-search: build
	$(BUILD_DIR)/mytsdb-search-bench --out bench/results/search-eval.json eval
	$(BUILD_DIR)/mytsdb-search-bench --out bench/results/search-speed.json speed --families 100000

# The search encoder on OpenBLAS, Eigen alone and libtorch (installs
# libtorch-dev; docs/design/search.md).
bench-encoder-backends: setup
	bash scripts/bench_encoder_backends.sh

# MyTSDB, Prometheus and VictoriaMetrics side by side (bench/compare.py);
# BENCH_ARGS="--series 2000 --duration 20m" for a quick run.
bench-compare: build
	.venv/bin/python bench/compare.py $(BENCH_ARGS)

# The same at one million active series: 20 minutes of data (80 M samples),
# one dashboard query plus the tiny one, no promtool block (its OpenMetrics
# text would take ~10 GB).
bench-compare-1m: build
	.venv/bin/python bench/compare.py --series 1000000 --duration 20m --queries cpu_by_mode \
	    --query-runs 3 --no-promtool --out bench/results/node-1m-20m.json \
	    --charts docs/bench/1m $(BENCH_ARGS)

# Scraping side by side (bench/scrape.py): 1,000 targets x 1,000 series at
# 15 s from a fake exporter, scraped by MyTSDB, Prometheus and
# VictoriaMetrics (-promscrape.config) in turn: CPU per scraped sample and
# memory (≈ 25 min).
bench-scrape: build
	.venv/bin/python bench/scrape.py $(BENCH_ARGS)

# Dashboard-query latency of MyTSDB (head and cold tier) and VictoriaMetrics
# with all three servers up, each query sent to one after the other
# (bench/interleaved.py), so that the machine's drift falls on all three alike.
bench-interleaved: build
	.venv/bin/python bench/interleaved.py --out bench/results/interleaved-node.json $(BENCH_ARGS)
	.venv/bin/python bench/interleaved.py --workload churn --out bench/results/interleaved-churn.json $(BENCH_ARGS)

# Remote-write latency alone and while 20 heavy queries run (bench/query_interference.py).
bench-interference: build
	.venv/bin/python bench/query_interference.py $(BENCH_ARGS)

# An hour of remote write at half capacity with SIGKILL + restart every
# 5 minutes, checking that no acknowledged sample is lost (bench/soak.py).
soak: build
	.venv/bin/python bench/soak.py $(SOAK_ARGS)

fuzz: setup
	cmake -S . -B $(FUZZ_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMYTSDB_FUZZ=ON -DMYTSDB_BENCHMARKS=OFF
	ninja -C $(FUZZ_DIR) -j $(JOBS) fuzzers
	bash scripts/fuzz.sh $(FUZZ_DIR) $(FUZZ_SECONDS)

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR) $(FUZZ_DIR)
