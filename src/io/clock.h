// Clock: where storage reads the time of day. Production code uses
// SystemClock(); tests use a ManualClock to put "now" where they need it
// (retention, the future-sample limit), without sleeping.
#pragma once

#include <atomic>
#include <cstdint>

namespace mytsdb::io {

class Clock {
 public:
  virtual ~Clock() = default;
  // Milliseconds since the Unix epoch, UTC.
  virtual int64_t NowMs() const = 0;
};

// The process's wall clock (std::chrono::system_clock). Lives forever.
Clock* SystemClock();

// A clock that moves only when told to. Thread-safe.
class ManualClock : public Clock {
 public:
  explicit ManualClock(int64_t now_ms) : now_ms_(now_ms) {}
  int64_t NowMs() const override { return now_ms_.load(std::memory_order_relaxed); }
  void Set(int64_t now_ms) { now_ms_.store(now_ms, std::memory_order_relaxed); }
  void Advance(int64_t ms) { now_ms_.fetch_add(ms, std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> now_ms_;
};

}  // namespace mytsdb::io
