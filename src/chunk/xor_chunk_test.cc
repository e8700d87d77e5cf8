#include "chunk/xor_chunk.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

namespace mytsdb::chunk {
namespace {

struct S {
  int64_t t;
  uint64_t bits;
};

std::vector<S> Decode(const XorChunk& c) {
  std::vector<S> out;
  XorIterator it = c.Iterator();
  while (it.Next()) out.push_back({it.t(), it.value_bits()});
  EXPECT_TRUE(it.status().ok()) << it.status().ToString();
  return out;
}

void RoundTrip(const std::vector<S>& in) {
  XorChunk c;
  for (const S& s : in) c.Append(s.t, std::bit_cast<double>(s.bits));
  ASSERT_EQ(c.num_samples(), in.size());
  std::vector<S> out = Decode(c);
  ASSERT_EQ(out.size(), in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    ASSERT_EQ(out[i].t, in[i].t) << i;
    ASSERT_EQ(out[i].bits, in[i].bits) << i;
  }
  if (!in.empty()) {
    EXPECT_EQ(c.min_time(), in.front().t);
    EXPECT_EQ(c.max_time(), in.back().t);
  }
  // FromBytes rebuilds an equal chunk that can take more samples.
  auto copy = XorChunk::FromBytes(c.bytes());
  ASSERT_TRUE(copy.ok()) << copy.status().ToString();
  EXPECT_EQ(copy->bytes(), c.bytes());
  int64_t next_t = in.empty() ? 0 : in.back().t + 1;
  copy->Append(next_t, 1.5);
  c.Append(next_t, 1.5);
  EXPECT_EQ(copy->bytes(), c.bytes());
}

uint64_t Bits(double v) { return std::bit_cast<uint64_t>(v); }

TEST(XorChunkTest, RegularScrapeCounterAndGauge) {
  std::vector<S> counter, gauge;
  std::mt19937_64 rng(1);
  double c = 1000, g = 50;
  for (int i = 0; i < 120; ++i) {
    c += rng() % 100;
    g += (static_cast<int>(rng() % 201) - 100) / 100.0;
    counter.push_back({1700000000000 + i * 15000, Bits(c)});
    gauge.push_back({1700000000000 + i * 15000, Bits(std::round(g * 100) / 100)});
  }
  RoundTrip(counter);
  RoundTrip(gauge);
}

TEST(XorChunkTest, JitterAndEveryDeltaOfDeltaWidth) {
  std::vector<S> in;
  int64_t t = -5000;  // negative timestamps are valid
  int64_t steps[] = {15000, 15001, 14990, 15000 + 8191, 15000 - 8192, 15000 + 60000,
                     15000 + 500000, 15000 + 10000000, 1, 1, 3600000 * 24 * 365LL, 2};
  for (int64_t step : steps) {
    t += step;
    in.push_back({t, Bits(static_cast<double>(t % 97))});
  }
  RoundTrip(in);
}

TEST(XorChunkTest, SpecialValuesAreBitExact) {
  std::vector<uint64_t> specials = {
      0x7ff0000000000002ULL,  // Prometheus staleness marker
      0x7ff8000000000001ULL, 0xfff8000000000000ULL, 0x7ff8000000000000ULL,
      Bits(std::numeric_limits<double>::infinity()), Bits(-std::numeric_limits<double>::infinity()),
      Bits(-0.0), Bits(0.0), 1 /* smallest denormal */, Bits(std::numeric_limits<double>::max()),
      Bits(std::numeric_limits<double>::lowest()), 0xffffffffffffffffULL, 0};
  std::vector<S> in;
  for (size_t i = 0; i < specials.size(); ++i) in.push_back({int64_t(i) * 1000, specials[i]});
  RoundTrip(in);
}

TEST(XorChunkTest, RandomDoubles) {
  std::mt19937_64 rng(7);
  for (int round = 0; round < 50; ++round) {
    std::vector<S> in;
    int64_t t = static_cast<int64_t>(rng() % 1000000000000);
    int n = 1 + rng() % 200;
    for (int i = 0; i < n; ++i) {
      t += 1 + rng() % 100000;
      in.push_back({t, rng()});
    }
    RoundTrip(in);
  }
}

TEST(XorChunkTest, EmptyAndSingle) {
  XorChunk c;
  EXPECT_EQ(c.num_samples(), 0);
  XorIterator it = c.Iterator();
  EXPECT_FALSE(it.Next());
  EXPECT_TRUE(it.status().ok());
  RoundTrip({{42, Bits(3.25)}});
}

TEST(XorChunkTest, SeekFindsFirstSampleAtOrAfter) {
  XorChunk c;
  for (int i = 0; i < 10; ++i) c.Append(i * 10, i);
  XorIterator it = c.Iterator();
  ASSERT_TRUE(it.Seek(35));
  EXPECT_EQ(it.t(), 40);
  ASSERT_TRUE(it.Seek(40));  // current sample counts
  EXPECT_EQ(it.t(), 40);
  ASSERT_TRUE(it.Next());
  EXPECT_EQ(it.t(), 50);
  EXPECT_FALSE(it.Seek(1000));
}

TEST(XorChunkTest, TruncatedBytesAreCorruptionNotGarbage) {
  XorChunk c;
  std::mt19937_64 rng(3);
  for (int i = 0; i < 120; ++i) c.Append(i * 15000 + rng() % 7, static_cast<double>(rng() % 1000));
  std::string full(c.bytes());
  for (size_t len = 0; len < full.size(); ++len) {
    std::string cut = full.substr(0, len);
    XorIterator it(cut);
    int n = 0;
    while (it.Next()) ++n;
    EXPECT_LT(n, 120) << len;
    EXPECT_TRUE(it.status().IsCorruption()) << len;
    EXPECT_FALSE(XorChunk::FromBytes(cut).ok()) << len;
  }
  // Trailing garbage is refused too.
  EXPECT_FALSE(XorChunk::FromBytes(full + "\x01\x02").ok());
}

TEST(XorChunkTest, CompressesRegularDataWell) {
  XorChunk c;
  for (int i = 0; i < 120; ++i) c.Append(1700000000000 + i * 15000, 1000.0 + i);
  // Constant interval, counter +1: a few bits per sample.
  EXPECT_LT(c.bytes().size(), 120u * 3);
}

}  // namespace
}  // namespace mytsdb::chunk
