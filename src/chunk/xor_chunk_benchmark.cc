// Encode and decode speed and size of 120-sample XOR chunks (Prometheus's
// chunk size) on data shaped like scrapes at a 15 s interval.
//
// Arguments: shape (0 counter, 1 gauge, 2 constant, 3 random doubles) and
// jitter (0: timestamps exactly 15 s apart, as with Prometheus's timestamp
// alignment; 1: 0-4 ms of scrape jitter, as without it).
// Counters: bytes_per_sample (encoded stream), held_per_sample (memory_bytes(),
// object and buffer slack included).
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <utility>
#include <vector>

#include "chunk/xor_chunk.h"

namespace mytsdb::chunk {
namespace {

enum Shape { kCounter, kGauge, kConstant, kRandom };
constexpr int kSamples = 120;

std::vector<std::pair<int64_t, double>> MakeSamples(Shape shape, bool jitter) {
  std::mt19937_64 rng(42);
  std::vector<std::pair<int64_t, double>> out;
  double v = shape == kGauge ? 50 : 1000;
  for (int i = 0; i < kSamples; ++i) {
    int64_t t = 1700000000000 + i * 15000;
    if (jitter) t += static_cast<int64_t>(rng() % 5);
    switch (shape) {
      case kCounter:  // e.g. requests served: integer increments
        v += static_cast<double>(rng() % 100);
        break;
      case kGauge:  // random walk in steps of 0.01, two decimals
        v = std::round((v + (static_cast<double>(rng() % 201) - 100) / 100) * 100) / 100;
        break;
      case kConstant:
        break;
      case kRandom:
        v = std::ldexp(static_cast<double>(rng() >> 11), -20);
        break;
    }
    out.emplace_back(t, v);
  }
  return out;
}

void SetCounters(benchmark::State& state, const XorChunk& c) {
  state.SetItemsProcessed(state.iterations() * kSamples);
  state.counters["bytes_per_sample"] = static_cast<double>(c.bytes().size()) / kSamples;
  state.counters["held_per_sample"] = static_cast<double>(c.memory_bytes()) / kSamples;
}

void BM_XorEncode(benchmark::State& state) {
  auto samples = MakeSamples(static_cast<Shape>(state.range(0)), state.range(1) != 0);
  for (auto _ : state) {
    XorChunk c;
    for (const auto& [t, v] : samples) c.Append(t, v);
    benchmark::DoNotOptimize(c.bytes().data());
  }
  XorChunk c;
  for (const auto& [t, v] : samples) c.Append(t, v);
  SetCounters(state, c);
}

void BM_XorDecode(benchmark::State& state) {
  auto samples = MakeSamples(static_cast<Shape>(state.range(0)), state.range(1) != 0);
  XorChunk c;
  for (const auto& [t, v] : samples) c.Append(t, v);
  for (auto _ : state) {
    XorIterator it = c.Iterator();
    int64_t tsum = 0;
    double vsum = 0;
    while (it.Next()) {
      tsum += it.t();
      vsum += it.v();
    }
    benchmark::DoNotOptimize(tsum);
    benchmark::DoNotOptimize(vsum);
  }
  SetCounters(state, c);
}

void Shapes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"shape", "jitter"});
  for (int jitter : {0, 1}) {
    for (int shape : {kCounter, kGauge, kConstant, kRandom}) b->Args({shape, jitter});
  }
}

BENCHMARK(BM_XorEncode)->Apply(Shapes);
BENCHMARK(BM_XorDecode)->Apply(Shapes);

}  // namespace
}  // namespace mytsdb::chunk
