// libFuzzer target: arbitrary bytes as a remote-write body. The decoder must
// never crash, and whatever it accepts must survive an encode/decode round
// trip unchanged.
#include <bit>
#include <cstdlib>
#include <string_view>

#include "ingest/remote_write.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mytsdb::ingest;
  DecodeOptions options;
  options.max_decompressed_bytes = 1 << 20;
  auto first = DecodeWriteRequest(
      std::string_view(reinterpret_cast<const char*>(data), size), options);
  if (!first.ok()) return 0;
  auto second = DecodeWriteRequest(EncodeWriteRequest(*first), options);
  if (!second.ok()) std::abort();
  if (second->timeseries.size() != first->timeseries.size()) std::abort();
  for (size_t i = 0; i < first->timeseries.size(); ++i) {
    const auto& a = first->timeseries[i];
    const auto& b = second->timeseries[i];
    if (!(a.labels == b.labels) || a.samples.size() != b.samples.size()) std::abort();
    for (size_t k = 0; k < a.samples.size(); ++k) {
      if (a.samples[k].timestamp_ms != b.samples[k].timestamp_ms ||
          std::bit_cast<uint64_t>(a.samples[k].value) !=
              std::bit_cast<uint64_t>(b.samples[k].value)) {
        std::abort();
      }
    }
  }
  return 0;
}
