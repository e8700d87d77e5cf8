// Decoding of Prometheus remote write 1.0 requests: snappy-compressed
// protobuf WriteRequests, validated as Prometheus's receiver does.
//
// The decoder reads the protobuf wire format itself (wire_format.h), straight
// into the project's own types (model::Labels, model::Sample): the protobuf
// library's generated parser allocated every string in an arena and was
// then copied, a third of the ingestion path's CPU. The library stays the
// reference: tests and the fuzzer check that both decoders accept the same
// bodies and decode them alike (remote_write_protobuf.h).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "model/labels.h"
#include "model/sample.h"

namespace mytsdb::ingest {

using Sample = model::Sample;

struct TimeSeries {
  model::Labels labels;
  std::vector<Sample> samples;
};

// The numbering of the remote-write spec's MetricMetadata.MetricType.
enum class MetricType : uint8_t {
  kUnknown = 0,
  kCounter = 1,
  kGauge = 2,
  kHistogram = 3,
  kGaugeHistogram = 4,
  kSummary = 5,
  kInfo = 6,
  kStateSet = 7,
};

// As Prometheus's /api/v1/metadata prints it: "counter", "gauge", ...
std::string_view MetricTypeName(MetricType type);

struct MetricMetadata {
  MetricType type = MetricType::kUnknown;
  std::string metric_family_name;
  std::string help;
  std::string unit;
};

struct WriteRequest {
  std::vector<TimeSeries> timeseries;
  std::vector<MetricMetadata> metadata;
  size_t num_samples = 0;
  size_t num_exemplars_dropped = 0;   // exemplars are not stored yet
  size_t num_histograms_dropped = 0;  // nor native histograms
};

struct DecodeOptions {
  size_t max_decompressed_bytes = 64 << 20;
  model::Labels::NameScheme name_scheme = model::Labels::NameScheme::kUtf8;
};

// Decodes and validates a snappy (block format) compressed WriteRequest.
// All or nothing: on error nothing is returned.
//  - InvalidArgument "snappy: ..." for bad compression, "protobuf: ..." for an
//    unparsable message, or a label error from model::Labels::Validate
//    (invalid names, duplicate or unsorted labels, missing __name__, invalid
//    UTF-8), naming the series;
//  - ResourceExhausted if the decompressed size exceeds the limit (checked
//    from the snappy header before decompressing).
// Labels with an empty value are dropped after validation (Prometheus treats
// an empty label as an absent one).
Result<WriteRequest> DecodeWriteRequest(std::string_view body, const DecodeOptions& options);

// The reverse, for tests, benchmarks and load generators. Labels are encoded
// in the order given, so unsorted or duplicate labels can be produced.
std::string EncodeWriteRequest(const WriteRequest& request);

}  // namespace mytsdb::ingest
