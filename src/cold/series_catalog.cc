#include "cold/series_catalog.h"

#include <algorithm>
#include <bit>

#include "cold/series_order.h"

namespace mytsdb::cold {

template <typename Equal>
std::optional<ColdSeriesId> SeriesCatalog::Lookup(uint64_t hash, Equal&& equal) const {
  if (table_.empty()) return std::nullopt;
  const size_t mask = table_.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    const Slot& slot = table_[i];
    if (slot.id == kFreed) return std::nullopt;
    // Hashes collide rarely but can: the labels decide.
    if (slot.hash == hash && equal(sets_, set_[slot.id])) return slot.id;
  }
}

void SeriesCatalog::IndexHash(uint64_t hash, ColdSeriesId id) {
  // Called with live_ not yet counting `id`. At most 70% full (linear
  // probing slows past that), at least 35% after growing.
  if (10 * (live_ + 1) > 7 * table_.size()) {
    std::vector<Slot> old = std::move(table_);
    table_.assign(std::max<size_t>(64, std::bit_ceil(2 * (live_ + 1))), Slot{});
    for (const Slot& slot : old) {
      if (slot.id != kFreed) IndexHash(slot.hash, slot.id);
    }
  }
  const size_t mask = table_.size() - 1;
  size_t i = hash & mask;
  while (table_[i].id != kFreed) i = (i + 1) & mask;
  table_[i] = {hash, id};
}

ColdSeriesId SeriesCatalog::Intern(const model::Labels& labels) {
  const uint64_t hash = labels.Hash();
  MutexLock lock(&mu_);
  std::optional<ColdSeriesId> known = Lookup(
      hash, [&](const model::LabelSets& packed, uint32_t set) { return packed.Equals(set, labels); });
  if (known) return *known;
  const auto id = static_cast<ColdSeriesId>(set_.size());
  // Ids grow, so the postings lists stay sorted by appending.
  postings_->Add(id, labels);
  sets_.Append(labels);
  set_.push_back(static_cast<uint32_t>(sets_.size() - 1));
  IndexHash(hash, id);
  ++live_;
  return id;
}

std::optional<ColdSeriesId> SeriesCatalog::Find(const model::LabelSets& sets, size_t i) const {
  const uint64_t hash = sets.Hash(i);
  MutexLock lock(&mu_);
  return Lookup(hash, [&](const model::LabelSets& packed, uint32_t set) {
    return sets.SameSet(i, packed, set);
  });
}

std::optional<uint32_t> SeriesCatalog::SetOf(ColdSeriesId id) const {
  if (id >= set_.size() || set_[id] == kFreed) return std::nullopt;
  return set_[id];
}

model::Labels SeriesCatalog::Labels(ColdSeriesId id) const {
  MutexLock lock(&mu_);
  std::optional<uint32_t> set = SetOf(id);
  return set ? sets_.At(*set) : model::Labels();
}

void SeriesCatalog::AppendLabels(ColdSeriesId id, model::LabelSets* out) const {
  MutexLock lock(&mu_);
  std::optional<uint32_t> set = SetOf(id);
  if (set) {
    out->AppendFrom(sets_, *set);
  } else {
    out->EndSet();
  }
}

int SeriesCatalog::CompareInFileOrder(ColdSeriesId a, ColdSeriesId b) const {
  MutexLock lock(&mu_);
  std::optional<uint32_t> sa = SetOf(a), sb = SetOf(b);
  if (!sa || !sb) return int(sa.has_value()) - int(sb.has_value());
  return cold::CompareInFileOrder(sets_, *sa, *sb);
}

std::vector<std::string> SeriesCatalog::LabelNames(std::span<const ColdSeriesId> ids) const {
  std::vector<std::string> names;
  MutexLock lock(&mu_);
  for (ColdSeriesId id : ids) {
    if (std::optional<uint32_t> set = SetOf(id)) AddLabelNames(sets_, *set, &names);
  }
  return names;
}

size_t SeriesCatalog::size() const {
  MutexLock lock(&mu_);
  return live_;
}

size_t SeriesCatalog::ids() const {
  MutexLock lock(&mu_);
  return set_.size();
}

std::shared_ptr<const index::MemPostings> SeriesCatalog::postings() const {
  MutexLock lock(&mu_);
  return postings_;
}

void SeriesCatalog::RebuildPostings(const std::vector<bool>& live) {
  MutexLock lock(&mu_);
  // Usually every series lives on in newer files (retention removed a file
  // of series that keep reporting): then nothing is rebuilt, which would
  // hold a second label index and set store for a while (a rise of the
  // server's memory at every retention pass in the soak).
  bool any_gone = false;
  for (ColdSeriesId id = 0; id < set_.size() && !any_gone; ++id) {
    any_gone = set_[id] != kFreed && (id >= live.size() || !live[id]);
  }
  if (!any_gone) return;
  auto fresh = std::make_shared<index::MemPostings>();
  model::LabelSets kept;
  std::vector<Slot>().swap(table_);
  live_ = 0;
  // In id order, so that the postings lists come out sorted.
  for (ColdSeriesId id = 0; id < set_.size(); ++id) {
    if (set_[id] == kFreed) continue;
    if (id >= live.size() || !live[id]) {
      // Gone from every file: its labels and hash entry go too.
      set_[id] = kFreed;
      continue;
    }
    model::Labels labels = sets_.At(set_[id]);
    fresh->Add(id, labels);
    kept.AppendFrom(sets_, set_[id]);
    set_[id] = static_cast<uint32_t>(kept.size() - 1);
    IndexHash(labels.Hash(), id);
    ++live_;
  }
  sets_ = std::move(kept);
  postings_ = std::move(fresh);
}

}  // namespace mytsdb::cold
