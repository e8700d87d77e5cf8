// ColdStore: opening the table, committing changes, persisting the head.
#include "cold/cold_store.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "cold/delta_protocol.h"
#include "cold/manifest.h"
#include "cold/failpoint.h"
#include "cold/file_entry.h"
#include "cold/file_stats.h"
#include "cold/schema.h"
#include "cold/series_order.h"

namespace mytsdb::cold {

namespace {

using io::JoinPath;

// Series read from the head per batch when persisting.
constexpr size_t kPersistBatchSeries = 1024;

// Whether a recorded `stats` JSON gives statistics for all of `columns`.
bool CoversColumns(const std::string& stats_json, const std::vector<std::string>& columns) {
  std::set<std::string> covered = StatsJsonColumns(stats_json);
  return std::all_of(columns.begin(), columns.end(),
                     [&](const std::string& c) { return covered.count(c) > 0; });
}

}  // namespace

ColdStore::ColdStore(const ColdStoreOptions& options)
    : options_(options), catalog_(std::make_unique<SeriesCatalog>()) {
  if (options.sample_cache_bytes > 0) sample_cache_ = std::make_unique<SampleCache>(options.sample_cache_bytes);
}

ColdStore::~ColdStore() = default;

Result<std::unique_ptr<ColdStore>> ColdStore::Open(const ColdStoreOptions& options) {
  if (options.dir.empty()) return Status::InvalidArgument("cold store: directory not set");
  ColdStoreOptions opts = options;
  if (opts.orphan_dir.empty()) opts.orphan_dir = JoinPath(io::DirName(opts.dir), "parquet-orphans");
  io::FileSystem* fs = opts.fs;
  std::unique_ptr<ColdStore> store(new ColdStore(opts));
  if (!opts.read_only) RETURN_NOT_OK(store->EnsureDir(opts.dir).WithContext("cold store"));
  ASSIGN_OR_RETURN(store->table_, DeltaTable::Open(opts.dir, fs));
  store->table_->set_writer(opts.writer);
  if (!opts.read_only) RETURN_NOT_OK(store->CleanUnreferencedFiles());

  auto start = std::chrono::steady_clock::now();
  auto snap = std::make_shared<Snapshot>();
  snap->version = store->table_->version();
  store->SetWatermarks(snap.get());
  std::vector<AddFile> adds;
  for (const auto& [path, add] : store->table_->files()) adds.push_back(add);
  std::sort(adds.begin(), adds.end(),
            [](const AddFile& a, const AddFile& b) { return a.version < b.version; });
  ASSIGN_OR_RETURN(snap->files, store->LoadFiles(adds));
  uint64_t rows = 0;
  for (const auto& entry : snap->files) rows += static_cast<uint64_t>(entry->add.num_records);
  double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  spdlog::info("cold: table version {}, {} files, {} rows, {} series, catalog loaded in {:.2f} s",
               snap->version, snap->files.size(), rows, store->catalog_->size(), secs);
  store->Publish(std::move(snap));

  // A table written by an older MyTSDB lacks statistics for most columns,
  // which makes delta-rs skip its files: give them full ones now.
  if (store->table_->version() >= 0 && !opts.read_only) {
    const std::vector<std::string> columns = store->table_->StatsColumns();
    bool stale = store->table_->configuration().count(kStatsColumnsProperty) == 0;
    for (const auto& [path, add] : store->table_->files()) {
      stale = stale || !CoversColumns(add.stats_json, columns);
    }
    if (stale) {
      spdlog::info("cold: recording full statistics for the files of the table");
      CommitRequest upgrade;
      upgrade.operation = "COMPUTE STATS";
      RETURN_NOT_OK(store->CommitAndPublish(std::move(upgrade)).WithContext("statistics upgrade"));
    }
  }
  return store;
}

Status ColdStore::CleanUnreferencedFiles() {
  io::FileSystem* fs = options_.fs;
  // The table's files by the names they have on disk (paths are encoded).
  std::set<std::string> referenced, removed;
  for (const auto& [path, add] : table_->files()) {
    ASSIGN_OR_RETURN(std::string decoded, DecodeActionPath(path));
    referenced.insert(decoded);
  }
  for (const auto& [path, when] : table_->tombstones()) {
    auto decoded = DecodeActionPath(path);
    if (decoded.ok()) removed.insert(*decoded);
  }
  ASSIGN_OR_RETURN(std::vector<io::DirEntry> dirs, fs->ListDir(options_.dir));
  size_t moved = 0;
  size_t unexplained = 0;
  for (const io::DirEntry& dir : dirs) {
    const std::string dir_path = JoinPath(options_.dir, dir.name);
    if (dir.name == "_delta_log") {
      // Temporary files of a commit or checkpoint that never completed; none
      // is part of the log.
      ASSIGN_OR_RETURN(std::vector<io::DirEntry> log, fs->ListDir(dir_path));
      for (const io::DirEntry& f : log) {
        if (f.name.ends_with(".tmp")) RETURN_NOT_OK(fs->Remove(JoinPath(dir_path, f.name)));
      }
      continue;
    }
    if (!dir.is_directory || !dir.name.starts_with("day=")) continue;
    ASSIGN_OR_RETURN(std::vector<io::DirEntry> files, fs->ListDir(dir_path));
    for (const io::DirEntry& f : files) {
      const std::string rel = dir.name + "/" + f.name;
      const std::string full = JoinPath(dir_path, f.name);
      if (f.is_directory || referenced.count(rel) > 0) continue;
      if (f.name.ends_with(".tmp")) {
        spdlog::warn("cold: removing {} (an unfinished write)", full);
        RETURN_NOT_OK(fs->Remove(full));
      } else if (!f.name.ends_with(".parquet")) {
        continue;  // not ours: left alone
      } else if (removed.count(rel) > 0 && !options_.shared) {
        // A commit removed it; its deletion was due when the process stopped.
        spdlog::info("cold: deleting {}, removed from the table by an earlier commit", full);
        RETURN_NOT_OK(fs->Remove(full));
      } else if (options_.shared) {
        // Another writer's upload in flight, or a file a commit removed
        // that its remover deletes once readers of older snapshots are done.
        ++unexplained;
      } else {
        // No commit explains it: never committed (so never acknowledged), or
        // from a writer MyTSDB does not know. Kept, out of the table's way.
        const std::string target_dir = JoinPath(options_.orphan_dir, dir.name);
        RETURN_NOT_OK(EnsureDir(options_.orphan_dir));
        RETURN_NOT_OK(EnsureDir(target_dir));
        RETURN_NOT_OK(fs->Rename(full, JoinPath(target_dir, f.name)));
        RETURN_NOT_OK(fs->SyncDir(target_dir));
        spdlog::warn("cold: {} is not in the Delta log: moved to {}", full, target_dir);
        ++moved;
      }
    }
    RETURN_NOT_OK(fs->SyncDir(dir_path));
  }
  if (moved > 0) {
    spdlog::warn("cold: {} file(s) not in the Delta log were moved to {}; delete them once "
                 "you have checked them",
                 moved, options_.orphan_dir);
  }
  if (unexplained > 0) {
    spdlog::info("cold: {} file(s) in the shared table {} are not in its snapshot (uploads not "
                 "committed yet, or removed files their remover will delete): left in place",
                 unexplained, options_.dir);
  }
  return Status::OK();
}

Status ColdStore::EnsureDir(const std::string& dir) {
  {
    MutexLock lock(&durable_dirs_mu_);
    if (durable_dirs_.count(dir) > 0) return Status::OK();
  }
  // Synced even if it exists: an earlier attempt may have created it and
  // failed to make its entry durable.
  RETURN_NOT_OK(options_.fs->CreateDirs(dir));
  RETURN_NOT_OK(options_.fs->SyncDir(io::DirName(dir)));
  MutexLock lock(&durable_dirs_mu_);
  durable_dirs_.insert(dir);
  return Status::OK();
}

Result<std::shared_ptr<FileEntry>> ColdStore::LoadFile(const AddFile& add) {
  return LoadFileEntry(options_.fs, options_.dir, add, catalog_.get());
}

Result<std::vector<std::shared_ptr<const FileEntry>>> ColdStore::LoadFiles(
    const std::vector<AddFile>& adds) {
  std::vector<std::shared_ptr<const FileEntry>> entries(adds.size());
  std::vector<Status> errors(adds.size());
  std::atomic<size_t> next{0};
  std::atomic<size_t> loaded{0};
  std::atomic<bool> failed{false};
  auto load = [&](size_t i) -> Result<std::shared_ptr<const FileEntry>> {
    try {
      ASSIGN_OR_RETURN(std::shared_ptr<FileEntry> entry, LoadFile(adds[i]));
      return std::shared_ptr<const FileEntry>(std::move(entry));
    } catch (const std::exception& e) {  // bad_alloc: a thread must not end the process
      return Status::Internal(std::string("cold: loading ") + adds[i].path + ": " + e.what());
    }
  };
  auto work = [&] {
    for (;;) {
      if (failed.load()) return;
      const size_t i = next.fetch_add(1);
      if (i >= adds.size()) return;
      Result<std::shared_ptr<const FileEntry>> entry = load(i);
      if (!entry.ok()) {
        errors[i] = entry.status();
        failed.store(true);
        return;
      }
      entries[i] = std::move(*entry);
      const size_t n = loaded.fetch_add(1) + 1;
      if (n % 100 == 0) spdlog::info("cold: loaded the catalog of {} of {} files", n, adds.size());
    }
  };
  const size_t threads = std::min<size_t>(adds.size(), std::max(1u, std::thread::hardware_concurrency()));
  std::vector<std::thread> pool;
  for (size_t t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
  for (const Status& st : errors) RETURN_NOT_OK(st);
  return entries;
}

std::shared_ptr<const ColdStore::Snapshot> ColdStore::snapshot() const {
  MutexLock lock(&snapshot_mu_);
  return snapshot_;
}

void ColdStore::Publish(std::shared_ptr<const Snapshot> snapshot) {
  {
    MutexLock lock(&snapshot_mu_);
    snapshot_ = snapshot;
  }
  // The live-file manifest follows (commits are serialised, so are these
  // writes). A failure leaves the previous manifest, and costs no data:
  // the log is the truth, and the next commit or start writes it again.
  if (snapshot->version < 0) return;
  Result<std::string> json = ManifestJson(*snapshot);
  Status st = json.ok() ? options_.fs->WriteFileAtomically(
                              JoinPath(options_.dir, std::string(kManifestName)), *json)
                        : json.status();
  if (!st.ok()) {
    manifest_failures_.fetch_add(1);
    spdlog::warn("cold: cannot write {}: {}", kManifestName, st.ToString());
  }
}

int64_t ColdStore::watermark() const { return snapshot()->watermark; }

int64_t ColdStore::cluster_watermark() const { return snapshot()->compaction_watermark; }

Status ColdStore::failure() const { return table_->failure(); }

// ---- Writing ------------------------------------------------------------------

Result<std::optional<AddFile>> ColdStore::WriteDayFile(
    model::TimeRange range, size_t num_series, const std::vector<std::string>& label_names,
    const BatchFn& read, size_t batch_series, const WriteOptions& write_options) {
  io::FileSystem* fs = options_.fs;
  batch_series = std::max<size_t>(batch_series, 1);
  AddFile add;
  add.day = DayOf(range.min);
  add.path = "day=" + add.day + "/part-" + std::to_string(range.min) + "-" + RandomFileSuffix() +
             ".parquet";
  const std::string full = JoinPath(options_.dir, add.path);
  RETURN_NOT_OK(EnsureDir(io::DirName(full)));
  ASSIGN_OR_RETURN(auto writer, ParquetFileWriter::Open(fs, full, label_names, write_options));
  // Series are read and written `batch_series` at a time, so that memory
  // holds about one row group of samples.
  std::vector<SeriesData> batch;
  for (size_t first = 0; first < num_series; first += batch_series) {
    batch.clear();
    RETURN_NOT_OK(read(first, std::min(batch_series, num_series - first), range, &batch));
    RETURN_NOT_OK(writer->Write(batch));
  }
  ASSIGN_OR_RETURN(FileInfo info, writer->Finish());
  if (info.num_rows == 0) {
    RETURN_NOT_OK(fs->Remove(full));
    return std::optional<AddFile>();
  }
  add.size_bytes = info.size_bytes;
  add.num_records = info.num_rows;
  add.min_ts = info.min_ts;
  add.max_ts = info.max_ts;
  add.has_mytsdb_tags = true;
  return std::optional<AddFile>(add);
}

Status ColdStore::CommitAndPublish(CommitRequest commit) {
  io::FileSystem* fs = options_.fs;
  const size_t new_files = commit.adds.size();
  auto delete_new_files = [&] {
    for (size_t i = 0; i < new_files; ++i) {
      Status st = fs->Remove(JoinPath(options_.dir, commit.adds[i].path));
      if (!st.ok()) spdlog::warn("cold: cannot delete uncommitted {}: {}", commit.adds[i].path, st.ToString());
    }
  };
  // 1. Every new file must read back before a commit refers to it.
  std::vector<std::shared_ptr<FileEntry>> entries;
  for (size_t i = 0; i < new_files; ++i) {
    auto loaded = LoadFile(commit.adds[i]);
    if (!loaded.ok()) {
      delete_new_files();
      return loaded.status().WithContext("reading back a new file");
    }
    entries.push_back(std::move(*loaded));
  }
  // 2. Statistics for the columns the table has after this commit; files
  //    that stay and miss some are re-added with full ones (dataChange
  //    false: their rows do not change).
  std::vector<std::string> columns = table_->label_columns();
  for (const std::string& c : commit.label_columns) {
    if (std::find(columns.begin(), columns.end(), c) == columns.end()) columns.push_back(c);
  }
  const std::vector<std::string> stats_columns = table_->StatsColumnsWith(columns);
  for (size_t i = 0; i < new_files; ++i) {
    commit.adds[i].stats_json = FileStatsJson(entries[i]->stats, stats_columns);
  }
  auto snap = snapshot();
  std::set<std::string> removed(commit.removes.begin(), commit.removes.end());
  std::map<std::string, std::shared_ptr<FileEntry>> refreshed;
  for (const auto& f : snap->files) {
    if (removed.count(f->add.path) > 0 || CoversColumns(f->add.stats_json, stats_columns)) continue;
    auto entry = std::make_shared<FileEntry>(*f);
    entry->add.stats_json = FileStatsJson(entry->stats, stats_columns);
    entry->add.data_change = false;
    commit.adds.push_back(entry->add);
    refreshed[f->add.path] = std::move(entry);
  }

  // 3. Commit.
  bool committed = false;
  Status st = table_->Commit(commit, &committed);
  if (!committed) {
    delete_new_files();
    // A lost race leaves the table at the winners' version: plans made from
    // here on must see their files.
    CatchUpSnapshot();
    return st.WithContext("Delta commit");
  }
  MaybeFail(commit.operation == "OPTIMIZE" ? "cold.compact.after_commit"
            : commit.operation == "DELETE"  ? "cold.retention.after_commit"
                                            : "cold.persist.after_commit");

  // 4. Publish a snapshot with the change. Removed files are deleted later,
  //    once readers of older snapshots are done.
  auto next = std::make_shared<Snapshot>();
  next->version = table_->version();
  SetWatermarks(next.get());
  for (const auto& f : snap->files) {
    if (removed.count(f->add.path) > 0) continue;
    auto it = refreshed.find(f->add.path);
    next->files.push_back(it != refreshed.end() ? it->second : f);
  }
  for (size_t i = 0; i < new_files; ++i) {
    const AddFile& logged = table_->files().at(commit.adds[i].path);
    entries[i]->add.version = logged.version;
    entries[i]->add.stats_json = logged.stats_json;
    next->files.push_back(std::move(entries[i]));
  }
  std::stable_sort(next->files.begin(), next->files.end(), [](const auto& a, const auto& b) {
    return a->add.version < b->add.version;
  });
  if (!removed.empty() && st.ok()) {
    // Only once the commit that removed them is durable: if it were lost in
    // a power cut, the log would still reference them.
    const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    MutexLock lock(&pending_mu_);
    for (const std::string& path : removed) pending_deletes_.push_back({path, now});
  }
  // Other writers' commits between this store's last one and this.
  const bool others_removed = table_->version() != snap->version + 1 && AdoptTableFiles(next.get());
  if ((!removed.empty() && commit.operation != "OPTIMIZE") || others_removed) {
    ForgetSeriesNotIn(*next);
  }
  Publish(std::move(next));
  uint64_t rows = 0;
  for (size_t i = 0; i < new_files; ++i) rows += static_cast<uint64_t>(commit.adds[i].num_records);
  spdlog::info("cold: committed version {} ({}): {} file(s) added with {} rows, {} removed{}{}",
               table_->version(), commit.operation, new_files, rows, commit.removes.size(),
               refreshed.empty() ? "" : fmt::format(", statistics of {} recorded", refreshed.size()),
               commit.watermark ? fmt::format(", watermark {}", *commit.watermark) : "");
  // Committed; if its durability is unknown the table refuses further
  // commits and the caller must not forget what it persisted.
  return st;
}

namespace {
// Sorted label names other than __name__ of `series`.
std::vector<std::string> LabelNamesOf(const model::LabelSets& series) {
  std::vector<std::string> names;
  for (size_t i = 0; i < series.size(); ++i) AddLabelNames(series, i, &names);
  return names;
}
}  // namespace

std::vector<size_t> ColdStore::FileOrder(const model::LabelSets& series) {
  std::vector<size_t> order(series.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return CompareInFileOrder(series, a, b) < 0; });
  return order;
}

std::vector<std::string> ColdStore::LabelColumns(const std::vector<std::string>& label_names) {
  std::vector<std::string> columns;
  for (const std::string& name : label_names) columns.push_back(ColumnForLabel(name));
  return columns;
}

Status ColdStore::Persist(const PersistRequest& request) {
  std::vector<size_t> order = FileOrder(request.series);
  const std::vector<std::string> label_names = LabelNamesOf(request.series);
  CommitRequest commit;
  commit.watermark = request.new_watermark;
  commit.label_columns = LabelColumns(label_names);
  auto cleanup = [&] {
    for (const AddFile& a : commit.adds) (void)options_.fs->Remove(JoinPath(options_.dir, a.path));
  };
  BatchFn read = [&](size_t first, size_t count, model::TimeRange r,
                     std::vector<SeriesData>* batch) {
    std::vector<model::Sample> samples;
    for (size_t i : std::span(order).subspan(first, count)) {
      request.read(i, r, &samples);
      if (samples.empty()) continue;
      batch->push_back({request.series.At(i), std::move(samples)});
      samples = {};
    }
    return Status::OK();
  };
  const model::TimeRange range = request.range;
  if (range.min <= range.max && !order.empty()) {
    // One file per UTC day the range touches.
    for (int64_t day = DayStartOf(range.min); day <= DayStartOf(range.max); day += kDayMs) {
      model::TimeRange day_range{std::max(range.min, day), std::min(range.max, day + kDayMs - 1)};
      auto add = WriteDayFile(day_range, order.size(), label_names, read, kPersistBatchSeries,
                              options_.write);
      if (!add.ok()) {
        cleanup();
        return add.status();
      }
      if (add->has_value()) commit.adds.push_back(**add);
    }
  }
  if (commit.adds.empty() && !commit.watermark.has_value()) return Status::OK();
  if (commit.adds.empty()) commit.label_columns.clear();
  MaybeFail("cold.persist.before_commit");
  return CommitAndPublish(std::move(commit));
}

ColdStats ColdStore::stats() const {
  auto snap = snapshot();
  ColdStats st;
  st.version = snap->version;
  st.watermark = snap->watermark;
  st.files = snap->files.size();
  for (const auto& f : snap->files) {
    st.bytes += static_cast<uint64_t>(f->add.size_bytes);
    st.rows += static_cast<uint64_t>(f->add.num_records);
    st.min_time = f == snap->files.front() ? f->add.min_ts : std::min(st.min_time, f->add.min_ts);
    st.max_time = f == snap->files.front() ? f->add.max_ts : std::max(st.max_time, f->add.max_ts);
  }
  st.catalog_series = catalog_->size();
  st.manifest_failures = manifest_failures_.load();
  if (sample_cache_ != nullptr) st.sample_cache = sample_cache_->stats();
  return st;
}

Result<ColdStatus> ColdStore::TableStatus(size_t commit_limit) const {
  ColdStatus status;
  status.stats = stats();
  auto snap = snapshot();
  std::vector<AddFile> adds;
  adds.reserve(snap->files.size());
  for (const auto& f : snap->files) adds.push_back(f->add);
  status.days = SummarizeDays(adds);
  ASSIGN_OR_RETURN(status.commits, ReadCommitHistory(options_.fs, options_.dir, snap->version, commit_limit));
  return status;
}

}  // namespace mytsdb::cold
