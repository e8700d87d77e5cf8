// DeltaTable: the cold tier's Delta Lake transaction log (protocol
// reader 1 / writer 2), kept in DIR/_delta_log/ as JSON commits
// 00000000000000000000.json, 00000000000000000001.json, ...
//
// A commit is one file with newline-delimited actions (metaData, add,
// remove, txn, commitInfo). Every 10 versions a Parquet checkpoint
// (delta_checkpoint.h) sums up the table, and Open starts from the newest. It is written to a temporary name, fsynced, and
// hard-linked to its final name, which fails if the version exists: a commit
// is atomic and never overwrites another. Readers that follow the log (Spark,
// delta-rs, DuckDB's delta extension) always see a consistent snapshot.
//
// Not thread-safe: one writer per table (the data directory's lock file
// guarantees one process).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/result.h"

namespace mytsdb::cold {

// A data file of the table, as an `add` action records it.
struct AddFile {
  std::string path;  // relative to the table directory, e.g. "day=2026-01-01/part-….parquet"
  std::string day;   // partition value, YYYY-MM-DD (UTC)
  int64_t size_bytes = 0;
  int64_t num_records = 0;
  int64_t min_ts = 0;  // ms, for data skipping (stats)
  int64_t max_ts = 0;
  int64_t modification_time_ms = 0;
  int64_t version = -1;  // the commit that added it (set when read or committed)
};

// What one commit changes.
struct CommitRequest {
  std::vector<AddFile> adds;
  std::vector<std::string> removes;  // paths of files in the snapshot
  // Label columns the added files use; new ones extend the table's schema
  // (a metaData action in the same commit).
  std::vector<std::string> label_columns;
  // If set, the new head watermark: every sample older than this has been
  // persisted (recorded as a `txn` action, which Delta checkpoints keep).
  std::optional<int64_t> watermark;
  std::string operation = "WRITE";  // commitInfo.operation: WRITE, OPTIMIZE, DELETE
};

class DeltaTable {
 public:
  // Reads the log in dir/_delta_log (an absent log is an empty table).
  static Result<std::unique_ptr<DeltaTable>> Open(const std::string& dir);

  const std::string& dir() const { return dir_; }
  int64_t version() const { return version_; }  // -1 before the first commit
  // Files of the current snapshot, by path.
  const std::map<std::string, AddFile>& files() const { return files_; }
  // Label columns of the current schema, in schema order.
  const std::vector<std::string>& label_columns() const { return label_columns_; }
  // Samples older than this are in the table (INT64_MIN before any).
  int64_t watermark() const { return watermark_; }

  // Writes `request` as the next version. AlreadyExists if another writer
  // claimed that version first; nothing changes then. Every
  // kCheckpointInterval versions a checkpoint follows the commit.
  Status Commit(const CommitRequest& request);
  // The version of the newest checkpoint (-1: none).
  int64_t last_checkpoint() const { return last_checkpoint_; }

  // As Delta's default checkpointInterval.
  static constexpr int64_t kCheckpointInterval = 10;

 private:
  explicit DeltaTable(std::string dir) : dir_(std::move(dir)) {}
  Status ApplyCommit(int64_t version, const std::string& json);
  Status ApplySchemaString(const std::string& schema_string);
  // Writes the current version as <version>.checkpoint.parquet and points
  // _last_checkpoint at it.
  Status WriteCheckpoint();
  std::string SchemaString(const std::vector<std::string>& label_columns) const;

  std::string dir_;
  int64_t version_ = -1;
  std::string table_id_;
  int64_t created_time_ms_ = 0;
  std::map<std::string, AddFile> files_;
  std::vector<std::string> label_columns_;
  int64_t watermark_ = INT64_MIN;
  std::string schema_string_;
  int64_t last_checkpoint_ = -1;
};

// The `txn` application id under which the head watermark is recorded.
inline constexpr const char* kWatermarkAppId = "mytsdb.head";

// "day=YYYY-MM-DD" value of a timestamp in ms (UTC).
std::string DayOf(int64_t ts_ms);
// The Delta log file name of a version: 20 digits + ".json".
std::string CommitFileName(int64_t version);
// The checkpoint of a version: 20 digits + ".checkpoint.parquet".
std::string CheckpointFileName(int64_t version);
// The `stats` JSON of an add action: numRecords and the ts bounds.
std::string AddStatsJson(const AddFile& file);

}  // namespace mytsdb::cold
