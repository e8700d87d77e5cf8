#include "remote/read_protocol.h"

#include <gtest/gtest.h>
#include <snappy.h>

#include <bit>
#include <cmath>

#include "chunk/xor_chunk.h"
#include "common/crc32c.h"
#include "remote/remote_read.pb.h"

namespace mytsdb::remote {
namespace {

std::string Compressed(const google::protobuf::Message& m) {
  std::string out;
  const std::string raw = m.SerializeAsString();
  snappy::Compress(raw.data(), raw.size(), &out);
  return out;
}

pb::ReadRequest OneQuery(int64_t start, int64_t end) {
  pb::ReadRequest req;
  pb::Query* q = req.add_queries();
  q->set_start_timestamp_ms(start);
  q->set_end_timestamp_ms(end);
  pb::LabelMatcher* m = q->add_matchers();
  m->set_type(pb::LabelMatcher::EQ);
  m->set_name("__name__");
  m->set_value("up");
  m = q->add_matchers();
  m->set_type(pb::LabelMatcher::NRE);
  m->set_name("job");
  m->set_value("a|b");
  return req;
}

TEST(ReadProtocolTest, DecodesQueriesAndTheFirstAnswerTheClientAccepts) {
  pb::ReadRequest proto = OneQuery(1000, 2000);
  auto req = DecodeReadRequest(Compressed(proto), 1 << 20);
  ASSERT_TRUE(req.ok()) << req.status().ToString();
  EXPECT_EQ(req->response, ReadResponseType::kSamples);  // none listed
  ASSERT_EQ(req->queries.size(), 1u);
  EXPECT_EQ(req->queries[0].range.min, 1000);
  EXPECT_EQ(req->queries[0].range.max, 2000);
  ASSERT_EQ(req->queries[0].matchers.size(), 2u);
  EXPECT_EQ(req->queries[0].matchers[1].type(), model::MatchType::kRegexNoMatch);
  EXPECT_TRUE(req->queries[0].matchers[1].Matches("c"));
  EXPECT_FALSE(req->queries[0].matchers[1].Matches("a"));  // anchored, as Prometheus's

  proto.add_accepted_response_types(pb::ReadRequest::STREAMED_XOR_CHUNKS);
  proto.add_accepted_response_types(pb::ReadRequest::SAMPLES);
  EXPECT_EQ(DecodeReadRequest(Compressed(proto), 1 << 20)->response, ReadResponseType::kStreamedXorChunks);
  proto.clear_accepted_response_types();
  proto.add_accepted_response_types(static_cast<pb::ReadRequest::ResponseType>(7));
  proto.add_accepted_response_types(pb::ReadRequest::SAMPLES);
  EXPECT_EQ(DecodeReadRequest(Compressed(proto), 1 << 20)->response, ReadResponseType::kSamples);
}

TEST(ReadProtocolTest, BadRequestsSayWhatIsWrong) {
  auto message = [](std::string_view body, size_t limit = 1 << 20) {
    auto r = DecodeReadRequest(body, limit);
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    return r.status().message();
  };
  EXPECT_NE(message("not snappy at all").find("snappy"), std::string::npos);
  EXPECT_NE(message(Compressed(OneQuery(1, 2)), 4).find("over the limit"), std::string::npos);
  std::string garbage;
  snappy::Compress("\xff\xff\xff", 3, &garbage);
  EXPECT_NE(message(garbage).find("not a ReadRequest"), std::string::npos);
  EXPECT_NE(message(Compressed(OneQuery(5, 1))).find("query 0 ends before it starts"), std::string::npos);
  pb::ReadRequest none = OneQuery(1, 2);
  none.mutable_queries(0)->clear_matchers();
  EXPECT_NE(message(Compressed(none)).find("query 0 has no matchers"), std::string::npos);
  pb::ReadRequest bad_regex = OneQuery(1, 2);
  bad_regex.mutable_queries(0)->mutable_matchers(1)->set_value("(");
  EXPECT_NE(message(Compressed(bad_regex)).find("query 0"), std::string::npos);
  pb::ReadRequest unknown = OneQuery(1, 2);
  unknown.add_accepted_response_types(static_cast<pb::ReadRequest::ResponseType>(9));
  EXPECT_NE(message(Compressed(unknown)).find("none of the accepted response types"), std::string::npos);
}

std::vector<model::Sample> Samples(size_t n) {
  std::vector<model::Sample> out;
  for (size_t i = 0; i < n; ++i) {
    double v = i % 7 == 3 ? std::nan("") : double(i) * 1.25 - 40;
    out.push_back({int64_t(1'700'000'000'000 + 15'000 * i + (i % 5)), v});
  }
  if (n > 10) out[10].value = std::bit_cast<double>(uint64_t{0x7ff0000000000002});  // a staleness marker
  return out;
}

// The frames in `stream`, each checked for its length and CRC.
std::vector<pb::ChunkedReadResponse> Frames(std::string_view stream) {
  std::vector<pb::ChunkedReadResponse> frames;
  while (!stream.empty()) {
    uint64_t size = 0;
    int shift = 0;
    size_t i = 0;
    for (;; ++i, shift += 7) {
      size |= uint64_t(uint8_t(stream[i]) & 0x7f) << shift;
      if ((uint8_t(stream[i]) & 0x80) == 0) break;
    }
    stream.remove_prefix(i + 1);
    uint32_t crc = 0;
    for (int k = 0; k < 4; ++k) crc = crc << 8 | uint8_t(stream[k]);
    std::string_view data = stream.substr(4, size);
    EXPECT_EQ(data.size(), size);
    EXPECT_EQ(crc, crc32c::Value(data));
    frames.emplace_back().ParseFromString(std::string(data));
    stream.remove_prefix(4 + size);
  }
  return frames;
}

TEST(ReadProtocolTest, StreamedChunksHoldEverySampleBitForBit) {
  const model::Labels labels{{"__name__", "up"}, {"job", "x"}};
  const std::vector<model::Sample> samples = Samples(1000);
  for (size_t budget : {kMaxFrameBytes, size_t{300}}) {
    std::string stream;
    AppendSeriesFrames(3, labels, samples, &stream, budget);
    AppendSeriesFrames(3, labels, {}, &stream, budget);  // nothing for an empty series
    std::vector<pb::ChunkedReadResponse> frames = Frames(stream);
    EXPECT_EQ(frames.size() > 1, budget == 300) << frames.size();
    std::vector<model::Sample> got;
    size_t chunks = 0;
    for (const pb::ChunkedReadResponse& f : frames) {
      EXPECT_EQ(f.query_index(), 3);
      ASSERT_EQ(f.chunked_series_size(), 1);
      const pb::ChunkedSeries& s = f.chunked_series(0);
      ASSERT_EQ(s.labels_size(), 2);  // every frame names its series
      EXPECT_EQ(s.labels(1).value(), "x");
      for (const pb::Chunk& c : s.chunks()) {
        ++chunks;
        EXPECT_EQ(c.type(), pb::Chunk::XOR);
        const uint16_t n = uint16_t(uint8_t(c.data()[0]) << 8 | uint8_t(c.data()[1]));
        EXPECT_LE(n, kSamplesPerChunk);
        auto chunk = chunk::XorChunk::FromBytes(std::string_view(c.data()).substr(2), n);
        ASSERT_TRUE(chunk.ok()) << chunk.status().ToString();
        chunk::XorIterator it = chunk->Iterator();
        size_t before = got.size();
        while (it.Next()) got.push_back({it.t(), it.v()});
        EXPECT_EQ(got.size() - before, n);
        EXPECT_EQ(c.min_time_ms(), got[before].timestamp_ms);
        EXPECT_EQ(c.max_time_ms(), got.back().timestamp_ms);
      }
    }
    EXPECT_EQ(chunks, (samples.size() + kSamplesPerChunk - 1) / kSamplesPerChunk);
    ASSERT_EQ(got.size(), samples.size());
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].timestamp_ms, samples[i].timestamp_ms);
      EXPECT_EQ(std::bit_cast<uint64_t>(got[i].value), std::bit_cast<uint64_t>(samples[i].value)) << i;
    }
  }
}

TEST(ReadProtocolTest, SamplesAnswerHasOneResultPerQuery) {
  SamplesResponse response;
  const std::vector<model::Sample> samples = Samples(5);
  response.StartQuery();
  response.AddSeries(model::Labels{{"__name__", "a"}}, samples);
  response.AddSeries(model::Labels{{"__name__", "empty"}}, {});
  response.StartQuery();
  EXPECT_EQ(response.samples(), 5u);
  std::string raw;
  const std::string body = response.Finish();
  ASSERT_TRUE(snappy::Uncompress(body.data(), body.size(), &raw));
  pb::ReadResponse parsed;
  ASSERT_TRUE(parsed.ParseFromString(raw));
  ASSERT_EQ(parsed.results_size(), 2);
  ASSERT_EQ(parsed.results(0).timeseries_size(), 1);
  EXPECT_EQ(parsed.results(1).timeseries_size(), 0);
  const pb::TimeSeries& ts = parsed.results(0).timeseries(0);
  EXPECT_EQ(ts.labels(0).value(), "a");
  ASSERT_EQ(ts.samples_size(), 5);
  EXPECT_EQ(ts.samples(4).timestamp(), samples[4].timestamp_ms);
  EXPECT_TRUE(std::isnan(ts.samples(3).value()));
}

TEST(ReadProtocolTest, TheClientsRequestIsWhatTheServerDecodes) {
  ReadQuery query{{1000, 2000},
                  {model::Matcher::Make(model::MatchType::kEqual, "__name__", "up").MoveValue(),
                   model::Matcher::Make(model::MatchType::kRegexNoMatch, "job", "a|b").MoveValue(),
                   model::Matcher::Make(model::MatchType::kNotEqual, "x", "").MoveValue(),
                   model::Matcher::Make(model::MatchType::kRegexMatch, "y", ".+").MoveValue()}};
  auto decoded = DecodeReadRequest(EncodeReadRequest({&query, 1}), 1 << 20);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->response, ReadResponseType::kSamples);
  ASSERT_EQ(decoded->queries.size(), 1u);
  EXPECT_EQ(decoded->queries[0].range.min, 1000);
  EXPECT_EQ(decoded->queries[0].range.max, 2000);
  ASSERT_EQ(decoded->queries[0].matchers.size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(decoded->queries[0].matchers[i].ToString(), query.matchers[i].ToString());
  }
}

TEST(ReadProtocolTest, TheClientTakesTheServersSamplesAnswerBitForBit) {
  SamplesResponse response;
  const std::vector<model::Sample> samples = Samples(5);
  response.StartQuery();
  response.AddSeries(model::Labels{{"__name__", "a"}, {"job", "x"}}, samples);
  response.AddSeries(model::Labels{{"__name__", "b"}}, samples);
  response.StartQuery();
  auto decoded = DecodeSamplesResponse(response.Finish(), 1 << 20);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  ASSERT_EQ(decoded->size(), 2u);
  ASSERT_EQ((*decoded)[0].size(), 2u);
  EXPECT_TRUE((*decoded)[1].empty());
  const ReadSeries& a = (*decoded)[0][0];
  EXPECT_EQ(a.labels, (model::Labels{{"__name__", "a"}, {"job", "x"}}));
  ASSERT_EQ(a.samples.size(), samples.size());
  for (size_t i = 0; i < samples.size(); ++i) {
    EXPECT_EQ(a.samples[i].timestamp_ms, samples[i].timestamp_ms);
    EXPECT_EQ(std::bit_cast<uint64_t>(a.samples[i].value), std::bit_cast<uint64_t>(samples[i].value));
  }
}

TEST(ReadProtocolTest, ABadAnswerSaysWhatIsWrong) {
  EXPECT_NE(DecodeSamplesResponse("not snappy", 1 << 20).status().message().find("the answer is not"),
            std::string::npos);
  SamplesResponse big;
  big.StartQuery();
  big.AddSeries(model::Labels{{"__name__", "a"}}, Samples(100));
  EXPECT_NE(DecodeSamplesResponse(big.Finish(), 64).status().message().find("over the limit of 64"),
            std::string::npos);
  pb::ReadResponse unsorted;
  pb::TimeSeries* ts = unsorted.add_results()->add_timeseries();
  for (const char* name : {"z", "a"}) {
    pb::Label* l = ts->add_labels();
    l->set_name(name);
    l->set_value("v");
  }
  auto decoded = DecodeSamplesResponse(Compressed(unsorted), 1 << 20);
  EXPECT_EQ(decoded.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mytsdb::remote
