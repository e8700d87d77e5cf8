// SeriesSelection: the series a selector matched across both tiers, sorted
// by labels, each once, with where each one's samples are (a head series, a
// cold-tier catalog id, or both; on a read-only node also the samples the
// writers sent, recent_source.h, held here), and the warnings of a partial
// selection (a writer that did not answer).
//
// The labels are packed (model::LabelSets) because a query holds the whole
// selection while it reads the samples a batch at a time: a query over
// every series of a 250,000-series installation held a Labels per series
// (a vector and two strings per label, ~450 bytes with the map that merged
// the tiers, ~110 MB in all) where packed sets take ~60 bytes each.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cold/series_id.h"
#include "index/postings.h"
#include "model/label_sets.h"
#include "model/labels.h"
#include "storage/recent_source.h"

namespace mytsdb::storage {

class SeriesSelection {
 public:
  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }

  model::Labels labels(size_t i) const { return labels_.At(entries_[i].labels); }
  // The value of label `name` of series i, or "".
  std::string_view label(size_t i, std::string_view name) const {
    return labels_.Get(entries_[i].labels, name);
  }
  // Calls fn(name, value) for each label of series i, in name order.
  template <typename Fn>
  void ForEachLabel(size_t i, Fn&& fn) const {
    labels_.ForEach(entries_[i].labels, std::forward<Fn>(fn));
  }
  // Series i's labels as set packed_index(i) of packed_labels(), to look
  // them up without materializing them.
  const model::LabelSets& packed_labels() const { return labels_; }
  size_t packed_index(size_t i) const { return entries_[i].labels; }
  std::optional<index::SeriesRef> head_ref(size_t i) const { return entries_[i].head_ref; }
  std::optional<cold::ColdSeriesId> cold_id(size_t i) const { return entries_[i].cold_id; }
  // The samples the writers sent for series i (empty if none), in time
  // order, each timestamp once.
  std::span<const model::Sample> recent_samples(size_t i) const {
    const uint32_t r = entries_[i].recent;
    return r == kNoRecent ? std::span<const model::Sample>() : std::span<const model::Sample>(recent_[r]);
  }
  // Why the selection may lack samples (a writer that did not answer).
  const std::vector<std::string>& warnings() const { return warnings_; }

  // Building. Series are added in any order, then Finish() sorts them and
  // merges the entries of one series (found in both tiers, or by several
  // selectors). `append_labels(model::LabelSets*)` appends the series'
  // label set; an empty set means the series is gone (removed since it was
  // selected) and Finish drops it.
  template <typename AppendLabels>
  void Add(std::optional<index::SeriesRef> head_ref, std::optional<cold::ColdSeriesId> cold_id,
           AppendLabels&& append_labels) {
    append_labels(&labels_);
    entries_.push_back({static_cast<uint32_t>(labels_.size() - 1), head_ref, cold_id, kNoRecent});
  }
  // Adds a series the writers sent, with its samples (in time order, each
  // timestamp once); at most once per series.
  void AddRecent(RecentSeries series);
  void AddWarning(std::string warning);
  // Adds every series of `other` (the union of two selectors' series).
  void Add(const SeriesSelection& other);
  void Finish();

 private:
  static constexpr uint32_t kNoRecent = UINT32_MAX;
  struct Entry {
    uint32_t labels;  // index into labels_
    std::optional<index::SeriesRef> head_ref;
    std::optional<cold::ColdSeriesId> cold_id;
    uint32_t recent;  // index into recent_, or kNoRecent
  };

  model::LabelSets labels_;  // in the order added; entries_ index them
  std::vector<Entry> entries_;
  std::vector<std::vector<model::Sample>> recent_;
  std::vector<std::string> warnings_;
};

}  // namespace mytsdb::storage
