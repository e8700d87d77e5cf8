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
#include <unordered_map>
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
  ColdSeriesId Intern(model::Labels labels) EXCLUDES(mu_);
  std::optional<ColdSeriesId> Find(const model::Labels& labels) const EXCLUDES(mu_);
  // The series' labels; empty for an id freed by RebuildPostings (a read
  // racing with the commit that removed the series' last file).
  model::Labels Labels(ColdSeriesId id) const EXCLUDES(mu_);
  // The same appended to *out, packed (an empty set for a freed id).
  void AppendLabels(ColdSeriesId id, model::LabelSets* out) const EXCLUDES(mu_);
  // Series with labels (not freed).
  size_t size() const EXCLUDES(mu_);
  // Ids handed out so far (freed ones included).
  size_t ids() const EXCLUDES(mu_);
  // The label index. Shared so that a rebuild can replace it while readers
  // still use the old one.
  std::shared_ptr<const index::MemPostings> postings() const EXCLUDES(mu_);
  // Series in no file any more (live[id] false) leave the label index and
  // the catalog; their ids are not handed out again (older snapshots may
  // still name them), and cost nothing once gone.
  void RebuildPostings(const std::vector<bool>& live) EXCLUDES(mu_);

 private:
  mutable Mutex mu_;
  std::unordered_map<ColdSeriesId, model::Labels> labels_ GUARDED_BY(mu_);
  ColdSeriesId next_id_ GUARDED_BY(mu_) = 0;
  std::unordered_map<uint64_t, std::vector<ColdSeriesId>> by_hash_ GUARDED_BY(mu_);
  std::shared_ptr<index::MemPostings> postings_ GUARDED_BY(mu_) =
      std::make_shared<index::MemPostings>();
};

}  // namespace mytsdb::cold
