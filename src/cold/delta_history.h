// The history of a Delta table, for the cold tier's status
// (/api/v1/status/cold): what each recent commit did, read from its JSON
// file in _delta_log/, and what the current snapshot holds per day.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "cold/delta_protocol.h"
#include "common/result.h"
#include "io/file_system.h"

namespace mytsdb::cold {

// One commit: its commitInfo and the sums of its add and remove actions
// (adds that change data: a re-add that refreshes statistics is left out).
struct CommitSummary {
  int64_t version = -1;
  int64_t timestamp_ms = 0;
  std::string operation;                           // WRITE, OPTIMIZE, DELETE, ...
  std::map<std::string, std::string> parameters;   // commitInfo.operationParameters
  uint64_t files_added = 0;
  uint64_t files_removed = 0;
  uint64_t bytes_added = 0;
  uint64_t rows_added = 0;   // from MyTSDB's tags or the stats' numRecords
};

// The commits from `newest` down, at most `limit` of them. The list stops,
// without an error, at a commit file that is gone (Delta's log cleanup
// removes old ones once a checkpoint covers them); a file that is there
// but is not a commit is an error naming it.
Result<std::vector<CommitSummary>> ReadCommitHistory(io::FileSystem* fs, const std::string& table_dir,
                                                     int64_t newest, size_t limit);

// Files, bytes and rows of a snapshot per day partition, oldest day first.
struct DaySummary {
  std::string day;  // YYYY-MM-DD
  uint64_t files = 0;
  uint64_t bytes = 0;
  uint64_t rows = 0;
};
std::vector<DaySummary> SummarizeDays(const std::vector<AddFile>& files);

}  // namespace mytsdb::cold
