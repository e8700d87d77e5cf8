#include "http/relay.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>
#include <vector>

namespace mytsdb::http {
namespace {

TEST(RelayTest, ConcurrentProducersTasksAllRunInEachProducersOrder) {
  constexpr int kProducers = 4, kTasks = 5000;
  std::vector<std::vector<int>> seen(kProducers);  // touched by the relay thread only
  {
    Relay relay;
    std::vector<std::thread> producers;
    for (int p = 0; p < kProducers; ++p) {
      producers.emplace_back([&, p] {
        for (int i = 0; i < kTasks; ++i) relay.Post([&seen, p, i] { seen[p].push_back(i); });
      });
    }
    for (auto& t : producers) t.join();
  }  // the destructor runs what is pending
  for (int p = 0; p < kProducers; ++p) {
    ASSERT_EQ(seen[p].size(), static_cast<size_t>(kTasks));
    for (int i = 0; i < kTasks; ++i) ASSERT_EQ(seen[p][i], i) << "producer " << p;
  }
}

TEST(RelayTest, TasksRunOnTheRelayThreadAndAThrowingTaskDoesNotStopIt) {
  std::promise<std::thread::id> ran_on;
  Relay relay;  // declared last, destroyed first: its tasks end before the promise goes
  relay.Post([] { throw std::runtime_error("a bad task"); });
  relay.Post([&] { ran_on.set_value(std::this_thread::get_id()); });
  std::thread::id id = ran_on.get_future().get();
  EXPECT_NE(id, std::this_thread::get_id());
}

TEST(RelayTest, WakesAfterIdling) {
  std::promise<void> done[3];
  Relay relay;
  for (auto& round : done) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // the relay thread sleeps
    relay.Post([&round] { round.set_value(); });
    ASSERT_EQ(round.get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready);
  }
}

}  // namespace
}  // namespace mytsdb::http
