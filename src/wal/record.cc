#include "wal/record.h"

#include <bit>

#include "common/coding.h"

namespace mytsdb::wal {

using namespace coding;  // NOLINT: the codec vocabulary

Result<RecordType> PeekType(std::string_view record) {
  if (record.empty()) return Status::Corruption("empty WAL record");
  uint8_t t = static_cast<uint8_t>(record[0]);
  if (t < 1 || t > 4) return Status::Corruption("unknown WAL record type " + std::to_string(t));
  return static_cast<RecordType>(t);
}

void EncodeSeries(std::span<const SeriesRecord> series, std::string* out) {
  std::vector<SeriesRecordView> views;
  views.reserve(series.size());
  for (const SeriesRecord& s : series) views.push_back({s.ref, &s.labels});
  EncodeSeries(views, out);
}

void EncodeSeries(std::span<const SeriesRecordView> series, std::string* out) {
  out->push_back(static_cast<char>(RecordType::kSeries));
  PutVarint64(out, series.size());
  for (const SeriesRecordView& s : series) {
    PutVarint64(out, s.ref);
    PutVarint64(out, s.labels->size());
    for (const model::Label& l : *s.labels) {
      PutLengthPrefixed(out, l.name);
      PutLengthPrefixed(out, l.value);
    }
  }
}

void EncodeSeries(std::span<const uint64_t> refs, const model::LabelSets& labels, std::string* out) {
  out->push_back(static_cast<char>(RecordType::kSeries));
  PutVarint64(out, refs.size());
  for (size_t i = 0; i < refs.size(); ++i) {
    PutVarint64(out, refs[i]);
    uint64_t count = 0;
    labels.ForEach(i, [&](std::string_view, std::string_view) { ++count; });
    PutVarint64(out, count);
    labels.ForEach(i, [&](std::string_view name, std::string_view value) {
      PutLengthPrefixed(out, name);
      PutLengthPrefixed(out, value);
    });
  }
}

void EncodeSamples(std::span<const SampleRecord> samples, std::string* out) {
  out->push_back(static_cast<char>(RecordType::kSamples));
  PutVarint64(out, samples.size());
  uint64_t prev_ref = 0;
  int64_t prev_t = 0;
  for (size_t i = 0; i < samples.size(); ++i) {
    const SampleRecord& s = samples[i];
    if (i == 0) {
      PutVarint64(out, s.ref);
      PutVarsint64(out, s.t);
    } else {
      // Differences in modular arithmetic: no overflow whatever the values.
      PutVarsint64(out, static_cast<int64_t>(s.ref - prev_ref));
      PutVarsint64(out, static_cast<int64_t>(static_cast<uint64_t>(s.t) -
                                             static_cast<uint64_t>(prev_t)));
    }
    PutFixed64(out, std::bit_cast<uint64_t>(s.v));
    prev_ref = s.ref;
    prev_t = s.t;
  }
}

void EncodeMetadata(std::span<const MetadataRecord> metadata, std::string* out) {
  out->push_back(static_cast<char>(RecordType::kMetadata));
  PutVarint64(out, metadata.size());
  for (const MetadataRecord& m : metadata) {
    PutLengthPrefixed(out, m.metric_family_name);
    out->push_back(static_cast<char>(m.type));
    PutLengthPrefixed(out, m.help);
    PutLengthPrefixed(out, m.unit);
  }
}

void EncodeTombstones(std::span<const TombstoneRecord> tombstones, std::string* out) {
  out->push_back(static_cast<char>(RecordType::kTombstones));
  PutVarint64(out, tombstones.size());
  for (const TombstoneRecord& t : tombstones) {
    PutVarint64(out, t.ref);
    PutVarsint64(out, t.min);
    PutVarsint64(out, t.max);
  }
}

namespace {

Status ExpectType(std::string_view* in, RecordType want, uint64_t* count) {
  ASSIGN_OR_RETURN(RecordType type, PeekType(*in));
  if (type != want) return Status::Corruption("unexpected WAL record type");
  in->remove_prefix(1);
  if (!GetVarint64(in, count)) return Status::Corruption("WAL record: bad count");
  // Each element takes at least one byte: a count larger than what remains is
  // corrupt, and must not make us reserve huge vectors.
  if (*count > in->size()) return Status::Corruption("WAL record: count exceeds record size");
  return Status::OK();
}

}  // namespace

Status DecodeSeries(std::string_view in, std::vector<SeriesRecord>* out) {
  out->clear();
  uint64_t count;
  RETURN_NOT_OK(ExpectType(&in, RecordType::kSeries, &count));
  out->reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    SeriesRecord s;
    uint64_t nlabels;
    if (!GetVarint64(&in, &s.ref) || !GetVarint64(&in, &nlabels) || nlabels > in.size()) {
      return Status::Corruption("WAL series record: truncated");
    }
    std::vector<model::Label> labels;
    labels.reserve(nlabels);
    for (uint64_t k = 0; k < nlabels; ++k) {
      std::string_view name, value;
      if (!GetLengthPrefixed(&in, &name) || !GetLengthPrefixed(&in, &value)) {
        return Status::Corruption("WAL series record: truncated label");
      }
      labels.push_back({std::string(name), std::string(value)});
    }
    s.labels = model::Labels::FromSorted(std::move(labels));
    out->push_back(std::move(s));
  }
  if (!in.empty()) return Status::Corruption("WAL series record: trailing bytes");
  return Status::OK();
}

Status DecodeSamples(std::string_view in, std::vector<SampleRecord>* out) {
  out->clear();
  uint64_t count;
  RETURN_NOT_OK(ExpectType(&in, RecordType::kSamples, &count));
  out->reserve(count);
  uint64_t ref = 0;
  int64_t t = 0;
  for (uint64_t i = 0; i < count; ++i) {
    bool ok;
    if (i == 0) {
      ok = GetVarint64(&in, &ref) && GetVarsint64(&in, &t);
    } else {
      int64_t dref = 0, dt = 0;
      ok = GetVarsint64(&in, &dref) && GetVarsint64(&in, &dt);
      ref += static_cast<uint64_t>(dref);
      t = static_cast<int64_t>(static_cast<uint64_t>(t) + static_cast<uint64_t>(dt));
    }
    uint64_t bits;
    if (!ok || !GetFixed64(&in, &bits)) return Status::Corruption("WAL samples record: truncated");
    out->push_back({ref, t, std::bit_cast<double>(bits)});
  }
  if (!in.empty()) return Status::Corruption("WAL samples record: trailing bytes");
  return Status::OK();
}

Status DecodeMetadata(std::string_view in, std::vector<MetadataRecord>* out) {
  out->clear();
  uint64_t count;
  RETURN_NOT_OK(ExpectType(&in, RecordType::kMetadata, &count));
  out->reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    std::string_view name, help, unit;
    if (!GetLengthPrefixed(&in, &name) || in.empty()) {
      return Status::Corruption("WAL metadata record: truncated");
    }
    uint8_t type = static_cast<uint8_t>(in[0]);
    in.remove_prefix(1);
    if (!GetLengthPrefixed(&in, &help) || !GetLengthPrefixed(&in, &unit)) {
      return Status::Corruption("WAL metadata record: truncated");
    }
    out->push_back({std::string(name), type, std::string(help), std::string(unit)});
  }
  if (!in.empty()) return Status::Corruption("WAL metadata record: trailing bytes");
  return Status::OK();
}

Status DecodeTombstones(std::string_view in, std::vector<TombstoneRecord>* out) {
  out->clear();
  uint64_t count;
  RETURN_NOT_OK(ExpectType(&in, RecordType::kTombstones, &count));
  out->reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    TombstoneRecord t;
    if (!GetVarint64(&in, &t.ref) || !GetVarsint64(&in, &t.min) || !GetVarsint64(&in, &t.max)) {
      return Status::Corruption("WAL tombstones record: truncated");
    }
    out->push_back(t);
  }
  if (!in.empty()) return Status::Corruption("WAL tombstones record: trailing bytes");
  return Status::OK();
}

}  // namespace mytsdb::wal
