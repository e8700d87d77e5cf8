// Head append and read throughput, WAL included (fsync off, so that the
// figure is the head's own cost, not the disk's).
#include <benchmark/benchmark.h>

#include <filesystem>

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

}  // namespace
}  // namespace mytsdb::head
