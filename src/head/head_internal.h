// Private parts of Head shared by head*.cc. Not part of the interface.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "chunk/head_chunk.h"
#include "head/head.h"

namespace mytsdb::head {

// Keeps one copy of every label string the head's series use, counted by
// the series that point into it: the last series to go frees it (so that
// churning label values do not grow memory without end). Thread-safe.
class Head::Interner {
 public:
  // A stable pointer to a copy of `s`, counted once more.
  const std::string* Intern(std::string_view s) EXCLUDES(mu_) {
    MutexLock lock(&mu_);
    auto [it, inserted] = strings_.try_emplace(std::string(s), 0);
    ++it->second;
    return &it->first;  // nodes of an unordered_map never move
  }
  // Counts one use of an interned string less; frees it at zero.
  void Release(const std::string* s) EXCLUDES(mu_) {
    MutexLock lock(&mu_);
    auto it = strings_.find(*s);
    if (it != strings_.end() && --it->second == 0) strings_.erase(it);
  }
  size_t size() const EXCLUDES(mu_) {
    MutexLock lock(&mu_);
    return strings_.size();
  }

 private:
  mutable Mutex mu_;
  std::unordered_map<std::string, uint64_t> strings_ GUARDED_BY(mu_);
};

// One series of the head. Owned by shared pointers: the head's map holds one
// while the series is in the head; a reader holds one for as long as it
// reads, so a series removed meanwhile lives until the reader is done. The
// destructor gives its label strings back to the interner (which the head
// keeps alive longer than any series).
struct Head::MemSeries {
  explicit MemSeries(Interner* interner) : interner(interner) {}
  ~MemSeries() {
    for (const auto& [name, value] : label_refs()) {
      interner->Release(name);
      interner->Release(value);
    }
  }
  MemSeries(const MemSeries&) = delete;
  MemSeries& operator=(const MemSeries&) = delete;

  using LabelRef = std::pair<const std::string*, const std::string*>;

  Interner* const interner;
  SeriesRef ref = 0;
  uint64_t hash = 0;
  // Sorted by name, pointing into the Interner. An array and a count, not a
  // vector: the head holds a million series (docs/design/head.md).
  std::unique_ptr<LabelRef[]> labels;

  // Written only by the appender (under Head::append_mu_) or by replay; the
  // appender's view of the newest sample, used to validate new ones.
  int64_t last_t = INT64_MIN;
  uint64_t last_value_bits = 0;

  mutable CompactMutex mu;
  uint32_t num_labels = 0;  // packed next to the 4-byte mutex
  std::vector<chunk::HeadChunk> chunks GUARDED_BY(mu);
  // What appending to chunks.back() needs besides the chunk.
  chunk::AppendState append_state GUARDED_BY(mu);

  std::span<const LabelRef> label_refs() const { return {labels.get(), num_labels}; }

  bool LabelsEqual(const model::Labels& other) const {
    if (other.size() != num_labels) return false;
    for (size_t i = 0; i < num_labels; ++i) {
      const model::Label& l = other.items()[i];
      if (*labels[i].first != l.name || *labels[i].second != l.value) return false;
    }
    return true;
  }
  void AppendLabelsTo(model::LabelSets* out) const {
    for (const auto& [name, value] : label_refs()) out->AddLabel(*name, *value);
    out->EndSet();
  }
  model::Labels ToLabels() const {
    std::vector<model::Label> out;
    out.reserve(num_labels);
    for (const auto& [name, value] : label_refs()) out.push_back({*name, *value});
    return model::Labels::FromSorted(std::move(out));
  }
};

}  // namespace mytsdb::head
