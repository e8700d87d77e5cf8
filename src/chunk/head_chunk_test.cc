// Tests of HeadChunk and the decimal encoding under it. Values are compared
// as raw bits: a NaN payload, the sign of zero or a last-place rounding that
// changes fails the test.
#include "chunk/head_chunk.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace mytsdb::chunk {
namespace {

struct S {
  int64_t t;
  uint64_t bits;
  bool operator==(const S&) const = default;
};

uint64_t Bits(double v) { return std::bit_cast<uint64_t>(v); }

HeadChunk Encode(const std::vector<S>& in) {
  HeadChunk c;
  AppendState state;
  for (const S& s : in) c.Append(s.t, std::bit_cast<double>(s.bits), &state);
  return c;
}

// Decodes through both the concrete iterator (as the head's read loop does)
// and the generic one, and checks that they agree.
std::vector<S> Decode(const HeadChunk& c) {
  std::vector<S> out = c.VisitIterator([](auto it) {
    std::vector<S> samples;
    while (it.Next()) samples.push_back({it.t(), it.value_bits()});
    EXPECT_TRUE(it.status().ok()) << it.status().ToString();
    return samples;
  });
  std::vector<S> generic;
  SampleIterator it = c.Iterator();
  while (it.Next()) generic.push_back({it.t(), it.value_bits()});
  EXPECT_TRUE(it.status().ok()) << it.status().ToString();
  EXPECT_EQ(generic, out);
  return out;
}

std::vector<S> FromValues(const std::vector<double>& values, int64_t start = 1'000'000,
                          int64_t step = 15'000) {
  std::vector<S> out;
  for (size_t i = 0; i < values.size(); ++i) {
    out.push_back({start + static_cast<int64_t>(i) * step, Bits(values[i])});
  }
  return out;
}

TEST(HeadChunkTest, CounterIsDecimalAndSmall) {
  std::mt19937_64 rng(1);
  std::vector<double> values;
  double v = 123456789;
  for (int i = 0; i < 120; ++i) values.push_back(v += static_cast<double>(rng() % 1000));
  std::vector<S> in = FromValues(values);
  HeadChunk c = Encode(in);
  EXPECT_TRUE(c.is_decimal());
  EXPECT_EQ(Decode(c), in);
  EXPECT_EQ(c.num_samples(), 120);
  EXPECT_EQ(c.min_time(), in.front().t);
  EXPECT_EQ(c.max_time(), in.back().t);
  // Increments below 1000 take 11 or 16 bits, the timestamps 1: under 2.2
  // bytes a sample (an XOR chunk needs about 3).
  EXPECT_LT(c.bytes().size(), 120 * 2.2);
}

TEST(HeadChunkTest, RegularGaugeTakesUnderTwoBitsASample) {
  // A constant value at a constant interval: one bit of timestamp, one of value.
  HeadChunk c = Encode(FromValues(std::vector<double>(120, 42.5)));
  EXPECT_TRUE(c.is_decimal());
  EXPECT_LE(c.bytes().size(), 8u + 120 * 2 / 8);
}

TEST(HeadChunkTest, ScaleRisesAndEveryValueReadsBack) {
  std::vector<S> in = FromValues({1, 2.5, 3.25, -0.001, 17, 0.123456789, 5e-9, 99.99});
  HeadChunk c;
  AppendState state;
  for (size_t i = 0; i < in.size(); ++i) {
    c.Append(in[i].t, std::bit_cast<double>(in[i].bits), &state);
    std::vector<S> prefix(in.begin(), in.begin() + static_cast<long>(i) + 1);
    ASSERT_EQ(Decode(c), prefix) << "after sample " << i;
  }
  EXPECT_TRUE(c.is_decimal());
}

TEST(HeadChunkTest, DecimalScaleIsTheSmallestThatHoldsEveryValue) {
  HeadChunk c;
  AppendState state;
  c.Append(1, 7, &state);
  EXPECT_EQ(c.scale(), 0);
  c.Append(2, 7.25, &state);
  EXPECT_EQ(c.scale(), 2);
  c.Append(3, 0.5, &state);
  EXPECT_EQ(c.scale(), 2);
  EXPECT_TRUE(c.is_decimal());
  c.Append(4, 1e-3, &state);
  EXPECT_EQ(c.scale(), 3);
  // Appends after a rescale continue from the rebuilt state.
  c.Append(5, 2, &state);
  EXPECT_EQ(Decode(c), FromValues({7, 7.25, 0.5, 1e-3, 2}, 1, 1));
}

TEST(HeadChunkTest, ObjectIsSmall) {
  // docs/format/chunk.md and docs/design/head.md quote it.
  EXPECT_LE(sizeof(HeadChunk), 32u);
}

TEST(HeadChunkTest, ValuesThatAreNoDecimalMoveTheChunkToXor) {
  const double stale = std::bit_cast<double>(uint64_t{0x7ff0000000000002});  // staleness marker
  const double specials[] = {stale,
                             std::numeric_limits<double>::quiet_NaN(),
                             std::numeric_limits<double>::infinity(),
                             -std::numeric_limits<double>::infinity(),
                             -0.0,
                             0.1 + 0.2,  // 0.30000000000000004
                             1e300,
                             5e-324,
                             9007199254740993.0 * 4,
                             1.0 / 3};
  for (double special : specials) {
    std::vector<S> in = FromValues({10, 11.5, 12, special, 13, 14});
    HeadChunk c = Encode(in);
    EXPECT_FALSE(c.is_decimal()) << special;
    EXPECT_EQ(Decode(c), in) << special;
    // As the first value too.
    std::vector<S> first = FromValues({special, 1, 2});
    HeadChunk d = Encode(first);
    EXPECT_FALSE(d.is_decimal()) << special;
    EXPECT_EQ(Decode(d), first) << special;
  }
}

TEST(HeadChunkTest, RescaleThatWouldLeaveExactIntegersGoesToXor) {
  // 10^15 is an exact integer at scale 0; at scale 1 it would be 10^16 > 2^53.
  std::vector<S> in = FromValues({1e15, 1e15 + 1, 0.5, 2});
  HeadChunk c = Encode(in);
  EXPECT_FALSE(c.is_decimal());
  EXPECT_EQ(Decode(c), in);
}

TEST(HeadChunkTest, ExtremeIntegersAndIntervals) {
  const double big = 9007199254740991.0;  // 2^53 - 1
  const int64_t t0 = -2'000'000'000;
  std::vector<S> in = {{t0, Bits(big)},
                       {-5, Bits(-big)},
                       {0, Bits(big)},
                       {1, Bits(0)},
                       {t0 + HeadChunk::kMaxSpanMs - 1, Bits(-big)},
                       {t0 + HeadChunk::kMaxSpanMs, Bits(1)}};
  HeadChunk c = Encode(in);
  EXPECT_TRUE(c.is_decimal());
  EXPECT_EQ(c.max_time(), t0 + HeadChunk::kMaxSpanMs);
  EXPECT_EQ(Decode(c), in);
}

TEST(HeadChunkDeathTest, RefusesToSpanMoreThanItsOffsetHolds) {
  HeadChunk c;
  AppendState state;
  c.Append(-1, 1, &state);
  EXPECT_DEATH(c.Append(HeadChunk::kMaxSpanMs, 2, &state), "2\\^32 ms");
}

TEST(HeadChunkTest, SeekFindsTheFirstSampleAtOrAfter) {
  HeadChunk c = Encode(FromValues({1, 2, 3, 4, 5}, 100, 10));
  SampleIterator it = c.Iterator();
  ASSERT_TRUE(it.Seek(125));
  EXPECT_EQ(it.t(), 130);
  EXPECT_EQ(it.v(), 4);
  ASSERT_TRUE(it.Seek(130));  // the current sample counts
  EXPECT_EQ(it.t(), 130);
  EXPECT_FALSE(it.Seek(141));
}

// A gauge of memory pages: multiples of 4096 moving by up to 64 pages. The
// shared trailing zeros are stored once for the chunk, not in every delta.
TEST(HeadChunkTest, SharedTrailingZerosAreNotStoredPerSample) {
  std::mt19937_64 rng(7);
  std::vector<double> pages{268435456};
  for (int i = 1; i < 120; ++i) {
    pages.push_back(pages.back() + 4096.0 * (static_cast<int>(rng() % 129) - 64));
  }
  HeadChunk c = Encode(FromValues(pages));
  ASSERT_TRUE(c.is_decimal());
  EXPECT_EQ(c.shift(), 12);
  EXPECT_EQ(Decode(c), FromValues(pages));
  // Deltas of deltas below 2^8 pages take 11 bits, and the timestamps one:
  // at most 12 bits a sample plus the first value and delta. Unshifted they
  // would take 25 bits.
  EXPECT_LE(c.bytes().size(), 120 * 12 / 8 + 16);

  // The same pages divided by 10 (a scale of 1 for 409.6) and negative.
  std::vector<double> tenths;
  for (double p : pages) tenths.push_back(-p / 10);
  HeadChunk t = Encode(FromValues(tenths));
  EXPECT_EQ(t.scale(), 1);
  EXPECT_EQ(t.shift(), 12);
  EXPECT_EQ(Decode(t), FromValues(tenths));
}

// Every way the shift can fall: a value with fewer trailing zeros, a zero
// first value (which has them all), a rise of the scale (which adds one
// trailing zero a decimal place), and the move to XOR.
TEST(HeadChunkTest, ShiftFallsWhenAValueNeedsItAndEveryValueReadsBack) {
  const std::vector<std::vector<double>> cases = {
      {4096, 8192, 4096 * 3, 512, 513, 1024},
      {0, 0, 0, 1 << 20, 3 << 20, 7},
      {0, 1024, 0.5, 2048, 0.25, 1 << 30},
      {-4096, 8192, -1.0 / 3, 4096},
      {9007199254740992.0 / 2, 4503599627370496.0 + 2, 6},
      {0, 0, 0},
  };
  for (const auto& values : cases) {
    HeadChunk c = Encode(FromValues(values));
    EXPECT_EQ(Decode(c), FromValues(values)) << values.size() << " values from " << values[0];
  }
  HeadChunk c = Encode(FromValues({4096, 8192, 4096 * 3, 512}));
  EXPECT_EQ(c.shift(), 9);
  c = Encode(FromValues({0, 0}));
  EXPECT_EQ(c.shift(), HeadChunk::kMaxShift);
  c = Encode(FromValues({1024, 0.5}));  // 10240 and 5 at scale 1
  EXPECT_EQ(c.scale(), 1);
  EXPECT_EQ(c.shift(), 0);
  c = Encode(FromValues({1024, 2048, 102.4}));  // scale 1: 10240, 20480, 1024
  EXPECT_EQ(c.scale(), 1);
  EXPECT_EQ(c.shift(), 10);
}

TEST(HeadChunkTest, TruncatedStreamIsCorruption) {
  HeadChunk c = Encode(FromValues({1, 200, 40000, 7, 9, 11}, 0, 1'000'003));
  ASSERT_TRUE(c.is_decimal());
  std::string_view bytes = c.bytes();
  for (size_t cut = 0; cut + 1 < bytes.size(); ++cut) {
    DecimalIterator it(bytes.substr(0, cut), c.num_samples(), c.scale(), c.shift(), c.min_time());
    int n = 0;
    while (it.Next()) ++n;
    EXPECT_LT(n, c.num_samples()) << cut;
    EXPECT_FALSE(it.status().ok()) << cut;
  }
}

TEST(HeadChunkTest, EmptyChunkYieldsNothing) {
  HeadChunk c;
  EXPECT_EQ(c.num_samples(), 0);
  EXPECT_TRUE(c.bytes().empty());
  EXPECT_TRUE(Decode(c).empty());
}

// Random series of every kind, including switches of kind within a chunk:
// whatever is appended reads back bit for bit, in either encoding.
TEST(HeadChunkTest, RandomSeriesRoundTrip) {
  std::mt19937_64 rng(20261204);
  int decimal_chunks = 0, xor_chunks = 0, shifted_chunks = 0;
  for (int round = 0; round < 3000; ++round) {
    const int n = 1 + static_cast<int>(rng() % 300);
    std::vector<S> in;
    int64_t t = static_cast<int64_t>(rng() % 2'000'000'000'000) - 1'000'000'000'000;
    const int kind = static_cast<int>(rng() % 7);
    const int unit_bits = static_cast<int>(rng() % 20);  // kind 6: units of 2^unit_bits
    const int scale = static_cast<int>(rng() % 10);
    int64_t integer = static_cast<int64_t>(rng() % 1'000'000) - 500'000;
    const bool sprinkle_specials = rng() % 3 == 0;
    for (int i = 0; i < n; ++i) {
      t += rng() % 8 == 0 ? 1 + static_cast<int64_t>(rng() % 10'000'000) : 15'000;
      double v;
      switch (sprinkle_specials && rng() % 50 == 0 ? 5 : kind) {
        case 6:  // a gauge of pages or blocks, now and then off the unit
          integer += (static_cast<int64_t>(rng() % 129) - 64) << unit_bits;
          v = static_cast<double>(integer + (rng() % 1000 == 0 ? 1 : 0)) /
              static_cast<double>(decimal::kPowersOfTen[scale % 3]);
          break;
        case 0:  // counter
          integer += static_cast<int64_t>(rng() % 5000);
          v = static_cast<double>(integer);
          break;
        case 1:  // decimal gauge at a fixed scale
          integer += static_cast<int64_t>(rng() % 2001) - 1000;
          v = static_cast<double>(integer) / static_cast<double>(decimal::kPowersOfTen[scale]);
          break;
        case 2:  // decimals of random scale and size
          v = static_cast<double>(static_cast<int64_t>(rng() % (uint64_t{1} << 50)) -
                                  (int64_t{1} << 49)) /
              static_cast<double>(decimal::kPowersOfTen[rng() % 10]);
          break;
        case 3:  // any double
          v = std::bit_cast<double>(rng());
          break;
        case 4:  // ratios
          v = static_cast<double>(rng() % 1000) / static_cast<double>(1 + rng() % 1000);
          break;
        default: {  // specials
          const double specials[] = {std::bit_cast<double>(uint64_t{0x7ff0000000000002}),
                                     -0.0, std::numeric_limits<double>::infinity(), 0.0,
                                     9007199254740992.0, -9007199254740991.0};
          v = specials[rng() % 6];
        }
      }
      in.push_back({t, Bits(v)});
    }
    HeadChunk c = Encode(in);
    (c.is_decimal() ? decimal_chunks : xor_chunks)++;
    if (c.shift() > 0 && c.num_samples() > 1) ++shifted_chunks;
    ASSERT_EQ(c.num_samples(), in.size());
    ASSERT_EQ(Decode(c), in) << "round " << round;
  }
  // Both encodings were exercised.
  EXPECT_GT(decimal_chunks, 300);
  EXPECT_GT(xor_chunks, 300);
  EXPECT_GT(shifted_chunks, 100);
}

}  // namespace
}  // namespace mytsdb::chunk
