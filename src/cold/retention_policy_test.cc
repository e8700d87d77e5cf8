#include "cold/retention_policy.h"

#include <gtest/gtest.h>

namespace mytsdb::cold {
namespace {

TEST(RetentionPolicyTest, RemovesFilesWhoseSamplesAreAllOlderThanTheLimit) {
  std::vector<RetentionFile> files = {{300, 10}, {100, 10}, {199, 10}, {200, 10}};
  // min_time 200: the files whose newest sample is 100 and 199 go, oldest
  // first; the one ending exactly at 200 still holds a sample within it.
  EXPECT_EQ(PlanRetention(files, 200, 0), (std::vector<size_t>{1, 2}));
  EXPECT_TRUE(PlanRetention(files, 100, 0).empty());
  EXPECT_EQ(PlanRetention(files, 1000, 0).size(), 4u);
}

TEST(RetentionPolicyTest, RemovesOldestFilesWhileTheTableIsTooLarge) {
  std::vector<RetentionFile> files = {{300, 40}, {100, 30}, {200, 20}};
  // 90 bytes: above 60 the oldest (30 bytes) goes, leaving exactly 60.
  EXPECT_EQ(PlanRetention(files, 0, 60), (std::vector<size_t>{1}));
  // Above 59 the next oldest goes too.
  EXPECT_EQ(PlanRetention(files, 0, 59), (std::vector<size_t>{1, 2}));
  // The newest file goes only when it alone is over the limit.
  EXPECT_EQ(PlanRetention(files, 0, 39).size(), 3u);
  EXPECT_TRUE(PlanRetention(files, 0, 90).empty());
}

TEST(RetentionPolicyTest, AgeAndSizeTogetherRemoveTheLongerPrefix) {
  std::vector<RetentionFile> files = {{100, 10}, {200, 10}, {300, 10}};
  // Age alone would remove the first; size alone (limit 15) the first two.
  EXPECT_EQ(PlanRetention(files, 150, 15), (std::vector<size_t>{0, 1}));
  EXPECT_TRUE(PlanRetention({}, 150, 15).empty());
}

}  // namespace
}  // namespace mytsdb::cold
