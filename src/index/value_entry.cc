#include "index/value_entry.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <limits>

namespace mytsdb::index {

ValueKey::ValueKey(std::string_view s) {
  if (s.size() < kHeap && s.size() <= sizeof bytes_) {
    std::memcpy(bytes_, s.data(), s.size());
    tag_ = static_cast<uint8_t>(s.size());
    return;
  }
  if (s.size() > std::numeric_limits<uint32_t>::max()) {
    std::fputs("ValueKey: label value longer than 4 GiB\n", stderr);
    std::abort();
  }
  char* p = new char[s.size()];
  std::memcpy(p, s.data(), s.size());
  const auto n = static_cast<uint32_t>(s.size());
  std::memcpy(bytes_, &p, sizeof p);
  std::memcpy(bytes_ + sizeof p, &n, sizeof n);
  tag_ = kHeap;
}

bool PostingList::Insert(SeriesRef ref) {
  if (size_ == 0 && capacity_ == 0) {
    one_ = ref;
    size_ = 1;
    return true;
  }
  if (capacity_ == 0 && one_ == ref) return false;
  if (size_ == capacity_ || capacity_ == 0) {
    // Grows by half (the vector it replaces doubled: up to half of a long
    // list's memory unused).
    const size_t want = std::max<size_t>(4, size_t{size_} + size_ / 2);
    if (want > std::numeric_limits<uint32_t>::max()) {
      std::fputs("PostingList: more than 2^32 series carry one label value\n", stderr);
      std::abort();
    }
    auto* grown = new SeriesRef[want];
    std::copy_n(refs().data(), size_, grown);
    Adopt(grown, want);
  }
  SeriesRef* data = many_;
  if (data[size_ - 1] < ref) {
    data[size_] = ref;
  } else {
    SeriesRef* at = std::lower_bound(data, data + size_, ref);
    if (at != data + size_ && *at == ref) return false;
    std::copy_backward(at, data + size_, data + size_ + 1);
    *at = ref;
  }
  ++size_;
  return true;
}

size_t PostingList::Remove(std::span<const SeriesRef> sorted) {
  SeriesRef* data = mutable_refs();
  size_t kept = 0;
  auto r = sorted.begin();
  for (size_t i = 0; i < size_; ++i) {
    while (r != sorted.end() && *r < data[i]) ++r;
    if (r != sorted.end() && *r == data[i]) continue;
    data[kept++] = data[i];
  }
  const size_t removed = size_ - kept;
  size_ = static_cast<uint32_t>(kept);
  // Back to the inline form, or to a buffer the size of what is left,
  // once most of the list is gone.
  if (capacity_ != 0 && size_ <= 1) {
    const SeriesRef only = size_ == 1 ? many_[0] : 0;
    delete[] many_;
    capacity_ = 0;
    one_ = only;
  } else if (capacity_ != 0 && size_t{size_} * 4 < capacity_) {
    const size_t want = std::max<size_t>(4, size_t{size_} + size_ / 2);
    auto* shrunk = new SeriesRef[want];
    std::copy_n(many_, size_, shrunk);
    Adopt(shrunk, want);
  }
  return removed;
}

}  // namespace mytsdb::index
