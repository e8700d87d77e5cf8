#include "cold/retention_policy.h"

#include <algorithm>
#include <numeric>

namespace mytsdb::cold {

std::vector<size_t> PlanRetention(std::span<const RetentionFile> files, int64_t min_time,
                                  uint64_t max_bytes) {
  std::vector<size_t> by_age(files.size());
  std::iota(by_age.begin(), by_age.end(), size_t{0});
  std::stable_sort(by_age.begin(), by_age.end(),
                   [&](size_t a, size_t b) { return files[a].max_ts < files[b].max_ts; });
  uint64_t total = 0;
  for (const RetentionFile& f : files) total += f.size_bytes;
  std::vector<size_t> removed;
  for (size_t i : by_age) {
    bool too_old = files[i].max_ts < min_time;
    bool too_big = max_bytes > 0 && total > max_bytes;
    if (!too_old && !too_big) break;
    removed.push_back(i);
    total -= files[i].size_bytes;
  }
  return removed;
}

}  // namespace mytsdb::cold
