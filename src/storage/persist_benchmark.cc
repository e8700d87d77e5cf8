// The persist of one head block as the soak runs it (docs/BENCHMARKS.md,
// "Soak"): a sample per series per second, 2-minute blocks, the head
// spanning a block and a half when the oldest block comes due. Reports what
// the persist (reading the head, writing and committing the Parquet file,
// truncating the head and checkpointing the WAL) takes on top of what the
// process held before it: the peak anonymous RSS over the persist, sampled
// every millisecond.
//
//   build/src/storage/storage_benchmark --benchmark_filter=PersistBlock/252000
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "common/jemalloc_settings.h"
#include "common/peak_sampler.h"
#include "storage/storage.h"

// As in the server, so that RSS behaves the same.
extern "C" const char* malloc_conf = mytsdb::kJemallocSettings;

namespace mytsdb::storage {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kBlockMs = 2 * 60 * 1000;
constexpr int64_t kIntervalMs = 1000;
constexpr int64_t kStart = 1'796'083'200'000;  // 2026-12-01T00:00:00Z: blocks align

// The soak's series: soak_requests_total{series="s0000042", zone="z2"}.
std::vector<model::Labels> SoakSeries(int64_t n) {
  std::vector<model::Labels> series;
  series.reserve(n);
  char name[16];
  for (int64_t i = 0; i < n; ++i) {
    std::snprintf(name, sizeof name, "s%07lld", static_cast<long long>(i));
    series.push_back(model::Labels::FromSorted({{"__name__", "soak_requests_total"},
                                                {"series", name},
                                                {"zone", "z" + std::to_string(i % 10)}}));
  }
  return series;
}

// Appends a sample per series per second over [from, to), in requests of
// 1,000 series as the soak's writers send them.
Status AppendSeconds(Storage* storage, const std::vector<model::Labels>& series, int64_t from,
                     int64_t to) {
  constexpr size_t kPerRequest = 1000;
  std::vector<model::Sample> samples(series.size());
  std::vector<head::SeriesSamples> batch;
  for (int64_t t = from; t < to; t += kIntervalMs) {
    for (size_t first = 0; first < series.size(); first += kPerRequest) {
      batch.clear();
      for (size_t i = first; i < std::min(series.size(), first + kPerRequest); ++i) {
        samples[i] = {t, std::floor(double(i) + double(t - kStart) / 1000.0 * 3.0)};
        batch.push_back({&series[i], {&samples[i], 1}});
      }
      StorageAppendResult result;
      RETURN_NOT_OK(storage->Append(batch, {}, &result));
      if (result.rejected() > 0) return Status::Internal("samples rejected");
    }
  }
  return Status::OK();
}

void BM_PersistBlock(benchmark::State& state) {
  const int64_t num_series = state.range(0);
  const fs::path dir =
      fs::temp_directory_path() / ("storage_bench_" + std::to_string(::getpid()));
  const std::vector<model::Labels> series = SoakSeries(num_series);
  io::ManualClock clock(kStart + 4 * kBlockMs);
  for (auto _ : state) {
    fs::remove_all(dir);
    StorageOptions options;
    options.data_dir = dir.string();
    options.head.chunk_range_ms = kBlockMs;
    options.head.wal.fsync_mode = wal::FsyncMode::kNever;
    options.persist_check_interval = std::chrono::milliseconds(0);
    options.clock = &clock;
    auto storage = Storage::Open(options).MoveValue();
    // The second block's persist is measured: the cold tier knows the
    // series then, as it does in a server that has run for a while. Over a
    // block and a half in the head: the oldest block is due.
    const int64_t first_due = kStart + kBlockMs * 3 / 2 + 2 * kIntervalMs;
    Status st = AppendSeconds(storage.get(), series, kStart, first_due);
    if (st.ok()) st = storage->PersistDueBlocks();
    if (st.ok() && storage->cold_stats().files != 1) {
      st = Status::Internal("the first block was not persisted");
    }
    if (st.ok()) st = AppendSeconds(storage.get(), series, first_due, first_due + kBlockMs);
    std::this_thread::sleep_for(std::chrono::seconds(2));  // freed pages returned
    const int64_t rss_before = RssAnonBytes();
    const auto started = std::chrono::steady_clock::now();
    PeakSampler sampler;
    if (st.ok()) st = storage->PersistDueBlocks();
    sampler.Stop();
    state.SetIterationTime(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    if (st.ok() && storage->cold_stats().files != 2) {
      st = Status::Internal("the second block was not persisted");
    }
    state.counters["rss_anon_before_mib"] = double(rss_before) / (1 << 20);
    state.counters["rss_anon_rise_mib"] = double(sampler.rss_peak() - rss_before) / (1 << 20);
    storage.reset();
    fs::remove_all(dir);
    if (!st.ok()) {
      state.SkipWithError(st.ToString().c_str());
      break;
    }
  }
}
BENCHMARK(BM_PersistBlock)
    ->Arg(25'200)
    ->Arg(252'000)
    ->Unit(benchmark::kSecond)
    ->Iterations(1)
    ->UseManualTime();

}  // namespace
}  // namespace mytsdb::storage
