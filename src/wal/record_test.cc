#include "wal/record.h"

#include <gtest/gtest.h>

#include <bit>
#include <limits>
#include <random>

namespace mytsdb::wal {
namespace {

TEST(RecordTest, SeriesRoundTrip) {
  std::vector<SeriesRecord> in = {{1, model::Labels{{"__name__", "up"}, {"job", "a"}}},
                                  {1234567, model::Labels{{"__name__", "x"}}},
                                  {0, model::Labels{}},
                                  {std::numeric_limits<uint64_t>::max(),
                                   model::Labels{{"__name__", "ünïcødé"}, {"e", ""}}}};
  std::string buf;
  EncodeSeries(in, &buf);
  EXPECT_EQ(*PeekType(buf), RecordType::kSeries);
  EXPECT_EQ(buf[0], '\x01');
  std::vector<SeriesRecord> out;
  ASSERT_TRUE(DecodeSeries(buf, &out).ok());
  ASSERT_EQ(out.size(), in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    EXPECT_EQ(out[i].ref, in[i].ref);
    EXPECT_EQ(out[i].labels, in[i].labels);
  }
  // The view encoder writes the same bytes.
  std::vector<SeriesRecordView> views;
  for (const auto& s : in) views.push_back({s.ref, &s.labels});
  std::string buf2;
  EncodeSeries(views, &buf2);
  EXPECT_EQ(buf2, buf);
  // So does the packed encoder.
  std::vector<uint64_t> refs;
  model::LabelSets packed;
  for (const auto& s : in) {
    refs.push_back(s.ref);
    packed.Append(s.labels);
  }
  std::string buf3;
  EncodeSeries(refs, packed, &buf3);
  EXPECT_EQ(buf3, buf);
}

TEST(RecordTest, SeriesBytes) {
  std::string buf;
  EncodeSeries(std::vector<SeriesRecord>{{300, model::Labels{{"a", "bc"}}}}, &buf);
  // type, count 1, ref 300, 1 label, "a", "bc".
  EXPECT_EQ(buf, std::string("\x01\x01\xac\x02\x01\x01" "a" "\x02" "bc"));
}

TEST(RecordTest, SamplesRoundTripBitExact) {
  std::vector<SampleRecord> in = {
      {5, 1700000000000, 1.5},
      {3, 1699999999000, std::bit_cast<double>(uint64_t{0x7ff0000000000002})},  // stale marker
      {900, -5, -0.0},
      {900, INT64_MAX, std::bit_cast<double>(uint64_t{0x7ff8deadbeef0001})},
      {0, INT64_MIN, 1e308},
      {std::numeric_limits<uint64_t>::max(), 0, std::numeric_limits<double>::infinity()},
      {1, INT64_MAX, std::bit_cast<double>(uint64_t{0xfff0000000000001})}};  // signalling NaN
  std::string buf;
  EncodeSamples(in, &buf);
  EXPECT_EQ(*PeekType(buf), RecordType::kSamples);
  std::vector<SampleRecord> out;
  ASSERT_TRUE(DecodeSamples(buf, &out).ok());
  ASSERT_EQ(out.size(), in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    EXPECT_EQ(out[i].ref, in[i].ref) << i;
    EXPECT_EQ(out[i].t, in[i].t) << i;
    EXPECT_EQ(std::bit_cast<uint64_t>(out[i].v), std::bit_cast<uint64_t>(in[i].v)) << i;
  }
}

TEST(RecordTest, SamplesAreCompact) {
  // 1,000 consecutive series scraped at the same time: Δref 1 and Δt 0 take a
  // byte each, so ~10 bytes a sample.
  std::vector<SampleRecord> in;
  for (int i = 0; i < 1000; ++i) in.push_back({uint64_t(1000 + i), 1700000000000, i * 0.5});
  std::string buf;
  EncodeSamples(in, &buf);
  EXPECT_LT(buf.size(), 10 * 1000 + 20u);
  std::vector<SampleRecord> out;
  ASSERT_TRUE(DecodeSamples(buf, &out).ok());
  EXPECT_EQ(out.size(), 1000u);
  EXPECT_EQ(out.back().ref, 1999u);
}

TEST(RecordTest, EmptyListsRoundTrip) {
  std::string s, m, x;
  EncodeSeries(std::span<const SeriesRecord>(), &s);
  EncodeSamples({}, &x);
  EncodeMetadata({}, &m);
  std::vector<SeriesRecord> so = {{1, {}}};
  std::vector<SampleRecord> xo = {{1, 2, 3}};
  std::vector<MetadataRecord> mo = {{"a", 1, "", ""}};
  ASSERT_TRUE(DecodeSeries(s, &so).ok());
  ASSERT_TRUE(DecodeSamples(x, &xo).ok());
  ASSERT_TRUE(DecodeMetadata(m, &mo).ok());
  // Decoders replace the output.
  EXPECT_TRUE(so.empty());
  EXPECT_TRUE(xo.empty());
  EXPECT_TRUE(mo.empty());
}

TEST(RecordTest, EncodersAppend) {
  std::string buf = "prefix";
  EncodeSamples(std::vector<SampleRecord>{{1, 2, 3}}, &buf);
  ASSERT_EQ(buf.substr(0, 6), "prefix");
  std::vector<SampleRecord> out;
  ASSERT_TRUE(DecodeSamples(std::string_view(buf).substr(6), &out).ok());
  EXPECT_EQ(out.size(), 1u);
}

TEST(RecordTest, MetadataRoundTrip) {
  std::vector<MetadataRecord> in = {{"http_requests_total", 1, "Requests.", ""},
                                    {"mem", 2, "", "bytes"},
                                    {"h", 255, std::string(1000, 'h'), "s"}};
  std::string buf;
  EncodeMetadata(in, &buf);
  EXPECT_EQ(*PeekType(buf), RecordType::kMetadata);
  std::vector<MetadataRecord> out;
  ASSERT_TRUE(DecodeMetadata(buf, &out).ok());
  ASSERT_EQ(out.size(), in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    EXPECT_EQ(out[i].metric_family_name, in[i].metric_family_name);
    EXPECT_EQ(out[i].type, in[i].type);
    EXPECT_EQ(out[i].help, in[i].help);
    EXPECT_EQ(out[i].unit, in[i].unit);
  }
}

TEST(RecordTest, MalformedInputIsCorruption) {
  EXPECT_TRUE(PeekType("").status().IsCorruption());
  EXPECT_TRUE(PeekType("\x09").status().IsCorruption());
  EXPECT_TRUE(PeekType(std::string_view("\x00", 1)).status().IsCorruption());

  std::string samples, series, metadata;
  EncodeSamples(std::vector<SampleRecord>{{1, 2, 3}, {4, 5, 6}}, &samples);
  EncodeSeries(std::vector<SeriesRecord>{{1, model::Labels{{"a", "b"}}}}, &series);
  EncodeMetadata(std::vector<MetadataRecord>{{"m", 1, "help", "unit"}}, &metadata);
  std::vector<SampleRecord> xo;
  std::vector<SeriesRecord> so;
  std::vector<MetadataRecord> mo;
  // Every truncation, and trailing garbage.
  for (size_t len = 0; len < samples.size(); ++len) {
    EXPECT_TRUE(DecodeSamples(samples.substr(0, len), &xo).IsCorruption()) << len;
  }
  for (size_t len = 0; len < series.size(); ++len) {
    EXPECT_TRUE(DecodeSeries(series.substr(0, len), &so).IsCorruption()) << len;
  }
  for (size_t len = 0; len < metadata.size(); ++len) {
    EXPECT_TRUE(DecodeMetadata(metadata.substr(0, len), &mo).IsCorruption()) << len;
  }
  EXPECT_TRUE(DecodeSamples(samples + "x", &xo).IsCorruption());
  EXPECT_TRUE(DecodeSeries(series + "x", &so).IsCorruption());
  EXPECT_TRUE(DecodeMetadata(metadata + "x", &mo).IsCorruption());
  // Wrong type for the decoder.
  EXPECT_TRUE(DecodeSeries(samples, &so).IsCorruption());
  EXPECT_TRUE(DecodeSamples(metadata, &xo).IsCorruption());
  EXPECT_TRUE(DecodeMetadata(series, &mo).IsCorruption());
  // Huge counts must fail before allocating.
  EXPECT_TRUE(DecodeSamples("\x02\xff\xff\xff\xff\xff\xff\xff\xff\x7f", &xo).IsCorruption());
  EXPECT_TRUE(DecodeSeries("\x01\x01\x05\xff\xff\xff\xff\x0f", &so).IsCorruption());
  // An overlong varint.
  EXPECT_TRUE(DecodeSamples("\x02\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f", &xo).IsCorruption());
}

TEST(RecordTest, RandomBytesNeverCrashTheDecoders) {
  // Run under ASan/UBSan this also checks for out-of-bounds reads.
  std::mt19937 rng(42);
  std::vector<SampleRecord> xo;
  std::vector<SeriesRecord> so;
  std::vector<MetadataRecord> mo;
  std::string valid;
  EncodeSeries(std::vector<SeriesRecord>{{7, model::Labels{{"__name__", "up"}, {"j", "x"}}}},
               &valid);
  for (int iter = 0; iter < 20000; ++iter) {
    std::string buf;
    if (iter % 2 == 0) {
      buf.resize(rng() % 40);
      for (char& c : buf) c = static_cast<char>(rng());
      if (!buf.empty()) buf[0] = static_cast<char>(1 + rng() % 3);
    } else {
      buf = valid;  // a valid record with a few bytes changed
      for (int k = 0; k < 1 + int(rng() % 3); ++k) buf[1 + rng() % (buf.size() - 1)] = rng();
    }
    Status a = DecodeSamples(buf, &xo), b = DecodeSeries(buf, &so), c = DecodeMetadata(buf, &mo);
    for (const Status* st : {&a, &b, &c}) {
      EXPECT_TRUE(st->ok() || st->IsCorruption()) << st->ToString();
    }
  }
}

TEST(RecordTest, TombstonesRoundTripAndRefuseDamage) {
  std::vector<TombstoneRecord> in = {{1, INT64_MIN, INT64_MAX}, {300, -5, 1'700'000'000'000}};
  std::string rec;
  EncodeTombstones(in, &rec);
  EXPECT_EQ(*PeekType(rec), RecordType::kTombstones);
  std::vector<TombstoneRecord> out;
  ASSERT_TRUE(DecodeTombstones(rec, &out).ok());
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].min, INT64_MIN);
  EXPECT_EQ(out[0].max, INT64_MAX);
  EXPECT_EQ(out[1].ref, 300u);
  EXPECT_EQ(out[1].max, 1'700'000'000'000);
  EXPECT_TRUE(DecodeTombstones(rec.substr(0, rec.size() - 1), &out).IsCorruption());
  EXPECT_TRUE(DecodeTombstones(rec + "x", &out).IsCorruption());
}

}  // namespace
}  // namespace mytsdb::wal
