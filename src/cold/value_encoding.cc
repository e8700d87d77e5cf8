#include "cold/value_encoding.h"

#include <bit>
#include <cmath>

namespace mytsdb::cold {

namespace {

constexpr double kMaxExactInteger = 9007199254740992.0;  // 2^53

constexpr int64_t kPowersOfTen[kMaxDecimalScale + 1] = {
    1, 10, 100, 1'000, 10'000, 100'000, 1'000'000, 10'000'000, 100'000'000, 1'000'000'000};

}  // namespace

bool AsDecimal(double value, int64_t divisor, int64_t* integer) {
  const double d = static_cast<double>(divisor);
  const double m = std::nearbyint(value * d);
  // NaN and ±Inf fail the bound.
  if (!(std::fabs(m) < kMaxExactInteger)) return false;
  // What a reader computes, from the integer (so −0, which becomes 0 and
  // decodes to +0, fails here).
  const int64_t i = static_cast<int64_t>(m);
  if (std::bit_cast<uint64_t>(static_cast<double>(i) / d) != std::bit_cast<uint64_t>(value)) {
    return false;
  }
  *integer = i;
  return true;
}

int64_t DecimalDivisor(std::span<const model::Sample> samples) {
  int scale = 0;
  int64_t unused;
  for (const model::Sample& s : samples) {
    // Most values fit the scale found so far: one try each.
    if (AsDecimal(s.value, kPowersOfTen[scale], &unused)) continue;
    for (int k = scale + 1; k <= kMaxDecimalScale; ++k) {
      if (AsDecimal(s.value, kPowersOfTen[k], &unused)) {
        scale = k;
        break;
      }
    }
  }
  return kPowersOfTen[scale];
}

}  // namespace mytsdb::cold
