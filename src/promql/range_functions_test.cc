#include "promql/range_functions.h"

#include <gtest/gtest.h>

#include <bit>
#include <cstdint>
#include <limits>
#include <optional>
#include <random>
#include <vector>

namespace mytsdb::promql {
namespace {

// Prometheus's extrapolatedRate as written before the window-shape memo:
// every division done for every window. The memo must agree to the bit.
std::optional<double> Reference(RangeFn fn, std::span<const model::Sample> w, int64_t t, int64_t range_ms,
                                bool* to_zero_used) {
  size_t n = w.size();
  if (n < 2) return std::nullopt;
  bool counter = fn != RangeFn::kDelta;
  double result = w[n - 1].value - w[0].value;
  if (counter) {
    for (size_t k = 1; k < n; ++k) {
      if (w[k].value < w[k - 1].value) result += w[k - 1].value;
    }
  }
  double range_start = static_cast<double>(t - range_ms), range_end = static_cast<double>(t);
  double to_start = (static_cast<double>(w[0].timestamp_ms) - range_start) / 1000;
  double to_end = (range_end - static_cast<double>(w[n - 1].timestamp_ms)) / 1000;
  double sampled = static_cast<double>(w[n - 1].timestamp_ms - w[0].timestamp_ms) / 1000;
  double avg_step = sampled / static_cast<double>(n - 1);
  double threshold = avg_step * 1.1;
  if (to_start >= threshold) to_start = avg_step / 2;
  if (counter) {
    double to_zero = to_start;
    if (result > 0 && w[0].value >= 0) to_zero = sampled * (w[0].value / result);
    if (to_zero < to_start) {
      to_start = to_zero;
      *to_zero_used = true;
    }
  }
  if (to_end >= threshold) to_end = avg_step / 2;
  double factor = (sampled + to_start + to_end) / sampled;
  if (fn == RangeFn::kRate) factor /= static_cast<double>(range_ms) / 1000;
  return result * factor;
}

TEST(RangeFunctionTest, RateIncreaseAndDeltaThroughTheShapeMemoAgreeToTheBitWithTheArithmetic) {
  std::mt19937_64 rng(7);
  WindowShapeCache shapes;  // shared by every window, as in a query
  int compared = 0, extrapolated_to_zero = 0;
  for (int series = 0; series < 400; ++series) {
    // Scrape schedules that repeat (most series) and jittered ones; counters
    // that start near zero (extrapolation stops at zero), that reset, and
    // gauges that go negative; the occasional NaN and infinity.
    const int64_t interval = std::vector<int64_t>{15'000, 10'000, 60'000}[rng() % 3];
    const bool jitter = rng() % 4 == 0;
    const double start_value = rng() % 3 == 0 ? static_cast<double>(rng() % 5) : static_cast<double>(rng() % 1'000'000);
    std::vector<model::Sample> samples;
    double v = start_value;
    int64_t ts = 1'700'000'000'000 + static_cast<int64_t>(rng() % 1000);
    for (int k = 0; k < 200; ++k) {
      ts += interval + (jitter ? static_cast<int64_t>(rng() % 2001) - 1000 : 0);
      const uint64_t r = rng() % 100;
      if (r == 0) v = 0;                          // counter reset
      else if (r == 1) v = -v;                     // a gauge crossing zero
      else if (r == 2 && series % 50 == 0) v = std::numeric_limits<double>::quiet_NaN();
      else if (r == 3 && series % 70 == 0) v = std::numeric_limits<double>::infinity();
      else v += static_cast<double>(rng() % 1000) / 100;
      samples.push_back({ts, v});
    }
    for (int64_t range_ms : {60'000, 300'000, 600'000}) {
      for (int64_t t = samples.front().timestamp_ms; t <= samples.back().timestamp_ms; t += 60'000 + series) {
        size_t lo = 0, hi = 0;
        while (lo < samples.size() && samples[lo].timestamp_ms <= t - range_ms) ++lo;
        hi = lo;
        while (hi < samples.size() && samples[hi].timestamp_ms <= t) ++hi;
        std::span<const model::Sample> w(samples.data() + lo, hi - lo);
        for (RangeFn fn : {RangeFn::kRate, RangeFn::kIncrease, RangeFn::kDelta}) {
          bool to_zero_used = false;
          std::optional<double> want = w.empty() ? std::nullopt : Reference(fn, w, t, range_ms, &to_zero_used);
          auto got = RangeFunction(fn, "", w, t, t, range_ms, 0, 0, shapes);
          ASSERT_TRUE(got.ok());
          ASSERT_EQ(got->has_value(), want.has_value());
          if (!want) continue;
          ASSERT_EQ(std::bit_cast<uint64_t>(**got), std::bit_cast<uint64_t>(*want))
              << "fn " << static_cast<int>(fn) << " series " << series << " t " << t << " range " << range_ms;
          ++compared;
          extrapolated_to_zero += to_zero_used;
        }
      }
    }
  }
  EXPECT_GT(compared, 100'000);
  EXPECT_GT(extrapolated_to_zero, 1'000);  // the exact path was exercised too
}

TEST(RangeFunctionTest, FirstAfterFindsWhatALinearScanFinds) {
  std::mt19937_64 rng(11);
  int moved_far = 0;
  for (int round = 0; round < 2'000; ++round) {
    std::vector<model::Sample> samples(rng() % 40);
    int64_t ts = static_cast<int64_t>(rng() % 100);
    for (model::Sample& s : samples) {
      ts += 1 + static_cast<int64_t>(rng() % 20);
      s = {ts, 0};
    }
    const int64_t t = static_cast<int64_t>(rng() % (static_cast<uint64_t>(ts) + 40)) - 20;
    size_t want = 0;
    while (want < samples.size() && samples[want].timestamp_ms <= t) ++want;
    // Any start at or before the answer (those before it are at or before t).
    const size_t from = want == 0 ? 0 : static_cast<size_t>(rng() % (want + 1));
    ASSERT_EQ(FirstAfter(samples, from, t), want) << "round " << round << " from " << from;
    moved_far += want - from > 8;
  }
  EXPECT_GT(moved_far, 100);  // the block skip was exercised, not only the count
}

}  // namespace
}  // namespace mytsdb::promql
