// Relay: runs short tasks handed over by low-priority threads on one thread
// of normal priority, with no lock the two sides share.
//
// Why: query workers run at nice +19 so that ingestion keeps the CPU. When
// such a worker posted its response straight into the I/O context it took
// the context's mutex; the wake-up it caused made the woken I/O thread (nice
// 0) preempt it while it still held that mutex, and every I/O thread then
// waited for a nice +19 thread to be scheduled again: remote-write latency
// rose with the number of running queries (priority inversion, seen with
// `perf sched`). Through the relay a worker only pushes onto a lock-free list
// and wakes the relay thread, which does the posting at normal priority.
#pragma once

#include <atomic>
#include <functional>
#include <thread>

namespace mytsdb::http {

class Relay {
 public:
  Relay();
  // Runs what was handed over, then joins the thread.
  ~Relay();
  Relay(const Relay&) = delete;
  Relay& operator=(const Relay&) = delete;

  // Thread-safe and lock-free: `task` runs soon on the relay thread, tasks
  // from one thread in the order they were handed over. Tasks must be short
  // (a post to an executor): they run one after another.
  void Post(std::function<void()> task);

 private:
  struct Node {
    std::function<void()> task;
    Node* next = nullptr;
  };
  void Loop();

  // A stack of handed-over tasks (Treiber): producers push with a CAS, the
  // relay thread takes it whole and runs it oldest first.
  std::atomic<Node*> pending_{nullptr};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace mytsdb::http
