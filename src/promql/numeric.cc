#include "promql/numeric.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "promql/value.h"

namespace mytsdb::promql {

bool AlmostEqual(double a, double b, double epsilon) {
  constexpr double kMinNormal = 2.2250738585072014e-308;
  if (std::isnan(a) && std::isnan(b)) return true;
  if (a == b) return true;
  double abs_sum = std::fabs(a) + std::fabs(b);
  double diff = std::fabs(a - b);
  if (a == 0 || b == 0 || abs_sum < kMinNormal) return diff < epsilon * kMinNormal;
  return diff / std::min(abs_sum, std::numeric_limits<double>::max()) < epsilon;
}

double KahanAdd(double sum, double x, double* c) {
  double t = sum + x;
  if (std::isinf(t)) {
    *c = 0;  // the compensation of an overflowed sum is meaningless (NaN)
  } else if (std::fabs(sum) >= std::fabs(x)) {
    *c += (sum - t) + x;
  } else {
    *c += (x - t) + sum;
  }
  return t;
}

double Quantile(double q, std::vector<double> values) {
  if (values.empty() || std::isnan(q)) return kNaN;
  if (q < 0) return -INFINITY;
  if (q > 1) return INFINITY;
  // NaN sorts below everything, as in Prometheus's vectorByValueHeap.
  std::sort(values.begin(), values.end(), [](double a, double b) { return std::isnan(a) ? !std::isnan(b) : a < b; });
  double n = static_cast<double>(values.size());
  double rank = q * (n - 1);
  size_t lower = static_cast<size_t>(std::max(0.0, std::floor(rank)));
  size_t upper = std::min(values.size() - 1, lower + 1);
  double weight = rank - std::floor(rank);
  return values[lower] * (1 - weight) + values[upper] * weight;
}

}  // namespace mytsdb::promql
