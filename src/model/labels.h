// Labels: the identity of a series, a set of name/value pairs sorted by name
// and unique by name. `__name__` holds the metric name.
//
// This is the vocabulary type shared by ingest, WAL, head and queries. The head
// interns label strings separately; Labels owns its strings so that it can
// cross module boundaries freely.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace mytsdb::model {

inline constexpr std::string_view kMetricNameLabel = "__name__";

struct Label {
  std::string name;
  std::string value;

  friend bool operator==(const Label&, const Label&) = default;
  friend auto operator<=>(const Label&, const Label&) = default;
};

class Labels {
 public:
  Labels() = default;
  // Sorts by name; duplicate names are kept (Validate() reports them).
  Labels(std::initializer_list<Label> labels);
  // Takes the labels as they are; call Validate() to check order/uniqueness.
  static Labels FromSorted(std::vector<Label> labels);
  static Labels FromUnsorted(std::vector<Label> labels);

  const std::vector<Label>& items() const { return labels_; }
  size_t size() const { return labels_.size(); }
  bool empty() const { return labels_.empty(); }
  auto begin() const { return labels_.begin(); }
  auto end() const { return labels_.end(); }

  // The value of `name`, or "" if absent (Prometheus treats both alike).
  std::string_view Get(std::string_view name) const;
  bool Has(std::string_view name) const;
  std::string_view metric_name() const { return Get(kMetricNameLabel); }

  // Checks a series identity as the remote-write receiver must: a non-empty
  // metric name, label names valid under `scheme`, names strictly increasing
  // (sorted, no duplicates), values valid UTF-8. Returns InvalidArgument with a
  // message naming the offending label.
  enum class NameScheme { kUtf8, kLegacy };
  Status Validate(NameScheme scheme = NameScheme::kUtf8) const;

  // 64-bit XXH3 hash of names and values, stable across runs and builds.
  // Equal label sets hash equally.
  uint64_t Hash() const;
  // The same hash computed through XXH3's streaming interface, as Hash()
  // does for label sets too large to copy on the stack (and as tests use
  // for reference).
  uint64_t StreamedHash() const;

  // Prometheus notation: metric{a="b", c="d"}.
  std::string ToString() const;
  // Every label in braces, as Prometheus's Labels.String() writes them in
  // error messages: {__name__="metric", a="b"}.
  std::string ToBracedString() const;

  friend bool operator==(const Labels&, const Labels&) = default;
  friend auto operator<=>(const Labels& a, const Labels& b) { return a.labels_ <=> b.labels_; }

 private:
  std::vector<Label> labels_;
};

// Prometheus 3 accepts any non-empty UTF-8 string as a label or metric name
// (kUtf8); the legacy charset is [a-zA-Z_][a-zA-Z0-9_]* for label names and
// [a-zA-Z_:][a-zA-Z0-9_:]* for metric names.
bool IsValidLegacyLabelName(std::string_view name);
bool IsValidLegacyMetricName(std::string_view name);
bool IsValidUtf8(std::string_view s);

}  // namespace mytsdb::model
