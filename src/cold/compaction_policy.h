// The compaction policy: which files of the cold tier to merge next. Pure
// (no I/O), so the rules are tested apart from the merging itself
// (cold_compaction.cc).
//
// Files merge in time windows, as Prometheus merges blocks: windows of
// 3, 9, 27, ... block durations, aligned to the UTC day (a file never spans
// two days), up to the largest window allowed, and the whole day if that is
// allowed too. A window is merged once it is complete (its end is below the
// watermark, so the head writes nothing more into it) and holds two files or
// more. Capping the window bounds how long retention, which removes whole
// files, keeps samples past their age: at most one largest window.
//
//   block files ─► 3-block window ─► 9-block window ─► ... ─► day
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "model/sample.h"

namespace mytsdb::cold {

struct CompactionOptions {
  // The head's block duration: the smallest window is three of them.
  int64_t block_ms = 2LL * 3600 * 1000;
  // The largest window; the day (the largest possible) when it is a day or
  // more. Below three blocks nothing is merged.
  int64_t max_window_ms = 24LL * 3600 * 1000;
  // ZSTD level of compacted files: 9 is 8% smaller than a flush's level 3
  // for twice the CPU (docs/FORMAT.md).
  int zstd_level = 9;
};

// What the policy knows of a file.
struct CompactionFile {
  int64_t min_ts = 0;  // its day is the UTC day of min_ts
  int64_t max_ts = 0;
  int64_t version = 0;  // of its rows: the newer wins a duplicate timestamp
};

struct CompactionPlan {
  model::TimeRange window;     // inclusive; inside one day
  std::vector<size_t> files;   // indices into the policy's input, >= 2
};

// The window sizes in use, smallest first (empty: compaction is off).
std::vector<int64_t> CompactionWindows(const CompactionOptions& options);

// The watermark of a table several writers share, from the log's `txn`
// versions (appId -> version): the lowest of the writers' watermarks
// ("mytsdb.head" and "mytsdb.head/<writer>"), as a window is complete only
// once every writer has persisted past it. A writer more than
// `gone_after_ms` behind the newest is taken to have left (it would hold
// compaction back for ever); should it come back, the files it adds to
// merged windows are merged again later, and last write wins as always.
// INT64_MIN without any watermark.
int64_t ClusterWatermark(const std::map<std::string, int64_t>& transactions,
                         int64_t gone_after_ms = 24LL * 3600 * 1000);

// The next merge, if any: the smallest window size first, the oldest window
// first. A window is skipped while a file outside it that overlaps it in
// time holds rows newer than some file inside (merging would give the old
// rows a new version, and they would win duplicates they lose today); a
// larger window that holds both merges them.
std::optional<CompactionPlan> PlanCompaction(std::span<const CompactionFile> files,
                                             int64_t watermark,
                                             const CompactionOptions& options);

}  // namespace mytsdb::cold
