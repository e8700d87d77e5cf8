// CompactMutex under contention: every increment made under the lock
// survives (TSan, in the sanitizer build, also checks the ordering).
#include "common/mutex.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace mytsdb {
namespace {

TEST(CompactMutexTest, IsFourBytes) { EXPECT_EQ(sizeof(CompactMutex), 4u); }

TEST(CompactMutexTest, ExcludesConcurrentWriters) {
  CompactMutex mu;
  // Not atomic: a lost update means two threads were inside at once.
  int64_t counter = 0;
  constexpr int kThreads = 4, kIncrements = 200000;
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      for (int j = 0; j < kIncrements; ++j) {
        CompactMutexLock lock(&mu);
        // Longer critical sections every so often, so that threads sleep in
        // the lock and are woken, not only spin past each other.
        if (j % 1000 == 0) std::this_thread::yield();
        ++counter;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(counter, int64_t{kThreads} * kIncrements);
}

}  // namespace
}  // namespace mytsdb
