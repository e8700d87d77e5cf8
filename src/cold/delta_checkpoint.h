// Delta Lake checkpoints: the whole state of a table version in one Parquet
// file (_delta_log/<version>.checkpoint.parquet, named by _last_checkpoint),
// so that readers need not replay every JSON commit. Layout per the Delta
// protocol: one row per action, one struct column per action type (txn, add,
// remove, metaData, protocol), exactly one of them non-null per row.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cold/delta_log.h"
#include "common/result.h"

namespace mytsdb::cold {

struct CheckpointState {
  std::string table_id;
  int64_t created_time_ms = 0;
  std::string schema_string;
  std::vector<AddFile> files;
  std::optional<int64_t> watermark;  // the mytsdb.head txn
};

// Writes `state` to `path` (temporary file, fsync, rename).
Status WriteDeltaCheckpoint(const std::string& path, const CheckpointState& state);
// Reads a checkpoint written by WriteDeltaCheckpoint or by another Delta
// writer (unknown columns are ignored).
Result<CheckpointState> ReadDeltaCheckpoint(const std::string& path);

}  // namespace mytsdb::cold
