#include "storage/series_selection.h"

#include <algorithm>

namespace mytsdb::storage {

void SeriesSelection::Add(const SeriesSelection& other) {
  for (const Entry& e : other.entries_) {
    Add(e.head_ref, e.cold_id,
        [&](model::LabelSets* out) { out->AppendFrom(other.labels_, e.labels); });
  }
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
      continue;
    }
    entries_[kept++] = entries_[i];
  }
  entries_.resize(kept);
}

}  // namespace mytsdb::storage
