// WorkerPool: threads that run HTTP handlers, one pool per kind of work, so
// that slow queries never take the threads remote write needs.
//
// Each pool has a fixed number of threads running at a CPU priority (nice
// value: the query pool runs below ingestion) and a bounded queue; Submit
// refuses a task when the queue is full, and the server answers 503 then.
// Thread-safe.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace mytsdb::http {

class WorkerPool {
 public:
  // `nice`: added to the threads' nice value (0: the process's priority,
  // 19: the lowest); failures to change it are logged, not fatal.
  WorkerPool(std::string name, int threads, size_t max_queue, int nice);
  // Runs what is queued, then joins the threads.
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues `task`; false if max_queue tasks are waiting already.
  bool Submit(std::function<void()> task);
  size_t queued() const;
  size_t busy() const;  // tasks running now
  int threads() const { return static_cast<int>(threads_.size()); }
  const std::string& name() const { return name_; }
  // True on a thread of a pool created with nice > 0: what such a thread
  // hands to threads of normal priority goes through a Relay (relay.h).
  static bool OnLoweredPriorityThread();

 private:
  void Loop(int nice);

  const std::string name_;
  const size_t max_queue_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;  // guarded by mu_
  size_t busy_ = 0;                          // guarded by mu_
  bool stop_ = false;                        // guarded by mu_
  std::vector<std::thread> threads_;
};

}  // namespace mytsdb::http
