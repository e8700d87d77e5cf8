// Storage: the one interface over the hot tier (head + WAL) and the cold tier
// (Parquet files in a Delta table), so that the HTTP API, PromQL and the rest
// never care which tier holds a sample.
//
//   Append ──► refused: samples too far in the future or older than retention
//          ├─► head (recent samples)
//          └─► cold tier as a backfill file (samples older than the head
//              accepts; concurrent requests share one file and one commit)
//   background: head spans > 1.5 blocks ──► persist the oldest block to the
//               cold tier (one Delta commit) ──► truncate head and WAL
//               compaction of persisted files, when no persist runs or is
//               due (maintenance_policy.h); retention
//   Select/ReadSamples ──► head ∪ cold, merged per series, no duplicates
//
// A read-only node (StorageOptions::read_only) writes nothing: its head
// stays empty, the background thread only takes in the writers' commits,
// and Select adds what the writers' heads hold (recent_source.h) at or
// above the table's lowest writer watermark, merged by (series, timestamp).
//
// Persisting is crash-safe in every step: the Delta commit records the head
// watermark (samples older than it are cold), and the head skips such
// samples when it replays its WAL, so a crash between commit and truncation
// neither loses nor duplicates a sample. docs/FORMAT.md ("Lifecycle of a
// sample", "Crash safety") has the detail.
//
// Thread safety: all methods are thread-safe. Writers to the cold tier
// (persist, flush, backfill) are serialised by one maintenance lock.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "cold/cold_store.h"
#include "common/mutex.h"
#include "common/result.h"
#include "head/head.h"
#include "io/clock.h"
#include "io/file_system.h"
#include "storage/recent_source.h"
#include "storage/series_selection.h"

namespace mytsdb::storage {

struct StorageOptions {
  std::string data_dir;  // holds wal/ and parquet/
  head::HeadOptions head;  // head.wal.dir and head.min_valid_time are set by Open
  cold::WriteOptions write;
  // How often the background thread checks whether a block is due (and runs
  // compaction and retention); 0 turns the thread off (tests, `mytsdb flush`).
  std::chrono::milliseconds persist_check_interval{std::chrono::seconds(30)};
  // Cold-tier files whose samples are all older than now minus this are
  // removed, and appends older than that are refused. Measured from the
  // clock, not from the newest sample, so that one sample dated in the
  // future cannot make retention delete everything.
  int64_t retention_ms = 15LL * 24 * 3600 * 1000;
  // Samples more than this ahead of the clock are refused (Mimir's creation
  // grace period: a client whose clock or unit is wrong).
  int64_t max_future_ms = 10 * 60 * 1000;
  // Backfill requests in flight (waiting or being committed); more are
  // refused as Unavailable so that a storm of old-data requests cannot tie
  // up the threads that recent ingestion needs.
  size_t max_backfill_requests = 8;
  // How long a backfill request waits for its commit before it is answered
  // Unavailable (and may still be committed later).
  std::chrono::milliseconds backfill_wait{std::chrono::seconds(20)};
  // Where "now" comes from; must outlive the storage.
  io::Clock* clock = io::SystemClock();
  // All file access of the WAL and the cold tier; must outlive the storage.
  io::FileSystem* fs = io::PosixFileSystem();
  // Where the cold tier's table lives when not in data_dir/parquet (an
  // s3://bucket/prefix URL), and the file system that reaches it (must
  // outlive the storage). Empty: data_dir/parquet through `fs`.
  std::string cold_dir;
  io::FileSystem* cold_fs = nullptr;
  // This server's name among the writers of a shared table (its own
  // watermark; docs/SCALING.md). Empty: the only writer.
  std::string cold_writer;
  // With a writer name: whether this writer stands for the table's
  // compactor. Of the writers that do, the one holding the lease in the log
  // compacts and applies retention; the others only persist.
  bool cold_compactor = false;
  // How long a compactor's lease lasts; it is renewed every maintenance
  // round once half of it is gone.
  std::chrono::milliseconds compactor_lease{std::chrono::minutes(2)};
  // Serve queries over a shared table without writing anything (no appends,
  // persists, compaction or retention; those calls fail Unavailable), its
  // newest samples asked of `recent`, the writers (may be null: the table
  // only). Needs cold_dir.
  bool read_only = false;
  const RecentSamplesSource* recent = nullptr;  // must outlive the storage
  // If > 0, the oldest files are removed while the cold tier is larger.
  uint64_t retention_bytes = 0;
  // Memory for cold-tier samples kept between reads that ask for it
  // (cold/sample_cache.h; rule evaluation does); 0: none.
  uint64_t cold_sample_cache_bytes = 0;
  // Which files compaction merges (compaction_policy.h); its block_ms is
  // taken from head.chunk_range_ms.
  cold::CompactionOptions compaction;
  // Added to the nice value of the background thread that reads and writes
  // merged files (19: the lowest priority), so that compaction takes only
  // CPU that ingestion and queries leave. Its commits run at normal priority.
  int compaction_nice = 19;
  // Files replaced by compaction or retention are deleted this long after
  // they left the table, so that running reads of older snapshots finish.
  std::chrono::milliseconds delete_grace{std::chrono::minutes(5)};
};

struct StorageAppendResult {
  head::AppendResult head;
  size_t backfilled = 0;  // samples older than the head accepts, written to the cold tier
  size_t too_far_in_future = 0;  // more than max_future_ms ahead of the clock
  size_t beyond_retention = 0;   // older than now minus the retention
  // The first sample refused for either reason above, as `series @ time`,
  // for the error message.
  std::string first_refused;
  size_t refused() const { return too_far_in_future + beyond_retention; }
  size_t rejected() const { return head.rejected() + refused(); }
};

class Storage {
 public:
  static Result<std::unique_ptr<Storage>> Open(const StorageOptions& options);
  ~Storage();

  // Appends to the head; samples older than the head's accept window go to
  // the cold tier as backfill instead of being refused. Samples too far in
  // the future or beyond retention are refused (counted in `result`), the
  // others kept. Durable when OK. Unavailable when too many backfill
  // requests are in flight; nothing of the batch is stored then.
  Status Append(std::span<const head::SeriesSamples> batch,
                std::span<const head::MetricMetadata> metadata, StorageAppendResult* result);

  // Whether a read-only node's Select asks the writers for their newest
  // samples. Callers after series over all time only (the search catalog)
  // skip them rather than pull every writer's whole head.
  enum class WriterHeads { kAsk, kSkip };
  // Series matching all matchers with samples possibly in `range`, sorted by
  // labels, each once. On a read-only node, with the writers' samples at or
  // above the lowest writer watermark, and a warning for each writer that
  // did not answer.
  SeriesSelection Select(const model::Matchers& matchers, model::TimeRange range,
                         WriterHeads writers = WriterHeads::kAsk) const;
  // Samples within `range` of the `count` series of `selection` from
  // `first` on, in time order, from both tiers: (*out)[i] for series
  // first + i. Stops with ResourceExhausted as soon as more than
  // `max_samples` are read (a head series or a cold row group at most
  // beyond it). With `cache_cold`, cold-tier samples come from and go to
  // the sample cache (cold/sample_cache.h), if it has a budget.
  Status ReadSamples(const SeriesSelection& selection, size_t first, size_t count,
                     model::TimeRange range,
                     std::vector<std::vector<model::Sample>>* out,
                     int64_t max_samples = INT64_MAX, bool cache_cold = false) const;
  // Label names / values of all series in either tier (sorted, unique).
  std::vector<std::string> LabelNames() const;
  std::vector<std::string> LabelValues(std::string_view name) const;
  std::vector<head::MetricMetadata> Metadata() const { return head_->Metadata(); }
  // Oldest and newest sample time over both tiers (0/0 if empty). On a
  // read-only node asking writers, the newest is the latest any writer
  // accepts (now plus max_future_ms).
  model::TimeRange TimeBounds() const;
  bool read_only() const { return options_.read_only; }

  // Persists the head's oldest blocks while it spans more than 1.5 blocks.
  Status PersistDueBlocks() EXCLUDES(maintenance_mu_);
  // Persists the whole head and empties it.
  Status Flush() EXCLUDES(maintenance_mu_);
  // Compaction, retention, and deletion of files past their grace period.
  // Unavailable on a writer of a shared table that does not hold the
  // compactor's lease (compaction and retention are the compactor's).
  Status Compact() EXCLUDES(maintenance_mu_, compaction_mu_);
  // Deletes the samples within `range` of every series matching any of
  // `selectors`, in the head (logged in the WAL) and in the cold tier (files
  // rewritten in one Delta commit). Prometheus's delete_series.
  Status DeleteSeries(std::span<const model::Matchers> selectors, model::TimeRange range)
      EXCLUDES(maintenance_mu_);
  // A consistent copy of the data directory as of now, in
  // DATA/snapshots/<name>/ (the cold tier at one Delta version, hard-linked;
  // the WAL, copied, unless `skip_head`). Start a server with that directory
  // (or a copy of it) as --data-dir to restore. Returns the name.
  Result<std::string> Snapshot(bool skip_head) EXCLUDES(maintenance_mu_);

  head::HeadStats head_stats() const { return head_->stats(); }
  index::PostingsStats head_cardinality(size_t limit) const { return head_->PostingsStats(limit); }
  wal::Stats wal_stats() const { return head_->wal_stats(); }
  cold::ColdStats cold_stats() const { return cold_->stats(); }
  Result<cold::ColdStatus> cold_status(size_t commit_limit) const { return cold_->TableStatus(commit_limit); }
  // Non-OK once a cold-tier commit's durability is unknown (no more commits
  // until a restart).
  Status cold_failure() const { return cold_->failure(); }
  // Non-OK once a WAL fsync failed (no more appends until a restart).
  Status wal_failure() const { return head_->wal_failure(); }
  uint64_t persist_failures() const { return persist_failures_.load(); }
  uint64_t maintenance_failures() const { return maintenance_failures_.load(); }
  // Times a running compaction paused for a persist.
  uint64_t compaction_pauses() const { return compaction_pauses_.load(); }
  uint64_t backfilled_samples() const { return backfilled_total_.load(); }
  uint64_t refused_future_samples() const { return refused_future_total_.load(); }
  uint64_t refused_retention_samples() const { return refused_retention_total_.load(); }
  uint64_t backfill_requests_refused() const { return backfill_refused_total_.load(); }

  // Stops the background thread and closes the head (WAL fsynced).
  Status Close();

 private:
  explicit Storage(const StorageOptions& options) : options_(options) {}
  // Persists every head sample older than `before`, then truncates the head.
  Status PersistBefore(int64_t before) REQUIRES(maintenance_mu_);
  // Unavailable, naming `what`, on a read-only node.
  Status RefuseIfReadOnly(std::string_view what) const;
  // Takes in the commits other writers made to a shared table.
  void RefreshSharedTable() REQUIRES(maintenance_mu_);
  // Writes `batch` to the cold tier, in one commit with whatever other
  // backfill requests are waiting (group commit).
  // Drops metadata of metric families without series in either tier.
  void PruneMetadata() const;
  Status Backfill(std::span<const head::SeriesSamples> batch, size_t* written)
      EXCLUDES(maintenance_mu_);
  struct BackfillRequest;
  // Commits the queued backfill requests; called by one waiting request.
  void CommitQueuedBackfills(std::unique_lock<std::mutex>& lock) EXCLUDES(maintenance_mu_);
  // Merges the files the compaction policy plans, each written without the
  // maintenance lock (persists go on meanwhile; `nice` > 0 writes on a
  // thread of lower priority) and committed under it. With
  // `yield_to_persist`, starts none and pauses a running one while a
  // persist runs or is due (maintenance_policy.h).
  Status CompactFiles(int nice, bool yield_to_persist) REQUIRES(compaction_mu_) EXCLUDES(maintenance_mu_);
  // Blocks a running compaction, between two batches of series, until
  // CompactionMayRun holds again, an admin compaction waits, or the
  // storage closes.
  void PauseCompactionForPersist();
  // Retention, deletion of files past their grace period (unless a
  // compaction, which may read them, is running), metadata pruning.
  Status ApplyRetention() EXCLUDES(maintenance_mu_, compaction_mu_);
  // Whether this process compacts and applies retention to the table now:
  // always as its only writer; as one of several writers, while it stands
  // for the compactor and holds the lease (claiming or renewing it).
  Result<bool> MaintainsTable() REQUIRES(maintenance_mu_);
  // Persists due blocks and applies retention every persist_check_interval.
  void PersistLoop();
  // Compacts every persist_check_interval, beside PersistLoop.
  void CompactionLoop();
  // Waits for the next round; false once stopping.
  bool WaitForNextRound();

  const StorageOptions options_;
  std::unique_ptr<head::Head> head_;
  std::unique_ptr<cold::ColdStore> cold_;
  // Held by whatever changes the table or the head's persisted range:
  // persists, backfill, commits, retention, deletes, snapshots.
  Mutex maintenance_mu_;
  // Held by one compaction at a time, from plan to commit.
  Mutex compaction_mu_ ACQUIRED_BEFORE(maintenance_mu_);
  // Set while a persist of the head runs.
  std::atomic<bool> persisting_{false};
  // Set on Close: a running compaction stops at its next read.
  std::atomic<bool> stopping_{false};

  // Backfill group commit. std::mutex for the condition variable.
  std::mutex backfill_mu_;
  std::condition_variable backfill_cv_;
  std::vector<std::shared_ptr<BackfillRequest>> backfill_queue_;  // guarded by backfill_mu_
  size_t backfill_in_flight_ = 0;   // queued or being committed; guarded by backfill_mu_
  bool backfill_committing_ = false;  // a request is committing; guarded by backfill_mu_

  std::atomic<uint64_t> persist_failures_{0};
  std::atomic<uint64_t> maintenance_failures_{0};
  std::atomic<uint64_t> compaction_pauses_{0};
  std::atomic<int> compaction_requested_{0};  // admin Compact calls waiting for compaction_mu_
  std::atomic<uint64_t> backfilled_total_{0};
  std::atomic<uint64_t> refused_future_total_{0};
  std::atomic<uint64_t> refused_retention_total_{0};
  std::atomic<uint64_t> backfill_refused_total_{0};
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stop_ = false;
  std::thread persist_thread_;
  std::thread compaction_thread_;
};

}  // namespace mytsdb::storage
