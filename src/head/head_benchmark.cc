// Head append and read throughput, WAL included (fsync off, so that the
// figure is the head's own cost, not the disk's).
#include <benchmark/benchmark.h>

#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "chunk/head_chunk.h"
#include "head/head.h"

namespace mytsdb::head {
namespace {

namespace fs = std::filesystem;

struct Fixture {
  explicit Fixture(int num_series) {
    dir = fs::temp_directory_path() / ("head_bench_" + std::to_string(::getpid()));
    fs::remove_all(dir);
    HeadOptions options;
    options.wal.dir = (dir / "wal").string();
    options.wal.fsync_mode = wal::FsyncMode::kNever;
    head = Head::Open(options).MoveValue();
    for (int i = 0; i < num_series; ++i) {
      labels.push_back(model::Labels{{"__name__", "node_cpu_seconds_total"},
                                     {"cpu", std::to_string(i % 64)},
                                     {"instance", "host-" + std::to_string(i / 64) + ":9100"},
                                     {"job", "node"},
                                     {"mode", "user"}});
    }
  }
  ~Fixture() {
    head.reset();
    fs::remove_all(dir);
  }
  fs::path dir;
  std::unique_ptr<Head> head;
  std::vector<model::Labels> labels;
};

// One remote-write-sized batch: every series gets one sample per call.
void BM_HeadAppend(benchmark::State& state) {
  const int num_series = state.range(0);
  Fixture f(num_series);
  std::vector<model::Sample> samples(num_series);
  std::vector<SeriesSamples> batch(num_series);
  int64_t t = 0;
  for (auto _ : state) {
    t += 15000;
    for (int i = 0; i < num_series; ++i) {
      samples[i] = {t, double(t / 1000 + i)};
      batch[i] = {&f.labels[i], {&samples[i], 1}};
    }
    AppendResult r;
    if (!f.head->Append(batch, {}, &r).ok()) state.SkipWithError("append failed");
  }
  state.SetItemsProcessed(state.iterations() * num_series);
}
BENCHMARK(BM_HeadAppend)->Arg(2000)->Arg(20000);

void BM_HeadReadSeries(benchmark::State& state) {
  Fixture f(100);
  std::vector<model::Sample> samples(100);
  std::vector<SeriesSamples> batch(100);
  for (int64_t t = 0; t < 480; ++t) {  // 2 hours at 15 s
    for (int i = 0; i < 100; ++i) {
      samples[i] = {t * 15000, double(t + i)};
      batch[i] = {&f.labels[i], {&samples[i], 1}};
    }
    AppendResult r;
    (void)f.head->Append(batch, {}, &r);
  }
  std::vector<model::Sample> out;
  for (auto _ : state) {
    out.clear();
    f.head->ReadSamples(1, {}, &out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * out.size());
}
BENCHMARK(BM_HeadReadSeries);

size_t ResidentBytes() {
  long pages = 0, rss = 0;
  if (std::FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &rss) != 2) rss = 0;
    std::fclose(f);
  }
  return static_cast<size_t>(rss) * sysconf(_SC_PAGESIZE);
}

// Resident memory per series for node-exporter-like series (5 labels) after
// 120 samples each (one full chunk: 30 min at 15 s), measured as the growth
// of the process's RSS.
void BM_HeadMemoryPerSeries(benchmark::State& state) {
  const int num_series = state.range(0);
  for (auto _ : state) {
    // The benchmark's own label copies and batch vectors are allocated
    // before the first measurement, so only the head's growth is counted.
    Fixture f(num_series);
    std::vector<model::Sample> samples(num_series);
    std::vector<SeriesSamples> batch(num_series);
    size_t before = ResidentBytes();
    for (int64_t t = 0; t < 120; ++t) {
      for (int i = 0; i < num_series; ++i) {
        samples[i] = {t * 15000, double(t * 3 + i % 100)};
        batch[i] = {&f.labels[i], {&samples[i], 1}};
      }
      AppendResult r;
      (void)f.head->Append(batch, {}, &r);
    }
    size_t after = ResidentBytes();
    state.counters["rss_bytes_per_series"] = double(after - before) / num_series;
    state.counters["series_object_bytes"] = double(Head::SeriesObjectBytes());
    state.counters["chunk_object_bytes"] = double(sizeof(chunk::HeadChunk));
    state.counters["chunk_bytes_per_sample"] =
        double(f.head->stats().chunk_bytes) / (double(num_series) * 120);
  }
}
BENCHMARK(BM_HeadMemoryPerSeries)->Arg(100000)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mytsdb::head
