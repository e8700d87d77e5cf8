// Prometheus's remote-read protocol, server side: decoding a ReadRequest and
// encoding both answers a client may accept (docs/API.md, "Remote read"):
//
//   SAMPLES              one ReadResponse (every query's series and
//                        samples), snappy-compressed protobuf;
//   STREAMED_XOR_CHUNKS  a stream of frames, each a ChunkedReadResponse with
//                        one series' XOR chunks (up to 120 samples each),
//                        framed as Prometheus frames them:
//                          uvarint(size) | crc32c(data), big-endian u32 | data
//                        A series whose chunks exceed a frame's budget
//                        continues in the next frame, with its labels again.
//
// And the client's half, for a read-only node asking the writers
// (remote_reader.h): encoding a ReadRequest, decoding a SAMPLES answer.
//
// Pure encoding: no storage, no HTTP. The handler in http/api_remote_read.cc
// selects the series and hands their samples here.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "model/labels.h"
#include "model/matcher.h"
#include "model/sample.h"

namespace mytsdb::remote {

enum class ReadResponseType { kSamples, kStreamedXorChunks };

struct ReadQuery {
  model::TimeRange range;  // inclusive, ms
  model::Matchers matchers;
};

struct ReadRequest {
  std::vector<ReadQuery> queries;
  // The first type of the client's list this server answers with (SAMPLES
  // when the list is empty, as Prometheus's server does).
  ReadResponseType response = ReadResponseType::kSamples;
};

// The request body as sent: snappy-compressed protobuf. InvalidArgument, with
// what is wrong, for a body that does not decompress within
// `max_decompressed_bytes`, does not parse, asks for no answer this server
// gives, or holds a query without matchers, with an invalid regex, or with
// its end before its start.
Result<ReadRequest> DecodeReadRequest(std::string_view body, size_t max_decompressed_bytes);

// The SAMPLES answer, built a series at a time.
class SamplesResponse {
 public:
  SamplesResponse();
  ~SamplesResponse();
  // Starts the result of the next query (call once per query, in order).
  void StartQuery();
  // A series of the current query; series without samples are left out.
  void AddSeries(const model::Labels& labels, std::span<const model::Sample> samples);
  size_t samples() const { return samples_; }
  // The snappy-compressed ReadResponse.
  std::string Finish();

 private:
  struct Impl;
  Impl* impl_;
  size_t samples_ = 0;
};

// At most this many samples per XOR chunk, as Prometheus's head cuts them.
inline constexpr size_t kSamplesPerChunk = 120;
// Prometheus's default budget of one frame's message.
inline constexpr size_t kMaxFrameBytes = 1 << 20;

// Appends the frames of one series of query `query_index` (its samples in
// time order, none if empty) to *out.
void AppendSeriesFrames(int64_t query_index, const model::Labels& labels,
                        std::span<const model::Sample> samples, std::string* out,
                        size_t max_frame_bytes = kMaxFrameBytes);

// ---- Client side ----

// The body of a request for `queries`, accepting SAMPLES only: snappy-
// compressed protobuf.
std::string EncodeReadRequest(std::span<const ReadQuery> queries);

struct ReadSeries {
  model::Labels labels;
  std::vector<model::Sample> samples;  // as the server sent them
};

// A SAMPLES answer: per query, its series. InvalidArgument, with what is
// wrong, for a body that does not decompress within
// `max_decompressed_bytes` or does not parse, or a series whose labels are
// not valid (unsorted, duplicated, empty names).
Result<std::vector<std::vector<ReadSeries>>> DecodeSamplesResponse(std::string_view body,
                                                                   size_t max_decompressed_bytes);

inline constexpr std::string_view kSamplesContentType = "application/x-protobuf";
inline constexpr std::string_view kStreamedContentType =
    "application/x-streamed-protobuf; proto=prometheus.ChunkedReadResponse";

}  // namespace mytsdb::remote
