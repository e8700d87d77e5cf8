// The two halves of one label value's entry in MemPostings, each in 16
// bytes: the value (ValueKey) and the series that carry it (PostingList).
// A churning workload gives most label values to a single series (every pod
// its own name), so the index holds about one entry per series; as a
// std::string and a std::vector in a std::map node, with the vector's own
// allocation, such an entry took 104 bytes, and takes 64 this way
// (docs/BENCHMARKS.md, "Memory per series on churn").
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string_view>

namespace mytsdb::index {

using SeriesRef = uint64_t;

// A string of up to 15 bytes kept inline, a longer one on the heap.
class ValueKey {
 public:
  explicit ValueKey(std::string_view s);
  ValueKey(ValueKey&& other) noexcept { Take(other); }
  ValueKey& operator=(ValueKey&& other) noexcept {
    if (this != &other) {
      Free();
      Take(other);
    }
    return *this;
  }
  ValueKey(const ValueKey&) = delete;
  ValueKey& operator=(const ValueKey&) = delete;
  ~ValueKey() { Free(); }

  std::string_view view() const {
    if (tag_ != kHeap) return {bytes_, tag_};
    const char* p;
    uint32_t n;
    std::memcpy(&p, bytes_, sizeof p);
    std::memcpy(&n, bytes_ + sizeof p, sizeof n);
    return {p, n};
  }

 private:
  static constexpr uint8_t kHeap = 0xff;  // tag_: else the inline length
  void Free() {
    if (tag_ == kHeap) delete[] view().data();
    tag_ = 0;
  }
  void Take(ValueKey& other) {
    std::memcpy(bytes_, other.bytes_, sizeof bytes_);
    tag_ = other.tag_;
    other.tag_ = 0;  // the heap bytes, if any, are this one's now
  }

  char bytes_[15];  // the string, or a pointer and a 32-bit length
  uint8_t tag_ = 0;
};
static_assert(sizeof(ValueKey) == 16);

// Orders ValueKeys as their strings, and finds them by string_view.
struct ValueKeyLess {
  using is_transparent = void;
  bool operator()(const ValueKey& a, const ValueKey& b) const { return a.view() < b.view(); }
  bool operator()(const ValueKey& a, std::string_view b) const { return a.view() < b; }
  bool operator()(std::string_view a, const ValueKey& b) const { return a < b.view(); }
};

// A sorted list of series refs that holds one without an allocation.
class PostingList {
 public:
  PostingList() = default;
  PostingList(PostingList&& other) noexcept { Take(other); }
  PostingList& operator=(PostingList&& other) noexcept {
    if (this != &other) {
      Free();
      Take(other);
    }
    return *this;
  }
  PostingList(const PostingList&) = delete;
  PostingList& operator=(const PostingList&) = delete;
  ~PostingList() { Free(); }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::span<const SeriesRef> refs() const {
    return {capacity_ == 0 ? &one_ : many_, size_};
  }

  // Adds `ref` in order (the head adds increasing refs: an append); false
  // if it was there already.
  bool Insert(SeriesRef ref);
  // Removes the refs of `sorted` that it holds; returns how many.
  size_t Remove(std::span<const SeriesRef> sorted);

 private:
  void Free() {
    if (capacity_ != 0) delete[] many_;
    capacity_ = 0;
    size_ = 0;
  }
  void Take(PostingList& other) {
    size_ = other.size_;
    capacity_ = other.capacity_;
    if (capacity_ == 0) {
      one_ = other.one_;
    } else {
      many_ = other.many_;
    }
    other.size_ = 0;
    other.capacity_ = 0;
  }
  SeriesRef* mutable_refs() { return capacity_ == 0 ? &one_ : many_; }
  // Moves to `buffer` (holding the size_ refs already), freeing the old one.
  void Adopt(SeriesRef* buffer, size_t capacity) {
    if (capacity_ != 0) delete[] many_;
    many_ = buffer;
    capacity_ = static_cast<uint32_t>(capacity);
  }

  // capacity_ 0: at most one ref, in one_; else many_ holds capacity_.
  union {
    SeriesRef one_ = 0;
    SeriesRef* many_;
  };
  uint32_t size_ = 0;
  uint32_t capacity_ = 0;
};
static_assert(sizeof(PostingList) == 16);

}  // namespace mytsdb::index
