#include "common/thread_priority.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <thread>

namespace mytsdb {
namespace {

int ThisThreadNice() {
  return ::getpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)));
}

TEST(ThreadPriorityTest, RunsTheFunctionOnALowerPriorityThreadAndLeavesTheCallerAlone) {
  const int before = ThisThreadNice();
  int inside = before;
  std::thread::id runner;
  ASSERT_TRUE(RunAtLowerPriority(5, [&] {
                inside = ThisThreadNice();
                runner = std::this_thread::get_id();
              }).ok());
  EXPECT_EQ(inside, std::min(before + 5, 19));
  EXPECT_NE(runner, std::this_thread::get_id());
  EXPECT_EQ(ThisThreadNice(), before);
}

TEST(ThreadPriorityTest, ZeroChangesNothing) {
  const int before = ThisThreadNice();
  int inside = -100;
  ASSERT_TRUE(RunAtLowerPriority(0, [&] { inside = ThisThreadNice(); }).ok());
  EXPECT_EQ(inside, before);
}

}  // namespace
}  // namespace mytsdb
