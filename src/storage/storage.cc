#include "storage/storage.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <ctime>
#include <deque>
#include <map>
#include <random>
#include <set>

#include "common/thread_priority.h"
#include "storage/maintenance_policy.h"

namespace mytsdb::storage {

Result<std::unique_ptr<Storage>> Storage::Open(const StorageOptions& options) {
  if (options.data_dir.empty()) return Status::InvalidArgument("storage: data directory not set");
  StorageOptions effective = options;
  effective.compaction.block_ms = options.head.chunk_range_ms;
  std::unique_ptr<Storage> storage(new Storage(effective));
  const std::vector<int64_t> windows = cold::CompactionWindows(effective.compaction);
  if (options.read_only) {
    spdlog::info("storage: read-only over {}, {}", options.cold_dir,
                 options.recent ? "the newest samples asked of the writers" : "the table only");
  } else if (windows.empty()) {
    spdlog::info("storage: compaction off (the largest window, {} min, is under three blocks of {} min)",
                 options.compaction.max_window_ms / 60'000.0, options.head.chunk_range_ms / 60'000.0);
  } else {
    spdlog::info("storage: compaction merges files into windows of {} to {} min",
                 windows.front() / 60'000.0, windows.back() / 60'000.0);
  }
  // The data directory must survive a power loss with what goes into it
  // (synced also when it exists: its creator may not have got that far).
  RETURN_NOT_OK(options.fs->CreateDirs(options.data_dir).WithContext("create data directory"));
  RETURN_NOT_OK(options.fs->SyncDir(io::DirName(options.data_dir)));
  cold::ColdStoreOptions cold_options;
  cold_options.dir =
      options.cold_dir.empty() ? io::JoinPath(options.data_dir, "parquet") : options.cold_dir;
  cold_options.write = options.write;
  cold_options.fs = options.cold_fs ? options.cold_fs : options.fs;
  // A table on object storage is where several writers meet.
  cold_options.shared = io::IsObjectStoreUrl(cold_options.dir);
  cold_options.writer = options.cold_writer;
  cold_options.read_only = options.read_only;
  cold_options.sample_cache_bytes = options.cold_sample_cache_bytes;
  ASSIGN_OR_RETURN(storage->cold_, cold::ColdStore::Open(cold_options));

  head::HeadOptions head_options = options.head;
  head_options.wal.dir = io::JoinPath(options.data_dir, "wal");
  head_options.wal.fs = options.fs;
  // The head replays only what the cold tier does not hold yet.
  head_options.min_valid_time = storage->cold_->watermark();
  ASSIGN_OR_RETURN(storage->head_, head::Head::Open(head_options));

  if (options.persist_check_interval.count() > 0) {
    Storage* raw = storage.get();
    storage->persist_thread_ = std::thread([raw] { raw->PersistLoop(); });
    if (!options.read_only) storage->compaction_thread_ = std::thread([raw] { raw->CompactionLoop(); });
  }
  return storage;
}

Storage::~Storage() { (void)Close(); }

Status Storage::Close() {
  {
    std::lock_guard<std::mutex> lock(stop_mu_);
    stop_ = true;
  }
  stopping_.store(true);
  stop_cv_.notify_all();
  if (persist_thread_.joinable()) persist_thread_.join();
  if (compaction_thread_.joinable()) compaction_thread_.join();
  MutexLock lock(&maintenance_mu_);  // let a running backfill finish
  return head_ ? head_->Close() : Status::OK();
}

bool Storage::WaitForNextRound() {
  std::unique_lock<std::mutex> lock(stop_mu_);
  stop_cv_.wait_for(lock, options_.persist_check_interval, [this] { return stop_; });
  return !stop_;
}

// Failures are values; the catches are the last line of defence against a
// library that throws, which would otherwise end the process.
void Storage::PersistLoop() {
  while (WaitForNextRound()) {
    try {
      if (options_.read_only || io::IsObjectStoreUrl(options_.cold_dir)) {
        MutexLock lock(&maintenance_mu_);
        RefreshSharedTable();
      }
      if (options_.read_only) continue;
      Status st = PersistDueBlocks();
      if (!st.ok()) {
        // The head keeps the samples (and the WAL), so nothing is lost; the
        // next round tries again.
        persist_failures_.fetch_add(1);
        spdlog::error("storage: persisting a block failed, will retry: {}", st.ToString());
      }
      st = ApplyRetention();
      if (!st.ok()) {
        maintenance_failures_.fetch_add(1);
        spdlog::error("storage: retention failed, will retry: {}", st.ToString());
      }
    } catch (const std::exception& e) {
      maintenance_failures_.fetch_add(1);
      spdlog::error("storage: maintenance threw, will retry: {}", e.what());
    }
  }
}

void Storage::RefreshSharedTable() {
  // Other writers may have committed: take in their files, so that queries
  // see them and plans start from the table as it is.
  Status refreshed = cold_->Refresh();
  if (!refreshed.ok()) {
    maintenance_failures_.fetch_add(1);
    spdlog::error("storage: reading other writers' commits failed, will retry: {}",
                  refreshed.ToString());
  }
}

Status Storage::RefuseIfReadOnly(std::string_view what) const {
  if (!options_.read_only) return Status::OK();
  return Status::Unavailable(std::string(what) +
                             ": this is a read-only node (--read-only); the table's writers do that");
}

void Storage::CompactionLoop() {
  while (WaitForNextRound()) {
    try {
      MutexLock lock(&compaction_mu_);
      Status st = CompactFiles(options_.compaction_nice, /*yield_to_persist=*/true);
      if (!st.ok() && !stopping_.load()) {
        maintenance_failures_.fetch_add(1);
        spdlog::error("storage: compaction failed, will retry: {}", st.ToString());
      }
    } catch (const std::exception& e) {
      maintenance_failures_.fetch_add(1);
      spdlog::error("storage: compaction threw, will retry: {}", e.what());
    }
  }
}

// ---- Writing ------------------------------------------------------------------

namespace {

// "up{job="a"} @ 2026-01-31T10:00:00.000Z" for error messages.
std::string DescribeSample(const model::Labels& labels, int64_t t) {
  time_t secs = static_cast<time_t>(t >= 0 ? t / 1000 : (t - 999) / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(((t % 1000) + 1000) % 1000));
  return labels.ToString() + " @ " + buf + " (" + std::to_string(t) + " ms)";
}

}  // namespace

Status Storage::Append(std::span<const head::SeriesSamples> batch,
                       std::span<const head::MetricMetadata> metadata,
                       StorageAppendResult* result) {
  *result = StorageAppendResult{};
  RETURN_NOT_OK(RefuseIfReadOnly("appending samples"));
  // Every sample falls in one of four classes, by time:
  //   [.. retention_start)          refused: retention would delete it
  //   [retention_start .. accepts)  backfill to the cold tier
  //   [accepts .. latest]           head
  //   (latest ..]                   refused: too far in the future
  const int64_t now = options_.clock->NowMs();
  const int64_t latest = now + options_.max_future_ms;
  const int64_t retention_start = now - options_.retention_ms;
  const int64_t accepts_from = std::max(head_->AcceptsFrom(), retention_start);
  bool all_recent = true;
  for (const head::SeriesSamples& item : batch) {
    for (const model::Sample& s : item.samples) {
      all_recent &= s.timestamp_ms >= accepts_from && s.timestamp_ms <= latest;
    }
  }
  if (all_recent) return head_->Append(batch, metadata, &result->head);

  std::vector<head::SeriesSamples> recent, old;
  // Owners of the split samples; a deque keeps them in place while spans
  // point into them.
  std::deque<std::vector<model::Sample>> parts;
  for (const head::SeriesSamples& item : batch) {
    std::vector<model::Sample>& o = parts.emplace_back();
    std::vector<model::Sample>& r = parts.emplace_back();
    for (const model::Sample& s : item.samples) {
      if (s.timestamp_ms > latest || s.timestamp_ms < retention_start) {
        bool future = s.timestamp_ms > latest;
        ++(future ? result->too_far_in_future : result->beyond_retention);
        if (result->first_refused.empty()) {
          result->first_refused = DescribeSample(*item.labels, s.timestamp_ms);
        }
      } else {
        (s.timestamp_ms < accepts_from ? o : r).push_back(s);
      }
    }
    if (!o.empty()) old.push_back({item.labels, o});
    if (!r.empty()) recent.push_back({item.labels, r});
  }
  refused_future_total_.fetch_add(result->too_far_in_future);
  refused_retention_total_.fetch_add(result->beyond_retention);
  // The backfill is committed first: when Append returns OK both parts are
  // durable, and when the backfill is refused nothing was stored.
  if (!old.empty()) RETURN_NOT_OK(Backfill(old, &result->backfilled).WithContext("backfill"));
  // Metadata goes to the head (which keeps it) even without recent samples.
  return head_->Append(recent, metadata, &result->head);
}

// One request's share of a backfill group commit.
struct Storage::BackfillRequest {
  // Each series' samples, sorted, one per timestamp (the last one wins).
  std::map<model::Labels, std::vector<model::Sample>> series;
  bool done = false;
  Status status;
};

Status Storage::Backfill(std::span<const head::SeriesSamples> batch, size_t* written) {
  // Merge the items per series (a batch may name a series twice), sorted and
  // without repeated timestamps (the last one in the request wins).
  auto request = std::make_shared<BackfillRequest>();
  for (const head::SeriesSamples& item : batch) {
    auto& v = request->series[*item.labels];
    v.insert(v.end(), item.samples.begin(), item.samples.end());
  }
  size_t samples = 0;
  for (auto& [labels, v] : request->series) {
    model::SortKeepingLastPerTimestamp(&v);
    samples += v.size();
  }
  if (samples == 0) return Status::OK();

  std::unique_lock<std::mutex> lock(backfill_mu_);
  if (backfill_in_flight_ >= options_.max_backfill_requests) {
    backfill_refused_total_.fetch_add(1);
    return Status::Unavailable(fmt::format(
        "{} backfill requests are being written to the cold tier already; retry later",
        backfill_in_flight_));
  }
  backfill_queue_.push_back(request);
  ++backfill_in_flight_;
  const auto deadline = std::chrono::steady_clock::now() + options_.backfill_wait;
  while (!request->done) {
    if (!backfill_committing_) {
      // No one is committing: this request commits the queue, its own
      // included (a leader, as in a WAL group commit).
      CommitQueuedBackfills(lock);
      continue;
    }
    if (backfill_cv_.wait_until(lock, deadline) == std::cv_status::timeout && !request->done) {
      auto it = std::find(backfill_queue_.begin(), backfill_queue_.end(), request);
      if (it != backfill_queue_.end()) {
        // Not taken by a committer yet: withdraw it, nothing was stored.
        backfill_queue_.erase(it);
        --backfill_in_flight_;
        backfill_refused_total_.fetch_add(1);
        return Status::Unavailable("the cold tier is busy (a long compaction or persist); "
                                   "backfill not written, retry later");
      }
      // Being committed right now: wait for the outcome.
      backfill_cv_.wait(lock, [&] { return request->done; });
    }
  }
  if (request->status.ok()) *written += samples;
  return request->status;
}

void Storage::CommitQueuedBackfills(std::unique_lock<std::mutex>& lock) {
  backfill_committing_ = true;
  std::vector<std::shared_ptr<BackfillRequest>> taken;
  taken.swap(backfill_queue_);
  lock.unlock();

  // Merge the requests; for a timestamp in several, the later request wins.
  std::map<model::Labels, std::vector<model::Sample>> merged;
  size_t total = 0;
  for (const auto& r : taken) {
    for (const auto& [labels, v] : r->series) {
      auto& m = merged[labels];
      m.insert(m.end(), v.begin(), v.end());
      total += v.size();
    }
  }
  cold::PersistRequest req;
  std::vector<const std::vector<model::Sample>*> samples;
  int64_t min_t = INT64_MAX, max_t = INT64_MIN;
  for (auto& [labels, v] : merged) {
    if (taken.size() > 1) model::SortKeepingLastPerTimestamp(&v);
    min_t = std::min(min_t, v.front().timestamp_ms);
    max_t = std::max(max_t, v.back().timestamp_ms);
    req.series.Append(labels);
    samples.push_back(&v);
  }
  req.range = {min_t, max_t};
  req.read = [&](size_t i, model::TimeRange r, std::vector<model::Sample>* out) {
    for (const model::Sample& s : *samples[i]) {
      if (r.Contains(s.timestamp_ms)) out->push_back(s);
    }
  };
  Status st;
  {
    MutexLock maintenance(&maintenance_mu_);
    st = cold_->Persist(req);
  }
  if (st.ok()) backfilled_total_.fetch_add(total);

  lock.lock();
  for (const auto& r : taken) {
    r->status = st;
    r->done = true;
  }
  backfill_in_flight_ -= taken.size();
  backfill_committing_ = false;
  backfill_cv_.notify_all();
}

Status Storage::PersistBefore(int64_t before) {
  persisting_.store(true);
  struct Done {
    std::atomic<bool>* flag;
    ~Done() { flag->store(false); }
  } done{&persisting_};
  // 1. No append may add a sample older than `before` any more: what is read
  //    next is final.
  head_->RaiseMinValidTime(before);
  // 2. Write and commit it, with the new watermark in the same commit. The
  //    request's labels of every series go before the truncation's
  //    checkpoint runs, so that the two never take memory at once.
  {
    cold::PersistRequest req;
    std::vector<head::SeriesRef> refs = head_->AllSeries();
    req.series.reserve(refs.size());
    for (head::SeriesRef ref : refs) head_->AppendSeriesLabels(ref, &req.series);
    req.read = [&](size_t i, model::TimeRange r, std::vector<model::Sample>* out) {
      head_->ReadSamples(refs[i], r, out);
    };
    head::HeadStats st = head_->stats();
    req.range = {st.num_series > 0 ? st.min_time : before, before - 1};
    req.new_watermark = std::max(before, cold_->watermark());
    RETURN_NOT_OK(cold_->Persist(req));
  }
  // 3. Forget it in the head and the WAL.
  return head_->Truncate(before);
}

void Storage::PruneMetadata() const {
  std::vector<std::string> names = head_->LabelValues(model::kMetricNameLabel);
  for (auto& n : cold_->LabelValues(model::kMetricNameLabel)) names.push_back(std::move(n));
  std::sort(names.begin(), names.end());
  // A family's series are named after it, or after it with a suffix
  // (_bucket, _sum, _count, _total, _created, ...).
  size_t pruned = head_->PruneMetadata([&](std::string_view family) {
    for (auto it = std::lower_bound(names.begin(), names.end(), family);
         it != names.end() && it->starts_with(family); ++it) {
      if (it->size() == family.size() || (*it)[family.size()] == '_') return true;
    }
    return false;
  });
  if (pruned > 0) spdlog::info("storage: forgot the metadata of {} metric families without series", pruned);
}

Status Storage::PersistDueBlocks() {
  RETURN_NOT_OK(RefuseIfReadOnly("persisting"));
  MutexLock lock(&maintenance_mu_);
  const int64_t block = options_.head.chunk_range_ms;
  for (;;) {
    head::HeadStats st = head_->stats();
    if (!PersistDue(st, block)) return Status::OK();
    int64_t before = model::FloorTo(st.min_time, block) + block;
    spdlog::info("storage: persisting the head's block [{}, {}) to the cold tier", before - block,
                 before);
    RETURN_NOT_OK(PersistBefore(before));
  }
}

Status Storage::Flush() {
  RETURN_NOT_OK(RefuseIfReadOnly("flushing"));
  MutexLock lock(&maintenance_mu_);
  head::HeadStats st = head_->stats();
  if (st.num_series == 0 || st.min_time > st.max_time) return Status::OK();
  spdlog::info("storage: flushing the whole head ({} series) to the cold tier", st.num_series);
  return PersistBefore(st.max_time + 1);
}

Status Storage::Compact() {
  RETURN_NOT_OK(RefuseIfReadOnly("compaction and retention"));
  {
    // A background compaction paused for a persist resumes at once, so
    // that this call waits for it to finish, not for the persist.
    compaction_requested_.fetch_add(1);
    MutexLock lock(&compaction_mu_);
    compaction_requested_.fetch_sub(1);
    if (!options_.cold_writer.empty()) {
      MutexLock maintenance(&maintenance_mu_);
      ASSIGN_OR_RETURN(bool maintains, MaintainsTable());
      if (!maintains) {
        return Status::Unavailable(
            "compaction and retention of the shared table are the compactor's: this writer does "
            "not hold the compactor's lease (--cluster.compactor, docs/SCALING.md)");
      }
    }
    RETURN_NOT_OK(CompactFiles(/*nice=*/0, /*yield_to_persist=*/false));
  }
  return ApplyRetention();
}

Result<bool> Storage::MaintainsTable() {
  if (options_.cold_writer.empty()) return true;
  if (!options_.cold_compactor) return false;
  // Renewed every round: a lease shorter than three rounds could lapse
  // between two of them.
  const int64_t lease_ms = std::max<int64_t>(
      options_.compactor_lease.count(),
      3 * std::chrono::duration_cast<std::chrono::milliseconds>(options_.persist_check_interval).count());
  return cold_->HoldCompactorLease(options_.clock->NowMs(), lease_ms);
}

Status Storage::CompactFiles(int nice, bool yield_to_persist) {
  if (!options_.cold_writer.empty()) {
    MutexLock lock(&maintenance_mu_);
    ASSIGN_OR_RETURN(bool maintains, MaintainsTable());
    if (!maintains) return Status::OK();
  }
  for (;;) {
    if (yield_to_persist &&
        !CompactionMayRun(head_->stats(), options_.head.chunk_range_ms, persisting_.load())) {
      return Status::OK();  // the next round tries again
    }
    // The long step, reading the old files and writing the merged one,
    // changes nothing the other writers see.
    cold::CompactionControl control;
    control.cancel = &stopping_;
    if (yield_to_persist) control.between_batches = [this] { PauseCompactionForPersist(); };
    Result<std::optional<cold::PreparedCompaction>> prepared = std::optional<cold::PreparedCompaction>();
    auto prepare = [&] { prepared = cold_->PrepareCompaction(options_.compaction, control); };
    if (nice > 0) {
      Status lowered = RunAtLowerPriority(nice, prepare);
      if (!lowered.ok()) spdlog::warn("storage: compaction runs at normal priority: {}", lowered.message());
    } else {
      prepare();
    }
    RETURN_NOT_OK(prepared.status());
    if (!prepared->has_value()) return Status::OK();
    MutexLock lock(&maintenance_mu_);
    // A conflict (a commit since the plan touched its files) plans again.
    RETURN_NOT_OK(cold_->CommitCompaction(std::move(**prepared)).status());
  }
}

void Storage::PauseCompactionForPersist() {
  const int64_t block = options_.head.chunk_range_ms;
  if (CompactionMayRun(head_->stats(), block, persisting_.load())) return;
  compaction_pauses_.fetch_add(1);
  spdlog::info("storage: compaction pauses while a block of the head persists");
  const auto started = std::chrono::steady_clock::now();
  std::unique_lock<std::mutex> lock(stop_mu_);
  // The persist loop clears the condition; a short poll sees it soon after.
  while (!stop_ && compaction_requested_.load() == 0 &&
         !CompactionMayRun(head_->stats(), block, persisting_.load())) {
    stop_cv_.wait_for(lock, std::chrono::milliseconds(100));
  }
  spdlog::info("storage: compaction resumes after {:.1f} s",
               std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
}

Status Storage::ApplyRetention() {
  MutexLock lock(&maintenance_mu_);
  // A failed retention (or a lease that could not be claimed) is reported,
  // after the deletions and pruning below, which do not depend on it.
  Result<bool> maintains = MaintainsTable();
  Status retained = maintains.status();
  if (maintains.ok() && *maintains) {
    // Retention counts back from the clock: a file goes only once every
    // sample in it is older than now - retention.
    retained = cold_->ApplyRetention(options_.clock->NowMs() - options_.retention_ms,
                                     options_.retention_bytes);
  }
  // A running compaction may still read files that left the table.
  if (compaction_mu_.TryLock()) {
    cold_->DeleteRemovedFiles(options_.delete_grace);
    compaction_mu_.Unlock();
  }
  PruneMetadata();
  return retained;
}

Status Storage::DeleteSeries(std::span<const model::Matchers> selectors, model::TimeRange range) {
  RETURN_NOT_OK(RefuseIfReadOnly("deleting series"));
  MutexLock lock(&maintenance_mu_);
  ASSIGN_OR_RETURN(size_t series, head_->DeleteSamples(selectors, range));
  ASSIGN_OR_RETURN(size_t files, cold_->DeleteSeries(selectors, range));
  spdlog::info("storage: deleted samples in [{}, {}] of {} head series and {} cold-tier file(s)",
               range.min, range.max, series, files);
  return Status::OK();
}

Result<std::string> Storage::Snapshot(bool skip_head) {
  RETURN_NOT_OK(RefuseIfReadOnly("snapshots"));
  if (io::IsObjectStoreUrl(options_.cold_dir)) {
    // Hard links do not reach across; the log already keeps every version.
    return Status::Unimplemented(
        "snapshots of a cold tier on object storage: read an older version with Delta time "
        "travel (versionAsOf) or use the object store's own versioning (docs/SCALING.md)");
  }
  MutexLock lock(&maintenance_mu_);
  // Prometheus's naming: UTC time and a random suffix.
  const int64_t now = options_.clock->NowMs();
  std::time_t secs = static_cast<std::time_t>(now / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
  static thread_local std::mt19937_64 rng(std::random_device{}());
  char suffix[20];
  std::snprintf(suffix, sizeof suffix, "%016llx", static_cast<unsigned long long>(rng()));
  const std::string name = std::string(stamp) + "-" + suffix;
  const std::string snapshots = io::JoinPath(options_.data_dir, "snapshots");
  const std::string dir = io::JoinPath(snapshots, name);
  io::FileSystem* fs = options_.fs;
  RETURN_NOT_OK(fs->CreateDirs(dir));
  // Under the maintenance lock no persist runs: the cold tier's version and
  // the WAL agree (replaying the copy skips what the copied table holds).
  ASSIGN_OR_RETURN(int64_t version, cold_->SnapshotTo(io::JoinPath(dir, "parquet")));
  if (!skip_head) RETURN_NOT_OK(head_->SnapshotWal(io::JoinPath(dir, "wal")));
  RETURN_NOT_OK(fs->SyncDir(dir));
  RETURN_NOT_OK(fs->SyncDir(snapshots));
  RETURN_NOT_OK(fs->SyncDir(options_.data_dir));
  spdlog::info("storage: snapshot {} (cold tier at version {}{})", dir, version,
               skip_head ? ", without the head" : ", with the WAL");
  return name;
}

// ---- Reading ------------------------------------------------------------------

namespace {

// `preferred` and `other` merged in time order; on a timestamp in both,
// `preferred`'s sample is kept.
std::vector<model::Sample> MergeByTime(std::span<const model::Sample> preferred,
                                       std::span<const model::Sample> other) {
  std::vector<model::Sample> out;
  out.reserve(preferred.size() + other.size());
  size_t p = 0, o = 0;
  while (p < preferred.size() || o < other.size()) {
    if (o == other.size() || (p < preferred.size() && preferred[p].timestamp_ms <= other[o].timestamp_ms)) {
      if (o < other.size() && preferred[p].timestamp_ms == other[o].timestamp_ms) ++o;
      out.push_back(preferred[p++]);
    } else {
      out.push_back(other[o++]);
    }
  }
  return out;
}

// The writers' series, one per label set, each one's samples in time order
// and each timestamp once: a series comes from several writers when their
// answers hold what they read from the table too.
std::vector<RecentSeries> MergeRecentSeries(std::vector<RecentSeries> series) {
  for (RecentSeries& s : series) {
    auto by_time = [](const model::Sample& a, const model::Sample& b) { return a.timestamp_ms < b.timestamp_ms; };
    if (!std::is_sorted(s.samples.begin(), s.samples.end(), by_time)) {
      std::stable_sort(s.samples.begin(), s.samples.end(), by_time);
    }
    auto same_time = [](const model::Sample& a, const model::Sample& b) { return a.timestamp_ms == b.timestamp_ms; };
    s.samples.erase(std::unique(s.samples.begin(), s.samples.end(), same_time), s.samples.end());
  }
  std::sort(series.begin(), series.end(),
            [](const RecentSeries& a, const RecentSeries& b) { return a.labels < b.labels; });
  std::vector<RecentSeries> out;
  for (RecentSeries& s : series) {
    if (!out.empty() && out.back().labels == s.labels) {
      out.back().samples = MergeByTime(out.back().samples, s.samples);
    } else {
      out.push_back(std::move(s));
    }
  }
  return out;
}

}  // namespace

SeriesSelection Storage::Select(const model::Matchers& matchers, model::TimeRange range,
                                WriterHeads writers) const {
  SeriesSelection out;
  for (head::SeriesRef ref : head_->Select(matchers, range)) {
    // A series removed by a truncation since Select appends an empty set.
    out.Add(ref, std::nullopt, [&](model::LabelSets* l) { head_->AppendSeriesLabels(ref, l); });
  }
  for (cold::ColdSeriesId id : cold_->Select(matchers, range)) {
    // Freed by a retention or deletion commit since Select: being deleted.
    out.Add(std::nullopt, id, [&](model::LabelSets* l) { cold_->AppendSeriesLabels(id, l); });
  }
  if (options_.recent != nullptr && writers == WriterHeads::kAsk) {
    // Below the lowest writer watermark every writer's samples are in the
    // table; above it, each writer answers from its head and its view of
    // the table, which may be newer than this node's.
    const model::TimeRange asked{std::max(range.min, cold_->cluster_watermark()), range.max};
    if (asked.min <= asked.max) {
      RecentSamples recent = options_.recent->Read(matchers, asked);
      for (RecentSeries& s : MergeRecentSeries(std::move(recent.series))) out.AddRecent(std::move(s));
      for (std::string& w : recent.warnings) out.AddWarning(std::move(w));
    }
  }
  out.Finish();
  return out;
}

Status Storage::ReadSamples(const SeriesSelection& selection, size_t first, size_t count,
                            model::TimeRange range,
                            std::vector<std::vector<model::Sample>>* out,
                            int64_t max_samples, bool cache_cold) const {
  out->assign(count, {});
  int64_t read = 0;
  auto too_many = [&] {
    return Status::ResourceExhausted("more than " + std::to_string(max_samples) +
                                     " samples to read");
  };
  // The head first, then the cold tier: the head forgets samples only after
  // the commit that persisted them, so whatever the head no longer had when
  // it was read is in the cold snapshot taken afterwards. (The other order
  // could miss a block persisted in between.)
  for (size_t i = 0; i < count; ++i) {
    std::optional<head::SeriesRef> ref = selection.head_ref(first + i);
    if (!ref) continue;
    head_->ReadSamples(*ref, range, &(*out)[i]);
    read += static_cast<int64_t>((*out)[i].size());
    if (read > max_samples) return too_many();
  }
  // Series that were only in the head at Select time may have reached the
  // cold tier since.
  std::vector<cold::ColdSeriesId> cold_ids;
  std::vector<size_t> cold_index;
  for (size_t i = 0; i < count; ++i) {
    std::optional<cold::ColdSeriesId> id = selection.cold_id(first + i);
    if (!id) id = cold_->Find(selection.packed_labels(), selection.packed_index(first + i));
    if (id) {
      cold_ids.push_back(*id);
      cold_index.push_back(i);
    }
  }
  std::vector<std::vector<model::Sample>> cold_samples;
  if (!cold_ids.empty()) {
    Status st = cold_->ReadSamples(cold_ids, range, &cold_samples, max_samples - read, cache_cold);
    if (st.code() == StatusCode::kResourceExhausted) return too_many();
    RETURN_NOT_OK(st);
  }
  for (size_t k = 0; k < cold_ids.size(); ++k) {
    std::vector<model::Sample>& dst = (*out)[cold_index[k]];
    std::vector<model::Sample>& cold = cold_samples[k];
    read += static_cast<int64_t>(cold.size());
    if (dst.empty()) {
      dst = std::move(cold);
    } else if (!cold.empty()) {
      // On the same timestamp the head's sample is kept (the tiers overlap
      // between a commit and the truncation after it, with identical
      // samples, and a backfilled sample never overrides one in the head).
      dst = MergeByTime(dst, cold);
    }
  }
  // What the writers sent (a read-only node), preferred as a head's is.
  for (size_t i = 0; i < count; ++i) {
    std::span<const model::Sample> recent = selection.recent_samples(first + i);
    auto from = std::lower_bound(recent.begin(), recent.end(), range.min,
                                 [](const model::Sample& s, int64_t t) { return s.timestamp_ms < t; });
    auto to = std::upper_bound(from, recent.end(), range.max,
                               [](int64_t t, const model::Sample& s) { return t < s.timestamp_ms; });
    if (from == to) continue;
    std::vector<model::Sample>& dst = (*out)[i];
    read += to - from;
    if (read > max_samples) return too_many();
    dst = dst.empty() ? std::vector<model::Sample>(from, to) : MergeByTime({from, to}, dst);
  }
  return Status::OK();
}

std::vector<std::string> Storage::LabelNames() const {
  std::set<std::string> names;
  for (auto& n : head_->LabelNames()) names.insert(std::move(n));
  for (auto& n : cold_->LabelNames()) names.insert(std::move(n));
  return {names.begin(), names.end()};
}

std::vector<std::string> Storage::LabelValues(std::string_view name) const {
  std::set<std::string> values;
  for (auto& v : head_->LabelValues(name)) values.insert(std::move(v));
  for (auto& v : cold_->LabelValues(name)) values.insert(std::move(v));
  return {values.begin(), values.end()};
}

model::TimeRange Storage::TimeBounds() const {
  head::HeadStats hs = head_->stats();
  cold::ColdStats cs = cold_->stats();
  int64_t lo = INT64_MAX, hi = INT64_MIN;
  if (hs.num_series > 0) {
    lo = hs.min_time;
    hi = hs.max_time;
  }
  if (cs.files > 0) {
    lo = std::min(lo, cs.min_time);
    hi = std::max(hi, cs.max_time);
  }
  if (options_.recent != nullptr) {
    // What the writers hold is not known here, only what they accept.
    const int64_t newest = options_.clock->NowMs() + options_.max_future_ms;
    const int64_t persisted = cold_->cluster_watermark();
    lo = std::min(lo, persisted == INT64_MIN ? newest - options_.retention_ms : persisted);
    hi = std::max(hi, newest);
  }
  if (lo > hi) return {0, 0};
  return {lo, hi};
}

}  // namespace mytsdb::storage
