#include "remote/read_protocol.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>
#include <snappy.h>

#include <algorithm>

#include "chunk/xor_chunk.h"
#include "common/crc32c.h"
#include "remote/remote_read.pb.h"

namespace mytsdb::remote {

namespace {

Result<model::Matcher> MatcherFrom(const pb::LabelMatcher& m) {
  model::MatchType type;
  switch (m.type()) {
    case pb::LabelMatcher::EQ: type = model::MatchType::kEqual; break;
    case pb::LabelMatcher::NEQ: type = model::MatchType::kNotEqual; break;
    case pb::LabelMatcher::RE: type = model::MatchType::kRegexMatch; break;
    case pb::LabelMatcher::NRE: type = model::MatchType::kRegexNoMatch; break;
    default:
      return Status::InvalidArgument("remote read: unknown matcher type " + std::to_string(m.type()));
  }
  return model::Matcher::Make(type, m.name(), m.value());
}

void SetLabels(const model::Labels& labels, google::protobuf::RepeatedPtrField<pb::Label>* out) {
  out->Reserve(static_cast<int>(labels.size()));
  for (const model::Label& l : labels) {
    pb::Label* label = out->Add();
    label->set_name(l.name);
    label->set_value(l.value);
  }
}

void AppendUvarint(uint64_t v, std::string* out) {
  uint8_t buf[10];  // a varint of 64 bits takes at most 10 bytes
  const uint8_t* end = google::protobuf::io::CodedOutputStream::WriteVarint64ToArray(v, buf);
  out->append(reinterpret_cast<const char*>(buf), end - buf);
}

void AppendFrame(const pb::ChunkedReadResponse& frame, std::string* out) {
  const std::string data = frame.SerializeAsString();
  AppendUvarint(data.size(), out);
  const uint32_t crc = crc32c::Value(data);
  for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<char>((crc >> shift) & 0xff));
  out->append(data);
}

// A snappy block of at most `max_bytes` once decompressed; `what` names it
// in errors ("the request").
Result<std::string> Uncompress(std::string_view body, size_t max_bytes, const char* what) {
  size_t size = 0;
  if (!snappy::GetUncompressedLength(body.data(), body.size(), &size)) {
    return Status::InvalidArgument(std::string("remote read: ") + what + " is not snappy-compressed");
  }
  if (size > max_bytes) {
    return Status::InvalidArgument(std::string("remote read: ") + what + " decompresses to " +
                                   std::to_string(size) + " bytes, over the limit of " +
                                   std::to_string(max_bytes));
  }
  std::string raw;
  if (!snappy::Uncompress(body.data(), body.size(), &raw)) {
    return Status::InvalidArgument(std::string("remote read: ") + what + " is not valid snappy");
  }
  return raw;
}

}  // namespace

Result<ReadRequest> DecodeReadRequest(std::string_view body, size_t max_decompressed_bytes) {
  ASSIGN_OR_RETURN(std::string raw, Uncompress(body, max_decompressed_bytes, "the request"));
  pb::ReadRequest proto;
  if (!proto.ParseFromString(raw)) {
    return Status::InvalidArgument("remote read: the body is not a ReadRequest");
  }
  ReadRequest request;
  if (proto.accepted_response_types_size() > 0) {
    bool known = false;
    for (int type : proto.accepted_response_types()) {
      if (type == pb::ReadRequest::SAMPLES || type == pb::ReadRequest::STREAMED_XOR_CHUNKS) {
        request.response = type == pb::ReadRequest::SAMPLES ? ReadResponseType::kSamples
                                                                 : ReadResponseType::kStreamedXorChunks;
        known = true;
        break;
      }
    }
    if (!known) {
      return Status::InvalidArgument(
          "remote read: none of the accepted response types is answered here (SAMPLES and "
          "STREAMED_XOR_CHUNKS are)");
    }
  }
  for (int i = 0; i < proto.queries_size(); ++i) {
    const pb::Query& q = proto.queries(i);
    const std::string which = "remote read: query " + std::to_string(i);
    if (q.matchers_size() == 0) return Status::InvalidArgument(which + " has no matchers");
    if (q.end_timestamp_ms() < q.start_timestamp_ms()) {
      return Status::InvalidArgument(which + " ends before it starts");
    }
    ReadQuery query;
    query.range = {q.start_timestamp_ms(), q.end_timestamp_ms()};
    for (const pb::LabelMatcher& m : q.matchers()) {
      Result<model::Matcher> matcher = MatcherFrom(m);
      if (!matcher.ok()) return matcher.status().WithContext(which);
      query.matchers.push_back(std::move(*matcher));
    }
    request.queries.push_back(std::move(query));
  }
  return request;
}

// The answer is kept serialized as it grows (about 20 bytes a sample), not
// as message objects (three times that): ReadResponse.results and
// QueryResult.timeseries are both field 1, length-delimited.
struct SamplesResponse::Impl {
  std::string response;      // the finished results
  std::string query_result;  // the result being built
  bool open = false;

  void CloseQuery() {
    if (!open) return;
    AppendLengthDelimited(query_result, &response);
    query_result.clear();
    open = false;
  }
  static void AppendLengthDelimited(std::string_view message, std::string* out) {
    AppendUvarint(google::protobuf::internal::WireFormatLite::MakeTag(
                      1, google::protobuf::internal::WireFormatLite::WIRETYPE_LENGTH_DELIMITED),
                  out);
    AppendUvarint(message.size(), out);
    out->append(message);
  }
};

SamplesResponse::SamplesResponse() : impl_(new Impl) {}
SamplesResponse::~SamplesResponse() { delete impl_; }

void SamplesResponse::StartQuery() {
  impl_->CloseQuery();
  impl_->open = true;
}

void SamplesResponse::AddSeries(const model::Labels& labels, std::span<const model::Sample> samples) {
  if (samples.empty()) return;
  pb::TimeSeries series;
  SetLabels(labels, series.mutable_labels());
  series.mutable_samples()->Reserve(static_cast<int>(samples.size()));
  for (const model::Sample& s : samples) {
    pb::Sample* sample = series.add_samples();
    sample->set_timestamp(s.timestamp_ms);
    sample->set_value(s.value);
  }
  Impl::AppendLengthDelimited(series.SerializeAsString(), &impl_->query_result);
  samples_ += samples.size();
}

std::string SamplesResponse::Finish() {
  impl_->CloseQuery();
  std::string compressed;
  snappy::Compress(impl_->response.data(), impl_->response.size(), &compressed);
  return compressed;
}

void AppendSeriesFrames(int64_t query_index, const model::Labels& labels,
                        std::span<const model::Sample> samples, std::string* out,
                        size_t max_frame_bytes) {
  if (samples.empty()) return;
  pb::ChunkedReadResponse frame;
  frame.set_query_index(query_index);
  pb::ChunkedSeries* series = frame.add_chunked_series();
  SetLabels(labels, series->mutable_labels());
  const size_t labels_bytes = frame.ByteSizeLong();
  size_t frame_bytes = labels_bytes;
  for (size_t first = 0; first < samples.size(); first += kSamplesPerChunk) {
    const size_t n = std::min(kSamplesPerChunk, samples.size() - first);
    chunk::XorChunk xor_chunk;
    for (size_t i = first; i < first + n; ++i) xor_chunk.Append(samples[i].timestamp_ms, samples[i].value);
    pb::Chunk* c = series->add_chunks();
    c->set_min_time_ms(samples[first].timestamp_ms);
    c->set_max_time_ms(samples[first + n - 1].timestamp_ms);
    c->set_type(pb::Chunk::XOR);
    std::string data;
    data.reserve(2 + xor_chunk.bytes().size());
    data.push_back(static_cast<char>(n >> 8));
    data.push_back(static_cast<char>(n & 0xff));
    data.append(xor_chunk.bytes());
    frame_bytes += data.size() + 32;  // the chunk's other fields and tags, at most
    c->set_data(std::move(data));
    // The frame goes once it is over budget (at least one chunk each, as
    // Prometheus sends them); the series goes on in the next.
    if (frame_bytes >= max_frame_bytes && first + n < samples.size()) {
      AppendFrame(frame, out);
      series->clear_chunks();
      frame_bytes = labels_bytes;
    }
  }
  AppendFrame(frame, out);
}

// ---- Client side ----

std::string EncodeReadRequest(std::span<const ReadQuery> queries) {
  pb::ReadRequest proto;
  for (const ReadQuery& query : queries) {
    pb::Query* q = proto.add_queries();
    q->set_start_timestamp_ms(query.range.min);
    q->set_end_timestamp_ms(query.range.max);
    for (const model::Matcher& m : query.matchers) {
      pb::LabelMatcher* matcher = q->add_matchers();
      switch (m.type()) {
        case model::MatchType::kEqual: matcher->set_type(pb::LabelMatcher::EQ); break;
        case model::MatchType::kNotEqual: matcher->set_type(pb::LabelMatcher::NEQ); break;
        case model::MatchType::kRegexMatch: matcher->set_type(pb::LabelMatcher::RE); break;
        case model::MatchType::kRegexNoMatch: matcher->set_type(pb::LabelMatcher::NRE); break;
      }
      matcher->set_name(m.name());
      matcher->set_value(m.value());
    }
  }
  proto.add_accepted_response_types(pb::ReadRequest::SAMPLES);
  std::string compressed;
  const std::string raw = proto.SerializeAsString();
  snappy::Compress(raw.data(), raw.size(), &compressed);
  return compressed;
}

Result<std::vector<std::vector<ReadSeries>>> DecodeSamplesResponse(std::string_view body,
                                                                   size_t max_decompressed_bytes) {
  ASSIGN_OR_RETURN(std::string raw, Uncompress(body, max_decompressed_bytes, "the answer"));
  pb::ReadResponse proto;
  if (!proto.ParseFromString(raw)) return Status::InvalidArgument("remote read: the answer is not a ReadResponse");
  raw.clear();
  raw.shrink_to_fit();
  std::vector<std::vector<ReadSeries>> out(static_cast<size_t>(proto.results_size()));
  for (int q = 0; q < proto.results_size(); ++q) {
    pb::QueryResult* result = proto.mutable_results(q);
    out[q].reserve(static_cast<size_t>(result->timeseries_size()));
    for (pb::TimeSeries& ts : *result->mutable_timeseries()) {
      ReadSeries series;
      std::vector<model::Label> labels;
      labels.reserve(static_cast<size_t>(ts.labels_size()));
      for (pb::Label& l : *ts.mutable_labels()) {
        labels.push_back({std::move(*l.mutable_name()), std::move(*l.mutable_value())});
      }
      series.labels = model::Labels::FromSorted(std::move(labels));
      if (Status valid = series.labels.Validate(); !valid.ok()) {
        return valid.WithContext("remote read: a series of the answer");
      }
      series.samples.reserve(static_cast<size_t>(ts.samples_size()));
      for (const pb::Sample& s : ts.samples()) series.samples.push_back({s.timestamp(), s.value()});
      // Free each series' message as it is taken over.
      ts.Clear();
      out[q].push_back(std::move(series));
    }
  }
  return out;
}

}  // namespace mytsdb::remote
