#include "ingest/remote_write.h"

#include <gtest/gtest.h>
#include <snappy.h>

#include <bit>

#include "ingest/remote_write.pb.h"

namespace mytsdb::ingest {
namespace {

using model::Label;
using model::Labels;

TimeSeries Series(std::vector<Label> labels, std::vector<Sample> samples) {
  return {Labels::FromSorted(std::move(labels)), std::move(samples)};
}

Status DecodeError(const WriteRequest& req, DecodeOptions options = {}) {
  auto r = DecodeWriteRequest(EncodeWriteRequest(req), options);
  return r.ok() ? Status::OK() : r.status();
}

void ExpectError(const Status& st, StatusCode code, std::string_view words) {
  EXPECT_EQ(st.code(), code) << st.ToString();
  EXPECT_NE(st.message().find(words), std::string::npos) << st.message();
}

TEST(RemoteWriteTest, RoundTrip) {
  WriteRequest req;
  req.timeseries.push_back(Series({{"__name__", "up"}, {"job", "api"}}, {{1000, 1}, {2000, 0}}));
  req.timeseries.push_back(Series({{"__name__", "x"}}, {}));
  req.metadata.push_back({MetricType::kCounter, "http_requests_total", "Requests.", ""});
  auto got = DecodeWriteRequest(EncodeWriteRequest(req), {});
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_EQ(got->timeseries.size(), 2u);
  EXPECT_EQ(got->timeseries[0].labels, req.timeseries[0].labels);
  ASSERT_EQ(got->timeseries[0].samples.size(), 2u);
  EXPECT_EQ(got->timeseries[0].samples[1].timestamp_ms, 2000);
  EXPECT_EQ(got->num_samples, 2u);
  ASSERT_EQ(got->metadata.size(), 1u);
  EXPECT_EQ(got->metadata[0].type, MetricType::kCounter);
  EXPECT_EQ(got->metadata[0].help, "Requests.");
  EXPECT_EQ(MetricTypeName(got->metadata[0].type), "counter");
}

TEST(RemoteWriteTest, SpecialValuesAreBitExact) {
  std::vector<uint64_t> bits = {0x7ff0000000000002ULL, 0x7ff8000000000001ULL,
                                0x7ff0000000000000ULL, 0xfff0000000000000ULL,
                                0x8000000000000000ULL};
  WriteRequest req;
  std::vector<Sample> samples;
  for (size_t i = 0; i < bits.size(); ++i) {
    samples.push_back({int64_t(i), std::bit_cast<double>(bits[i])});
  }
  req.timeseries.push_back(Series({{"__name__", "m"}}, samples));
  auto got = DecodeWriteRequest(EncodeWriteRequest(req), {});
  ASSERT_TRUE(got.ok());
  for (size_t i = 0; i < bits.size(); ++i) {
    EXPECT_EQ(std::bit_cast<uint64_t>(got->timeseries[0].samples[i].value), bits[i]) << i;
  }
}

TEST(RemoteWriteTest, EmptyValueLabelsAreDropped) {
  WriteRequest req;
  req.timeseries.push_back(Series({{"__name__", "m"}, {"a", ""}, {"b", "1"}}, {{1, 1}}));
  auto got = DecodeWriteRequest(EncodeWriteRequest(req), {});
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->timeseries[0].labels, (Labels{{"__name__", "m"}, {"b", "1"}}));
}

TEST(RemoteWriteTest, BadSnappy) {
  ExpectError(DecodeWriteRequest("\xff\xff\xff\xff\xff\xff", {}).status(),
              StatusCode::kInvalidArgument, "snappy");
  // A valid header with a broken body.
  std::string body;
  snappy::Compress(std::string(1000, 'a').data(), 1000, &body);
  body.resize(body.size() / 2);
  ExpectError(DecodeWriteRequest(body, {}).status(), StatusCode::kInvalidArgument, "snappy");
}

TEST(RemoteWriteTest, BadProtobuf) {
  std::string raw = "\x0a\xff\xff\xff\xff\x0f garbage";
  std::string body;
  snappy::Compress(raw.data(), raw.size(), &body);
  ExpectError(DecodeWriteRequest(body, {}).status(), StatusCode::kInvalidArgument, "protobuf");
}

TEST(RemoteWriteTest, LabelRejections) {
  auto one = [](std::vector<Label> labels) {
    WriteRequest req;
    req.timeseries.push_back(Series({{"__name__", "ok"}}, {{1, 1}}));
    req.timeseries.push_back(Series(std::move(labels), {{1, 1}}));
    return req;
  };
  ExpectError(DecodeError(one({{"__name__", "m"}, {"", "v"}})), StatusCode::kInvalidArgument,
              "invalid label name");
  ExpectError(DecodeError(one({{"__name__", "m"}, {"a", "\xc3\x28"}})),
              StatusCode::kInvalidArgument, "not valid UTF-8");
  ExpectError(DecodeError(one({{"__name__", "m"}, {"a", "1"}, {"a", "2"}})),
              StatusCode::kInvalidArgument, "duplicate label name");
  ExpectError(DecodeError(one({{"__name__", "m"}, {"b", "1"}, {"a", "2"}})),
              StatusCode::kInvalidArgument, "not sorted");
  ExpectError(DecodeError(one({{"job", "x"}})), StatusCode::kInvalidArgument, "no metric name");
  DecodeOptions legacy;
  legacy.name_scheme = Labels::NameScheme::kLegacy;
  ExpectError(DecodeError(one({{"__name__", "m"}, {"k8s.pod", "x"}}), legacy),
              StatusCode::kInvalidArgument, "invalid label name \"k8s.pod\"");
  EXPECT_TRUE(DecodeError(one({{"__name__", "m"}, {"k8s.pod", "x"}})).ok());
}

TEST(RemoteWriteTest, DecompressedSizeLimitIsCheckedBeforeDecompressing) {
  WriteRequest req;
  req.timeseries.push_back(Series({{"__name__", "m"}, {"pad", std::string(10000, 'x')}}, {{1, 1}}));
  DecodeOptions small;
  small.max_decompressed_bytes = 4096;
  ExpectError(DecodeError(req, small), StatusCode::kResourceExhausted, "exceeds the limit");
}

TEST(RemoteWriteTest, CountsDroppedExemplarsAndHistograms) {
  prompb::WriteRequest pb;
  auto* ts = pb.add_timeseries();
  auto* l = ts->add_labels();
  l->set_name("__name__");
  l->set_value("m");
  ts->add_exemplars()->set_value(1);
  ts->add_histograms()->set_timestamp(5);
  std::string raw = pb.SerializeAsString(), body;
  snappy::Compress(raw.data(), raw.size(), &body);
  auto got = DecodeWriteRequest(body, {});
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->num_exemplars_dropped, 1u);
  EXPECT_EQ(got->num_histograms_dropped, 1u);
}

}  // namespace
}  // namespace mytsdb::ingest
