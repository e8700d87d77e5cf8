#include "search/second_core.h"

#include <immintrin.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace mytsdb::search {

namespace {

// The helper spins this long for the next task before it sleeps: a
// question's products follow each other within tens of microseconds, and
// waking a sleeping thread costs about as much.
constexpr auto kSpin = std::chrono::microseconds(200);

class SecondCore {
 public:
  SecondCore() : thread_([this] { Loop(); }) {}

  void Run(const std::function<void(int)>& part) {
    std::unique_lock busy(busy_, std::try_to_lock);
    if (!busy.owns_lock()) {
      part(0);
      part(1);
      return;
    }
    done_.store(false, std::memory_order_relaxed);
    {
      std::lock_guard lock(mu_);
      task_.store(&part, std::memory_order_release);
    }
    wake_.notify_one();
    part(0);
    // The helper's half takes as long as this one: spin a little, then let
    // the scheduler run it if it lost its core (more threads than cores).
    const auto until = std::chrono::steady_clock::now() + kSpin;
    while (!done_.load(std::memory_order_acquire)) {
      if (std::chrono::steady_clock::now() < until) {
        _mm_pause();
      } else {
        std::this_thread::yield();
      }
    }
  }

 private:
  void Loop() {
    for (;;) {
      const std::function<void(int)>* task = nullptr;
      const auto until = std::chrono::steady_clock::now() + kSpin;
      while ((task = task_.load(std::memory_order_acquire)) == nullptr && std::chrono::steady_clock::now() < until) {
        _mm_pause();
      }
      if (task == nullptr) {
        std::unique_lock lock(mu_);
        wake_.wait(lock, [&] { return (task = task_.load(std::memory_order_acquire)) != nullptr; });
      }
      task_.store(nullptr, std::memory_order_relaxed);
      (*task)(1);
      done_.store(true, std::memory_order_release);
    }
  }

  std::mutex busy_;  // held by the caller that has the helper
  std::mutex mu_;
  std::condition_variable wake_;
  std::atomic<const std::function<void(int)>*> task_{nullptr};
  std::atomic<bool> done_{false};
  std::thread thread_;
};

}  // namespace

void RunOnTwoCores(const std::function<void(int part)>& part) {
  static const bool two_cores = std::thread::hardware_concurrency() >= 2;
  if (!two_cores) {
    part(0);
    part(1);
    return;
  }
  // Never destroyed: its thread lives as long as the process (it waits
  // with every signal blocked, as the thread that first asks for it).
  static SecondCore* core = new SecondCore();
  core->Run(part);
}

}  // namespace mytsdb::search
