// Delta Lake checkpoints: the whole state of a table version in one Parquet
// file (_delta_log/<version>.checkpoint.parquet, named by _last_checkpoint),
// so that readers need not replay every JSON commit. Layout per the Delta
// protocol: one row per action, one struct column per action type (txn, add,
// remove, metaData, protocol), exactly one of them non-null per row.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cold/delta_protocol.h"
#include "common/result.h"
#include "io/file_system.h"

namespace mytsdb::cold {

struct CheckpointState {
  ProtocolAction protocol;
  std::string table_id;
  int64_t created_time_ms = 0;
  std::string schema_string;
  std::vector<std::string> partition_columns;
  std::map<std::string, std::string> configuration;
  std::vector<AddFile> files;  // with their raw `path`, stats and tags
  std::map<std::string, int64_t> tombstones;  // removed path -> deletionTimestamp
  // txn appId -> version, every application's (Delta keeps them all): the
  // head watermarks of MyTSDB's writers among them.
  std::map<std::string, int64_t> transactions;
  bool uses_deletion_vectors = false;  // an add carries a deletionVector
};

// Writes `state` to `path` (temporary file, fsync, rename, directory fsync).
Status WriteDeltaCheckpoint(io::FileSystem* fs, const std::string& path,
                            const CheckpointState& state);
// Reads a checkpoint written by WriteDeltaCheckpoint or by another Delta
// writer (unknown columns are ignored). Corruption, naming the file, if it
// does not decode or lacks what a checkpoint must hold.
Result<CheckpointState> ReadDeltaCheckpoint(io::FileSystem* fs, const std::string& path);

}  // namespace mytsdb::cold
