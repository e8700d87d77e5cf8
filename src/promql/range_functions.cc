#include "promql/range_functions.h"

#include <cmath>
#include <cstdio>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "promql/numeric.h"
#include "promql/value.h"

namespace mytsdb::promql {

RangeFn RangeFnOf(std::string_view name) {
  if (name == "avg_over_time") return RangeFn::kAvgOverTime;
  if (name == "changes") return RangeFn::kChanges;
  if (name == "count_over_time") return RangeFn::kCountOverTime;
  if (name == "delta") return RangeFn::kDelta;
  if (name == "deriv") return RangeFn::kDeriv;
  if (name == "double_exponential_smoothing") return RangeFn::kDoubleExponentialSmoothing;
  if (name == "first_over_time") return RangeFn::kFirstOverTime;
  if (name == "idelta") return RangeFn::kIdelta;
  if (name == "increase") return RangeFn::kIncrease;
  if (name == "irate") return RangeFn::kIrate;
  if (name == "last_over_time") return RangeFn::kLastOverTime;
  if (name == "mad_over_time") return RangeFn::kMadOverTime;
  if (name == "max_over_time") return RangeFn::kMaxOverTime;
  if (name == "min_over_time") return RangeFn::kMinOverTime;
  if (name == "predict_linear") return RangeFn::kPredictLinear;
  if (name == "present_over_time") return RangeFn::kPresentOverTime;
  if (name == "quantile_over_time") return RangeFn::kQuantileOverTime;
  if (name == "rate") return RangeFn::kRate;
  if (name == "resets") return RangeFn::kResets;
  if (name == "stddev_over_time") return RangeFn::kStddevOverTime;
  if (name == "stdvar_over_time") return RangeFn::kStdvarOverTime;
  if (name == "sum_over_time") return RangeFn::kSumOverTime;
  if (name == "ts_of_first_over_time") return RangeFn::kTsOfFirstOverTime;
  if (name == "ts_of_last_over_time") return RangeFn::kTsOfLastOverTime;
  if (name == "ts_of_max_over_time") return RangeFn::kTsOfMaxOverTime;
  if (name == "ts_of_min_over_time") return RangeFn::kTsOfMinOverTime;
  return RangeFn::kOther;
}

namespace {

// Prometheus's extrapolatedRate arithmetic (promql/functions.go), in its
// order of operations, so that results agree to the bit.
double ExtrapolationFactor(double sampled, double to_start, double to_end, int64_t range_ms,
                           bool per_second) {
  double factor = (sampled + to_start + to_end) / sampled;
  if (per_second) factor /= static_cast<double>(range_ms) / 1000;
  return factor;
}

}  // namespace

const WindowShapeCache::Shape& WindowShapeCache::Get(int64_t to_start_ms, int64_t to_end_ms,
                                                     int64_t sampled_ms, size_t n,
                                                     int64_t range_ms, bool per_second) {
  uint64_t h = static_cast<uint64_t>(to_start_ms) * 0x9E3779B97F4A7C15ULL;
  h ^= static_cast<uint64_t>(to_end_ms) * 0xC2B2AE3D27D4EB4FULL;
  h ^= static_cast<uint64_t>(sampled_ms) * 0x165667B19E3779F9ULL;
  h ^= static_cast<uint64_t>(n) * 0x27D4EB2F165667C5ULL;
  const size_t slot = static_cast<size_t>(h >> 58);  // the top 6 bits: kSlots = 64
  Shape& s = slots_[slot];
  if (used_[slot] && s.to_start_ms == to_start_ms && s.to_end_ms == to_end_ms &&
      s.sampled_ms == sampled_ms && s.n == n && s.range_ms == range_ms &&
      s.per_second == per_second) {
    return s;
  }
  used_[slot] = true;
  s.to_start_ms = to_start_ms;
  s.to_end_ms = to_end_ms;
  s.sampled_ms = sampled_ms;
  s.n = n;
  s.range_ms = range_ms;
  s.per_second = per_second;
  s.to_start = static_cast<double>(to_start_ms) / 1000;
  s.to_end = static_cast<double>(to_end_ms) / 1000;
  s.sampled = static_cast<double>(sampled_ms) / 1000;
  const double avg_step = s.sampled / static_cast<double>(n - 1);
  const double threshold = avg_step * 1.1;
  if (s.to_start >= threshold) s.to_start = avg_step / 2;
  if (s.to_end >= threshold) s.to_end = avg_step / 2;
  s.factor = ExtrapolationFactor(s.sampled, s.to_start, s.to_end, range_ms, per_second);
  return s;
}

Result<std::optional<double>> RangeFunction(RangeFn fn, std::string_view name,
                                            std::span<const model::Sample> w, int64_t t,
                                            int64_t step_t, int64_t range_ms, double arg,
                                            double arg2, WindowShapeCache& shapes) {
  if (w.empty()) return std::optional<double>();
  size_t n = w.size();
  if (fn == RangeFn::kRate || fn == RangeFn::kIncrease || fn == RangeFn::kDelta) {
    if (n < 2) return std::optional<double>();
    const bool counter = fn != RangeFn::kDelta;
    const bool per_second = fn == RangeFn::kRate;
    double result = w[n - 1].value - w[0].value;
    if (counter) {
      // Whether the counter reset at all, first: a scan without the chain
      // of dependent additions below (which a window without a reset, the
      // usual one, then skips).
      bool reset = false;
      for (size_t k = 1; k < n; ++k) reset |= w[k].value < w[k - 1].value;
      if (reset) {
        for (size_t k = 1; k < n; ++k) {
          if (w[k].value < w[k - 1].value) result += w[k - 1].value;
        }
      }
    }
    const WindowShapeCache::Shape& shape =
        shapes.Get(w[0].timestamp_ms - (t - range_ms), t - w[n - 1].timestamp_ms,
                   w[n - 1].timestamp_ms - w[0].timestamp_ms, n, range_ms, per_second);
    // A counter extrapolates no further back than to where it was zero. The
    // division that says where is skipped when that point lies clearly (by
    // a factor of 2, far beyond rounding) further back than the range's
    // start; a NaN or an overflow takes the exact path.
    const double zero_bound = 2 * shape.to_start * result;
    if (counter && result > 0 && w[0].value >= 0 &&
        !(zero_bound < std::numeric_limits<double>::infinity() && w[0].value * shape.sampled >= zero_bound)) {
      const double to_zero = shape.sampled * (w[0].value / result);
      if (to_zero < shape.to_start) {
        return std::optional<double>(
            result * ExtrapolationFactor(shape.sampled, to_zero, shape.to_end, range_ms, per_second));
      }
    }
    return std::optional<double>(result * shape.factor);
  }
  if (fn == RangeFn::kIrate || fn == RangeFn::kIdelta) {
    if (n < 2) return std::optional<double>();
    const model::Sample& a = w[n - 2];
    const model::Sample& b = w[n - 1];
    double d = b.value - a.value;
    if (fn == RangeFn::kIrate) {
      if (b.value < a.value) d = b.value;  // counter reset
      double dt = static_cast<double>(b.timestamp_ms - a.timestamp_ms) / 1000;
      if (dt == 0) return std::optional<double>();
      return std::optional<double>(d / dt);
    }
    return std::optional<double>(d);
  }
  if (fn == RangeFn::kSumOverTime) {
    double sum = 0, c = 0;
    for (const model::Sample& s : w) sum = KahanAdd(sum, s.value, &c);
    return std::optional<double>(sum + c);
  }
  if (fn == RangeFn::kAvgOverTime) {
    std::vector<double> values;
    for (const model::Sample& s : w) values.push_back(s.value);
    return std::optional<double>(Mean(values));
  }
  if (fn == RangeFn::kCountOverTime) return std::optional<double>(static_cast<double>(n));
  if (fn == RangeFn::kPresentOverTime) return std::optional<double>(1.0);
  if (fn == RangeFn::kLastOverTime) return std::optional<double>(w[n - 1].value);
  if (fn == RangeFn::kFirstOverTime) return std::optional<double>(w[0].value);
  if (fn == RangeFn::kTsOfFirstOverTime) return std::optional<double>(static_cast<double>(w[0].timestamp_ms) / 1000);
  if (fn == RangeFn::kTsOfLastOverTime) return std::optional<double>(static_cast<double>(w[n - 1].timestamp_ms) / 1000);
  if (fn == RangeFn::kTsOfMaxOverTime || fn == RangeFn::kTsOfMinOverTime) {
    // The last sample holding the extreme value.
    double best = w[0].value;
    int64_t at = w[0].timestamp_ms;
    for (const model::Sample& s : w) {
      bool better = fn == RangeFn::kTsOfMaxOverTime ? s.value >= best : s.value <= best;
      if (better || std::isnan(best)) {
        best = s.value;
        at = s.timestamp_ms;
      }
    }
    return std::optional<double>(static_cast<double>(at) / 1000);
  }
  if (fn == RangeFn::kMadOverTime) {
    std::vector<double> values;
    for (const model::Sample& s : w) {
      if (std::isnan(s.value)) return std::optional<double>(kNaN);
      values.push_back(s.value);
    }
    double median = Quantile(0.5, values);
    for (double& v : values) v = std::fabs(v - median);
    return std::optional<double>(Quantile(0.5, std::move(values)));
  }
  if (fn == RangeFn::kDoubleExponentialSmoothing) {
    char msg[128];
    if (!(arg > 0 && arg < 1)) {
      std::snprintf(msg, sizeof msg, "invalid smoothing factor. Expected: 0 < sf < 1, got: %f", arg);
      return Status::InvalidArgument(msg);
    }
    if (!(arg2 > 0 && arg2 < 1)) {
      std::snprintf(msg, sizeof msg, "invalid trend factor. Expected: 0 < tf < 1, got: %f", arg2);
      return Status::InvalidArgument(msg);
    }
    if (n < 2) return std::optional<double>();
    // Holt's linear method, as Prometheus computes it.
    double sf = arg, tf = arg2;
    double s0 = 0, s1 = w[0].value, b = w[1].value - w[0].value;
    for (size_t i = 1; i < n; ++i) {
      double x = sf * w[i].value;
      if (i > 1) b = tf * (s1 - s0) + (1 - tf) * b;
      double y = (1 - sf) * (s1 + b);
      s0 = s1;
      s1 = x + y;
    }
    return std::optional<double>(s1);
  }
  if (fn == RangeFn::kMinOverTime || fn == RangeFn::kMaxOverTime) {
    double r = w[0].value;
    for (const model::Sample& s : w) {
      bool better = fn == RangeFn::kMinOverTime ? s.value < r : s.value > r;
      if (better || std::isnan(r)) r = s.value;
    }
    return std::optional<double>(r);
  }
  if (fn == RangeFn::kStddevOverTime || fn == RangeFn::kStdvarOverTime) {
    double mean = 0, m2 = 0;
    size_t k = 0;
    for (const model::Sample& s : w) {
      ++k;
      double delta = s.value - mean;
      mean += delta / static_cast<double>(k);
      m2 += delta * (s.value - mean);
    }
    double var = m2 / static_cast<double>(k);
    return std::optional<double>(fn == RangeFn::kStddevOverTime ? std::sqrt(var) : var);
  }
  if (fn == RangeFn::kQuantileOverTime) {
    std::vector<double> values;
    for (const model::Sample& s : w) values.push_back(s.value);
    return std::optional<double>(Quantile(arg, std::move(values)));
  }
  if (fn == RangeFn::kChanges || fn == RangeFn::kResets) {
    double count = 0;
    for (size_t k = 1; k < n; ++k) {
      double prev = w[k - 1].value, cur = w[k].value;
      if (fn == RangeFn::kChanges) {
        if (cur != prev && !(std::isnan(cur) && std::isnan(prev))) ++count;
      } else if (cur < prev) {
        ++count;
      }
    }
    return std::optional<double>(count);
  }
  if (fn == RangeFn::kDeriv || fn == RangeFn::kPredictLinear) {
    if (n < 2) return std::optional<double>();
    // Least squares, times relative to the first sample (or t for
    // predict_linear) for precision, as Prometheus does.
    // predict_linear predicts from the evaluation time, even under @.
    double intercept_t = fn == RangeFn::kDeriv ? static_cast<double>(w[0].timestamp_ms)
                                         : static_cast<double>(step_t);
    double sx = 0, sy = 0, sxy = 0, sxx = 0, cx = 0, cy = 0, cxy = 0, cxx = 0;
    for (const model::Sample& s : w) {
      double x = (static_cast<double>(s.timestamp_ms) - intercept_t) / 1000;
      sx = KahanAdd(sx, x, &cx);
      sy = KahanAdd(sy, s.value, &cy);
      sxy = KahanAdd(sxy, x * s.value, &cxy);
      sxx = KahanAdd(sxx, x * x, &cxx);
    }
    sx += cx;
    sy += cy;
    sxy += cxy;
    sxx += cxx;
    double nn = static_cast<double>(n);
    double cov = sxy - sx * sy / nn;
    double var = sxx - sx * sx / nn;
    double slope = cov / var;
    double intercept = sy / nn - slope * sx / nn;
    if (fn == RangeFn::kDeriv) return std::optional<double>(slope);
    return std::optional<double>(slope * arg + intercept);
  }
  return Status::Unimplemented("function " + std::string(name) + "() is not implemented yet");
}

}  // namespace mytsdb::promql
