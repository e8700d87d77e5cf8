#include "cold/compaction_policy.h"

#include <algorithm>
#include <map>

#include "cold/delta_log.h"

namespace mytsdb::cold {

std::vector<int64_t> CompactionWindows(const CompactionOptions& options) {
  std::vector<int64_t> windows;
  if (options.block_ms <= 0) return windows;
  const int64_t cap = std::min(options.max_window_ms, kDayMs);
  for (int64_t w = 3 * options.block_ms; w < kDayMs && w <= cap; w *= 3) windows.push_back(w);
  if (options.max_window_ms >= kDayMs) windows.push_back(kDayMs);
  return windows;
}

std::optional<CompactionPlan> PlanCompaction(std::span<const CompactionFile> files,
                                             int64_t watermark,
                                             const CompactionOptions& options) {
  for (int64_t width : CompactionWindows(options)) {
    // Files by the window (start) that holds them whole, oldest first.
    std::map<int64_t, std::vector<size_t>> windows;
    for (size_t i = 0; i < files.size(); ++i) {
      const int64_t day_start = DayStartOf(files[i].min_ts);
      const int64_t start = day_start + model::FloorTo(files[i].min_ts - day_start, width);
      const int64_t end = std::min(start + width, day_start + kDayMs);  // exclusive
      if (files[i].max_ts < end) windows[start].push_back(i);
    }
    for (const auto& [start, members] : windows) {
      if (members.size() < 2) continue;
      const int64_t day_start = DayStartOf(start);
      const model::TimeRange window{start, std::min(start + width, day_start + kDayMs) - 1};
      if (window.max >= watermark) continue;  // the head may still write into it
      int64_t oldest_inside = INT64_MAX;
      std::vector<bool> inside(files.size(), false);
      for (size_t i : members) {
        inside[i] = true;
        oldest_inside = std::min(oldest_inside, files[i].version);
      }
      bool newer_rows_outside = false;
      for (size_t j = 0; j < files.size() && !newer_rows_outside; ++j) {
        newer_rows_outside = !inside[j] && window.Overlaps(files[j].min_ts, files[j].max_ts) &&
                             files[j].version > oldest_inside;
      }
      if (newer_rows_outside) continue;
      return CompactionPlan{window, members};
    }
  }
  return std::nullopt;
}

int64_t ClusterWatermark(const std::map<std::string, int64_t>& transactions,
                         int64_t gone_after_ms) {
  std::vector<int64_t> watermarks;
  for (const auto& [app_id, version] : transactions) {
    if (app_id == kWatermarkAppId || app_id.starts_with(std::string(kWatermarkAppId) + "/")) {
      watermarks.push_back(version);
    }
  }
  if (watermarks.empty()) return INT64_MIN;
  const int64_t newest = *std::max_element(watermarks.begin(), watermarks.end());
  int64_t lowest = newest;
  for (int64_t w : watermarks) {
    if (w >= newest - gone_after_ms) lowest = std::min(lowest, w);
  }
  return lowest;
}

}  // namespace mytsdb::cold
