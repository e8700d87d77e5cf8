// Compaction of the soak's window (docs/BENCHMARKS.md, "Soak"): three block
// files of 2 minutes merged into one of 6 minutes, a sample per series per
// second. Reports the time and what memory the merge takes on top of what
// the store holds before it: the process's peak anonymous RSS over the
// merge (sampled every millisecond) and the peak of what Parquet's readers
// and writers hold (ArrowMemoryPool(), arrow_io.h).
//
//   build/src/cold/cold_benchmark --benchmark_filter=Compaction/226000
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <thread>

#include "cold/arrow_io.h"
#include "cold/cold_store.h"
#include "common/jemalloc_settings.h"
#include "common/peak_sampler.h"

// As in the server, so that RSS behaves the same.
extern "C" const char* malloc_conf = mytsdb::kJemallocSettings;

namespace mytsdb::cold {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kBlockMs = 2 * 60 * 1000;
constexpr int64_t kIntervalMs = 1000;
constexpr int64_t kStart = 1'796'083'200'000;  // 2026-12-01T00:00:00Z: windows align

int64_t ArrowBytes() { return ArrowMemoryPool()->bytes_allocated(); }

// The soak's series: soak_requests_total{series="s0000042", zone="z2"}.
model::LabelSets SoakSeries(int64_t n) {
  model::LabelSets sets;
  char name[16];
  for (int64_t i = 0; i < n; ++i) {
    std::snprintf(name, sizeof name, "s%07lld", static_cast<long long>(i));
    sets.AddLabel("__name__", "soak_requests_total");
    sets.AddLabel("series", name);
    sets.AddLabel("zone", "z" + std::to_string(i % 10));
    sets.EndSet();
  }
  return sets;
}

void BM_Compaction(benchmark::State& state) {
  const int64_t num_series = state.range(0);
  const fs::path dir = fs::temp_directory_path() / ("cold_bench_" + std::to_string(::getpid()));
  ColdStoreOptions options;
  options.dir = (dir / "parquet").string();
  options.orphan_dir = (dir / "orphans").string();
  CompactionOptions compaction;
  compaction.block_ms = kBlockMs;
  compaction.max_window_ms = 3 * kBlockMs;
  for (auto _ : state) {
    state.PauseTiming();
    fs::remove_all(dir);
    {
      auto store = ColdStore::Open(options).MoveValue();
      PersistRequest req;
      req.series = SoakSeries(num_series);
      for (int64_t block = 0; block < 3; ++block) {
        int64_t from = kStart + block * kBlockMs;
        req.range = {from, from + kBlockMs - 1};
        req.new_watermark = from + kBlockMs;
        // A counter per series: what the soak's writers send.
        req.read = [&](size_t i, model::TimeRange r, std::vector<model::Sample>* out) {
          for (int64_t t = r.min; t <= r.max; t += kIntervalMs) {
            out->push_back({t, std::floor(double(i) + double(t - kStart) / 1000.0 * 3.0)});
          }
        };
        Status st = store->Persist(req);
        if (!st.ok()) state.SkipWithError(st.ToString().c_str());
      }
    }
    // Reopened, as after a restart: the catalog as the server holds it.
    auto store = ColdStore::Open(options).MoveValue();
    std::this_thread::sleep_for(std::chrono::seconds(2));  // freed pages returned
    state.ResumeTiming();
    PeakSampler sampler(ArrowBytes);
    int64_t rss_before = RssAnonBytes(), arrow_before = ArrowBytes();
    Status st = store->Compact(compaction);
    sampler.Stop();
    if (!st.ok()) state.SkipWithError(st.ToString().c_str());
    if (store->stats().files != 1) state.SkipWithError("the three files did not merge");
    state.counters["rss_anon_before_mib"] = double(rss_before) / (1 << 20);
    state.counters["rss_anon_rise_mib"] = double(sampler.rss_peak() - rss_before) / (1 << 20);
    state.counters["arrow_pool_rise_mib"] =
        double(sampler.probe_peak() - arrow_before) / (1 << 20);
    state.counters["rows"] = double(store->stats().rows);
    state.PauseTiming();
    store.reset();
    fs::remove_all(dir);
    state.ResumeTiming();
  }
}
BENCHMARK(BM_Compaction)->Arg(22'600)->Arg(226'000)->Unit(benchmark::kSecond)->Iterations(1);

}  // namespace
}  // namespace mytsdb::cold
