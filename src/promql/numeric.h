// Floating-point arithmetic exactly as Prometheus does it, shared by the
// aggregation operators and the range functions: Kahan-compensated sums,
// the mean and quantiles.
#pragma once

#include <cmath>
#include <vector>

namespace mytsdb::promql {

// Prometheus's almost.Equal: NaN equals NaN, otherwise a relative difference
// below epsilon (an absolute one near zero).
bool AlmostEqual(double a, double b, double epsilon);

// Adds x to sum, carrying the rounding error in *c (Kahan-Babuska); the
// result is sum + *c.
double KahanAdd(double sum, double x, double* c);

// The mean as Prometheus computes it, one value at a time: a
// Kahan-compensated sum divided by the count while the sum stays finite, an
// incremental mean from the point where it would overflow.
struct MeanAccumulator {
  double sum = 0, c = 0, mean = 0, count = 0;
  bool incremental = false;

  void Add(double f) {
    count += 1;
    if (count == 1) {
      sum = f;
      return;
    }
    if (!incremental) {
      double c2 = c;
      double next = KahanAdd(sum, f, &c2);
      if (!std::isinf(next)) {
        sum = next;
        c = c2;
        return;
      }
      incremental = true;
      mean = sum / (count - 1);
      c /= count - 1;
    }
    double q = (count - 1) / count;
    double c2 = q * c;
    mean = KahanAdd(q * mean, f / count, &c2);
    c = c2;
  }

  double Result() const { return incremental ? mean + c : sum / count + c / count; }
};

template <typename Values>
double Mean(const Values& values) {
  MeanAccumulator acc;
  for (double f : values) acc.Add(f);
  return acc.Result();
}

// Prometheus's quantile over sorted values (linear interpolation); NaN
// for no values or a NaN q, -Inf/+Inf for q below 0/above 1.
double Quantile(double q, std::vector<double> values);

}  // namespace mytsdb::promql
