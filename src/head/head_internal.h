// Private parts of Head shared by head*.cc. Not part of the interface.
#pragma once

#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "chunk/xor_chunk.h"
#include "head/head.h"

namespace mytsdb::head {

// Keeps one copy of every label string; series point into it. Strings are
// never freed while the head lives (series are not deleted before the cold
// tier truncates the head). Thread-safe.
class Head::Interner {
 public:
  const std::string* Intern(std::string_view s) EXCLUDES(mu_) {
    MutexLock lock(&mu_);
    auto it = strings_.find(s);
    if (it == strings_.end()) it = strings_.emplace(s).first;
    return &*it;  // nodes of an unordered_set never move
  }
  size_t size() const EXCLUDES(mu_) {
    MutexLock lock(&mu_);
    return strings_.size();
  }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  mutable Mutex mu_;
  std::unordered_set<std::string, Hash, std::equal_to<>> strings_ GUARDED_BY(mu_);
};

struct Head::MemSeries {
  SeriesRef ref = 0;
  uint64_t hash = 0;
  // Sorted by name, pointing into the Interner.
  std::vector<std::pair<const std::string*, const std::string*>> labels;

  // Written only by the appender (under Head::append_mu_) or by replay; the
  // appender's view of the newest sample, used to validate new ones.
  int64_t last_t = INT64_MIN;
  uint64_t last_value_bits = 0;

  mutable Mutex mu;
  std::vector<chunk::XorChunk> chunks GUARDED_BY(mu);

  bool LabelsEqual(const model::Labels& other) const {
    if (other.size() != labels.size()) return false;
    for (size_t i = 0; i < labels.size(); ++i) {
      const model::Label& l = other.items()[i];
      if (*labels[i].first != l.name || *labels[i].second != l.value) return false;
    }
    return true;
  }
  model::Labels ToLabels() const {
    std::vector<model::Label> out;
    out.reserve(labels.size());
    for (const auto& [name, value] : labels) out.push_back({*name, *value});
    return model::Labels::FromSorted(std::move(out));
  }
};

}  // namespace mytsdb::head
