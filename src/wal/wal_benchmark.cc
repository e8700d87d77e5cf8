// WAL micro-benchmarks. Appends use samples records of 1,000 samples (a
// typical remote-write request); items are samples, bytes are record payload
// bytes. The WAL lives under the system temp directory: the fsync numbers are
// those of that file system.
#include <benchmark/benchmark.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <filesystem>
#include <memory>

#include "common/crc32c.h"
#include "wal/record.h"
#include "wal/wal.h"

namespace mytsdb::wal {
namespace {

constexpr int kSamplesPerRecord = 1000;

std::filesystem::path BenchDir(const char* name) {
  return std::filesystem::temp_directory_path() /
         ("wal_bench_" + std::string(name) + "_" + std::to_string(getpid()));
}

std::vector<SampleRecord> MakeSamples(int64_t t0) {
  std::vector<SampleRecord> samples;
  for (int i = 0; i < kSamplesPerRecord; ++i) {
    samples.push_back({uint64_t(i + 1), t0 + i % 7, 1000.0 + (i % 100) * 0.25});
  }
  return samples;
}

std::unique_ptr<Wal> OpenEmpty(const std::filesystem::path& dir, FsyncMode mode) {
  std::filesystem::remove_all(dir);
  Options options;
  options.dir = dir.string();
  options.fsync_mode = mode;
  auto wal = Wal::Open(options, [](std::string_view) { return Status::OK(); });
  return wal.ok() ? wal.MoveValue() : nullptr;
}

// Shared between the threads of a multi-threaded run; thread 0 sets it up
// before and tears it down after the timed loop (the library puts a barrier
// at both ends of the loop).
std::unique_ptr<Wal> g_wal;

void WalAppend(benchmark::State& state, FsyncMode mode) {
  const auto dir = BenchDir("append");
  if (state.thread_index() == 0) g_wal = OpenEmpty(dir, mode);
  std::string record;
  EncodeSamples(MakeSamples(1700000000000), &record);
  std::string_view view = record;
  for (auto _ : state) {
    if (!g_wal || !g_wal->Append({&view, 1}).ok()) {
      state.SkipWithError("append failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * kSamplesPerRecord);
  state.SetBytesProcessed(state.iterations() * record.size());
  if (state.thread_index() == 0) {
    Stats st = g_wal->stats();
    state.counters["fsyncs_per_append"] =
        st.records_written ? double(st.fsyncs) / double(st.records_written) : 0;
    state.counters["record_bytes"] = double(record.size());
    g_wal.reset();
    std::filesystem::remove_all(dir);
  }
}
void BM_WalAppendNoFsync(benchmark::State& state) { WalAppend(state, FsyncMode::kNever); }
void BM_WalAppendFsyncEach(benchmark::State& state) { WalAppend(state, FsyncMode::kAlways); }
BENCHMARK(BM_WalAppendNoFsync)->UseRealTime();
BENCHMARK(BM_WalAppendFsyncEach)->UseRealTime();
// Group commit: four appenders share fsyncs.
BENCHMARK(BM_WalAppendFsyncEach)->Threads(4)->UseRealTime();

// Replay of a 64 MiB WAL (four 16 MiB segments) with samples decoding.
void BM_WalReplay(benchmark::State& state) {
  spdlog::set_level(spdlog::level::warn);  // no per-segment progress lines
  const auto dir = BenchDir("replay");
  std::filesystem::remove_all(dir);
  Options options;
  options.dir = dir.string();
  options.fsync_mode = FsyncMode::kNever;
  options.segment_size = 16 << 20;
  std::string record;
  EncodeSamples(MakeSamples(1700000000000), &record);
  std::string_view view = record;
  int64_t records = 0;
  {
    auto wal = Wal::Open(options, [](std::string_view) { return Status::OK(); }).MoveValue();
    for (; records * int64_t(record.size()) < (64 << 20); ++records) {
      if (!wal->Append({&view, 1}).ok()) state.SkipWithError("append failed");
    }
  }
  std::vector<SampleRecord> decoded;
  for (auto _ : state) {
    // Each Open starts one new, empty segment; remove it so every iteration
    // reads the same files.
    int next;
    {
      auto wal = Wal::Open(options, [&](std::string_view rec) {
        return DecodeSamples(rec, &decoded);
      });
      if (!wal.ok()) {
        state.SkipWithError(wal.status().ToString().c_str());
        break;
      }
      next = (*wal)->current_segment();
    }
    std::filesystem::remove(dir / SegmentName(next));
  }
  state.SetItemsProcessed(state.iterations() * records * kSamplesPerRecord);
  state.SetBytesProcessed(state.iterations() * records * int64_t(record.size()));
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_WalReplay)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_EncodeSamples(benchmark::State& state) {
  auto samples = MakeSamples(1700000000000);
  std::string record;
  for (auto _ : state) {
    record.clear();
    EncodeSamples(samples, &record);
    benchmark::DoNotOptimize(record.data());
  }
  state.SetItemsProcessed(state.iterations() * samples.size());
  state.SetBytesProcessed(state.iterations() * record.size());
}
BENCHMARK(BM_EncodeSamples);

void BM_DecodeSamples(benchmark::State& state) {
  std::string record;
  EncodeSamples(MakeSamples(1700000000000), &record);
  std::vector<SampleRecord> out;
  for (auto _ : state) {
    if (!DecodeSamples(record, &out).ok()) state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * kSamplesPerRecord);
  state.SetBytesProcessed(state.iterations() * record.size());
}
BENCHMARK(BM_DecodeSamples);

void Crc32c(benchmark::State& state, uint32_t (*fn)(uint32_t, const void*, size_t)) {
  std::string data(state.range(0), 'x');
  for (auto _ : state) benchmark::DoNotOptimize(fn(0, data.data(), data.size()));
  state.SetBytesProcessed(state.iterations() * data.size());
}
void BM_Crc32cPortable(benchmark::State& state) { Crc32c(state, &crc32c::ExtendPortable); }
void BM_Crc32cHardware(benchmark::State& state) {
  if (!crc32c::IsHardwareAccelerated()) {
    state.SkipWithError("no SSE4.2");
    return;
  }
  Crc32c(state, &crc32c::ExtendHardware);
}
BENCHMARK(BM_Crc32cPortable)->Arg(16 << 10);
BENCHMARK(BM_Crc32cHardware)->Arg(16 << 10);

}  // namespace
}  // namespace mytsdb::wal
