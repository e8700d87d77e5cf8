// Typed WAL records of the head: series definitions, samples and metric
// metadata. Each record's payload starts with its RecordType byte.
//
//   series:   type=1 | count | { ref | nlabels | { name | value }* }*
//   samples:  type=2 | count | ref0 | t0 | v0:8 | { Δref | Δt | v:8 }*
//   metadata: type=3 | count | { family | mtype:1 | help | unit }*
//   tombstones: type=4 | count | { ref | min | max }*   (samples deleted)
//
// Integers are varints (refs unsigned; times and deltas zigzag-signed),
// strings are length-prefixed, values are the raw 64 bits little-endian, so
// every NaN payload survives. Byte-level layout: docs/format/wal.md.
//
// The functions are pure and thread-safe. Decoders never read past the input
// and validate counts against the bytes present before allocating.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "model/label_sets.h"
#include "model/labels.h"

namespace mytsdb::wal {

enum class RecordType : uint8_t { kSeries = 1, kSamples = 2, kMetadata = 3, kTombstones = 4 };

struct SeriesRecord {
  uint64_t ref;
  model::Labels labels;
};

// A series record that refers to labels owned elsewhere, so the append path
// does not copy them.
struct SeriesRecordView {
  uint64_t ref;
  const model::Labels* labels;
};

struct SampleRecord {
  uint64_t ref;
  int64_t t;
  double v;
};

// The samples of series `ref` in [min, max] are deleted (delete_series).
// Applies to the samples the log holds before it.
struct TombstoneRecord {
  uint64_t ref;
  int64_t min;
  int64_t max;
};

struct MetadataRecord {
  std::string metric_family_name;
  uint8_t type;  // remote write's MetricType numbering
  std::string help;
  std::string unit;
};

// The type of an encoded record; Corruption if empty or unknown.
Result<RecordType> PeekType(std::string_view record);

// Encoders append one record to *out.
void EncodeSeries(std::span<const SeriesRecord> series, std::string* out);
void EncodeSeries(std::span<const SeriesRecordView> series, std::string* out);
// Series whose labels are packed, refs[i] naming labels' set i (a
// checkpoint of every series, without a Labels copy of each).
void EncodeSeries(std::span<const uint64_t> refs, const model::LabelSets& labels, std::string* out);
void EncodeSamples(std::span<const SampleRecord> samples, std::string* out);
void EncodeMetadata(std::span<const MetadataRecord> metadata, std::string* out);
void EncodeTombstones(std::span<const TombstoneRecord> tombstones, std::string* out);

// Decoders replace *out; Corruption on malformed input.
Status DecodeSeries(std::string_view record, std::vector<SeriesRecord>* out);
Status DecodeSamples(std::string_view record, std::vector<SampleRecord>* out);
Status DecodeMetadata(std::string_view record, std::vector<MetadataRecord>* out);
Status DecodeTombstones(std::string_view record, std::vector<TombstoneRecord>* out);

}  // namespace mytsdb::wal
