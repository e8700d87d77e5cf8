// Encode and decode speed and size of 120-sample XOR chunks on data shaped
// like node-exporter scrapes (15 s interval).
#include <benchmark/benchmark.h>

#include <cmath>
#include <random>
#include <vector>

#include "chunk/xor_chunk.h"

namespace mytsdb::chunk {
namespace {

enum Shape { kCounter, kGauge, kConstant, kRandom };

std::vector<std::pair<int64_t, double>> MakeSamples(Shape shape) {
  std::mt19937_64 rng(42);
  std::vector<std::pair<int64_t, double>> out;
  double v = 1000;
  for (int i = 0; i < 120; ++i) {
    int64_t t = 1700000000000 + i * 15000 + static_cast<int64_t>(rng() % 5);  // scrape jitter
    switch (shape) {
      case kCounter: v += rng() % 500; break;
      case kGauge: v = std::round((v + (static_cast<int>(rng() % 201) - 100) / 10.0) * 100) / 100; break;
      case kConstant: v = 1; break;
      case kRandom: v = std::ldexp(static_cast<double>(rng() >> 11), -20); break;
    }
    out.emplace_back(t, v);
  }
  return out;
}

void BM_XorEncode(benchmark::State& state) {
  auto samples = MakeSamples(static_cast<Shape>(state.range(0)));
  size_t bytes = 0;
  for (auto _ : state) {
    XorChunk c;
    for (const auto& [t, v] : samples) c.Append(t, v);
    bytes = c.bytes().size();
    benchmark::DoNotOptimize(c.bytes().data());
  }
  state.SetItemsProcessed(state.iterations() * samples.size());
  state.counters["bytes_per_sample"] = double(bytes) / samples.size();
}

void BM_XorDecode(benchmark::State& state) {
  auto samples = MakeSamples(static_cast<Shape>(state.range(0)));
  XorChunk c;
  for (const auto& [t, v] : samples) c.Append(t, v);
  for (auto _ : state) {
    XorIterator it = c.Iterator();
    double sum = 0;
    while (it.Next()) sum += it.v();
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(state.iterations() * samples.size());
  state.counters["bytes_per_sample"] = double(c.bytes().size()) / samples.size();
}

BENCHMARK(BM_XorEncode)->ArgName("shape")->Arg(kCounter)->Arg(kGauge)->Arg(kConstant)->Arg(kRandom);
BENCHMARK(BM_XorDecode)->ArgName("shape")->Arg(kCounter)->Arg(kGauge)->Arg(kConstant)->Arg(kRandom);

}  // namespace
}  // namespace mytsdb::chunk
