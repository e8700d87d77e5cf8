// Postings: sorted lists of series ids, and the in-memory label index that maps
// every label name/value pair to the series that carry it.
//
// The index answers a series selector (a list of matchers) with Prometheus's
// semantics (tsdb/querier.go PostingsForMatchers): a matcher that accepts the
// empty string also selects series that lack the label.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/mutex.h"
#include "index/value_entry.h"
#include "model/labels.h"
#include "model/matcher.h"

namespace mytsdb::index {

// Always sorted ascending, without duplicates.
using Postings = std::vector<SeriesRef>;

Postings Intersect(const Postings& a, const Postings& b);
Postings Union(std::span<const std::span<const SeriesRef>> lists);
// Elements of `a` that are not in `b`.
Postings Difference(const Postings& a, const Postings& b);

// A name and a count, for the cardinality statistics.
struct CountStat {
  std::string name;
  uint64_t count = 0;
  bool operator==(const CountStat&) const = default;
};

// The label index's cardinality, as Prometheus's /api/v1/status/tsdb shows
// it (tsdb/index MemPostings.Stats): each list holds the `limit` largest
// entries, largest first (ties by name).
struct PostingsStats {
  std::vector<CountStat> series_by_metric;           // values of the given label
  std::vector<CountStat> values_by_label;            // distinct values per label name
  std::vector<CountStat> bytes_by_label;             // Prometheus's size estimate per name
  std::vector<CountStat> series_by_label_pair;       // "name=value"
  uint64_t num_label_pairs = 0;
};

// Label index of the head. Thread-safe: Add and Remove take the writer lock,
// queries the reader lock. Series ids must be added in increasing order (the
// head hands them out that way), which keeps every list sorted by appending.
class MemPostings {
 public:
  void Add(SeriesRef ref, const model::Labels& labels) EXCLUDES(mu_);
  // Removes series, given with the labels they were added with. One pass
  // over each affected list, however many series go.
  void Remove(std::span<const std::pair<SeriesRef, model::Labels>> series) EXCLUDES(mu_);

  // Series whose labels satisfy every matcher. An empty matcher list selects
  // nothing.
  Postings Select(const model::Matchers& matchers) const EXCLUDES(mu_);
  Postings All() const EXCLUDES(mu_);

  // Sorted label names / values of a name that some series carries.
  std::vector<std::string> LabelNames() const EXCLUDES(mu_);
  std::vector<std::string> LabelValues(std::string_view name) const EXCLUDES(mu_);

  // Number of distinct name/value pairs and total postings entries, for
  // memory accounting.
  size_t num_pairs() const EXCLUDES(mu_);
  size_t num_entries() const EXCLUDES(mu_);

  // Cardinality statistics; `metric_label` is the label whose values count
  // as metrics ("__name__"). One pass under the reader lock.
  PostingsStats Stats(std::string_view metric_label, size_t limit) const EXCLUDES(mu_);

 private:
  using ValueMap = std::map<ValueKey, PostingList, ValueKeyLess>;
  // Union of the lists of `name` whose value satisfies `pred`.
  template <typename Pred>
  Postings UnionWhere(std::string_view name, Pred pred) const REQUIRES_SHARED(mu_);

  mutable SharedMutex mu_;
  std::map<std::string, ValueMap, std::less<>> index_ GUARDED_BY(mu_);
  Postings all_ GUARDED_BY(mu_);
  size_t num_entries_ GUARDED_BY(mu_) = 0;
};

}  // namespace mytsdb::index
