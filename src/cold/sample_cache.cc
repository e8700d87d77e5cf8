#include "cold/sample_cache.h"

#include <algorithm>
#include <functional>

namespace mytsdb::cold {

size_t SampleCache::KeyHash::operator()(const Key& k) const {
  return std::hash<std::string>()(k.path) * 31 + std::hash<uint64_t>()(k.id);
}

uint64_t SampleCache::BytesOf(const Entry& e) {
  // The samples and, roughly, the list node, the index slot and the path.
  return e.samples.capacity() * sizeof(model::Sample) + 2 * e.key.path.size() + 128;
}

bool SampleCache::Get(const std::string& path, ColdSeriesId id, model::TimeRange range,
                      std::vector<model::Sample>* out, int64_t* count) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = index_.find(Key{path, id});
  if (it == index_.end() || it->second->covered.min > range.min || it->second->covered.max < range.max) {
    ++stats_.misses;
    return false;
  }
  ++stats_.hits;
  lru_.splice(lru_.begin(), lru_, it->second);
  const std::vector<model::Sample>& s = it->second->samples;
  auto from = std::lower_bound(s.begin(), s.end(), range.min,
                               [](const model::Sample& a, int64_t t) { return a.timestamp_ms < t; });
  auto to = std::upper_bound(from, s.end(), range.max,
                             [](int64_t t, const model::Sample& a) { return t < a.timestamp_ms; });
  out->insert(out->end(), from, to);
  *count += to - from;
  return true;
}

void SampleCache::Put(const std::string& path, ColdSeriesId id, model::TimeRange covered,
                      std::vector<model::Sample> samples) {
  samples.shrink_to_fit();
  std::lock_guard<std::mutex> lock(mu_);
  Key key{path, id};
  if (auto it = index_.find(key); it != index_.end()) {
    bytes_ -= it->second->bytes;
    lru_.erase(it->second);
    index_.erase(it);
  }
  lru_.push_front(Entry{std::move(key), covered, std::move(samples), 0});
  lru_.front().bytes = BytesOf(lru_.front());
  bytes_ += lru_.front().bytes;
  index_.emplace(lru_.front().key, lru_.begin());
  while (bytes_ > capacity_bytes_ && !lru_.empty()) {
    bytes_ -= lru_.back().bytes;
    index_.erase(lru_.back().key);
    lru_.pop_back();
    ++stats_.evictions;
  }
}

SampleCacheStats SampleCache::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  SampleCacheStats st = stats_;
  st.entries = index_.size();
  st.bytes = bytes_;
  st.capacity_bytes = capacity_bytes_;
  return st;
}

}  // namespace mytsdb::cold
