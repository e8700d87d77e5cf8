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

// The value of fn over the window w (samples in (t - range_ms, t], in time
// order, stale markers removed) evaluated for the step at step_t; nullopt
// where Prometheus yields no sample. `arg` and `arg2` are the scalar
// arguments of quantile_over_time, predict_linear and
// double_exponential_smoothing at this step.
Result<std::optional<double>> RangeFunction(RangeFn fn, std::string_view name,
                                            std::span<const model::Sample> w, int64_t t,
                                            int64_t step_t, int64_t range_ms, double arg,
                                            double arg2);

}  // namespace mytsdb::promql
