// The head's series by label hash: an open-addressing table (linear
// probing, backward-shift deletion) of (hash, series) pairs. Finding a
// series costs one cache line of the table plus the series itself, where a
// node-based map of vectors cost three or four cache misses before the
// first label comparison; on remote-write ingestion, where every sample
// looks up a different series, that lookup was the single largest cost.
//
// Several series may share a hash (a collision): Find takes a predicate
// that compares labels. Not thread-safe: the head guards it with its
// series lock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace mytsdb::head {

template <typename T>
class SeriesTable {
 public:
  // The first value stored under `hash` for which is_it(value) holds.
  template <typename Pred>
  T* Find(uint64_t hash, Pred is_it) const {
    if (slots_.empty()) return nullptr;
    const size_t mask = slots_.size() - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
      const Slot& s = slots_[i];
      if (s.value == nullptr) return nullptr;
      if (s.hash == hash && is_it(s.value)) return s.value;
    }
  }

  // Adds value (not null) under hash; the same pair must not be added twice.
  void Insert(uint64_t hash, T* value) {
    if ((size_ + 1) * 2 > slots_.size()) Grow();
    Place(hash, value);
    ++size_;
  }

  // Removes the pair (hash, value); false if it was not there.
  bool Erase(uint64_t hash, T* value) {
    if (slots_.empty()) return false;
    const size_t mask = slots_.size() - 1;
    size_t i = hash & mask;
    for (;; i = (i + 1) & mask) {
      if (slots_[i].value == nullptr) return false;
      if (slots_[i].hash == hash && slots_[i].value == value) break;
    }
    // Backward shift: move later entries of the probe run into the hole
    // unless their home slot lies cyclically after the hole.
    for (size_t j = (i + 1) & mask; slots_[j].value != nullptr; j = (j + 1) & mask) {
      size_t home = slots_[j].hash & mask;
      bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
      if (stays) continue;
      slots_[i] = slots_[j];
      i = j;
    }
    slots_[i] = Slot{};
    --size_;
    return true;
  }

  size_t size() const { return size_; }

 private:
  struct Slot {
    uint64_t hash = 0;
    T* value = nullptr;  // null: empty
  };

  void Place(uint64_t hash, T* value) {
    const size_t mask = slots_.size() - 1;
    size_t i = hash & mask;
    while (slots_[i].value != nullptr) i = (i + 1) & mask;
    slots_[i] = Slot{hash, value};
  }

  // Doubles the slots (at most half are used, so probe runs stay short).
  void Grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(old.empty() ? 64 : old.size() * 2, Slot{});
    for (const Slot& s : old) {
      if (s.value != nullptr) Place(s.hash, s.value);
    }
  }

  std::vector<Slot> slots_;  // a power of two
  size_t size_ = 0;
};

}  // namespace mytsdb::head
