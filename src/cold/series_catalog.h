// The cold tier's catalog of series: labels, a dense id per series (the
// files' rows name series by these ids in memory), and the label index
// (postings) that selects them. Built from the files' key columns when the
// table opens, grown by persists, pruned when series leave every file.
//
// Private to the cold module.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "cold/series_id.h"
#include "common/mutex.h"
#include "index/postings.h"
#include "model/label_sets.h"
#include "model/labels.h"

namespace mytsdb::cold {

// Series seen in the files. Thread-safe.
class SeriesCatalog {
 public:
  // The id of a series, adding it if new.
  ColdSeriesId Intern(const model::Labels& labels) EXCLUDES(mu_);
  // The id of the series whose labels are set i of `sets`, if known.
  std::optional<ColdSeriesId> Find(const model::LabelSets& sets, size_t i) const EXCLUDES(mu_);
  // The series' labels; empty for an id freed by RebuildPostings (a read
  // racing with the commit that removed the series' last file).
  model::Labels Labels(ColdSeriesId id) const EXCLUDES(mu_);
  // The same appended to *out, packed (an empty set for a freed id).
  void AppendLabels(ColdSeriesId id, model::LabelSets* out) const EXCLUDES(mu_);
  // SeriesFileOrder (parquet_writer.h) of series a and b, negative, zero or
  // positive, without copying their labels (a freed id has no labels).
  int CompareInFileOrder(ColdSeriesId a, ColdSeriesId b) const EXCLUDES(mu_);
  // The label names of `ids` but the metric name's, sorted, each once.
  std::vector<std::string> LabelNames(std::span<const ColdSeriesId> ids) const EXCLUDES(mu_);
  // Series with labels (not freed).
  size_t size() const EXCLUDES(mu_);
  // Ids handed out so far (freed ones included).
  size_t ids() const EXCLUDES(mu_);
  // The label index. Shared so that a rebuild can replace it while readers
  // still use the old one.
  std::shared_ptr<const index::MemPostings> postings() const EXCLUDES(mu_);
  // Series in no file any more (live[id] false) leave the label index and
  // the catalog; their ids are not handed out again (older snapshots may
  // still name them), and cost 4 bytes once gone. Changes nothing when no
  // series is gone.
  void RebuildPostings(const std::vector<bool>& live) EXCLUDES(mu_);

 private:
  // Where set_[id] says "no labels": an id freed by RebuildPostings.
  static constexpr uint32_t kFreed = UINT32_MAX;

  // Finds the series of `hash` whose labels `equal(sets_, set index)`
  // accepts.
  template <typename Equal>
  std::optional<ColdSeriesId> Lookup(uint64_t hash, Equal&& equal) const REQUIRES(mu_);
  // The set of `id` in sets_, unless freed (or never handed out).
  std::optional<uint32_t> SetOf(ColdSeriesId id) const REQUIRES(mu_);
  // Adds `id` (whose set is in sets_) under `hash`, growing the table.
  void IndexHash(uint64_t hash, ColdSeriesId id) REQUIRES(mu_);

  mutable Mutex mu_;
  // Every series' labels, packed (a few bytes per label, no string objects),
  // set_[id] its set in sets_: about 390 bytes per series less than the map
  // of Labels it replaced (node data set, docs/BENCHMARKS.md).
  model::LabelSets sets_ GUARDED_BY(mu_);
  std::vector<uint32_t> set_ GUARDED_BY(mu_);  // indexed by id
  size_t live_ GUARDED_BY(mu_) = 0;
  // Open addressing by label hash, linear probing, no deletions (a rebuild
  // makes a new table); an empty slot has id kFreed.
  struct Slot {
    uint64_t hash = 0;
    ColdSeriesId id = kFreed;
  };
  std::vector<Slot> table_ GUARDED_BY(mu_);
  std::shared_ptr<index::MemPostings> postings_ GUARDED_BY(mu_) =
      std::make_shared<index::MemPostings>();
};

}  // namespace mytsdb::cold
