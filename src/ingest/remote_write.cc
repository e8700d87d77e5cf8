#include "ingest/remote_write.h"

#include <google/protobuf/arena.h>
#include <snappy.h>

#include "ingest/remote_write.pb.h"

namespace mytsdb::ingest {

std::string_view MetricTypeName(MetricType type) {
  switch (type) {
    case MetricType::kCounter: return "counter";
    case MetricType::kGauge: return "gauge";
    case MetricType::kHistogram: return "histogram";
    case MetricType::kGaugeHistogram: return "gaugehistogram";
    case MetricType::kSummary: return "summary";
    case MetricType::kInfo: return "info";
    case MetricType::kStateSet: return "stateset";
    case MetricType::kUnknown: break;
  }
  return "unknown";
}

Result<WriteRequest> DecodeWriteRequest(std::string_view body, const DecodeOptions& options) {
  size_t raw_size = 0;
  if (!snappy::GetUncompressedLength(body.data(), body.size(), &raw_size)) {
    return Status::InvalidArgument("snappy: corrupt input: cannot read the block header");
  }
  if (raw_size > options.max_decompressed_bytes) {
    return Status::ResourceExhausted("decompressed request of " + std::to_string(raw_size) +
                                     " bytes exceeds the limit of " +
                                     std::to_string(options.max_decompressed_bytes) + " bytes");
  }
  std::string raw;
  if (!snappy::Uncompress(body.data(), body.size(), &raw)) {
    return Status::InvalidArgument("snappy: corrupt input: the block does not decompress");
  }

  google::protobuf::Arena arena;
  auto* pb = google::protobuf::Arena::CreateMessage<prompb::WriteRequest>(&arena);
  if (!pb->ParseFromString(raw)) {
    return Status::InvalidArgument("protobuf: cannot parse the body as a remote-write "
                                   "WriteRequest");
  }

  WriteRequest out;
  out.timeseries.reserve(pb->timeseries_size());
  for (const prompb::TimeSeries& ts : pb->timeseries()) {
    std::vector<model::Label> labels;
    labels.reserve(ts.labels_size());
    for (const prompb::Label& l : ts.labels()) labels.push_back({l.name(), l.value()});
    model::Labels ls = model::Labels::FromSorted(std::move(labels));
    RETURN_NOT_OK(ls.Validate(options.name_scheme));
    bool has_empty = false;
    for (const model::Label& l : ls) has_empty |= l.value.empty();
    if (has_empty) {
      std::vector<model::Label> kept;
      for (const model::Label& l : ls) {
        if (!l.value.empty()) kept.push_back(l);
      }
      ls = model::Labels::FromSorted(std::move(kept));
    }
    TimeSeries series;
    series.labels = std::move(ls);
    series.samples.reserve(ts.samples_size());
    for (const prompb::Sample& s : ts.samples()) series.samples.push_back({s.timestamp(), s.value()});
    out.num_samples += series.samples.size();
    out.num_exemplars_dropped += ts.exemplars_size();
    out.num_histograms_dropped += ts.histograms_size();
    out.timeseries.push_back(std::move(series));
  }
  out.metadata.reserve(pb->metadata_size());
  for (const prompb::MetricMetadata& m : pb->metadata()) {
    int type = m.type();
    out.metadata.push_back({type >= 0 && type <= 7 ? static_cast<MetricType>(type)
                                                   : MetricType::kUnknown,
                            m.metric_family_name(), m.help(), m.unit()});
  }
  return out;
}

std::string EncodeWriteRequest(const WriteRequest& request) {
  prompb::WriteRequest pb;
  for (const TimeSeries& ts : request.timeseries) {
    prompb::TimeSeries* out = pb.add_timeseries();
    for (const model::Label& l : ts.labels) {
      prompb::Label* label = out->add_labels();
      label->set_name(l.name);
      label->set_value(l.value);
    }
    for (const Sample& s : ts.samples) {
      prompb::Sample* sample = out->add_samples();
      sample->set_timestamp(s.timestamp_ms);
      sample->set_value(s.value);
    }
  }
  for (const MetricMetadata& m : request.metadata) {
    prompb::MetricMetadata* out = pb.add_metadata();
    out->set_type(static_cast<prompb::MetricMetadata::MetricType>(m.type));
    out->set_metric_family_name(m.metric_family_name);
    out->set_help(m.help);
    out->set_unit(m.unit);
  }
  std::string raw = pb.SerializeAsString();
  std::string compressed;
  snappy::Compress(raw.data(), raw.size(), &compressed);
  return compressed;
}

}  // namespace mytsdb::ingest
