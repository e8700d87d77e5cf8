// ColdStore: the cold tier. A Delta Lake table of Parquet files under
// data/parquet/ (docs/FORMAT.md), plus what MyTSDB keeps in memory to read
// it fast: a catalog of the series in the files (labels, postings index, the
// row span of each series in each file) rebuilt at start from the files'
// metric and label columns only.
//
//   Persist ──► ParquetFileWriter (one file per day) ──► load it (catalog,
//               statistics) ──► DeltaTable::Commit ──► new snapshot
//   Select/ReadSamples ◄── snapshot of the committed files
//
// Split by concern: cold_store.cc (open, table snapshots and commits,
// persist), cold_read.cc (selection and the sample read path, over
// column_reader.h's page reader), cold_compaction.cc (compaction, retention,
// deletion of removed files), series_catalog.h (series, ids, label index),
// file_entry.h (each file's series spans and statistics); which files
// compaction merges and retention removes are decisions of
// compaction_policy.h and retention_policy.h.
// All file access goes through ColdStoreOptions::fs.
//
// Thread safety: reads are safe concurrently with each other and with one
// writer (Persist); readers work on an immutable snapshot of the file list,
// so a commit never changes what a running read sees. Writers are serialised
// by the caller (the storage facade's maintenance lock).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "cold/compaction_policy.h"
#include "cold/series_id.h"
#include "cold/delta_history.h"
#include "cold/delta_log.h"
#include "cold/parquet_writer.h"
#include "cold/sample_cache.h"
#include "common/mutex.h"
#include "common/result.h"
#include "index/postings.h"
#include "io/file_system.h"
#include "model/label_sets.h"
#include "model/labels.h"
#include "model/matcher.h"
#include "model/sample.h"

namespace mytsdb::cold {


struct ColdStoreOptions {
  std::string dir;  // the table directory, data/parquet
  // Where files on disk that no commit explains are moved at Open (never
  // deleted); default: a "parquet-orphans" directory next to `dir`.
  std::string orphan_dir;
  // Other writers may add to the table (object storage): a file no commit
  // explains may be another writer's upload in flight, and a file a commit
  // removed may still be read by its remover's older snapshots, so Open
  // counts such files and leaves them where they are (the remover deletes
  // what it removed once its grace period is over).
  bool shared = false;
  // This writer's name in a shared table (empty: the only writer): whose
  // watermark txn is its own (DeltaTable::set_writer).
  std::string writer;
  // Reads the table without ever writing to it (a read-only query node):
  // Open cleans nothing and upgrades nothing, and the writing calls must
  // not be made. Refresh takes in the writers' commits.
  bool read_only = false;
  WriteOptions write;
  io::FileSystem* fs = io::PosixFileSystem();  // must outlive the store
  // Memory for samples kept between cached reads (sample_cache.h); 0: none.
  uint64_t sample_cache_bytes = 0;
};

// What a persist writes: `series[i]`'s samples within a range come from
// `read(i, range, out)` (appended to *out, in time order).
struct PersistRequest {
  model::LabelSets series;
  std::function<void(size_t index, model::TimeRange range, std::vector<model::Sample>* out)> read;
  model::TimeRange range;                 // inclusive bounds of the samples to write
  std::optional<int64_t> new_watermark;  // recorded in the same commit
};

struct ColdStats {
  int64_t version = -1;
  uint64_t files = 0;
  uint64_t bytes = 0;
  uint64_t rows = 0;
  uint64_t catalog_series = 0;
  int64_t watermark = INT64_MIN;
  int64_t min_time = 0;  // over all files; 0/0 when there are none
  int64_t max_time = 0;
  uint64_t manifest_failures = 0;  // live-file manifests not written (manifest.h)
  SampleCacheStats sample_cache;
};

// The table's state for /api/v1/status/cold: the counts, the snapshot per
// day, and the newest commits, newest first.
struct ColdStatus {
  ColdStats stats;
  std::vector<DaySummary> days;
  std::vector<CommitSummary> commits;
};

// How the caller steers a merge while ColdStore::PrepareCompaction writes
// it, between batches of about one row group of series.
struct CompactionControl {
  // Once set, the merge stops at the next batch (Cancelled, its file deleted).
  const std::atomic<bool>* cancel = nullptr;
  // Called before each batch; blocking in it pauses the merge, holding only
  // the batch already written (the storage layer waits there while a block
  // of the head persists).
  std::function<void()> between_batches;
};

// A merge written but not yet committed (ColdStore::PrepareCompaction).
struct PreparedCompaction {
  CommitRequest commit;    // the merged file (if any sample) and the files it replaces
  int64_t planned_at = -1;  // the table version the plan was made on
  model::TimeRange window;
};

class SeriesCatalog;
struct FileEntry;
struct TableSnapshot;

class ColdStore {
 public:
  // Opens (or creates) the table and loads the catalog. Refuses (with the
  // file named) a log or a data file it cannot read. Of the files on disk
  // the table does not reference, temporary files of interrupted writes and
  // files a commit removed are deleted; others are moved to the orphan
  // directory. Files whose statistics do not cover the table's statistics
  // columns (written by an older MyTSDB) get them in one commit.
  static Result<std::unique_ptr<ColdStore>> Open(const ColdStoreOptions& options);
  ~ColdStore();

  // Samples older than this are in the cold tier (INT64_MIN if none).
  int64_t watermark() const;
  // Samples older than this are in the table whichever writer took them:
  // the lowest writer watermark (compaction_policy.h's ClusterWatermark;
  // the watermark of a table with one writer).
  int64_t cluster_watermark() const;

  // Writes the request's samples as one file per UTC day and commits them
  // in one Delta commit. Series without samples in the range are skipped.
  Status Persist(const PersistRequest& request);

  // Reads the commits other writers of a shared table made since this store
  // last read or wrote the log, and publishes a snapshot with their files
  // (loaded into the catalog) and without those they removed. Serialised
  // with the other writing calls by the caller.
  Status Refresh();

  // Merges files as the policy plans (compaction_policy.h), one Delta commit
  // (add + remove) per merge, until it plans no more. Duplicates resolve as
  // in ReadSamples. The replaced files stay on disk until DeleteRemovedFiles.
  Status Compact(const CompactionOptions& options = {});
  // Compaction in two steps, so that the long one runs beside other commits:
  // PrepareCompaction plans one merge and writes its file without changing
  // the table (nullopt when the policy plans none; `control` may pause or
  // cancel it between batches of series); CommitCompaction commits it
  // unless a commit since the plan removed one of its files or added one
  // overlapping its window (then the new file is deleted and it returns
  // false: plan again). Commits must not run concurrently with each other.
  Result<std::optional<PreparedCompaction>> PrepareCompaction(const CompactionOptions& options,
                                                              const CompactionControl& control = {});
  Result<bool> CommitCompaction(PreparedCompaction prepared);
  // Removes (through the log) the files retention_policy.h picks: samples
  // all older than `min_time`, then the oldest while the table is larger
  // than `max_bytes` (0: no size limit).
  Status ApplyRetention(int64_t min_time, uint64_t max_bytes);
  // A shared table's compaction and retention are one writer's at a time,
  // elected through the log: whether this writer holds the compactor's
  // lease at `now_ms`, claiming or renewing it (a commit) for `lease_ms`
  // when no other writer holds one that has not ended. Two claims racing for
  // a version conflict, so one wins. The lease is only to save work: a
  // merge or a removal that a concurrent commit invalidated fails its own
  // conflict check. Needs a writer name.
  Result<bool> HoldCompactorLease(int64_t now_ms, int64_t lease_ms);
  // Deletes files that left the table at least `grace` ago, so that reads of
  // older snapshots can finish first. Returns how many were deleted.
  size_t DeleteRemovedFiles(std::chrono::milliseconds grace);
  // Deletes the samples within `range` of the series matching any of
  // `selectors`: each file holding some is rewritten without them (keeping
  // its rows' version) or removed, all in one DELETE commit. Returns how
  // many files changed.
  Result<size_t> DeleteSeries(std::span<const model::Matchers> selectors, model::TimeRange range);
  // Makes `target` (a new directory) a copy of the table as of its current
  // version: data files hard-linked (copied across devices), the log's
  // files up to that version. Returns the version.
  Result<int64_t> SnapshotTo(const std::string& target);

  // Series matching all matchers with a file overlapping `range`, ascending.
  std::vector<ColdSeriesId> Select(const model::Matchers& matchers, model::TimeRange range) const;
  model::Labels SeriesLabels(ColdSeriesId id) const;
  // The same appended to *out, packed (an empty set if the series is gone).
  void AppendSeriesLabels(ColdSeriesId id, model::LabelSets* out) const;
  // The id of the series whose labels are set i of `sets`, if the catalog
  // has it.
  std::optional<ColdSeriesId> Find(const model::LabelSets& sets, size_t i) const;
  // Samples of each of `ids` within `range`, in time order: (*out)[i] for
  // ids[i]. A timestamp present in several files takes the value of the file
  // committed last (last write wins). Stops with ResourceExhausted once more
  // than `max_samples` are read (at most a row group beyond it). With
  // `cached` (and a sample cache), what the cache covers is not read again,
  // and what is read is read an hour further and kept (sample_cache.h).
  Status ReadSamples(std::span<const ColdSeriesId> ids, model::TimeRange range,
                     std::vector<std::vector<model::Sample>>* out,
                     int64_t max_samples = INT64_MAX, bool cached = false) const;
  std::vector<std::string> LabelNames() const;
  std::vector<std::string> LabelValues(std::string_view name) const;

  ColdStats stats() const;
  // stats() with the snapshot's days and the newest `commit_limit` commits
  // (read from the log: a file read per commit).
  Result<ColdStatus> TableStatus(size_t commit_limit) const;
  // Non-OK once a commit's durability is unknown: the table takes no more
  // commits until a restart (reads go on).
  Status failure() const;

 private:
  using Snapshot = TableSnapshot;

  // Fills *batch with the series [first, first + count) of a file being
  // written (in file order) that have samples within `range`: labels and
  // samples.
  using BatchFn = std::function<Status(size_t first, size_t count, model::TimeRange range,
                                       std::vector<SeriesData>* batch)>;
  struct PendingDelete {
    std::string path;
    int64_t removed_at_ms;
  };

  explicit ColdStore(const ColdStoreOptions& options);
  // Writes the samples of `num_series` series (read through `read`,
  // `batch_series` at a time) within `range` (inside one day) as one file;
  // nullopt if there were none.
  Result<std::optional<AddFile>> WriteDayFile(model::TimeRange range, size_t num_series,
                                              const std::vector<std::string>& label_names,
                                              const BatchFn& read, size_t batch_series,
                                              const WriteOptions& write_options);
  // The series of `files`, each once, in file order. Each file's series are
  // in that order already (docs/FORMAT.md, "Sort order"), so their orders
  // are merged, comparing labels where the catalog holds them, instead of
  // copying every series' labels to sort them.
  std::vector<ColdSeriesId> SeriesInFileOrder(
      std::span<const std::shared_ptr<const FileEntry>> files) const;
  // Reads `ids` (within `range`, from `snapshot`) into *batch with their
  // labels; series without samples, or gone from the catalog meanwhile (a
  // commit removed their files: the caller's commit will conflict), are
  // left out. `batch_ids`, if given, gets the id of each series appended.
  Status ReadBatch(const Snapshot& snapshot, std::span<const ColdSeriesId> ids,
                   model::TimeRange range, std::vector<SeriesData>* batch,
                   std::vector<ColdSeriesId>* batch_ids = nullptr) const;
  // Loads the added files (catalog, statistics), commits, then publishes a
  // snapshot with the change; files whose recorded statistics miss a
  // statistics column are re-added with full ones in the same commit. When
  // the commit did not happen the added files are deleted.
  Status CommitAndPublish(CommitRequest commit);
  // Makes `next` (a snapshot at the table's current version) hold exactly
  // the table's files: drops those other writers removed and loads those
  // they added (one that cannot be loaded now is left out, and logged, for
  // the next Refresh). True if any file was dropped.
  bool AdoptTableFiles(Snapshot* next);
  // Publishes a snapshot with the table's files if the table is ahead of
  // the published snapshot (other writers' commits it has read).
  void CatchUpSnapshot();
  // The snapshot's watermarks from the log's transactions.
  void SetWatermarks(Snapshot* snapshot) const;
  // Drops from the label index the series no file of `snapshot` holds.
  void ForgetSeriesNotIn(const Snapshot& snapshot);
  // The order of `series` in a file (indices).
  static std::vector<size_t> FileOrder(const model::LabelSets& series);
  // The columns of label names.
  static std::vector<std::string> LabelColumns(const std::vector<std::string>& label_names);
  // Deletes or sets aside files on disk the table does not reference.
  Status CleanUnreferencedFiles();
  // Creates `dir` if missing and makes its entry durable (once per process).
  Status EnsureDir(const std::string& dir) EXCLUDES(durable_dirs_mu_);
  Status ReadFrom(const Snapshot& snapshot, std::span<const ColdSeriesId> ids,
                  model::TimeRange range, std::vector<std::vector<model::Sample>>* out,
                  int64_t max_samples = INT64_MAX, SampleCache* cache = nullptr) const;
  Result<std::shared_ptr<FileEntry>> LoadFile(const AddFile& add);
  // LoadFile for every file of `adds` (in their order), on up to one thread
  // per core: reading the files' key columns is most of the start-up, and
  // files are independent (the catalog interns under its own lock). The
  // error of the first failing file in `adds`' order among those tried.
  Result<std::vector<std::shared_ptr<const FileEntry>>> LoadFiles(const std::vector<AddFile>& adds);
  std::shared_ptr<const Snapshot> snapshot() const EXCLUDES(snapshot_mu_);
  // Makes `snapshot` the one reads see, and writes its live-file manifest.
  void Publish(std::shared_ptr<const Snapshot> snapshot) EXCLUDES(snapshot_mu_);

  const ColdStoreOptions options_;
  std::unique_ptr<DeltaTable> table_;  // writer side only
  std::unique_ptr<SeriesCatalog> catalog_;
  mutable Mutex snapshot_mu_;
  std::shared_ptr<const Snapshot> snapshot_ GUARDED_BY(snapshot_mu_);
  Mutex durable_dirs_mu_;
  std::set<std::string> durable_dirs_ GUARDED_BY(durable_dirs_mu_);
  std::atomic<uint64_t> manifest_failures_{0};
  Mutex pending_mu_;
  std::vector<PendingDelete> pending_deletes_ GUARDED_BY(pending_mu_);
  std::unique_ptr<SampleCache> sample_cache_;  // null without a budget
  std::string lease_holder_;  // the compactor lease's holder last logged (writer side)
};

}  // namespace mytsdb::cold
