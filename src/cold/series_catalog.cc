#include "cold/series_catalog.h"

#include <algorithm>

namespace mytsdb::cold {

ColdSeriesId SeriesCatalog::Intern(model::Labels labels) {
  uint64_t hash = labels.Hash();
  MutexLock lock(&mu_);
  auto it = by_hash_.find(hash);
  if (it != by_hash_.end()) {
    for (ColdSeriesId id : it->second) {
      if (labels_.at(id) == labels) return id;
    }
  }
  ColdSeriesId id = next_id_++;
  // Ids grow, so the postings lists stay sorted by appending.
  postings_->Add(id, labels);
  labels_.emplace(id, std::move(labels));
  by_hash_[hash].push_back(id);
  return id;
}

std::optional<ColdSeriesId> SeriesCatalog::Find(const model::Labels& labels) const {
  MutexLock lock(&mu_);
  auto it = by_hash_.find(labels.Hash());
  if (it == by_hash_.end()) return std::nullopt;
  for (ColdSeriesId id : it->second) {
    if (labels_.at(id) == labels) return id;
  }
  return std::nullopt;
}

model::Labels SeriesCatalog::Labels(ColdSeriesId id) const {
  MutexLock lock(&mu_);
  auto it = labels_.find(id);
  return it == labels_.end() ? model::Labels() : it->second;
}

void SeriesCatalog::AppendLabels(ColdSeriesId id, model::LabelSets* out) const {
  MutexLock lock(&mu_);
  auto it = labels_.find(id);
  if (it == labels_.end()) {
    out->EndSet();
  } else {
    out->Append(it->second);
  }
}

size_t SeriesCatalog::size() const {
  MutexLock lock(&mu_);
  return labels_.size();
}

size_t SeriesCatalog::ids() const {
  MutexLock lock(&mu_);
  return next_id_;
}

std::shared_ptr<const index::MemPostings> SeriesCatalog::postings() const {
  MutexLock lock(&mu_);
  return postings_;
}

void SeriesCatalog::RebuildPostings(const std::vector<bool>& live) {
  MutexLock lock(&mu_);
  auto fresh = std::make_shared<index::MemPostings>();
  // In id order, so that the postings lists come out sorted.
  std::vector<ColdSeriesId> ids;
  ids.reserve(labels_.size());
  for (const auto& [id, labels] : labels_) ids.push_back(id);
  std::sort(ids.begin(), ids.end());
  for (ColdSeriesId id : ids) {
    if (id < live.size() && live[id]) {
      fresh->Add(id, labels_.at(id));
      continue;
    }
    // Gone from every file: the strings and the hash entry go too.
    auto node = labels_.extract(id);
    auto it = by_hash_.find(node.mapped().Hash());
    if (it != by_hash_.end()) {
      std::erase(it->second, id);
      if (it->second.empty()) by_hash_.erase(it);
    }
  }
  postings_ = std::move(fresh);
}

}  // namespace mytsdb::cold
