#include "ingest/remote_write_protobuf.h"

#include <google/protobuf/arena.h>
#include <snappy.h>

#include "ingest/remote_write.pb.h"
#include "ingest/remote_write_internal.h"

namespace mytsdb::ingest {

Result<WriteRequest> DecodeWriteRequestWithProtobuf(std::string_view body, const DecodeOptions& options) {
  ASSIGN_OR_RETURN(std::string raw, Decompress(body, options));
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
    ASSIGN_OR_RETURN(model::Labels ls, ValidatedLabels(std::move(labels), options));
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
