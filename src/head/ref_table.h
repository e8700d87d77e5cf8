// The head's series by ref. The head hands refs out in increasing order from
// 1, so a paged array indexes them directly: 8 bytes a series (the owning
// pointer) where a std::unordered_map took about 40 (node, key and bucket;
// docs/BENCHMARKS.md, "Memory per series on churn"). A page whose series are
// all gone is freed, so a workload whose series come and go (each new pod a
// new ref) keeps only the pages that still hold some, from the first of
// them on. Refs of 2^32 and more (none the head hands out; a replayed WAL
// could hold any) go to a map.
//
// Not thread-safe: the head guards it with its series lock.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <unordered_map>

namespace mytsdb::head {

template <typename T>  // a pointer-like owner: T{} is empty
class RefTable {
 public:
  // The value stored under `ref`, or nullptr.
  const T* Find(uint64_t ref) const {
    if (ref >= kMaxArrayRef) {
      auto it = overflow_.find(ref);
      return it == overflow_.end() ? nullptr : &it->second;
    }
    const uint64_t page = ref >> kPageBits;
    if (page < first_page_ || page - first_page_ >= pages_.size()) return nullptr;
    const Page* p = pages_[page - first_page_].get();
    if (p == nullptr) return nullptr;
    const T& slot = p->slots[ref & kSlotMask];
    return slot ? &slot : nullptr;
  }

  // Stores `value` (not empty) under `ref`; false, changing nothing, if
  // `ref` holds one already.
  bool Insert(uint64_t ref, T value) {
    if (ref >= kMaxArrayRef) {
      bool inserted = overflow_.emplace(ref, std::move(value)).second;
      size_ += inserted;
      return inserted;
    }
    const uint64_t page = ref >> kPageBits;
    if (pages_.empty()) first_page_ = page;
    for (; page < first_page_; --first_page_) pages_.emplace_front();
    if (page - first_page_ >= pages_.size()) pages_.resize(page - first_page_ + 1);
    std::unique_ptr<Page>& p = pages_[page - first_page_];
    if (p == nullptr) p = std::make_unique<Page>();
    T& slot = p->slots[ref & kSlotMask];
    if (slot) return false;
    slot = std::move(value);
    ++p->count;
    ++size_;
    return true;
  }

  size_t size() const { return size_; }

  // Calls erase(ref, value) for every value, in increasing ref order, and
  // removes those for which it returns true.
  template <typename F>
  void EraseIf(F erase) {
    for (size_t k = 0; k < pages_.size(); ++k) {
      Page* p = pages_[k].get();
      if (p == nullptr) continue;
      const uint64_t page = first_page_ + k;
      for (size_t i = 0; i < p->slots.size(); ++i) {
        T& slot = p->slots[i];
        if (!slot || !erase((page << kPageBits) | i, slot)) continue;
        slot = T{};
        --p->count;
        --size_;
      }
      if (p->count == 0) pages_[k].reset();
    }
    while (!pages_.empty() && pages_.back() == nullptr) pages_.pop_back();
    while (!pages_.empty() && pages_.front() == nullptr) {
      pages_.pop_front();
      ++first_page_;
    }
    for (auto it = overflow_.begin(); it != overflow_.end();) {
      if (erase(it->first, it->second)) {
        it = overflow_.erase(it);
        --size_;
      } else {
        ++it;
      }
    }
  }

 private:
  static constexpr int kPageBits = 10;  // 1,024 series, 8 KiB a page
  static constexpr uint64_t kSlotMask = (uint64_t{1} << kPageBits) - 1;
  // Refs below 2^32 in the array: at most 4 Mi page pointers (32 MiB),
  // however the refs lie.
  static constexpr uint64_t kMaxArrayRef = uint64_t{1} << 32;

  struct Page {
    std::array<T, size_t{1} << kPageBits> slots{};
    uint32_t count = 0;
  };
  std::deque<std::unique_ptr<Page>> pages_;  // pages first_page_, first_page_ + 1, ...
  uint64_t first_page_ = 0;
  std::unordered_map<uint64_t, T> overflow_;
  size_t size_ = 0;
};

}  // namespace mytsdb::head
