#include "cold/compaction_policy.h"

#include <gtest/gtest.h>

namespace mytsdb::cold {
namespace {

constexpr int64_t kMin = 60'000;
constexpr int64_t kHour = 60 * kMin;
constexpr int64_t kDay = 24 * kHour;

CompactionOptions Blocks(int64_t block, int64_t max_window) {
  CompactionOptions o;
  o.block_ms = block;
  o.max_window_ms = max_window;
  return o;
}

// One file per block [start, start + block), versions in commit order.
std::vector<CompactionFile> BlockFiles(int64_t first, int64_t block, int count, int64_t version = 0) {
  std::vector<CompactionFile> files;
  for (int i = 0; i < count; ++i) {
    files.push_back({first + i * block, first + (i + 1) * block - 1, version + i});
  }
  return files;
}

TEST(CompactionPolicyTest, WindowsAreThreePowersOfTheBlockUpToTheCapAndTheDay) {
  EXPECT_EQ(CompactionWindows(Blocks(2 * kHour, kDay)),
            (std::vector<int64_t>{6 * kHour, 18 * kHour, kDay}));
  // Prometheus's default: a tenth of 15 days is more than a day.
  EXPECT_EQ(CompactionWindows(Blocks(2 * kHour, 36 * kHour)),
            (std::vector<int64_t>{6 * kHour, 18 * kHour, kDay}));
  EXPECT_EQ(CompactionWindows(Blocks(2 * kHour, 7 * kHour)), (std::vector<int64_t>{6 * kHour}));
  EXPECT_EQ(CompactionWindows(Blocks(10 * kMin, 90 * kMin)),
            (std::vector<int64_t>{30 * kMin, 90 * kMin}));
  // Under three blocks: off.
  EXPECT_TRUE(CompactionWindows(Blocks(2 * kHour, 5 * kHour)).empty());
  EXPECT_TRUE(CompactionWindows(Blocks(0, kDay)).empty());
}

TEST(CompactionPolicyTest, CompleteWindowMergesAndTheOpenOneWaits) {
  const CompactionOptions o = Blocks(10 * kMin, kDay);
  // Blocks 0..4 of a day: window [0, 30m) is complete once the watermark
  // passes 30m; [30m, 60m) holds two files but the head still writes into it.
  auto files = BlockFiles(kDay, 10 * kMin, 5);
  EXPECT_FALSE(PlanCompaction(files, kDay + 29 * kMin, o).has_value());
  auto plan = PlanCompaction(files, kDay + 50 * kMin, o);
  ASSERT_TRUE(plan.has_value());
  EXPECT_EQ(plan->window.min, kDay);
  EXPECT_EQ(plan->window.max, kDay + 30 * kMin - 1);
  EXPECT_EQ(plan->files, (std::vector<size_t>{0, 1, 2}));
  // After that merge, the rest waits for its window to complete.
  std::vector<CompactionFile> merged = {{kDay, kDay + 30 * kMin - 1, 10}, files[3], files[4]};
  EXPECT_FALSE(PlanCompaction(merged, kDay + 50 * kMin, o).has_value());
  EXPECT_TRUE(PlanCompaction(merged, kDay + 60 * kMin, o).has_value());
}

TEST(CompactionPolicyTest, SmallWindowsFirstThenLargerOnesOfMergedFiles) {
  const CompactionOptions o = Blocks(10 * kMin, 90 * kMin);
  // Three merged 30-minute files make a 90-minute window.
  std::vector<CompactionFile> files = {{0, 30 * kMin - 1, 1},
                                       {30 * kMin, 60 * kMin - 1, 2},
                                       {60 * kMin, 90 * kMin - 1, 3},
                                       {90 * kMin, 100 * kMin - 1, 4},
                                       {100 * kMin, 110 * kMin - 1, 5},
                                       {110 * kMin, 120 * kMin - 1, 6}};
  auto plan = PlanCompaction(files, 2 * kHour, o);
  ASSERT_TRUE(plan.has_value());
  EXPECT_EQ(plan->files, (std::vector<size_t>{3, 4, 5}));  // the 30-minute window first
  files.resize(3);
  plan = PlanCompaction(files, 2 * kHour, o);
  ASSERT_TRUE(plan.has_value());
  EXPECT_EQ(plan->files, (std::vector<size_t>{0, 1, 2}));
  EXPECT_EQ(plan->window.max, 90 * kMin - 1);
  // Nothing larger than the cap: two 90-minute files stay apart.
  EXPECT_FALSE(PlanCompaction(std::vector<CompactionFile>{{0, 90 * kMin - 1, 1},
                                                          {90 * kMin, 180 * kMin - 1, 2}},
                              kDay, o)
                   .has_value());
}

TEST(CompactionPolicyTest, WindowsNeverSpanTwoDays) {
  // Blocks of 7 hours: the third window of a day is cut at midnight.
  const CompactionOptions o = Blocks(7 * kHour, kDay);
  std::vector<CompactionFile> files = {{21 * kHour, kDay - 1, 1},  // day 0's last piece
                                       {kDay, kDay + 7 * kHour - 1, 2}};
  EXPECT_FALSE(PlanCompaction(files, 3 * kDay, o).has_value());
  files.push_back({22 * kHour, 23 * kHour, 3});  // a backfill into day 0's last window
  auto plan = PlanCompaction(files, 3 * kDay, o);
  ASSERT_TRUE(plan.has_value());
  EXPECT_EQ(plan->files, (std::vector<size_t>{0, 2}));
  EXPECT_EQ(plan->window.min, 21 * kHour);
  EXPECT_EQ(plan->window.max, kDay - 1);
}

TEST(CompactionPolicyTest, AWindowWaitsWhileANewerFileOverlapsItFromOutside) {
  const CompactionOptions o = Blocks(10 * kMin, kDay);
  auto files = BlockFiles(0, 10 * kMin, 3, /*version=*/1);
  // A backfill committed after them, spanning [5m, 40m]: it wins its
  // duplicates today; merging the window would make the old rows win.
  files.push_back({5 * kMin, 40 * kMin, 9});
  auto plan = PlanCompaction(files, kDay, o);
  ASSERT_TRUE(plan.has_value());
  // The 90-minute window holds all four.
  EXPECT_EQ(plan->files, (std::vector<size_t>{0, 1, 2, 3}));
  EXPECT_EQ(plan->window.max, 90 * kMin - 1);
  // An older file overlapping from outside does not block the merge.
  files.back().version = 0;
  plan = PlanCompaction(files, kDay, o);
  ASSERT_TRUE(plan.has_value());
  EXPECT_EQ(plan->files, (std::vector<size_t>{0, 1, 2}));
}

TEST(CompactionPolicyTest, NothingBeforeTheFirstPersist) {
  auto files = BlockFiles(0, 2 * kHour, 3);
  EXPECT_FALSE(PlanCompaction(files, INT64_MIN, Blocks(2 * kHour, kDay)).has_value());
  EXPECT_FALSE(PlanCompaction({}, kDay, Blocks(2 * kHour, kDay)).has_value());
}

TEST(ClusterWatermarkTest, TheLowestOfTheWritersStillWriting) {
  EXPECT_EQ(ClusterWatermark({}), INT64_MIN);
  // The compactor's lease and other applications' txns are not watermarks.
  EXPECT_EQ(ClusterWatermark({{"mytsdb.compactor/a", 99 * kDay}, {"spark-job", 5}}), INT64_MIN);
  EXPECT_EQ(ClusterWatermark({{"mytsdb.head/a", 10 * kDay}, {"mytsdb.head/b", 10 * kDay - 5},
                              {"mytsdb.compactor/a", 99 * kDay}, {"mytsdb.headless", 1}}),
            10 * kDay - 5);
  // The unnamed writer of a table before it was shared counts as one.
  EXPECT_EQ(ClusterWatermark({{"mytsdb.head", 10 * kDay - 7}, {"mytsdb.head/b", 10 * kDay}}),
            10 * kDay - 7);
  // A writer more than a day behind the newest has left.
  EXPECT_EQ(ClusterWatermark({{"mytsdb.head/a", 10 * kDay}, {"mytsdb.head/gone", 8 * kDay},
                              {"mytsdb.head/b", 9 * kDay + 1}}),
            9 * kDay + 1);
  EXPECT_EQ(ClusterWatermark({{"mytsdb.head/a", 10 * kDay}, {"mytsdb.head/b", 9 * kDay}}, 2 * kDay),
            9 * kDay);
}

}  // namespace
}  // namespace mytsdb::cold
