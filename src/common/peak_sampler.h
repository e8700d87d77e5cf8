// PeakSampler: the peak of the process's anonymous RSS (and of one more
// figure, such as an allocator's pool) over a stretch of work, sampled every
// millisecond by a thread. For the memory benchmarks, which report what a
// step takes on top of what the process held before it.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <functional>
#include <string>
#include <thread>

namespace mytsdb {

// RssAnon of /proc/self/status in bytes: what the heap and the stacks hold
// in RAM, without mapped files. 0 where /proc is missing.
inline int64_t RssAnonBytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("RssAnon:", 0) == 0) return std::stoll(line.substr(8)) * 1024;
  }
  return 0;
}

class PeakSampler {
 public:
  explicit PeakSampler(std::function<int64_t()> probe = [] { return int64_t{0}; })
      : probe_(std::move(probe)), rss_peak_(RssAnonBytes()), probe_peak_(probe_()) {
    thread_ = std::thread([this] {
      while (!stop_.load()) {
        rss_peak_ = std::max(rss_peak_.load(), RssAnonBytes());
        probe_peak_ = std::max(probe_peak_.load(), probe_());
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    });
  }
  ~PeakSampler() { Stop(); }
  PeakSampler(const PeakSampler&) = delete;
  PeakSampler& operator=(const PeakSampler&) = delete;

  void Stop() {
    if (thread_.joinable()) {
      stop_ = true;
      thread_.join();
    }
  }
  int64_t rss_peak() const { return rss_peak_; }
  int64_t probe_peak() const { return probe_peak_; }

 private:
  std::function<int64_t()> probe_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> rss_peak_;
  std::atomic<int64_t> probe_peak_;
  std::thread thread_;
};

}  // namespace mytsdb
