// Prometheus's model.Duration both ways, with cases from its tests.
#include "model/duration.h"

#include <gtest/gtest.h>

namespace mytsdb::model {
namespace {

TEST(DurationTest, ParsesAndFormatsAsPrometheus) {
  for (const auto& [text, ms] : std::vector<std::pair<std::string, int64_t>>{
           {"0s", 0}, {"324ms", 324}, {"3s", 3000}, {"5m", 300'000}, {"1h", 3'600'000}, {"4d", 345'600'000},
           {"4d1h", 349'200'000}, {"14d", 1'209'600'000}, {"3w", 1'814'400'000}, {"3w2d1h", 1'990'800'000},
           {"10y", 315'360'000'000}, {"1m30s", 90'000}}) {
    auto parsed = ParseDuration(text);
    ASSERT_TRUE(parsed.ok()) << text;
    EXPECT_EQ(*parsed, ms) << text;
  }
  EXPECT_EQ(*ParseDuration("0"), 0);
  // Years and weeks only when exact.
  EXPECT_EQ(FormatDuration(0), "0s");
  EXPECT_EQ(FormatDuration(15'000), "15s");
  EXPECT_EQ(FormatDuration(90'000), "1m30s");
  EXPECT_EQ(FormatDuration(14LL * 86'400'000), "2w");
  EXPECT_EQ(FormatDuration(90LL * 86'400'000), "90d");
  EXPECT_EQ(FormatDuration(3'600'000 + 1), "1h1ms");
  for (const char* bad : {"", "1", "1.5s", "5s1m", "1mm", "-1s", "1x", "9999999999999999999y"}) {
    EXPECT_FALSE(ParseDuration(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace mytsdb::model
