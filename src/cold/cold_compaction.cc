// ColdStore's maintenance: compaction (merging the files the policy picks),
// retention (removing the files its policy picks), deleting series (rewriting files without them),
// snapshots, and the deletion of files that left the table.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <set>

#include "cold/cold_store.h"
#include "cold/delta_protocol.h"
#include "cold/failpoint.h"
#include "cold/file_entry.h"
#include "cold/retention_policy.h"
#include "cold/schema.h"
#include "cold/series_order.h"

namespace mytsdb::cold {

Result<std::optional<PreparedCompaction>> ColdStore::PrepareCompaction(
    const CompactionOptions& options, const CompactionControl& control) {
  auto snap = snapshot();
  std::vector<CompactionFile> candidates;
  candidates.reserve(snap->files.size());
  for (const auto& f : snap->files) {
    candidates.push_back({f->add.min_ts, f->add.max_ts, f->add.version});
  }
  std::optional<CompactionPlan> plan = PlanCompaction(candidates, snap->compaction_watermark, options);
  if (!plan.has_value()) return std::optional<PreparedCompaction>();
  std::vector<std::shared_ptr<const FileEntry>> files;
  for (size_t i : plan->files) files.push_back(snap->files[i]);
  // The series of these files, read through the catalog a batch at a
  // time; ReadFrom resolves duplicates (last commit wins) while merging.
  const std::vector<ColdSeriesId> id_list = SeriesInFileOrder(files);
  const std::vector<std::string> label_names = catalog_->LabelNames(id_list);
  std::set<std::string> paths;
  for (const auto& f : files) paths.insert(f->add.path);
  // Reads go to exactly the files being merged, through a snapshot of them.
  auto merged_snap = std::make_shared<Snapshot>();
  merged_snap->files = files;
  BatchFn read = [&](size_t first, size_t count, model::TimeRange r,
                     std::vector<SeriesData>* batch) {
    if (control.between_batches) control.between_batches();
    if (control.cancel != nullptr && control.cancel->load(std::memory_order_relaxed)) {
      return Status::Cancelled("compaction stopped");
    }
    return ReadBatch(*merged_snap, std::span(id_list).subspan(first, count), r, batch);
  };
  // Batches of about half a row group: consecutive series in file order
  // sit in consecutive rows of the old files too, so each old page is read
  // about once, and the writer holds half a row group's arrays at most.
  int64_t rows = 0;
  for (const auto& f : files) rows += f->add.num_records;
  size_t per_series = static_cast<size_t>(std::max<int64_t>(rows / std::max<int64_t>(int64_t(id_list.size()), 1), 1));
  size_t batch_series = static_cast<size_t>(options_.write.row_group_rows) / 2 / per_series + 1;
  spdlog::info("cold: compacting {} files of [{}, {}] ({} rows, {} series)", files.size(),
               plan->window.min, plan->window.max, rows, id_list.size());
  // Compaction runs off the ingestion path: it can afford a stronger ZSTD
  // level than a flush (docs/FORMAT.md).
  WriteOptions write = options_.write;
  write.zstd_level = options.zstd_level;
  ASSIGN_OR_RETURN(auto add, WriteDayFile(plan->window, id_list.size(), label_names, read,
                                          batch_series, write));
  PreparedCompaction prepared;
  prepared.planned_at = snap->version;
  prepared.window = plan->window;
  prepared.commit.operation = "OPTIMIZE";
  prepared.commit.rewrites = plan->window;
  prepared.commit.operation_parameters = {{"reason", "compaction"}};
  if (add.has_value()) prepared.commit.adds.push_back(*add);
  prepared.commit.removes.assign(paths.begin(), paths.end());
  prepared.commit.label_columns = LabelColumns(label_names);
  return std::optional<PreparedCompaction>(std::move(prepared));
}

std::vector<ColdSeriesId> ColdStore::SeriesInFileOrder(
    std::span<const std::shared_ptr<const FileEntry>> files) const {
  // Each file's series by their first row: the file's order.
  std::vector<std::vector<ColdSeriesId>> runs;
  for (const auto& f : files) {
    std::vector<std::pair<int64_t, ColdSeriesId>> by_row;
    by_row.reserve(f->spans.size());
    for (const FileEntry::Span& span : f->spans) by_row.emplace_back(span.first_row, span.id);
    std::sort(by_row.begin(), by_row.end());
    std::vector<ColdSeriesId>& run = runs.emplace_back();
    run.reserve(by_row.size());
    for (const auto& [row, id] : by_row) run.push_back(id);
  }
  return MergeSeriesRuns(runs, [this](ColdSeriesId a, ColdSeriesId b) {
    return catalog_->CompareInFileOrder(a, b);
  });
}

Result<bool> ColdStore::CommitCompaction(PreparedCompaction prepared) {
  MaybeFail("cold.compact.before_commit");
  // Optimistic concurrency, as Delta writers resolve conflicts: the merge
  // is valid only if every file it replaces is still in the table and no
  // file added since the plan holds rows of its window (those rows would
  // otherwise lose "last write wins" to the older ones merged here).
  auto snap = snapshot();
  std::set<std::string> present;
  bool conflict = false;
  for (const auto& f : snap->files) {
    present.insert(f->add.path);
    conflict |= f->add.version > prepared.planned_at &&
                prepared.window.Overlaps(f->add.min_ts, f->add.max_ts);
  }
  for (const std::string& path : prepared.commit.removes) conflict |= present.count(path) == 0;
  if (conflict) {
    for (const AddFile& add : prepared.commit.adds) {
      Status st = options_.fs->Remove(io::JoinPath(options_.dir, add.path));
      if (!st.ok()) spdlog::warn("cold: cannot delete uncommitted {}: {}", add.path, st.ToString());
    }
    spdlog::info("cold: compaction of [{}, {}] dropped: the table changed there since version {}",
                 prepared.window.min, prepared.window.max, prepared.planned_at);
    return false;
  }
  RETURN_NOT_OK(CommitAndPublish(std::move(prepared.commit)));
  return true;
}

Status ColdStore::Compact(const CompactionOptions& options) {
  for (;;) {
    ASSIGN_OR_RETURN(std::optional<PreparedCompaction> prepared, PrepareCompaction(options));
    if (!prepared.has_value()) break;
    // Without concurrent commits there is no conflict; after one, plan again.
    RETURN_NOT_OK(CommitCompaction(std::move(*prepared)).status());
  }
  return Status::OK();
}

Status ColdStore::ApplyRetention(int64_t min_time, uint64_t max_bytes) {
  auto snap = snapshot();
  std::vector<RetentionFile> files;
  for (const auto& f : snap->files) {
    files.push_back({f->add.max_ts, static_cast<uint64_t>(f->add.size_bytes)});
  }
  CommitRequest commit;
  commit.operation = "DELETE";
  commit.operation_parameters = {{"reason", "retention"}};
  for (size_t i : PlanRetention(files, min_time, max_bytes)) {
    commit.removes.push_back(snap->files[i]->add.path);
  }
  if (commit.removes.empty()) return Status::OK();
  spdlog::info("cold: retention removes {} file(s) (older than {} or over {} bytes)",
               commit.removes.size(), min_time, max_bytes);
  return CommitAndPublish(std::move(commit));
}

Result<size_t> ColdStore::DeleteSeries(std::span<const model::Matchers> selectors,
                                       model::TimeRange range) {
  std::set<ColdSeriesId> doomed;
  auto postings = catalog_->postings();
  for (const model::Matchers& matchers : selectors) {
    for (index::SeriesRef ref : postings->Select(matchers)) doomed.insert(static_cast<ColdSeriesId>(ref));
  }
  if (doomed.empty()) return size_t{0};
  auto snap = snapshot();
  CommitRequest commit;
  commit.operation = "DELETE";
  commit.operation_parameters = {{"reason", "delete_series"}};
  std::set<std::string> columns;
  for (const auto& file : snap->files) {
    if (!range.Overlaps(file->add.min_ts, file->add.max_ts)) continue;
    bool touched = false;
    for (const auto& span : file->spans) touched |= doomed.count(span.id) > 0;
    if (!touched) continue;
    const std::vector<ColdSeriesId> id_list = SeriesInFileOrder(std::span(&file, 1));
    const std::vector<std::string> label_names = catalog_->LabelNames(id_list);
    // The file is read alone and written again without the deleted samples.
    auto one = std::make_shared<Snapshot>();
    one->files = {file};
    size_t dropped = 0;
    BatchFn read = [&](size_t first, size_t count, model::TimeRange r,
                       std::vector<SeriesData>* batch) {
      std::vector<ColdSeriesId> ids;
      RETURN_NOT_OK(ReadBatch(*one, std::span(id_list).subspan(first, count), r, batch, &ids));
      for (size_t k = 0; k < batch->size(); ++k) {
        SeriesData& series = (*batch)[k];
        if (doomed.count(ids[k]) == 0) continue;
        size_t before = series.samples.size();
        std::erase_if(series.samples, [&](const model::Sample& s) { return range.Contains(s.timestamp_ms); });
        dropped += before - series.samples.size();
      }
      std::erase_if(*batch, [](const SeriesData& series) { return series.samples.empty(); });
      return Status::OK();
    };
    const int64_t day_start = DayStartOf(file->add.min_ts);
    ASSIGN_OR_RETURN(auto add, WriteDayFile({day_start, day_start + kDayMs - 1}, id_list.size(),
                                            label_names, read, 1024, options_.write));
    if (dropped == 0) {
      // Its matching series had no samples in the range: the file stays.
      if (add) (void)options_.fs->Remove(io::JoinPath(options_.dir, add->path));
      continue;
    }
    if (add) {
      add->version = file->add.version;  // the rows keep their place in "last write wins"
      commit.adds.push_back(*add);
      for (const std::string& c : LabelColumns(label_names)) columns.insert(c);
    }
    commit.removes.push_back(file->add.path);
    spdlog::info("cold: deleting {} samples from {}", dropped, file->add.path);
  }
  if (commit.removes.empty()) return size_t{0};
  commit.label_columns.assign(columns.begin(), columns.end());
  const size_t changed = commit.removes.size();
  RETURN_NOT_OK(CommitAndPublish(std::move(commit)));
  return changed;
}

Result<int64_t> ColdStore::SnapshotTo(const std::string& target) {
  auto snap = snapshot();
  std::vector<std::string> paths;
  for (const auto& f : snap->files) paths.push_back(f->add.path);
  RETURN_NOT_OK(CopyDeltaSnapshot(options_.fs, options_.dir, snap->version, paths, target));
  return snap->version;
}

size_t ColdStore::DeleteRemovedFiles(std::chrono::milliseconds grace) {
  const int64_t cutoff = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count() -
                         grace.count();
  std::vector<std::string> due;
  {
    MutexLock lock(&pending_mu_);
    std::erase_if(pending_deletes_, [&](const PendingDelete& p) {
      if (p.removed_at_ms > cutoff) return false;
      due.push_back(p.path);
      return true;
    });
  }
  io::FileSystem* fs = options_.fs;
  size_t deleted = 0;
  for (const std::string& path : due) {
    auto decoded = DecodeActionPath(path);
    if (!decoded.ok()) continue;
    Status st = fs->Remove(io::JoinPath(options_.dir, *decoded));
    if (st.ok() || st.code() == StatusCode::kNotFound) {
      ++deleted;
    } else {
      // Tried again at the next start (the log's tombstone names it).
      spdlog::warn("cold: cannot delete {}: {}", path, st.ToString());
    }
  }
  // Day directories left empty go too.
  auto dirs = fs->ListDir(options_.dir);
  if (dirs.ok()) {
    for (const io::DirEntry& dir : *dirs) {
      if (!dir.is_directory || !dir.name.starts_with("day=")) continue;
      const std::string path = io::JoinPath(options_.dir, dir.name);
      auto files = fs->ListDir(path);
      if (files.ok() && files->empty()) (void)fs->Remove(path);
    }
  }
  return deleted;
}

}  // namespace mytsdb::cold
