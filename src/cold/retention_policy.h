// The retention policy: which files of the cold tier to remove. Pure (no
// I/O), so the rules are tested apart from the removal itself
// (cold_compaction.cc), like the compaction policy.
//
// Retention removes whole files, oldest (by newest sample) first: every file
// whose samples are all older than the time limit, then more while the
// table is larger than the size limit. A file holding any sample within the
// time limit stays whatever its other samples (the compaction policy caps
// how much older they can be).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace mytsdb::cold {

// What the policy knows of a file.
struct RetentionFile {
  int64_t max_ts = 0;  // its newest sample
  uint64_t size_bytes = 0;
};

// Indices into `files` of those to remove, oldest first: all samples older
// than min_time, or, oldest first, while the files left exceed max_bytes
// (0: no size limit).
std::vector<size_t> PlanRetention(std::span<const RetentionFile> files, int64_t min_time,
                                  uint64_t max_bytes);

}  // namespace mytsdb::cold
