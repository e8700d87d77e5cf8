// How the cold tier stores a sample's value (docs/FORMAT.md, "Values"):
// as a decimal where that is exact, an integer `value_int` over a power of
// ten `value_div` (1 for counters and byte gauges, 100 for a gauge with two
// decimals), and as the double `value` otherwise (NaN, so every staleness
// marker, ±Inf, −0, and values no decimal of at most kMaxDecimalScale
// places gives back bit for bit). A reader's value is
// coalesce(value, value_int / value_div): both integers are exact doubles,
// so the division gives the stored bits back.
//
// The divisor is chosen per series and file: integers delta-encode well only
// when a series' consecutive values share it.
#pragma once

#include <cstdint>
#include <span>

#include "common/decimal.h"
#include "model/sample.h"

namespace mytsdb::cold {

// Decimals of up to this many places (divisors up to 10^9).
inline constexpr int kMaxDecimalScale = decimal::kMaxScale;

// The divisor for a series' samples: the smallest power of ten at which
// every value that is a decimal of at most kMaxDecimalScale places becomes
// an integer (1 if none is).
int64_t DecimalDivisor(std::span<const model::Sample> samples);

// Whether `value` is `*integer / divisor` bit for bit, with |*integer| <
// 2^53 (so that the integer is an exact double).
using decimal::AsDecimal;

}  // namespace mytsdb::cold
