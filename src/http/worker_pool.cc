#include "http/worker_pool.h"

#include <spdlog/spdlog.h>

#include "common/thread_priority.h"

namespace mytsdb::http {
namespace {
thread_local bool lowered_priority = false;
}  // namespace

bool WorkerPool::OnLoweredPriorityThread() { return lowered_priority; }

WorkerPool::WorkerPool(std::string name, int threads, size_t max_queue, int nice)
    : name_(std::move(name)), max_queue_(max_queue) {
  for (int i = 0; i < std::max(threads, 1); ++i) threads_.emplace_back([this, nice] { Loop(nice); });
}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  for (std::thread& t : threads_) t.join();
}

bool WorkerPool::Submit(std::function<void()> task) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_ || queue_.size() >= max_queue_) return false;
    queue_.push_back(std::move(task));
  }
  cv_.notify_one();
  return true;
}

size_t WorkerPool::queued() const {
  std::lock_guard<std::mutex> lock(mu_);
  return queue_.size();
}

size_t WorkerPool::busy() const {
  std::lock_guard<std::mutex> lock(mu_);
  return busy_;
}

void WorkerPool::Loop(int nice) {
  if (nice > 0) lowered_priority = true;
  Status lowered = LowerThisThreadPriority(nice);
  if (!lowered.ok()) spdlog::warn("http: {} thread: {}", name_, lowered.message());
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping and drained
    std::function<void()> task = std::move(queue_.front());
    queue_.pop_front();
    ++busy_;
    lock.unlock();
    try {
      task();
    } catch (const std::exception& e) {
      spdlog::error("http: a {} task threw: {}", name_, e.what());
    }
    lock.lock();
    --busy_;
  }
}

}  // namespace mytsdb::http
