#include "cold/value_encoding.h"

namespace mytsdb::cold {

int64_t DecimalDivisor(std::span<const model::Sample> samples) {
  int scale = 0;
  int64_t unused;
  for (const model::Sample& s : samples) {
    // Most values fit the scale found so far: one try each.
    if (AsDecimal(s.value, decimal::kPowersOfTen[scale], &unused)) continue;
    const int k = decimal::SmallestScale(s.value, scale + 1, &unused);
    if (k > 0) scale = k;
  }
  return decimal::kPowersOfTen[scale];
}

}  // namespace mytsdb::cold
