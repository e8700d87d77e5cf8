// Tests of XorChunk and the bit streams under it. Values are compared as raw
// bits, so a NaN payload or the sign of zero that changes fails the test.
#include "chunk/xor_chunk.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <ostream>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "chunk/bit_stream.h"

namespace mytsdb::chunk {
namespace {

struct S {
  int64_t t;
  uint64_t bits;
  bool operator==(const S&) const = default;
};

std::ostream& operator<<(std::ostream& os, const S& s) {
  return os << "{" << s.t << ", 0x" << std::hex << s.bits << std::dec << "}";
}

uint64_t Bits(double v) { return std::bit_cast<uint64_t>(v); }

XorChunk Encode(const std::vector<S>& in) {
  XorChunk c;
  for (const S& s : in) c.Append(s.t, std::bit_cast<double>(s.bits));
  return c;
}

// Decodes everything; *status gets the iterator's final status.
std::vector<S> Decode(std::string_view bytes, uint16_t n, Status* status) {
  std::vector<S> out;
  XorIterator it(bytes, n);
  while (it.Next()) out.push_back({it.t(), it.value_bits()});
  *status = it.status();
  return out;
}

std::vector<S> Decode(const XorChunk& c) {
  std::vector<S> out;
  XorIterator it = c.Iterator();
  while (it.Next()) out.push_back({it.t(), it.value_bits()});
  EXPECT_TRUE(it.status().ok()) << it.status().ToString();
  return out;
}

// Encodes, decodes, rebuilds with FromBytes, and checks that a rebuilt chunk
// goes on exactly as the original.
void RoundTrip(const std::vector<S>& in) {
  XorChunk c = Encode(in);
  ASSERT_EQ(c.num_samples(), in.size());
  ASSERT_EQ(Decode(c), in);
  if (!in.empty()) {
    EXPECT_EQ(c.min_time(), in.front().t);
    EXPECT_EQ(c.max_time(), in.back().t);
  }
  auto copy = XorChunk::FromBytes(c.bytes(), c.num_samples());
  ASSERT_TRUE(copy.ok()) << copy.status().ToString();
  EXPECT_EQ(copy->bytes(), c.bytes());
  EXPECT_EQ(copy->num_samples(), c.num_samples());
  ASSERT_EQ(Decode(*copy), in);
  if (in.empty() || in.back().t == std::numeric_limits<int64_t>::max()) return;
  EXPECT_EQ(copy->min_time(), c.min_time());
  EXPECT_EQ(copy->max_time(), c.max_time());
  // Same appender state: the next samples encode identically.
  const int64_t t = in.back().t;
  for (int64_t next : {t + 1, t + 2, t + 1000}) {
    if (next <= t) break;  // overflow near INT64_MAX
    c.Append(next, 0.1);
    copy->Append(next, 0.1);
  }
  EXPECT_EQ(copy->bytes(), c.bytes());
}

// --- bit streams -------------------------------------------------------------

TEST(BitStreamTest, FieldsOfEveryWidthRoundTrip) {
  std::mt19937_64 rng(11);
  std::vector<std::pair<uint64_t, int>> fields;
  BitWriter w;
  for (int i = 0; i < 5000; ++i) {
    int nbits = 1 + static_cast<int>(rng() % 64);
    uint64_t v = rng();  // bits above nbits must be ignored
    fields.push_back({nbits == 64 ? v : v & ((uint64_t{1} << nbits) - 1), nbits});
    w.WriteBits(v, nbits);
  }
  uint64_t total = 0;
  for (const auto& f : fields) total += f.second;
  ASSERT_EQ(w.num_bits(), total);
  ASSERT_EQ(w.bytes().size(), (total + 7) / 8);
  BitReader r(w.bytes());
  for (size_t i = 0; i < fields.size(); ++i) {
    ASSERT_EQ(r.ReadBits(fields[i].second), fields[i].first) << i;
  }
  EXPECT_FALSE(r.overrun());
  EXPECT_EQ(r.limit() - r.position(), w.bytes().size() * 8 - total);
  r.ReadBits(8);
  EXPECT_TRUE(r.overrun());
}

TEST(BitStreamTest, MsbFirstAndZeroPadded) {
  BitWriter w;
  w.WriteBits(0b10110, 5);
  w.WriteBits(0b0111, 4);
  ASSERT_EQ(w.bytes(), std::string_view("\xb3\x80", 2));  // the diagram in bit_stream.h
  w.WriteBit(true);
  EXPECT_EQ(w.bytes(), std::string_view("\xb3\xc0", 2));
}

TEST(BitStreamTest, ReaderPastTheEndYieldsZerosAndFlagsOverrun) {
  const std::string bytes = "\xff\xff";
  BitReader r(bytes);
  EXPECT_EQ(r.ReadBits(12), 0xfffu);
  EXPECT_FALSE(r.overrun());
  EXPECT_EQ(r.ReadBits(8), 0xf0u);  // 4 real bits, then zeros
  EXPECT_TRUE(r.overrun());
  EXPECT_EQ(r.ReadBits(64), 0u);
}

TEST(BitStreamTest, SizeClassesAndGrowth) {
  EXPECT_EQ(BitWriter::SizeClassAtLeast(0), 0u);
  EXPECT_EQ(BitWriter::SizeClassAtLeast(1), 16u);
  EXPECT_EQ(BitWriter::SizeClassAtLeast(128), 128u);
  EXPECT_EQ(BitWriter::SizeClassAtLeast(129), 160u);
  EXPECT_EQ(BitWriter::SizeClassAtLeast(256), 256u);
  EXPECT_EQ(BitWriter::SizeClassAtLeast(257), 320u);
  EXPECT_EQ(BitWriter::SizeClassAtLeast(1025), 1280u);
  BitWriter w;
  for (int i = 0; i < 100000; ++i) {
    w.WriteBits(i, 13);
    size_t size = w.bytes().size();
    ASSERT_LE(w.capacity(), std::max<size_t>(128, size + size / 4)) << size;
  }
  w.ShrinkToFit();
  EXPECT_EQ(w.capacity(), BitWriter::SizeClassAtLeast(w.bytes().size()));
  BitReader r(w.bytes());
  for (int i = 0; i < 100000; ++i) ASSERT_EQ(r.ReadBits(13), static_cast<uint64_t>(i) & 0x1fff);
}

TEST(BitStreamTest, AssignClearsBitsAfterTheEnd) {
  BitWriter w;
  w.Assign("\xff\xff", 12);
  EXPECT_EQ(w.bytes(), std::string_view("\xff\xf0", 2));
  w.WriteBits(0b1010, 4);
  EXPECT_EQ(w.bytes(), std::string_view("\xff\xfa", 2));
}

// --- golden streams from Prometheus's encoder -----------------------------------

// Prometheus's XORChunk.Bytes() for known samples, made with the appender and
// bstream logic of tsdb/chunkenc (xor.go, bstream.go). Each starts with the
// 2-byte big-endian sample count that this format keeps outside the stream.
constexpr uint8_t kPromOne[] = {
    0x00, 0x01, 0x80, 0xa0, 0xab, 0xfe, 0xf9, 0x62, 0x3f, 0xf0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00,
};
constexpr uint8_t kPromMixed[] = {
    0x00, 0x0d, 0xdf, 0xd4, 0x03, 0x3f, 0xf0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x98, 0x75, 0x30,
    0x97, 0xff, 0xe8, 0x00, 0x36, 0x03, 0xdc, 0x00, 0x1d, 0xa0, 0xe1, 0x29, 0xb1, 0x19, 0xff, 0xfc,
    0x37, 0xaa, 0x3b, 0x34, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x1e, 0x78, 0x5c, 0x8a, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0xfc, 0x00, 0x00, 0x03, 0xff, 0xff, 0xab, 0x29, 0x43, 0x07, 0xff, 0xfe,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x7f, 0xff, 0xff, 0xfc, 0x00, 0x00, 0x2f, 0x4d, 0x66, 0x80,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc0, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x0a, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80, 0x01, 0x80, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x80,
};
constexpr uint8_t kPromDodEdges[] = {
    0x00, 0x0d, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc0, 0x84, 0x3d, 0x50, 0x00,
    0x62, 0x2b, 0xff, 0xa0, 0x01, 0xc2, 0x5f, 0xff, 0xde, 0x00, 0x0d, 0x80, 0xf4, 0x00, 0x03, 0x58,
    0x5e, 0x80, 0x00, 0xed, 0x07, 0xde, 0x00, 0x01, 0xb0, 0x2f, 0xa0, 0x00, 0x02, 0x7a, 0x00, 0x00,
    0x75, 0x09, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xf0, 0x00, 0x01, 0xb8, 0x1f, 0x80, 0x00, 0x00,
    0x00, 0x00, 0x04, 0x00, 0x00, 0xed, 0x0b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0xff, 0xf9,
};
constexpr uint8_t kPromCounter[] = {
    0x00, 0x78, 0xac, 0x8a, 0xad, 0xfe, 0xf9, 0x62, 0x40, 0x59, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x98, 0x75, 0xdc, 0x17, 0x00, 0x05, 0xb4, 0x2e, 0xff, 0xf7, 0x88, 0x38, 0x00, 0x2d, 0xe1, 0xfb,
    0xff, 0xdd, 0xc2, 0x4c, 0x00, 0x16, 0xa2, 0x7f, 0xf0, 0x00, 0x50, 0x1a, 0xff, 0xf6, 0x0b, 0x40,
    0x01, 0x40, 0x5b, 0xff, 0xd8, 0x1f, 0x00, 0x04, 0x80, 0x02, 0x80, 0x97, 0xff, 0xb0, 0xe2, 0x00,
    0x0a, 0x07, 0xdf, 0xfe, 0xc0, 0x58, 0x00, 0x28, 0x37, 0x00, 0x05, 0x03, 0xaf, 0xff, 0x60, 0x34,
    0x00, 0x14, 0x76, 0xbf, 0xfd, 0x80, 0x70, 0x00, 0x50, 0x66, 0x00, 0x09, 0x7f, 0xfb, 0x01, 0x20,
    0x00, 0xa0, 0x45, 0xff, 0xec, 0x01, 0x80, 0x02, 0x87, 0x70, 0x00, 0x50, 0x26, 0xff, 0xf6, 0x01,
    0x40, 0x01, 0x41, 0xab, 0xff, 0xd8, 0x15, 0x00, 0x05, 0x3f, 0xa0, 0x00, 0xb8, 0x09, 0x77, 0xff,
    0xa8, 0x00, 0x29, 0x2f, 0xff, 0x77, 0x85, 0xc0, 0x01, 0x72, 0x0b, 0x80, 0x02, 0xe0, 0x26, 0xdf,
    0xfe, 0xee, 0x1b, 0xf8, 0x00, 0x28, 0x2b, 0xff, 0xd8, 0xa8, 0x00, 0x29, 0xa8, 0x00, 0x28, 0xfb,
    0xff, 0xdd, 0xa3, 0xf9, 0x80, 0x02, 0x5f, 0xfe, 0xc1, 0x20, 0x00, 0xa1, 0x10, 0x00, 0x50, 0x1b,
    0xff, 0xd8, 0xfc, 0x00, 0x14, 0x26, 0xff, 0xf6, 0x0d, 0x00, 0x05, 0x3e, 0x80, 0x02, 0x87, 0x5f,
    0xfe, 0xc7, 0x60, 0x00, 0xa0, 0xf7, 0xff, 0xa8, 0x00, 0x28, 0x64, 0x00, 0x16, 0xc1, 0x7f, 0x7f,
    0xfb, 0xc4, 0x3f, 0x00, 0x05, 0xc0, 0x4d, 0xbf, 0xfd, 0xde, 0x2e, 0xe0, 0x00, 0xa3, 0x40, 0x01,
    0x4e, 0xbf, 0xfd, 0xdc, 0x2f, 0xe0, 0x00, 0xb9, 0x05, 0xdf, 0xfe, 0xf0, 0x12, 0x60, 0x00, 0x90,
    0x00, 0x5b, 0xc3, 0xf7, 0xff, 0xb2, 0x80, 0x02, 0xe6, 0x0e, 0xff, 0xf7, 0x68, 0xfe, 0xe0, 0x00,
    0xa1, 0x30, 0x00, 0x50, 0x2b, 0xff, 0xd8, 0xd4, 0x00, 0x14, 0x2a, 0xff, 0xf6, 0x0b, 0x00, 0x05,
    0x3b, 0x80, 0x02, 0x5f, 0xfe, 0xc3, 0x20, 0x00, 0xa3, 0x17, 0xff, 0xb0, 0x38, 0x00, 0x28, 0x2c,
    0x00, 0x16, 0x83, 0x3f, 0xde, 0xff, 0xf6, 0x00, 0x18, 0x00, 0x28, 0x01, 0x6f, 0xff, 0x60, 0x0d,
    0x80, 0x02, 0xe4, 0x1f, 0x80, 0x02, 0xe2, 0x24, 0xdf, 0xfe, 0xa0, 0x00, 0xb7, 0x89, 0xf7, 0xff,
    0xb1, 0x40, 0x01, 0x74, 0x07, 0x00, 0x05, 0xc8, 0x3f, 0x7f, 0xfb, 0xc0, 0x5c, 0xc0, 0x01, 0x4e,
    0xbf, 0xfd, 0x8d, 0x00, 0x05, 0xb8, 0x6e, 0xe0, 0x00, 0xb9, 0x07, 0x6f, 0xff, 0x78, 0x0b, 0xf8,
    0x00, 0x25, 0xff, 0xec, 0x48, 0x00, 0x29, 0x10, 0x00, 0x5b, 0xc6, 0xfe, 0xff, 0xf6, 0x16, 0x00,
    0x0a, 0x2e, 0xff, 0xf6, 0x7a, 0x00, 0x0a, 0x1a, 0x00, 0x0b, 0x68, 0xfe, 0xef, 0xff, 0x79, 0x85,
    0xc0, 0x01, 0x71, 0x12, 0x6f, 0xff, 0x50, 0x00, 0x52, 0x40, 0x01, 0x70, 0x0b, 0xbf, 0xfd, 0xe8,
    0x0e, 0x00, 0x0b, 0x88, 0x97, 0x7f, 0xfb, 0xbc, 0x6e, 0x60, 0x00, 0xa0, 0xa0, 0x00, 0xa2, 0xaf,
    0xff, 0x66, 0xa0, 0x00, 0xa3, 0x40,
};

std::vector<S> MixedSamples() {
  constexpr int64_t k40 = int64_t{1} << 40;
  return {
      {-30000, Bits(1)},         // negative first timestamp
      {-15000, Bits(1)},         // first delta, same value
      {0, Bits(2)},              // dod 0, first XOR window
      {15000 + 8192, Bits(3)},   // dod +8192: top of the 14-bit range
      {30000 + 1, Bits(3.5)},    // 17 bits
      {45000 - 7000, Bits(std::numeric_limits<double>::infinity())},
      {60000 + 100000, 0x7ff8000000000001},  // Go's math.NaN()
      {75000 + 600000 + 100000, 0x7ff0000000000002},  // staleness marker
      {k40, Bits(-0.0)},         // 64-bit dod
      {k40 + 1, 0},
      {k40 + 2, 0x8000000000000001},  // XOR window of all 64 bits
      {k40 + 3, 1},
      {k40 + 5, 3},
  };
}

std::vector<S> DodEdgeSamples() {
  std::vector<S> out = {{0, Bits(0)}};
  int64_t t = 0, delta = 1000000;
  const int64_t dods[] = {0,     8192,   -8191,  -8192,   65536,  -65535,
                          -65536, 524288, -524287, -524288, 524289, -524289};
  for (size_t i = 0; i < std::size(dods); ++i) {
    delta += dods[i];
    t += delta;
    out.push_back({t, Bits(static_cast<double>(i))});
  }
  return out;
}

std::vector<S> JitteredCounterSamples() {
  std::vector<S> out;
  double v = 100;
  int64_t t = 1700000000000;
  for (int i = 0; i < 120; ++i) {
    t += 15000 + (i * 7) % 5 - 2;
    v += (i * 37) % 11;
    out.push_back({t, Bits(v)});
  }
  return out;
}

template <size_t N>
void ExpectSameAsPrometheus(const uint8_t (&prom)[N], const std::vector<S>& samples) {
  ASSERT_EQ((prom[0] << 8) | prom[1], static_cast<int>(samples.size()));
  std::string_view stream(reinterpret_cast<const char*>(prom) + 2, N - 2);
  XorChunk mine = Encode(samples);
  // Prometheus's bstream.writeByte can leave one all-zero byte at the end.
  std::string_view expected = stream;
  if (expected.size() == mine.bytes().size() + 1 && expected.back() == 0) {
    expected.remove_suffix(1);
  }
  EXPECT_EQ(mine.bytes(), expected);
  // And Prometheus's bytes decode to the samples.
  auto theirs = XorChunk::FromBytes(stream, static_cast<uint16_t>(samples.size()));
  ASSERT_TRUE(theirs.ok()) << theirs.status().ToString();
  EXPECT_EQ(Decode(*theirs), samples);
  EXPECT_EQ(theirs->bytes(), mine.bytes());
}

TEST(XorChunkTest, ByteIdenticalToPrometheus) {
  ExpectSameAsPrometheus(kPromOne, {{1700000000000, Bits(1)}});
  ExpectSameAsPrometheus(kPromMixed, MixedSamples());
  ExpectSameAsPrometheus(kPromDodEdges, DodEdgeSamples());
  ExpectSameAsPrometheus(kPromCounter, JitteredCounterSamples());
}

// --- round trips -----------------------------------------------------------------

TEST(XorChunkTest, EmptyChunk) {
  XorChunk c;
  EXPECT_EQ(c.num_samples(), 0);
  EXPECT_TRUE(c.bytes().empty());
  EXPECT_EQ(c.memory_bytes(), sizeof(XorChunk));
  XorIterator it = c.Iterator();
  EXPECT_FALSE(it.Next());
  EXPECT_FALSE(it.Seek(std::numeric_limits<int64_t>::min()));
  EXPECT_TRUE(it.status().ok());
  EXPECT_FALSE(XorIterator().Next());
  RoundTrip({});
  EXPECT_TRUE(XorChunk::FromBytes("", 0).ok());
  EXPECT_TRUE(XorChunk::FromBytes(std::string_view("\0", 1), 0).status().IsCorruption());
  EXPECT_TRUE(XorChunk::FromBytes("", 1).status().IsCorruption());
}

TEST(XorChunkTest, SingleSample) {
  RoundTrip({{42, Bits(3.25)}});
  RoundTrip({{-1, Bits(-3.25)}});
  RoundTrip({{std::numeric_limits<int64_t>::min(), 0x7ff0000000000002}});
  RoundTrip({{std::numeric_limits<int64_t>::max(), 0}});
}

enum class Timing { kRegular, kJittered, kBigJumps, kNegative };
enum class Values { kCounter, kGauge, kRandomDoubles, kConstant };

std::vector<S> RandomSeries(std::mt19937_64& rng, Timing timing, Values values, int n) {
  std::vector<S> out;
  int64_t t = timing == Timing::kNegative ? -static_cast<int64_t>(rng() % (int64_t{1} << 50))
                                          : 1600000000000 + static_cast<int64_t>(rng() % 1000000);
  int64_t interval = 1000 * (1 + static_cast<int64_t>(rng() % 60));
  double v = static_cast<double>(rng() % 1000);
  for (int i = 0; i < n; ++i) {
    switch (timing) {
      case Timing::kRegular:
        t += interval;
        break;
      case Timing::kJittered:
        t += interval + static_cast<int64_t>(rng() % 101) - 50;
        break;
      case Timing::kBigJumps:  // missed scrapes, restarts: 17/20/64-bit dods
        t += rng() % 4 == 0 ? 1 + static_cast<int64_t>(rng() % (int64_t{1} << (rng() % 45)))
                            : interval;
        break;
      case Timing::kNegative:
        t += 1 + static_cast<int64_t>(rng() % 20000);
        break;
    }
    switch (values) {
      case Values::kCounter:
        v += static_cast<double>(rng() % 1000);
        if (rng() % 50 == 0) v = 0;  // reset
        break;
      case Values::kGauge:
        v = std::round((v + (static_cast<double>(rng() % 2001) - 1000) / 100) * 100) / 100;
        break;
      case Values::kRandomDoubles:
        v = std::bit_cast<double>(rng());
        break;
      case Values::kConstant:
        break;
    }
    out.push_back({t, Bits(v)});
  }
  return out;
}

TEST(XorChunkTest, RandomSeriesRoundTrip) {
  std::mt19937_64 rng(20240601);
  for (Timing timing : {Timing::kRegular, Timing::kJittered, Timing::kBigJumps, Timing::kNegative}) {
    for (Values values :
         {Values::kCounter, Values::kGauge, Values::kRandomDoubles, Values::kConstant}) {
      for (int round = 0; round < 20; ++round) {
        int n = round == 0 ? 120 : 1 + static_cast<int>(rng() % 300);
        SCOPED_TRACE(::testing::Message() << "timing " << static_cast<int>(timing) << " values "
                                          << static_cast<int>(values) << " round " << round);
        RoundTrip(RandomSeries(rng, timing, values, n));
        if (HasFatalFailure()) return;
      }
    }
  }
}

TEST(XorChunkTest, SpecialValuesAreBitExact) {
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<uint64_t> specials = {
      0x7ff0000000000002,  // Prometheus's staleness marker
      0x7ff8000000000000,  // the default quiet NaN
      0xfff8000000000000,  // negative quiet NaN
      0x7ff8000000000001, 0x7ff0000000000001, 0x7fffffffffffffff, 0xffffffffffffffff,
      Bits(inf), Bits(-inf), Bits(-0.0), Bits(0.0),
      1,                   // smallest denormal
      0x000fffffffffffff,  // largest denormal
      0x8000000000000001,  // negative denormal
      Bits(std::numeric_limits<double>::max()), Bits(std::numeric_limits<double>::lowest()),
      Bits(std::numeric_limits<double>::min()),
      0x7ff0000000000002, 0x7ff0000000000002, Bits(1.5), 0x7ff0000000000002, Bits(-0.0),
      Bits(0.0), Bits(-0.0)};
  std::vector<S> in;
  for (size_t i = 0; i < specials.size(); ++i) in.push_back({1000 * int64_t(i), specials[i]});
  RoundTrip(in);
  // Also every special after every other one.
  in.clear();
  int64_t t = 0;
  for (uint64_t a : specials) {
    for (uint64_t b : specials) {
      in.push_back({t += 15000, a});
      in.push_back({t += 15000, b});
    }
  }
  for (size_t start = 0; start < in.size(); start += 1000) {
    RoundTrip(std::vector<S>(in.begin() + start,
                             in.begin() + std::min(in.size(), start + 1000)));
  }
}

TEST(XorChunkTest, ExtremeTimestamps) {
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  // Deltas of 2^64 - 1 and dods that wrap around.
  RoundTrip({{kMin, Bits(1)}, {kMax, Bits(2)}});
  RoundTrip({{kMin, Bits(1)}, {kMin + 1, Bits(2)}, {kMax - 1, Bits(3)}, {kMax, Bits(4)}});
  RoundTrip({{kMin, Bits(1)}, {0, Bits(2)}, {kMax, Bits(3)}});
  RoundTrip({{-1, Bits(1)}, {0, Bits(2)}, {1, Bits(3)}, {kMax, Bits(4)}});
}

TEST(XorChunkTest, EveryDodBucketBoundary) {
  for (int64_t dod : std::initializer_list<int64_t>{
           8191, 8192, 8193, -8190, -8191, -8192, 65535, 65536, 65537, -65534,
                      -65535, -65536, 524287, 524288, 524289, -524286, -524287, -524288,
                      int64_t{1} << 40, -(int64_t{1} << 40)}) {
    int64_t delta = int64_t{1} << 43;
    std::vector<S> in = {{0, 0}, {delta, 0}};
    for (int i = 0; i < 3; ++i) {
      delta += dod;
      in.push_back({in.back().t + delta, Bits(i)});
    }
    SCOPED_TRACE(dod);
    RoundTrip(in);
  }
}

TEST(XorChunkTest, CompactAndMoveKeepTheSamples) {
  std::mt19937_64 rng(5);
  std::vector<S> in = RandomSeries(rng, Timing::kJittered, Values::kGauge, 120);
  XorChunk c = Encode(in);
  const size_t before = c.memory_bytes();
  c.Compact();
  EXPECT_LE(c.memory_bytes(), before);
  EXPECT_EQ(c.memory_bytes(),
            sizeof(XorChunk) + BitWriter::SizeClassAtLeast(c.bytes().size()));
  EXPECT_EQ(Decode(c), in);
  XorChunk moved = std::move(c);
  EXPECT_EQ(Decode(moved), in);
  EXPECT_EQ(c.num_samples(), 0);  // NOLINT(bugprone-use-after-move): documented
  EXPECT_TRUE(c.bytes().empty());
  // Appending after Compact still works.
  moved.Append(in.back().t + 1, 7);
  in.push_back({in.back().t + 1, Bits(7)});
  EXPECT_EQ(Decode(moved), in);
}

TEST(XorChunkTest, MemoryIsBoundedBySizeClasses) {
  std::mt19937_64 rng(8);
  for (Values values : {Values::kConstant, Values::kCounter, Values::kRandomDoubles}) {
    XorChunk c;
    int64_t t = 0;
    double v = 0;
    for (int i = 0; i < 2000; ++i) {
      v = values == Values::kConstant ? 1
          : values == Values::kCounter ? v + static_cast<double>(rng() % 100)
                                       : std::bit_cast<double>(rng());
      c.Append(t += 15000, v);
      size_t size = c.bytes().size();
      ASSERT_LE(c.memory_bytes() - sizeof(XorChunk), std::max<size_t>(128, size + size / 4))
          << size;
      ASSERT_GE(c.memory_bytes() - sizeof(XorChunk), size);
    }
  }
  EXPECT_LE(sizeof(XorChunk), 72u);  // docs/format/chunk.md
}

TEST(XorChunkTest, CompressesRegularScrapesLikePrometheus) {
  // 15 s interval without jitter: a constant series takes 2 bits a sample,
  // a counter with small integer increments a few bits.
  XorChunk constant, counter;
  for (int i = 0; i < 120; ++i) {
    constant.Append(1700000000000 + i * 15000, 1);
    counter.Append(1700000000000 + i * 15000, 1000 + i * 3);
  }
  EXPECT_EQ(constant.bytes().size(), 6 + 8 + 2 + (1 + 118 * 2 + 7) / 8);
  EXPECT_LT(counter.bytes().size(), 120u * 2);
}

// --- Seek ------------------------------------------------------------------------

TEST(XorChunkTest, SeekFindsFirstSampleAtOrAfter) {
  XorChunk c;
  for (int i = 0; i < 10; ++i) c.Append(i * 10, i);
  XorIterator it = c.Iterator();
  ASSERT_TRUE(it.Seek(-100));  // before the first: the first
  EXPECT_EQ(it.t(), 0);
  EXPECT_EQ(it.v(), 0);
  ASSERT_TRUE(it.Seek(35));
  EXPECT_EQ(it.t(), 40);
  EXPECT_EQ(it.v(), 4);
  ASSERT_TRUE(it.Seek(40));  // the current sample counts
  EXPECT_EQ(it.t(), 40);
  ASSERT_TRUE(it.Seek(0));  // never goes back
  EXPECT_EQ(it.t(), 40);
  ASSERT_TRUE(it.Next());
  EXPECT_EQ(it.t(), 50);
  ASSERT_TRUE(it.Seek(90));
  EXPECT_EQ(it.t(), 90);
  EXPECT_EQ(it.v(), 9);
  EXPECT_FALSE(it.Seek(91));
  EXPECT_FALSE(it.Seek(0));  // exhausted
  EXPECT_FALSE(it.Next());
  EXPECT_TRUE(it.status().ok());

  XorIterator past = c.Iterator();
  EXPECT_FALSE(past.Seek(1000));
  EXPECT_TRUE(past.status().ok());
}

TEST(XorChunkTest, IteratorSeesTheSamplesPresentWhenCreated) {
  XorChunk c;
  c.Append(1, 1);
  c.Append(2, 2);
  XorIterator it = c.Iterator();
  int n = 0;
  while (it.Next()) ++n;
  EXPECT_EQ(n, 2);
}

// --- corruption ------------------------------------------------------------------

TEST(XorChunkTest, TruncatedBytesAreCorruptionNotGarbage) {
  std::mt19937_64 rng(3);
  for (Values values : {Values::kConstant, Values::kCounter, Values::kRandomDoubles}) {
    std::vector<S> in = RandomSeries(rng, Timing::kJittered, values, 120);
    XorChunk c = Encode(in);
    const std::string full(c.bytes());
    for (size_t len = 0; len < full.size(); ++len) {
      // A fresh buffer of exactly `len` bytes, so ASan sees any overread.
      std::unique_ptr<char[]> cut(new char[len]);
      std::memcpy(cut.get(), full.data(), len);
      std::string_view view(cut.get(), len);
      Status status;
      std::vector<S> out = Decode(view, 120, &status);
      EXPECT_TRUE(status.IsCorruption()) << len << " " << status.ToString();
      ASSERT_LT(out.size(), in.size()) << len;
      // What was returned before the error is right.
      for (size_t i = 0; i < out.size(); ++i) ASSERT_EQ(out[i], in[i]) << len << " " << i;
      auto rebuilt = XorChunk::FromBytes(view, 120);
      EXPECT_TRUE(rebuilt.status().IsCorruption()) << len;
    }
  }
}

TEST(XorChunkTest, FromBytesChecksCountAndPadding) {
  std::mt19937_64 rng(4);
  std::vector<S> in = RandomSeries(rng, Timing::kJittered, Values::kGauge, 50);
  XorChunk c = Encode(in);
  std::string bytes(c.bytes());
  ASSERT_TRUE(XorChunk::FromBytes(bytes, 50).ok());
  EXPECT_TRUE(XorChunk::FromBytes(bytes, 60).status().IsCorruption());
  EXPECT_TRUE(XorChunk::FromBytes(bytes, 49).status().IsCorruption());  // bytes left over
  EXPECT_TRUE(XorChunk::FromBytes(bytes, 1).status().IsCorruption());
  EXPECT_TRUE(XorChunk::FromBytes(bytes + '\x01', 50).status().IsCorruption());
  EXPECT_TRUE(XorChunk::FromBytes(bytes + std::string(2, '\0'), 50).status().IsCorruption());

  // A stream that ends on a byte boundary may carry one zero byte more
  // (Prometheus's writer leaves one at times): accepted and dropped.
  XorChunk one = Encode({{5, Bits(1)}});
  const std::string aligned(one.bytes());
  ASSERT_EQ(aligned.size(), 9u);
  auto padded = XorChunk::FromBytes(aligned + '\0', 1);
  ASSERT_TRUE(padded.ok()) << padded.status().ToString();
  EXPECT_EQ(padded->bytes(), aligned);
  EXPECT_TRUE(XorChunk::FromBytes(aligned + std::string(2, '\0'), 1).status().IsCorruption());

  // Set bits in the padding of the last byte.
  XorChunk two = Encode({{0, Bits(1)}, {10, Bits(1)}});  // 1 + 8 + 1 bytes, then 1 bit
  std::string padding(two.bytes());
  ASSERT_EQ(padding.size(), 11u);
  ASSERT_TRUE(XorChunk::FromBytes(padding, 2).ok());
  // 7 padding bits + a zero byte are more than 8.
  EXPECT_TRUE(XorChunk::FromBytes(padding + '\0', 2).status().IsCorruption());
  padding.back() = '\x01';
  EXPECT_TRUE(XorChunk::FromBytes(padding, 2).status().IsCorruption());
}

// Documents a limit of the format (shared with Prometheus): '00' is a valid
// sample (same interval, same value), so zero padding bits can pass for up to
// 4 samples and a count that is slightly too high is not always detected.
// Whoever stores the count must protect it (e.g. with a checksum).
TEST(XorChunkTest, CountIsNotSelfChecking) {
  XorChunk two = Encode({{0, Bits(1)}, {10, Bits(1)}});  // ends with 7 padding bits
  auto more = XorChunk::FromBytes(two.bytes(), 5);
  ASSERT_TRUE(more.ok());
  EXPECT_EQ(Decode(*more),
            (std::vector<S>{{0, Bits(1)}, {10, Bits(1)}, {20, Bits(1)}, {30, Bits(1)},
                            {40, Bits(1)}}));
  EXPECT_TRUE(XorChunk::FromBytes(two.bytes(), 6).status().IsCorruption());
}

// Streams that this encoder never writes but a decoder must handle.
TEST(XorChunkTest, HandCraftedStreams) {
  auto stream = [](auto&& write) {
    BitWriter w;
    w.WriteBits(0x00, 8);  // t0 = 0
    w.WriteBits(0, 64);    // v0 = 0.0
    w.WriteBits(0x01, 8);  // t1 = 1
    write(w);
    return std::string(w.bytes());
  };
  // '10' before any '11': Prometheus's appender, rebuilt from a chunk whose
  // values never changed, writes the full 64-bit window.
  const uint64_t x = Bits(2.0), y = 0x8000000000000003;
  std::string s = stream([&](BitWriter& w) {
    w.WriteBits(0b10, 2);
    w.WriteBits(x, 64);
    w.WriteBits(0, 1);  // dod 0
    w.WriteBits(0b10, 2);
    w.WriteBits(y, 64);
  });
  auto c = XorChunk::FromBytes(s, 3);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(Decode(*c), (std::vector<S>{{0, 0}, {1, x}, {2, x ^ y}}));
  c->Append(3, 0.5);
  EXPECT_EQ(Decode(*c), (std::vector<S>{{0, 0}, {1, x}, {2, x ^ y}, {3, Bits(0.5)}}));

  // leading 31 + width 40 > 64.
  s = stream([](BitWriter& w) {
    w.WriteBits(0b11, 2);
    w.WriteBits(31, 5);
    w.WriteBits(40, 6);
    w.WriteBits(0, 40);
  });
  Status status;
  EXPECT_EQ(Decode(s, 2, &status).size(), 1u);
  EXPECT_TRUE(status.IsCorruption());
  EXPECT_NE(status.message().find("XOR window"), std::string::npos) << status.ToString();

  // A dod that makes the interval 0, then one that makes it negative.
  for (uint64_t dod : {uint64_t{0x3fff} /* -1 */, uint64_t{0x3ffe} /* -2 */}) {
    s = stream([&](BitWriter& w) {
      w.WriteBits(0, 1);  // value of sample 1
      w.WriteBits(0b10, 2);
      w.WriteBits(dod, 14);
      w.WriteBits(0, 1);
    });
    EXPECT_EQ(Decode(s, 3, &status).size(), 2u);
    EXPECT_TRUE(status.IsCorruption()) << dod;
  }
  EXPECT_TRUE(XorChunk::FromBytes(stream([](BitWriter& w) { w.WriteBits(0, 1); }), 2).ok());

  // A first timestamp varint longer than 64 bits.
  s = std::string(9, '\xff') + '\x02' + std::string(8, '\0');
  EXPECT_EQ(Decode(s, 1, &status).size(), 0u);
  EXPECT_TRUE(status.IsCorruption());
  // A zero first delta.
  s = std::string(9, '\0') + '\0' + '\0';
  EXPECT_EQ(Decode(s, 2, &status).size(), 1u);
  EXPECT_TRUE(status.IsCorruption());
}

TEST(XorChunkTest, RandomlyDamagedStreamsNeverCrashOrMisorder) {
  std::mt19937_64 rng(99);
  for (int round = 0; round < 3000; ++round) {
    std::vector<S> in = RandomSeries(rng, static_cast<Timing>(rng() % 4),
                                     static_cast<Values>(rng() % 4), 1 + rng() % 150);
    XorChunk c = Encode(in);
    std::string bytes(c.bytes());
    switch (rng() % 3) {
      case 0:
      case 1:
        for (int flips = 1 + rng() % 3; flips > 0; --flips) {
          bytes[rng() % bytes.size()] ^= static_cast<char>(1 << (rng() % 8));
        }
        break;
      case 2:
        bytes.resize(rng() % (bytes.size() + 3), '\x5a');
        break;
    }
    uint16_t n = static_cast<uint16_t>(rng() % 4 == 0 ? rng() % 200 : in.size());
    std::unique_ptr<char[]> exact(new char[bytes.size()]);  // for ASan
    std::memcpy(exact.get(), bytes.data(), bytes.size());
    std::string_view view(exact.get(), bytes.size());
    Status status;
    std::vector<S> out = Decode(view, n, &status);
    ASSERT_LE(out.size(), n);
    if (status.ok()) ASSERT_EQ(out.size(), n);
    for (size_t i = 1; i < out.size(); ++i) ASSERT_LT(out[i - 1].t, out[i].t) << round;
    auto rebuilt = XorChunk::FromBytes(view, n);
    if (!rebuilt.ok()) {
      ASSERT_TRUE(rebuilt.status().IsCorruption()) << rebuilt.status().ToString();
      continue;
    }
    ASSERT_TRUE(status.ok()) << round;
    ASSERT_EQ(Decode(*rebuilt), out) << round;
    if (n > 0 && out.back().t < std::numeric_limits<int64_t>::max()) {
      rebuilt->Append(out.back().t + 1, 1.0);
      out.push_back({out.back().t + 1, Bits(1.0)});
      ASSERT_EQ(Decode(*rebuilt), out) << round;
    }
  }
}

}  // namespace
}  // namespace mytsdb::chunk
