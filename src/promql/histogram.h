// Classic-histogram estimates as Prometheus computes them, over the
// buckets of one histogram at one step: (upper bound, cumulative count)
// pairs sorted by upper bound.
#pragma once

#include <cmath>
#include <utility>
#include <vector>

namespace mytsdb::promql {

// What forcing a classic histogram's buckets monotonic changed (for the
// info annotation Prometheus raises then).
struct Monotonicity {
  bool forced = false;
  double min_bucket = INFINITY, max_bucket = -INFINITY, max_diff = 0;
};

// histogram_quantile: buckets forced monotonic (recorded in *mono), then
// linear interpolation inside the bucket holding the rank.
double BucketQuantile(double q, std::vector<std::pair<double, double>> buckets, Monotonicity* mono);

// histogram_fraction: the estimated share of observations between lower
// and upper.
double BucketFraction(double lower, double upper, std::vector<std::pair<double, double>> buckets);

}  // namespace mytsdb::promql
