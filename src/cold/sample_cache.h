// SampleCache: decoded cold-tier samples kept between reads, for readers
// that ask for nearly the same window again and again: a trend rule's
// `rate(x[1h] offset 1w)` moves by one evaluation interval per cycle, over
// files that never change (a file's content is fixed by its path; a
// compaction or deletion writes new files), so each cycle would otherwise
// decode the same Parquet pages again.
//
// An entry is the samples of one series in one file within the time range
// it covers, so a read whose range falls inside it needs no file at all.
// Entries are evicted least recently used first, within a byte budget;
// those of files that left the table are never asked for again and age out.
// Thread-safe.
#pragma once

#include <cstdint>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "cold/series_id.h"
#include "model/sample.h"

namespace mytsdb::cold {

struct SampleCacheStats {
  uint64_t hits = 0;    // series-file reads answered from memory
  uint64_t misses = 0;  // series-file reads that decoded the file
  uint64_t evictions = 0;
  uint64_t entries = 0;
  uint64_t bytes = 0;
  uint64_t capacity_bytes = 0;
};

class SampleCache {
 public:
  explicit SampleCache(uint64_t capacity_bytes) : capacity_bytes_(capacity_bytes) {}

  // If an entry for series `id` of file `path` covers `range`: appends its
  // samples within `range` to *out, adds their number to *count, and
  // returns true.
  bool Get(const std::string& path, ColdSeriesId id, model::TimeRange range,
           std::vector<model::Sample>* out, int64_t* count);
  // Keeps `samples` (in time order), all the samples of series `id` of file
  // `path` within `covered`, replacing an older entry; evicts the least
  // recently used entries beyond the budget (this one too if it alone is).
  void Put(const std::string& path, ColdSeriesId id, model::TimeRange covered,
           std::vector<model::Sample> samples);

  SampleCacheStats stats() const;

  // How far past a missed read's range the read goes, so that a window
  // moving forward finds its next ranges covered: an hour (a cycle's
  // worth of reads of the file costs no more, as a series' rows are
  // decoded whole; the hour bounds the memory an entry holds).
  static constexpr int64_t kReadAheadMs = 3600 * 1000;

 private:
  struct Key {
    std::string path;
    ColdSeriesId id;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const;
  };
  struct Entry {
    Key key;
    model::TimeRange covered;
    std::vector<model::Sample> samples;
    uint64_t bytes = 0;
  };
  static uint64_t BytesOf(const Entry& e);

  const uint64_t capacity_bytes_;
  mutable std::mutex mu_;
  std::list<Entry> lru_;  // most recently used first; guarded by mu_
  std::unordered_map<Key, std::list<Entry>::iterator, KeyHash> index_;  // guarded by mu_
  SampleCacheStats stats_;  // guarded by mu_ (entries and bytes derived)
  uint64_t bytes_ = 0;      // guarded by mu_
};

}  // namespace mytsdb::cold
