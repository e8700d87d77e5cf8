#include "storage/maintenance_policy.h"

#include <gtest/gtest.h>

namespace mytsdb::storage {
namespace {

constexpr int64_t kBlock = 120'000;

head::HeadStats Spanning(int64_t min_time, int64_t max_time, uint64_t series = 10) {
  head::HeadStats st;
  st.num_series = series;
  st.min_time = min_time;
  st.max_time = max_time;
  return st;
}

TEST(MaintenancePolicyTest, PersistIsDueOnceTheHeadSpansMoreThanOneAndAHalfBlocks) {
  EXPECT_FALSE(PersistDue(Spanning(0, kBlock), kBlock));
  EXPECT_FALSE(PersistDue(Spanning(0, kBlock + kBlock / 2), kBlock));
  EXPECT_TRUE(PersistDue(Spanning(0, kBlock + kBlock / 2 + 1), kBlock));
  EXPECT_FALSE(PersistDue(Spanning(0, 10 * kBlock, /*series=*/0), kBlock));
}

TEST(MaintenancePolicyTest, CompactionYieldsToARunningOrDuePersist) {
  const head::HeadStats steady = Spanning(0, kBlock);
  const head::HeadStats after_restart = Spanning(0, 2 * kBlock);
  EXPECT_TRUE(CompactionMayRun(steady, kBlock, /*persisting=*/false));
  EXPECT_FALSE(CompactionMayRun(steady, kBlock, /*persisting=*/true));
  EXPECT_FALSE(CompactionMayRun(after_restart, kBlock, /*persisting=*/false));
  EXPECT_TRUE(CompactionMayRun(Spanning(0, 0, /*series=*/0), kBlock, false));
}

}  // namespace
}  // namespace mytsdb::storage
