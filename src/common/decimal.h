// Decimals: when a double is exactly an integer over a power of ten.
//
// The rule the cold tier's value columns (docs/FORMAT.md, "Values") and the
// head's decimal chunks (docs/format/chunk.md) share: a value is the decimal
// `integer / 10^scale` when dividing the two, as doubles, gives its bits
// back, with |integer| < 2^53 so that the integer is itself an exact double.
// NaN, ±Inf and -0 (which would come back as +0) never are.
//
// Rescaling keeps the bits: if i / 10^k gives v, then (i * 10^j) / 10^(k+j)
// is the same rational number, and IEEE division rounds it to the same
// double (provided the product stays below 2^53).
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>

namespace mytsdb::decimal {

// Decimals of up to this many places (divisors up to 10^9).
inline constexpr int kMaxScale = 9;

inline constexpr int64_t kPowersOfTen[kMaxScale + 1] = {
    1, 10, 100, 1'000, 10'000, 100'000, 1'000'000, 10'000'000, 100'000'000, 1'000'000'000};

// Integers of smaller magnitude are exact doubles.
inline constexpr int64_t kMaxExactInteger = int64_t{1} << 53;

// Whether `value` is `*integer / divisor` bit for bit, with |*integer| <
// 2^53. `divisor` is a power of ten up to 10^kMaxScale.
inline bool AsDecimal(double value, int64_t divisor, int64_t* integer) {
  const double d = static_cast<double>(divisor);
  const double m = std::nearbyint(value * d);
  // NaN and ±Inf fail the bound.
  if (!(std::fabs(m) < static_cast<double>(kMaxExactInteger))) return false;
  // What a reader computes, from the integer (so -0, which becomes 0 and
  // decodes to +0, fails here).
  const int64_t i = static_cast<int64_t>(m);
  if (std::bit_cast<uint64_t>(static_cast<double>(i) / d) != std::bit_cast<uint64_t>(value)) {
    return false;
  }
  *integer = i;
  return true;
}

// The smallest scale from `min_scale` up at which `value` is a decimal, with
// its integer; -1 if there is none up to kMaxScale.
inline int SmallestScale(double value, int min_scale, int64_t* integer) {
  for (int k = min_scale; k <= kMaxScale; ++k) {
    if (AsDecimal(value, kPowersOfTen[k], integer)) return k;
  }
  return -1;
}

}  // namespace mytsdb::decimal
