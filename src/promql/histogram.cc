#include "promql/histogram.h"

#include <algorithm>
#include <cmath>

#include "promql/numeric.h"
#include "promql/value.h"

namespace mytsdb::promql {

// Prometheus's BucketFraction: the estimated share of observations
// between lower and upper, interpolating linearly inside buckets.
double BucketFraction(double lower, double upper, std::vector<std::pair<double, double>> b) {
  if (!std::isinf(b.back().first) || b.back().first < 0) return kNaN;
  double count = b.back().second;
  if (count == 0 || std::isnan(lower) || std::isnan(upper)) return kNaN;
  if (lower >= upper) return 0;
  double rank = 0, lower_rank = 0, upper_rank = 0;
  bool lower_set = false, upper_set = false;
  double lower_bound = b[0].first <= 0 ? -INFINITY : 0.0;
  for (size_t i = 0; i < b.size(); ++i) {
    if (i > 0) lower_bound = b[i - 1].first;
    double upper_bound = b[i].first, bucket_count = b[i].second;
    auto interpolate = [&](double v) {
      // No interpolation inside a bucket reaching to -Inf.
      if (lower_bound == -INFINITY) return bucket_count;
      return rank + (bucket_count - rank) * (v - lower_bound) / (upper_bound - lower_bound);
    };
    if (!lower_set && lower_bound >= lower) {
      lower_rank = rank;
      lower_set = true;
    }
    if (!upper_set && lower_bound >= upper) {
      upper_rank = rank;
      upper_set = true;
    }
    if (lower_set && upper_set) break;
    if (!lower_set && lower_bound < lower && upper_bound > lower) {
      lower_rank = interpolate(lower);
      lower_set = true;
    }
    if (!upper_set && lower_bound < upper && upper_bound > upper) {
      upper_rank = interpolate(upper);
      upper_set = true;
    }
    if (lower_set && upper_set) break;
    rank = bucket_count;
  }
  if (!lower_set || lower_rank > count) lower_rank = count;
  if (!upper_set || upper_rank > count) upper_rank = count;
  return (upper_rank - lower_rank) / count;
}

// Prometheus's BucketQuantile for classic histograms: buckets sorted,
// decreases removed (and differences within 1e-12 relative ignored), then
// linear interpolation inside the bucket holding the rank.
double BucketQuantile(double q, std::vector<std::pair<double, double>> b, Monotonicity* mono) {
  if (std::isnan(q)) return kNaN;
  if (q < 0) return -INFINITY;
  if (q > 1) return INFINITY;
  if (!std::isinf(b.back().first) || b.back().first < 0) return kNaN;
  double prev = b[0].second;
  for (size_t i = 1; i < b.size(); ++i) {
    double curr = b[i].second;
    if (curr == prev) continue;
    if (AlmostEqual(prev, curr, 1e-12)) {
      b[i].second = prev;
      continue;
    }
    if (curr < prev) {
      b[i].second = prev;
      mono->forced = true;
      mono->min_bucket = std::min(mono->min_bucket, b[i].first);
      mono->max_bucket = std::max(mono->max_bucket, b[i].first);
      mono->max_diff = std::max(mono->max_diff, prev - curr);
      continue;
    }
    prev = curr;
  }
  if (b.size() < 2) return kNaN;
  double observations = b.back().second;
  if (observations == 0) return kNaN;
  double rank = q * observations;
  size_t k = 0;
  while (k < b.size() - 1 && b[k].second < rank) ++k;
  if (k == b.size() - 1) return b[b.size() - 2].first;
  if (k == 0 && b[0].first <= 0) return b[0].first;
  double start = 0, end = b[k].first, count = b[k].second;
  if (k > 0) {
    start = b[k - 1].first;
    count -= b[k - 1].second;
    rank -= b[k - 1].second;
  }
  return start + (end - start) * (rank / count);
}

}  // namespace mytsdb::promql
