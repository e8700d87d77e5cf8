// Sample: one (timestamp, value) point of a series.
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <limits>
#include <vector>

namespace mytsdb::model {

struct Sample {
  int64_t timestamp_ms;  // milliseconds since the Unix epoch, UTC
  double value;          // stored and returned bit-exactly, NaN payloads included
};

// Prometheus marks a series as stale with this particular NaN
// (value.StaleNaN in prometheus/model/value).
inline constexpr uint64_t kStaleNaNBits = 0x7ff0000000000002ULL;
inline double StaleNaN() { return std::bit_cast<double>(kStaleNaNBits); }
inline bool IsStaleNaN(double v) { return std::bit_cast<uint64_t>(v) == kStaleNaNBits; }
// The NaN Prometheus's parsers give every scraped NaN (value.NormalNaN), so
// that a scraped NaN is never taken for a staleness marker.
inline constexpr uint64_t kNormalNaNBits = 0x7ff8000000000001ULL;
inline double NormalNaN() { return std::bit_cast<double>(kNormalNaNBits); }

// Sorts by time and keeps, of samples with the same timestamp, the one that
// came last in the input ("last write wins").
inline void SortKeepingLastPerTimestamp(std::vector<Sample>* samples) {
  std::vector<Sample>& v = *samples;
  std::stable_sort(v.begin(), v.end(), [](const Sample& a, const Sample& b) {
    return a.timestamp_ms < b.timestamp_ms;
  });
  size_t w = 0;
  for (size_t r = 0; r < v.size(); ++r) {
    if (r + 1 < v.size() && v[r + 1].timestamp_ms == v[r].timestamp_ms) continue;
    v[w++] = v[r];
  }
  v.resize(w);
}

// Time range [min, max] in milliseconds, both ends inclusive.
struct TimeRange {
  int64_t min = std::numeric_limits<int64_t>::min();
  int64_t max = std::numeric_limits<int64_t>::max();
  bool Contains(int64_t t) const { return t >= min && t <= max; }
  bool Overlaps(int64_t lo, int64_t hi) const { return lo <= max && hi >= min; }
};

// `t` rounded down to a multiple of `step` (> 0), also below zero.
inline int64_t FloorTo(int64_t t, int64_t step) {
  return (t >= 0 ? t / step : (t - step + 1) / step) * step;
}

}  // namespace mytsdb::model
