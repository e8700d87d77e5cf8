// Decode speed of remote-write requests shaped like what Prometheus sends
// for node-exporter targets.
#include <benchmark/benchmark.h>

#include "ingest/remote_write.h"
#include "ingest/remote_write_protobuf.h"

namespace mytsdb::ingest {
namespace {

std::string MakeRequest(int num_series, int samples_per_series) {
  WriteRequest req;
  const char* modes[] = {"idle", "iowait", "irq", "nice", "softirq", "steal", "system", "user"};
  for (int i = 0; i < num_series; ++i) {
    TimeSeries ts;
    ts.labels = model::Labels{{"__name__", "node_cpu_seconds_total"},
                              {"cpu", std::to_string(i % 16)},
                              {"instance", "host-" + std::to_string(i / 128) + ".example.org:9100"},
                              {"job", "node"},
                              {"mode", modes[i % 8]},
                              {"env", "production"},
                              {"region", "eu-west-1"},
                              {"team", "platform"}};
    for (int s = 0; s < samples_per_series; ++s) {
      ts.samples.push_back({1700000000000 + s * 15000, 12345.67 + i + s * 0.01});
    }
    req.timeseries.push_back(std::move(ts));
  }
  return EncodeWriteRequest(req);
}

template <Result<WriteRequest> (*Decode)(std::string_view, const DecodeOptions&)>
void BM_Decode(benchmark::State& state) {
  std::string body = MakeRequest(state.range(0), state.range(1));
  size_t samples = 0;
  for (auto _ : state) {
    auto r = Decode(body, {});
    if (!r.ok()) state.SkipWithError("decode failed");
    samples = r->num_samples;
    benchmark::DoNotOptimize(r->timeseries.data());
  }
  state.SetItemsProcessed(state.iterations() * samples);
  state.SetBytesProcessed(state.iterations() * body.size());
}
// The decoder that serves requests, and the protobuf library's it replaced.
BENCHMARK(BM_Decode<DecodeWriteRequest>)->Name("BM_DecodeWriteRequest")->ArgNames({"series", "samples"})
    ->Args({2000, 1})->Args({500, 10});
BENCHMARK(BM_Decode<DecodeWriteRequestWithProtobuf>)->Name("BM_DecodeWriteRequestWithProtobuf")
    ->ArgNames({"series", "samples"})->Args({2000, 1})->Args({500, 10});

}  // namespace
}  // namespace mytsdb::ingest
