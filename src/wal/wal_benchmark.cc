// WAL append throughput for samples records of 1,000 samples (a typical
// remote-write request), with and without an fsync per append.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <filesystem>

#include "wal/record.h"
#include "wal/wal.h"

namespace mytsdb::wal {
namespace {

void WalAppend(benchmark::State& state, FsyncMode mode) {
  auto dir = std::filesystem::temp_directory_path() / ("wal_bench_" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  Options options;
  options.dir = dir.string();
  options.fsync_mode = mode;
  auto wal = Wal::Open(options, [](std::string_view) { return Status::OK(); }).MoveValue();
  std::vector<SampleRecord> samples;
  for (int i = 0; i < 1000; ++i) samples.push_back({uint64_t(i + 1), 1700000000000 + i, i * 0.5});
  std::string record;
  EncodeSamples(samples, &record);
  std::string_view view = record;
  for (auto _ : state) {
    if (!wal->Append({&view, 1}).ok()) state.SkipWithError("append failed");
  }
  state.SetItemsProcessed(state.iterations() * samples.size());
  state.SetBytesProcessed(state.iterations() * record.size());
  state.counters["fsyncs"] = wal->stats().fsyncs;
  wal.reset();
  std::filesystem::remove_all(dir);
}
void BM_WalAppendNoFsync(benchmark::State& state) { WalAppend(state, FsyncMode::kNever); }
void BM_WalAppendFsyncEach(benchmark::State& state) { WalAppend(state, FsyncMode::kAlways); }
BENCHMARK(BM_WalAppendNoFsync);
BENCHMARK(BM_WalAppendFsyncEach);

void BM_EncodeSamples(benchmark::State& state) {
  std::vector<SampleRecord> samples;
  for (int i = 0; i < 1000; ++i) samples.push_back({uint64_t(i + 1), 1700000000000 + i, i * 0.5});
  std::string record;
  for (auto _ : state) {
    record.clear();
    EncodeSamples(samples, &record);
    benchmark::DoNotOptimize(record.data());
  }
  state.SetItemsProcessed(state.iterations() * samples.size());
}
BENCHMARK(BM_EncodeSamples);

}  // namespace
}  // namespace mytsdb::wal
