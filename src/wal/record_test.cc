#include "wal/record.h"

#include <gtest/gtest.h>

#include <bit>

namespace mytsdb::wal {
namespace {

TEST(RecordTest, SeriesRoundTrip) {
  std::vector<SeriesRecord> in = {{1, model::Labels{{"__name__", "up"}, {"job", "a"}}},
                                  {1234567, model::Labels{{"__name__", "x"}}}};
  std::string buf;
  EncodeSeries(in, &buf);
  EXPECT_EQ(*PeekType(buf), RecordType::kSeries);
  std::vector<SeriesRecord> out;
  ASSERT_TRUE(DecodeSeries(buf, &out).ok());
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].ref, 1u);
  EXPECT_EQ(out[0].labels, in[0].labels);
  EXPECT_EQ(out[1].ref, 1234567u);
}

TEST(RecordTest, SamplesRoundTripBitExact) {
  std::vector<SampleRecord> in = {
      {5, 1700000000000, 1.5},
      {3, 1699999999000, std::bit_cast<double>(uint64_t{0x7ff0000000000002})},
      {900, -5, -0.0},
      {900, INT64_MAX, std::bit_cast<double>(uint64_t{0x7ff8deadbeef0001})},
      {0, INT64_MIN, 1e308}};
  std::string buf;
  EncodeSamples(in, &buf);
  std::vector<SampleRecord> out;
  ASSERT_TRUE(DecodeSamples(buf, &out).ok());
  ASSERT_EQ(out.size(), in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    EXPECT_EQ(out[i].ref, in[i].ref);
    EXPECT_EQ(out[i].t, in[i].t);
    EXPECT_EQ(std::bit_cast<uint64_t>(out[i].v), std::bit_cast<uint64_t>(in[i].v));
  }
}

TEST(RecordTest, MetadataRoundTrip) {
  std::vector<MetadataRecord> in = {{"http_requests_total", 1, "Requests.", ""},
                                    {"mem", 2, "", "bytes"}};
  std::string buf;
  EncodeMetadata(in, &buf);
  std::vector<MetadataRecord> out;
  ASSERT_TRUE(DecodeMetadata(buf, &out).ok());
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].metric_family_name, "http_requests_total");
  EXPECT_EQ(out[0].help, "Requests.");
  EXPECT_EQ(out[1].type, 2);
  EXPECT_EQ(out[1].unit, "bytes");
}

TEST(RecordTest, MalformedInputIsCorruption) {
  EXPECT_TRUE(PeekType("").status().IsCorruption());
  EXPECT_TRUE(PeekType("\x09").status().IsCorruption());
  std::string buf;
  EncodeSamples(std::vector<SampleRecord>{{1, 2, 3}, {4, 5, 6}}, &buf);
  std::vector<SampleRecord> out;
  for (size_t len = 1; len < buf.size(); ++len) {
    EXPECT_TRUE(DecodeSamples(buf.substr(0, len), &out).IsCorruption()) << len;
  }
  EXPECT_TRUE(DecodeSamples(buf + "x", &out).IsCorruption());
  std::string series;
  EncodeSeries(std::vector<SeriesRecord>{{1, model::Labels{{"a", "b"}}}}, &series);
  std::vector<SeriesRecord> sout;
  for (size_t len = 1; len < series.size(); ++len) {
    EXPECT_TRUE(DecodeSeries(series.substr(0, len), &sout).IsCorruption()) << len;
  }
  // Wrong type for the decoder.
  EXPECT_TRUE(DecodeSeries(buf, &sout).IsCorruption());
  // A huge count must not allocate.
  std::string huge = "\x02\xff\xff\xff\xff\xff\xff\xff\xff\x7f";
  EXPECT_TRUE(DecodeSamples(huge, &out).IsCorruption());
}

}  // namespace
}  // namespace mytsdb::wal
