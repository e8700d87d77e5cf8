// libFuzzer target: arbitrary bytes as a remote-write body. The decoder must
// never crash, must accept exactly what the protobuf library's decoder
// accepts and decode it to the same request, and whatever it accepts must
// survive an encode/decode round trip unchanged.
#include <bit>
#include <cstdlib>
#include <string_view>

#include "ingest/remote_write.h"
#include "ingest/remote_write_protobuf.h"

namespace {

using mytsdb::ingest::WriteRequest;

// Same series, samples and metadata; and, with `dropped`, the same counts
// of what was dropped (an encoded request carries no exemplars or
// histograms, so a round trip loses them).
bool SameRequest(const WriteRequest& a, const WriteRequest& b, bool dropped) {
  if (a.timeseries.size() != b.timeseries.size() || a.num_samples != b.num_samples ||
      a.metadata.size() != b.metadata.size()) {
    return false;
  }
  if (dropped && (a.num_exemplars_dropped != b.num_exemplars_dropped ||
                  a.num_histograms_dropped != b.num_histograms_dropped)) {
    return false;
  }
  for (size_t i = 0; i < a.timeseries.size(); ++i) {
    const auto& x = a.timeseries[i];
    const auto& y = b.timeseries[i];
    if (!(x.labels == y.labels) || x.samples.size() != y.samples.size()) return false;
    for (size_t k = 0; k < x.samples.size(); ++k) {
      if (x.samples[k].timestamp_ms != y.samples[k].timestamp_ms ||
          std::bit_cast<uint64_t>(x.samples[k].value) != std::bit_cast<uint64_t>(y.samples[k].value)) {
        return false;
      }
    }
  }
  for (size_t i = 0; i < a.metadata.size(); ++i) {
    const auto& x = a.metadata[i];
    const auto& y = b.metadata[i];
    if (x.type != y.type || x.metric_family_name != y.metric_family_name || x.help != y.help ||
        x.unit != y.unit) {
      return false;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mytsdb::ingest;
  DecodeOptions options;
  options.max_decompressed_bytes = 1 << 20;
  std::string_view body(reinterpret_cast<const char*>(data), size);
  auto first = DecodeWriteRequest(body, options);
  auto reference = DecodeWriteRequestWithProtobuf(body, options);
  if (first.ok() != reference.ok()) std::abort();
  if (!first.ok()) return 0;
  if (!SameRequest(*first, *reference, /*dropped=*/true)) std::abort();
  auto second = DecodeWriteRequest(EncodeWriteRequest(*first), options);
  if (!second.ok() || !SameRequest(*first, *second, /*dropped=*/false)) std::abort();
  return 0;
}
