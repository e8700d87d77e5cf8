#include "ingest/remote_write.h"

#include <gtest/gtest.h>
#include <snappy.h>

#include <bit>

#include "ingest/remote_write.pb.h"
#include "ingest/remote_write_protobuf.h"

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

// The hand-written decoder against the protobuf library's on bodies that
// exercise the wire format's corners: both accept or both refuse, and what
// they accept decodes the same. (The fuzzer does this on random input.)
TEST(RemoteWriteTest, DecodesWhatProtobufDecodesAndRefusesWhatItRefuses) {
  // A valid series: labels __name__="m", a="b"; one sample (t=7, v=1.5).
  const std::string label_name = std::string("\x0a\x08__name__\x12\x01m", 13);
  const std::string label_a = std::string("\x0a\x01" "a" "\x12\x01" "b", 6);
  std::string sample = std::string("\x09", 1) + std::string("\x00\x00\x00\x00\x00\x00\xf8\x3f", 8) +
                       std::string("\x10\x07", 2);
  auto len = [](const std::string& s) { return std::string(1, static_cast<char>(s.size())); };
  auto message = [&](char key, const std::string& body) { return std::string(1, key) + len(body) + body; };
  const std::string series = message('\x0a', label_name) + message('\x0a', label_a) + message('\x12', sample);
  struct Case {
    const char* what;
    std::string raw;
    bool ok;
  };
  const std::vector<Case> cases = {
      {"plain", message('\x0a', series), true},
      {"two series", message('\x0a', series) + message('\x0a', series), true},
      {"empty request", "", true},
      {"unknown varint field", "\x20\x05" + message('\x0a', series), true},
      {"unknown fixed32 field", std::string("\x25\x01\x02\x03\x04", 5) + message('\x0a', series), true},
      {"unknown group", std::string("\x2b\x08\x01\x2c", 4) + message('\x0a', series), true},
      {"known field, wrong wire type: skipped", "\x08\x01" + message('\x0a', series), true},
      {"label name given twice: last wins",
       message('\x0a', message('\x0a', "\x0a\x01x\x0a\x08__name__\x12\x01m") + message('\x12', sample)), true},
      {"sample without value", message('\x0a', message('\x0a', label_name) + message('\x12', "\x10\x01")), true},
      // Labels and samples not in the usual encoding (field order, each
      // field once) take the general parser: the same answers.
      {"label value before name",
       message('\x0a', message('\x0a', "\x12\x01m\x0a\x08__name__") + message('\x12', sample)), true},
      {"label value given twice: last wins",
       message('\x0a', message('\x0a', label_name + "\x12\x01n") + message('\x12', sample)), true},
      {"label with an unknown field after it",
       message('\x0a', message('\x0a', label_name + "\x18\x01") + message('\x12', sample)), true},
      {"label value with a wrong wire type",
       message('\x0a', message('\x0a', "\x0a\x08__name__\x10\x01") + message('\x12', sample)), false},
      {"sample timestamp before value",
       message('\x0a', message('\x0a', label_name) +
                           message('\x12', std::string("\x10\x07\x09\x00\x00\x00\x00\x00\x00\xf8\x3f", 11))),
       true},
      {"sample timestamp given twice: last wins",
       message('\x0a', message('\x0a', label_name) + message('\x12', sample + "\x10\x09")), true},
      {"sample with a truncated timestamp",
       message('\x0a', message('\x0a', label_name) + message('\x12', sample.substr(0, 10) + "\x10\x87")), false},
      {"exemplar and histogram counted",
       message('\x0a', series + message('\x1a', message('\x0a', "\x0a\x01x")) + message('\x22', "\x78\x05")), true},
      {"metadata", message('\x1a', "\x08\x01\x12\x01m\x22\x01h\x2a\x01u"), true},
      {"metadata with unknown enum", message('\x1a', "\x08\x09\x12\x01m"), true},
      {"metadata help not UTF-8", message('\x1a', "\x12\x01m\x22\x01\xff"), false},
      {"exemplar label not a message", message('\x0a', series + message('\x1a', "\x0a\x02\x08\xff")), false},
      {"truncated length", "\x0a\x05\x0a", false},
      {"field number 0", std::string("\x02\x00", 2), false},
      {"key of 5 bytes beyond 32 bits: truncated (fuzzer)",
       "\x92\x9a\xa0\xa0\x12\x02up" + message('\x0a', series), true},
      {"key of 6 bytes", "\x92\x9a\xa0\xa0\x82\x01\x02up", false},
      {"wire type 6", "\x0e", false},
      {"end group without start", "\x0c", false},
      {"group never closed", "\x2b\x08\x01", false},
      {"varint of 11 bytes", "\x20\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", false},
      {"truncated fixed64 sample", message('\x0a', message('\x0a', label_name) + message('\x12', "\x09\x00\x00")), false},
      {"invalid label", message('\x0a', message('\x0a', "\x0a\x01a\x12\x01b")), false},
  };
  for (const Case& c : cases) {
    std::string body;
    snappy::Compress(c.raw.data(), c.raw.size(), &body);
    auto ours = DecodeWriteRequest(body, {});
    auto reference = DecodeWriteRequestWithProtobuf(body, {});
    EXPECT_EQ(ours.ok(), c.ok) << c.what << ": " << ours.status().ToString();
    ASSERT_EQ(ours.ok(), reference.ok()) << c.what << ": " << reference.status().ToString();
    if (!ours.ok()) continue;
    ASSERT_EQ(ours->timeseries.size(), reference->timeseries.size()) << c.what;
    for (size_t i = 0; i < ours->timeseries.size(); ++i) {
      EXPECT_EQ(ours->timeseries[i].labels, reference->timeseries[i].labels) << c.what;
      ASSERT_EQ(ours->timeseries[i].samples.size(), reference->timeseries[i].samples.size()) << c.what;
      for (size_t k = 0; k < ours->timeseries[i].samples.size(); ++k) {
        EXPECT_EQ(ours->timeseries[i].samples[k].timestamp_ms, reference->timeseries[i].samples[k].timestamp_ms);
        EXPECT_EQ(std::bit_cast<uint64_t>(ours->timeseries[i].samples[k].value),
                  std::bit_cast<uint64_t>(reference->timeseries[i].samples[k].value));
      }
    }
    EXPECT_EQ(ours->num_exemplars_dropped, reference->num_exemplars_dropped) << c.what;
    EXPECT_EQ(ours->num_histograms_dropped, reference->num_histograms_dropped) << c.what;
    ASSERT_EQ(ours->metadata.size(), reference->metadata.size()) << c.what;
    for (size_t i = 0; i < ours->metadata.size(); ++i) {
      EXPECT_EQ(ours->metadata[i].type, reference->metadata[i].type) << c.what;
      EXPECT_EQ(ours->metadata[i].help, reference->metadata[i].help) << c.what;
    }
  }
}

}  // namespace
}  // namespace mytsdb::ingest
