#include "cold/value_encoding.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

namespace mytsdb::cold {
namespace {

std::vector<model::Sample> Values(std::vector<double> values) {
  std::vector<model::Sample> out;
  for (double v : values) out.push_back({int64_t(out.size()), v});
  return out;
}

// What a reader computes: coalesce(value, value_int / value_div).
double Decoded(int64_t integer, int64_t divisor) {
  return static_cast<double>(integer) / static_cast<double>(divisor);
}

TEST(ValueEncodingTest, TheDivisorIsTheSmallestThatMakesEveryDecimalAnInteger) {
  EXPECT_EQ(DecimalDivisor(Values({})), 1);
  EXPECT_EQ(DecimalDivisor(Values({0, 1, 17, 1e15, -3})), 1);
  EXPECT_EQ(DecimalDivisor(Values({1, 2.5, 3})), 10);
  EXPECT_EQ(DecimalDivisor(Values({0.25, 12.5, 0.1})), 100);
  EXPECT_EQ(DecimalDivisor(Values({1.125, 0.000000001})), 1'000'000'000);
  // Values no decimal fits do not change it.
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(DecimalDivisor(Values({nan, 1.5, std::numeric_limits<double>::infinity(), -0.0,
                                   0.1 + 0.2, M_PI})),
            10);
}

TEST(ValueEncodingTest, DecimalsDecodeBitForBitAndTheRestIsRefused) {
  int64_t m = 0;
  ASSERT_TRUE(AsDecimal(12.34, 100, &m));
  EXPECT_EQ(m, 1234);
  ASSERT_TRUE(AsDecimal(-7, 1, &m));
  EXPECT_EQ(m, -7);
  ASSERT_TRUE(AsDecimal(0.0, 1000, &m));
  EXPECT_EQ(m, 0);
  EXPECT_FALSE(AsDecimal(12.345, 100, &m));
  // −0 is not 0 / d; NaN (a staleness marker's payload too) and ±Inf are
  // no decimals; 2^53 and beyond are not exact integers in a double.
  EXPECT_FALSE(AsDecimal(-0.0, 1, &m));
  EXPECT_FALSE(AsDecimal(std::bit_cast<double>(uint64_t{0x7ff0000000000002}), 1, &m));
  EXPECT_FALSE(AsDecimal(std::numeric_limits<double>::infinity(), 1, &m));
  EXPECT_FALSE(AsDecimal(-std::numeric_limits<double>::infinity(), 1, &m));
  EXPECT_FALSE(AsDecimal(9007199254740992.0, 1, &m));
  ASSERT_TRUE(AsDecimal(9007199254740991.0, 1, &m));
  EXPECT_FALSE(AsDecimal(1e300, 1, &m));
  EXPECT_FALSE(AsDecimal(0.1 + 0.2, 1'000'000'000, &m));

  // Random gauges with up to four decimals and random doubles: whatever is
  // accepted decodes to the same bits.
  std::mt19937_64 rng(11);
  int accepted = 0;
  for (int i = 0; i < 100'000; ++i) {
    double v = i % 2 == 0 ? double(int64_t(rng() % 2'000'000) - 1'000'000) / 10'000
                          : std::bit_cast<double>(rng());
    int64_t divisor = DecimalDivisor(Values({v}));
    if (!AsDecimal(v, divisor, &m)) {
      EXPECT_TRUE(i % 2 == 1) << v;  // every four-decimal gauge fits
      continue;
    }
    ++accepted;
    EXPECT_EQ(std::bit_cast<uint64_t>(Decoded(m, divisor)), std::bit_cast<uint64_t>(v)) << v;
  }
  EXPECT_GE(accepted, 50'000);
}

}  // namespace
}  // namespace mytsdb::cold
