#include "storage/series_selection.h"

#include <algorithm>

namespace mytsdb::storage {

void SeriesSelection::AddRecent(RecentSeries series) {
  labels_.Append(series.labels);
  recent_.push_back(std::move(series.samples));
  entries_.push_back({static_cast<uint32_t>(labels_.size() - 1), std::nullopt, std::nullopt,
                      static_cast<uint32_t>(recent_.size() - 1)});
}

void SeriesSelection::AddWarning(std::string warning) {
  if (std::find(warnings_.begin(), warnings_.end(), warning) == warnings_.end()) {
    warnings_.push_back(std::move(warning));
  }
}

void SeriesSelection::Add(const SeriesSelection& other) {
  for (const Entry& e : other.entries_) {
    Add(e.head_ref, e.cold_id,
        [&](model::LabelSets* out) { out->AppendFrom(other.labels_, e.labels); });
    if (e.recent != kNoRecent) {
      recent_.push_back(other.recent_[e.recent]);
      entries_.back().recent = static_cast<uint32_t>(recent_.size() - 1);
    }
  }
  for (const std::string& w : other.warnings_) AddWarning(w);
}

void SeriesSelection::Finish() {
  std::erase_if(entries_, [&](const Entry& e) { return labels_.IsEmpty(e.labels); });
  std::sort(entries_.begin(), entries_.end(), [&](const Entry& a, const Entry& b) {
    return labels_.Compare(a.labels, b.labels) < 0;
  });
  // One entry per series, with what each of its entries knew.
  size_t kept = 0;
  for (size_t i = 0; i < entries_.size(); ++i) {
    if (kept > 0 && labels_.Compare(entries_[kept - 1].labels, entries_[i].labels) == 0) {
      Entry& into = entries_[kept - 1];
      if (!into.head_ref) into.head_ref = entries_[i].head_ref;
      if (!into.cold_id) into.cold_id = entries_[i].cold_id;
      // Two selectors' answers from the writers for one series hold the
      // same samples (the same range was asked).
      if (into.recent == kNoRecent) into.recent = entries_[i].recent;
      continue;
    }
    entries_[kept++] = entries_[i];
  }
  entries_.resize(kept);
}

}  // namespace mytsdb::storage
