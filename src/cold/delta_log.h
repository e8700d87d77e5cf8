// DeltaTable: the cold tier's Delta Lake transaction log (protocol
// reader 1 / writer 2), kept in DIR/_delta_log/ as JSON commits
// 00000000000000000000.json, 00000000000000000001.json, ...
//
// A commit is one file with newline-delimited actions (commitInfo, protocol,
// metaData, txn, add, remove). Every 10 versions a Parquet checkpoint
// (delta_checkpoint.h) sums up the table, and Open starts from the newest one
// it finds (_last_checkpoint is written too, for other readers, but only as
// the protocol's hint). A commit is created with
// io::FileSystem::CreateFileIfAbsent: atomic, durable, and never over another
// writer's version. Readers that follow the log (Spark, delta-rs, DuckDB's
// delta extension) always see a consistent snapshot.
//
// Open refuses, with a message naming the file, whatever it cannot apply
// exactly: a missing or unreadable commit or checkpoint, a line that is not a
// JSON object, reader or writer features it does not implement (deletion
// vectors, column mapping, ...), an append-only table, an `add` path that is
// absolute or leaves the table directory. It never skips or guesses.
//
// Not thread-safe: one writer per table (the data directory's lock file
// guarantees one process).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "cold/delta_protocol.h"
#include "common/result.h"
#include "io/file_system.h"
#include "model/sample.h"

namespace mytsdb::cold {

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
  // A compaction: the time window it rewrites. It conflicts with a
  // concurrent commit that added rows there (they would lose "last write
  // wins" to the older rows merged here).
  std::optional<model::TimeRange> rewrites;
  // If set, this writer claims (or renews) the compactor's lease of a
  // shared table until this time (ms), as the txn CompactorLeaseAppId(writer).
  // It conflicts with a concurrent commit of another writer's claim.
  std::optional<int64_t> compactor_lease_until;
  std::string operation = "WRITE";  // commitInfo.operation: WRITE, OPTIMIZE, DELETE, ...
  // commitInfo.operationParameters, to tell commits of one operation apart
  // (a DELETE by retention or by the admin API).
  std::map<std::string, std::string> operation_parameters;
};

// A table other than the samples table (the alert history, the search
// vectors): its schema is fixed, not one column per label, partitioned by
// day (the `day` field of the schema) or not at all.
struct FixedLayout {
  std::string schema_string;               // Delta's schemaString
  std::vector<std::string> stats_columns;  // delta.dataSkippingStatsColumns
  bool partitioned_by_day = true;
};

class DeltaTable {
 public:
  // Reads the log in dir/_delta_log (an absent log is an empty table). With
  // `fixed`, the table has that layout: Open refuses a table whose schema
  // is another (naming the file), and commits write that schema.
  static Result<std::unique_ptr<DeltaTable>> Open(const std::string& dir,
                                                  io::FileSystem* fs = io::PosixFileSystem(),
                                                  std::optional<FixedLayout> fixed = std::nullopt);

  const std::string& dir() const { return dir_; }
  int64_t version() const { return version_; }  // -1 before the first commit
  // Files of the current snapshot, by path.
  const std::map<std::string, AddFile>& files() const { return files_; }
  // Label columns of the current schema, in schema order.
  const std::vector<std::string>& label_columns() const { return label_columns_; }
  // Columns with per-file statistics (delta.dataSkippingStatsColumns), for
  // `label_columns` (the current schema's by default).
  std::vector<std::string> StatsColumns() const;
  std::vector<std::string> StatsColumnsWith(const std::vector<std::string>& label_columns) const;
  // Samples of this writer's head older than this are in the table
  // (INT64_MIN before any).
  int64_t watermark() const;
  // Which writer of a shared table this is (empty: the only one). Its
  // watermark is the txn of WatermarkAppId(writer).
  void set_writer(std::string writer) { writer_ = std::move(writer); }
  const std::string& writer() const { return writer_; }
  // Every txn appId's version: the watermarks of all writers.
  const std::map<std::string, int64_t>& transactions() const { return transactions_; }
  // The metaData configuration (table properties).
  const std::map<std::string, std::string>& configuration() const { return configuration_; }
  // Files that left the table by a `remove` (path -> deletionTimestamp ms):
  // Delta's tombstones, kept in checkpoints for kTombstoneRetentionMs, so that
  // a file still on disk is known to be garbage rather than unexplained.
  const std::map<std::string, int64_t>& tombstones() const { return tombstones_; }

  // Writes `request` as the next version. Where another writer claimed that
  // version first (a shared table), follows Delta's optimistic concurrency:
  // reads the winners' commits, checks them against `request` (a file it
  // removes or re-adds that a winner removed, a protocol change, a
  // watermark of the same writer name: conflicts) and, without a conflict,
  // retries at the next version with the schemas merged, up to
  // kMaxCommitAttempts times. AlreadyExists, naming the conflict, if it
  // gives up; nothing of `request` is committed then. On another error,
  // *committed says whether the version was nevertheless created (visible,
  // but its durability unknown): then the table applies it, refuses every
  // later commit (as after a failed fsync, nothing can be trusted to be on
  // disk until a restart re-reads the log), and the caller must keep the
  // added files. Every kCheckpointInterval versions a checkpoint follows.
  Status Commit(const CommitRequest& request, bool* committed = nullptr);
  // Applies the versions other writers committed since this table last
  // read or wrote the log (a shared table); OK when there are none.
  Status Refresh() { return CatchUp(nullptr); }
  // Non-OK once a commit's durability is unknown: commits are refused.
  const Status& failure() const { return failure_; }
  // The version of the newest checkpoint (-1: none).
  int64_t last_checkpoint() const { return last_checkpoint_; }

  static constexpr int kMaxCommitAttempts = 16;
  // As Delta's default checkpointInterval.
  static constexpr int64_t kCheckpointInterval = 10;
  // As Delta's default delta.deletedFileRetentionDuration (1 week).
  static constexpr int64_t kTombstoneRetentionMs = 7LL * 24 * 3600 * 1000;

 private:
  DeltaTable(std::string dir, io::FileSystem* fs, std::optional<FixedLayout> fixed)
      : dir_(std::move(dir)), fs_(fs), fixed_(std::move(fixed)) {}
  std::string log_dir() const;
  // ["day"], or none for a fixed layout that is not partitioned.
  std::vector<std::string> PartitionColumns() const;
  // Why a log's partitionColumns are refused.
  std::string PartitionMismatch() const;
  // What the commits CatchUp applied changed, for the conflict check.
  struct CommitEffects {
    std::set<std::string> removed;
    std::set<std::string> app_ids;
    std::vector<model::TimeRange> added;  // time bounds of files added with new rows
    bool protocol_changed = false;
    int64_t last_version = -1;
  };
  Status ApplyCommit(int64_t version, const std::string& json, const std::string& file,
                     CommitEffects* effects = nullptr);
  // Reads and applies the versions after version_ that exist.
  Status CatchUp(CommitEffects* effects);
  // Why `request` cannot follow the winners' commits (AlreadyExists), or OK.
  Status CheckConflicts(const CommitRequest& request, const CommitEffects& winners) const;
  // One attempt at version_ + 1.
  Status CommitOnce(const CommitRequest& request, bool* committed);
  Status ApplySchemaString(const std::string& schema_string, const std::string& file);
  // Writes the current version as <version>.checkpoint.parquet and points
  // _last_checkpoint at it.
  Status WriteCheckpoint();
  std::string SchemaString(const std::vector<std::string>& label_columns) const;
  std::string RenderCommit(const CommitRequest& request, int64_t version, int64_t now) const;

  std::string dir_;
  io::FileSystem* fs_;
  const std::optional<FixedLayout> fixed_;
  int64_t version_ = -1;
  std::string table_id_;
  int64_t created_time_ms_ = 0;
  std::map<std::string, AddFile> files_;
  std::map<std::string, int64_t> tombstones_;
  std::vector<std::string> label_columns_;
  std::map<std::string, std::string> configuration_;
  ProtocolAction protocol_;
  bool have_protocol_ = false;
  std::map<std::string, int64_t> transactions_;
  std::string writer_;
  std::string schema_string_;
  int64_t last_checkpoint_ = -1;
  bool log_dir_durable_ = false;  // _delta_log's entry synced by this process
  Status failure_;
};

// The table property naming the statistics columns.
inline constexpr const char* kStatsColumnsProperty = "delta.dataSkippingStatsColumns";

// Copies version `version` of the Delta table in `table_dir` into `target`
// (a new table directory): the data files `file_paths` (the snapshot's,
// relative) hard-linked (copied across devices), the log's commits and
// checkpoints up to that version linked, `_last_checkpoint` written, all
// made durable. A reader of `target` sees that version.
Status CopyDeltaSnapshot(io::FileSystem* fs, const std::string& table_dir, int64_t version,
                         const std::vector<std::string>& file_paths, const std::string& target);

// 16 random hex digits, for data file names that no other writer or
// earlier attempt can have taken.
std::string RandomFileSuffix();

// "day=YYYY-MM-DD" value of a timestamp in ms (UTC).
std::string DayOf(int64_t ts_ms);
inline constexpr int64_t kDayMs = 86'400'000;
// The first millisecond of the UTC day DayOf names.
inline int64_t DayStartOf(int64_t ts_ms) { return model::FloorTo(ts_ms, kDayMs); }
// The Delta log file name of a version: 20 digits + ".json".
std::string CommitFileName(int64_t version);
// The checkpoint of a version: 20 digits + ".checkpoint.parquet".
std::string CheckpointFileName(int64_t version);

}  // namespace mytsdb::cold
