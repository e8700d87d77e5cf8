// The functions over a range of samples (rate, increase, *_over_time, ...)
// as kernels over one window of one series: no storage, no steps, so that
// the evaluator can feed them windows however it reads the samples.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "common/result.h"
#include "model/sample.h"

namespace mytsdb::promql {

// Functions over a range of samples, by name.
enum class RangeFn {
  kAvgOverTime, kChanges, kCountOverTime, kDelta, kDeriv, kDoubleExponentialSmoothing, kFirstOverTime, kIdelta, kIncrease, kIrate, kLastOverTime, kMadOverTime, kMaxOverTime, kMinOverTime, kPredictLinear, kPresentOverTime, kQuantileOverTime, kRate, kResets, kStddevOverTime, kStdvarOverTime, kSumOverTime, kTsOfFirstOverTime, kTsOfLastOverTime, kTsOfMaxOverTime, kTsOfMinOverTime, kOther,
};


// The range function of a name (kOther if it is none), resolved once per
// call rather than per step.
RangeFn RangeFnOf(std::string_view name);

// The index of the first sample of samples[from..] after t, for samples in
// time order of which those before `from` are at or before t: how the
// evaluator finds an instant selector's sample from one step to the next.
// A step moves it by a few samples, so they are counted within a block of
// eight without a branch, where a binary search over the whole series
// mispredicted at most of its halvings.
inline size_t FirstAfter(std::span<const model::Sample> samples, size_t from, int64_t t) {
  const size_t n = samples.size();
  while (from + 8 <= n && samples[from + 7].timestamp_ms <= t) from += 8;
  const size_t end = from + 8 < n ? from + 8 : n;
  size_t count = 0;
  for (size_t k = from; k < end; ++k) count += samples[k].timestamp_ms <= t ? 1 : 0;
  return from + count;
}

// A memo of the extrapolation arithmetic of rate, increase and delta by the
// shape of a window: where its first and last samples fall in it, and how
// many it holds. Series scraped on one schedule repeat a few shapes across
// all steps and series of a query, and each shape costs a chain of
// divisions (a quarter of a dashboard query's CPU before this memo). A hit
// gives back exactly what the arithmetic would. One per evaluation; not
// thread-safe.
class WindowShapeCache {
 public:
  struct Shape {
    int64_t to_start_ms = 0, to_end_ms = 0, sampled_ms = 0, range_ms = 0;
    size_t n = 0;
    bool per_second = false;
    // What the arithmetic gives: seconds from the range's start to the first
    // sample and from the last sample to its end, each capped where
    // Prometheus stops extrapolating; the sampled interval; and the factor
    // the difference is multiplied by when nothing extrapolates to zero.
    double to_start = 0, to_end = 0, sampled = 0, factor = 0;
  };
  // The shape of a window, computed on a miss.
  const Shape& Get(int64_t to_start_ms, int64_t to_end_ms, int64_t sampled_ms, size_t n,
                   int64_t range_ms, bool per_second);

 private:
  static constexpr size_t kSlots = 64;
  Shape slots_[kSlots];
  bool used_[kSlots] = {};
};

// The value of fn over the window w (samples in (t - range_ms, t], in time
// order, stale markers removed) evaluated for the step at step_t; nullopt
// where Prometheus yields no sample. `arg` and `arg2` are the scalar
// arguments of quantile_over_time, predict_linear and
// double_exponential_smoothing at this step; `shapes` is the evaluation's
// memo for rate, increase and delta.
Result<std::optional<double>> RangeFunction(RangeFn fn, std::string_view name,
                                            std::span<const model::Sample> w, int64_t t,
                                            int64_t step_t, int64_t range_ms, double arg,
                                            double arg2, WindowShapeCache& shapes);

}  // namespace mytsdb::promql
