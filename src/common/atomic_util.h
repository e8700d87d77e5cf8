// Small helpers over std::atomic.
#pragma once

#include <atomic>

namespace mytsdb {

// Raises `a` to `v` if `v` is larger; safe against concurrent updates.
template <typename T>
void AtomicMax(std::atomic<T>* a, T v) {
  T cur = a->load(std::memory_order_relaxed);
  while (v > cur && !a->compare_exchange_weak(cur, v)) {
  }
}

// Lowers `a` to `v` if `v` is smaller.
template <typename T>
void AtomicMin(std::atomic<T>* a, T v) {
  T cur = a->load(std::memory_order_relaxed);
  while (v < cur && !a->compare_exchange_weak(cur, v)) {
  }
}

}  // namespace mytsdb
