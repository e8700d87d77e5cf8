// LabelSets: many label sets packed into one buffer, for the bulk paths that
// hold every series at once (persisting the head, checkpointing the WAL;
// the cold catalog keeps its series so). A Labels costs a vector and a string
// object per label, about 250 bytes for three short labels; packed, a set
// costs its characters and a byte per length, so that 250,000 series take
// about 12 MB instead of 65 MB while a persist runs.
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "model/labels.h"

namespace mytsdb::model {

class LabelSets {
 public:
  size_t size() const { return ends_.size(); }
  bool empty() const { return ends_.empty(); }
  void reserve(size_t sets) { ends_.reserve(sets); }
  // Forgets every set, keeping the buffers for reuse.
  void clear() {
    data_.clear();
    ends_.clear();
  }
  // Bytes held, for logs and tests.
  size_t bytes() const { return data_.capacity() + ends_.capacity() * sizeof(uint64_t); }

  void Append(const Labels& labels);
  // Builds the next set one label at a time, in name order; EndSet() closes
  // it (a set may be empty).
  void AddLabel(std::string_view name, std::string_view value);
  void EndSet() { ends_.push_back(data_.size()); }
  // Appends set i of `other` as it is (no unpacking).
  void AppendFrom(const LabelSets& other, size_t i);

  // Whether set i has no labels.
  bool IsEmpty(size_t i) const { return ends_[i] == (i == 0 ? 0 : ends_[i - 1]); }

  Labels At(size_t i) const;
  // The value of `name` in set i, or "" (as Labels::Get).
  std::string_view Get(size_t i, std::string_view name) const;
  std::string_view metric_name(size_t i) const { return Get(i, kMetricNameLabel); }
  // Labels' order (operator<=>) of sets a and b, without materializing them.
  std::weak_ordering Compare(size_t a, size_t b) const;
  // Labels::Hash() of set i, and whether set i equals `labels`, without
  // materializing it (looking a series up by hash).
  uint64_t Hash(size_t i) const;
  bool Equals(size_t i, const Labels& labels) const;
  // Whether set i equals set j of `other` (the packing is canonical: equal
  // sets have equal bytes).
  bool SameSet(size_t i, const LabelSets& other, size_t j) const {
    Cursor a = Begin(i), b = other.Begin(j);
    return std::string_view(a.p, a.end - a.p) == std::string_view(b.p, b.end - b.p);
  }

  // Calls fn(name, value) for each label of set i, in name order.
  template <typename Fn>
  void ForEach(size_t i, Fn&& fn) const {
    Cursor c = Begin(i);
    std::string_view name, value;
    while (c.Next(&name, &value)) fn(name, value);
  }

 private:
  struct Cursor {
    const char* p;
    const char* end;
    bool Next(std::string_view* name, std::string_view* value);
  };
  Cursor Begin(size_t i) const {
    const char* base = data_.data();
    return {base + (i == 0 ? 0 : ends_[i - 1]), base + ends_[i]};
  }

  // Per label: varint length, name, varint length, value.
  std::string data_;
  std::vector<uint64_t> ends_;  // set i is data_[ends_[i - 1], ends_[i])
};

}  // namespace mytsdb::model
