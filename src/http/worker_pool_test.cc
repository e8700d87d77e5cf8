#include "http/worker_pool.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <future>
#include <thread>

namespace mytsdb::http {
namespace {

TEST(WorkerPoolTest, ConcurrentSubmittersAllRun) {
  std::atomic<int> ran{0};
  {
    WorkerPool pool("test", 4, 100000, 0);
    std::vector<std::thread> submitters;
    for (int t = 0; t < 4; ++t) {
      submitters.emplace_back([&] {
        for (int i = 0; i < 1000; ++i) ASSERT_TRUE(pool.Submit([&] { ran.fetch_add(1); }));
      });
    }
    for (auto& t : submitters) t.join();
  }  // the destructor runs what is queued
  EXPECT_EQ(ran.load(), 4000);
}

TEST(WorkerPoolTest, AFullQueueRefusesInsteadOfGrowing) {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<void> started;
  // Declared last, destroyed first: the task finishes before what it uses goes.
  WorkerPool pool("test", 1, 2, 0);
  ASSERT_TRUE(pool.Submit([&] {
    started.set_value();
    released.wait();
  }));
  started.get_future().wait();  // the one thread is busy
  EXPECT_TRUE(pool.Submit([] {}));
  EXPECT_TRUE(pool.Submit([] {}));
  EXPECT_FALSE(pool.Submit([] {}));  // two queued already
  EXPECT_EQ(pool.queued(), 2u);
  EXPECT_EQ(pool.busy(), 1u);
  release.set_value();
}

TEST(WorkerPoolTest, ThreadsRunAtTheirPriority) {
  std::promise<int> nice;
  WorkerPool pool("low", 1, 10, 19);
  int own = getpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)));
  ASSERT_TRUE(pool.Submit([&] {
    nice.set_value(getpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid))));
  }));
  EXPECT_EQ(nice.get_future().get(), std::min(own + 19, 19));
}

}  // namespace
}  // namespace mytsdb::http
