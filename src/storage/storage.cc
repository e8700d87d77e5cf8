#include "storage/storage.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

namespace mytsdb::storage {

namespace fs = std::filesystem;

namespace {

int64_t FloorTo(int64_t t, int64_t step) {
  return (t >= 0 ? t / step : (t - step + 1) / step) * step;
}

}  // namespace

Result<std::unique_ptr<Storage>> Storage::Open(const StorageOptions& options) {
  if (options.data_dir.empty()) return Status::InvalidArgument("storage: data directory not set");
  std::unique_ptr<Storage> storage(new Storage(options));
  cold::ColdStoreOptions cold_options;
  cold_options.dir = (fs::path(options.data_dir) / "parquet").string();
  cold_options.write = options.write;
  ASSIGN_OR_RETURN(storage->cold_, cold::ColdStore::Open(cold_options));

  head::HeadOptions head_options = options.head;
  head_options.wal.dir = (fs::path(options.data_dir) / "wal").string();
  // The head replays only what the cold tier does not hold yet.
  head_options.min_valid_time = storage->cold_->watermark();
  ASSIGN_OR_RETURN(storage->head_, head::Head::Open(head_options));

  if (options.persist_check_interval.count() > 0) {
    Storage* raw = storage.get();
    storage->background_ = std::thread([raw] { raw->BackgroundLoop(); });
  }
  return storage;
}

Storage::~Storage() { (void)Close(); }

Status Storage::Close() {
  {
    std::lock_guard<std::mutex> lock(stop_mu_);
    stop_ = true;
  }
  stop_cv_.notify_all();
  if (background_.joinable()) background_.join();
  MutexLock lock(&maintenance_mu_);  // let a running backfill finish
  return head_ ? head_->Close() : Status::OK();
}

void Storage::BackgroundLoop() {
  std::unique_lock<std::mutex> lock(stop_mu_);
  while (!stop_) {
    stop_cv_.wait_for(lock, options_.persist_check_interval);
    if (stop_) break;
    lock.unlock();
    Status st = PersistDueBlocks();
    if (!st.ok()) {
      // The head keeps the samples (and the WAL), so nothing is lost; the
      // next round tries again.
      persist_failures_.fetch_add(1);
      spdlog::error("storage: persisting a block failed, will retry: {}", st.ToString());
    }
    st = Compact();
    if (!st.ok()) spdlog::error("storage: compaction or retention failed: {}", st.ToString());
    lock.lock();
  }
}

// ---- Writing ------------------------------------------------------------------

Status Storage::Append(std::span<const head::SeriesSamples> batch,
                       std::span<const head::MetricMetadata> metadata,
                       StorageAppendResult* result) {
  *result = StorageAppendResult{};
  // Samples the head would refuse as too old become backfill.
  const int64_t accepts_from = head_->AcceptsFrom();
  bool any_old = false;
  for (const head::SeriesSamples& item : batch) {
    for (const model::Sample& s : item.samples) any_old |= s.timestamp_ms < accepts_from;
  }
  if (!any_old) return head_->Append(batch, metadata, &result->head);

  std::vector<head::SeriesSamples> recent, old;
  std::vector<std::vector<model::Sample>> recent_samples, old_samples;
  recent_samples.reserve(batch.size());
  old_samples.reserve(batch.size());
  for (const head::SeriesSamples& item : batch) {
    auto split = std::partition_point(item.samples.begin(), item.samples.end(),
                                      [&](const model::Sample& s) {
                                        return s.timestamp_ms < accepts_from;
                                      });
    bool sorted = std::is_sorted(item.samples.begin(), item.samples.end(),
                                 [](const model::Sample& a, const model::Sample& b) {
                                   return a.timestamp_ms < b.timestamp_ms;
                                 });
    if (sorted) {
      if (split != item.samples.begin()) {
        old.push_back({item.labels, std::span<const model::Sample>(item.samples.begin(), split)});
      }
      if (split != item.samples.end()) {
        recent.push_back({item.labels, std::span<const model::Sample>(split, item.samples.end())});
      }
      continue;
    }
    auto& o = old_samples.emplace_back();
    auto& r = recent_samples.emplace_back();
    for (const model::Sample& s : item.samples) (s.timestamp_ms < accepts_from ? o : r).push_back(s);
    if (!o.empty()) old.push_back({item.labels, o});
    if (!r.empty()) recent.push_back({item.labels, r});
  }
  // The backfill is committed first: when Append returns OK both parts are
  // durable.
  RETURN_NOT_OK(Backfill(old, &result->backfilled).WithContext("backfill"));
  if (recent.empty()) {
    // Metadata still goes to the head, which keeps it.
    return head_->Append({}, metadata, &result->head);
  }
  return head_->Append(recent, metadata, &result->head);
}

Status Storage::Backfill(std::span<const head::SeriesSamples> batch, size_t* written) {
  // Merge the items per series (a batch may name a series twice), sorted and
  // without repeated timestamps (the last one in the request wins).
  std::map<model::Labels, std::vector<model::Sample>> by_series;
  for (const head::SeriesSamples& item : batch) {
    auto& v = by_series[*item.labels];
    v.insert(v.end(), item.samples.begin(), item.samples.end());
  }
  cold::PersistRequest req;
  std::vector<std::vector<model::Sample>*> samples;
  int64_t min_t = INT64_MAX, max_t = INT64_MIN;
  for (auto& [labels, v] : by_series) {
    model::SortKeepingLastPerTimestamp(&v);
    *written += v.size();
    min_t = std::min(min_t, v.front().timestamp_ms);
    max_t = std::max(max_t, v.back().timestamp_ms);
    req.series.push_back(labels);
    samples.push_back(&v);
  }
  if (req.series.empty()) return Status::OK();
  req.range = {min_t, max_t};
  req.read = [&](size_t i, model::TimeRange r, std::vector<model::Sample>* out) {
    for (const model::Sample& s : *samples[i]) {
      if (r.Contains(s.timestamp_ms)) out->push_back(s);
    }
  };
  MutexLock lock(&maintenance_mu_);
  RETURN_NOT_OK(cold_->Persist(req));
  backfilled_total_.fetch_add(*written);
  return Status::OK();
}

Status Storage::PersistBefore(int64_t before) {
  // 1. No append may add a sample older than `before` any more: what is read
  //    next is final.
  head_->RaiseMinValidTime(before);
  // 2. Write and commit it, with the new watermark in the same commit.
  cold::PersistRequest req;
  std::vector<head::SeriesRef> refs = head_->AllSeries();
  req.series.reserve(refs.size());
  for (head::SeriesRef ref : refs) req.series.push_back(head_->SeriesLabels(ref));
  req.read = [&](size_t i, model::TimeRange r, std::vector<model::Sample>* out) {
    head_->ReadSamples(refs[i], r, out);
  };
  head::HeadStats st = head_->stats();
  req.range = {st.num_series > 0 ? st.min_time : before, before - 1};
  req.new_watermark = std::max(before, cold_->watermark());
  RETURN_NOT_OK(cold_->Persist(req));
  // 3. Forget it in the head and the WAL.
  return head_->Truncate(before);
}

Status Storage::PersistDueBlocks() {
  MutexLock lock(&maintenance_mu_);
  const int64_t block = options_.head.chunk_range_ms;
  for (;;) {
    head::HeadStats st = head_->stats();
    if (st.num_series == 0 || st.max_time - st.min_time <= block + block / 2) return Status::OK();
    int64_t before = FloorTo(st.min_time, block) + block;
    spdlog::info("storage: persisting the head's block [{}, {}) to the cold tier", before - block,
                 before);
    RETURN_NOT_OK(PersistBefore(before));
  }
}

Status Storage::Flush() {
  MutexLock lock(&maintenance_mu_);
  head::HeadStats st = head_->stats();
  if (st.num_series == 0 || st.min_time > st.max_time) return Status::OK();
  spdlog::info("storage: flushing the whole head ({} series) to the cold tier", st.num_series);
  return PersistBefore(st.max_time + 1);
}

Status Storage::Compact() {
  MutexLock lock(&maintenance_mu_);
  RETURN_NOT_OK(cold_->Compact(options_.compaction));
  model::TimeRange bounds = TimeBounds();
  if (bounds.max > bounds.min || cold_->stats().files > 0) {
    int64_t min_time = bounds.max > INT64_MIN + options_.retention_ms
                           ? bounds.max - options_.retention_ms
                           : INT64_MIN;
    RETURN_NOT_OK(cold_->ApplyRetention(min_time, options_.retention_bytes));
  }
  cold_->DeleteRemovedFiles(options_.delete_grace);
  return Status::OK();
}

// ---- Reading ------------------------------------------------------------------

std::vector<SeriesEntry> Storage::Select(const model::Matchers& matchers,
                                         model::TimeRange range) const {
  std::map<model::Labels, SeriesEntry> merged;
  for (head::SeriesRef ref : head_->Select(matchers, range)) {
    model::Labels labels = head_->SeriesLabels(ref);
    SeriesEntry& e = merged[labels];
    e.labels = std::move(labels);
    e.head_ref = ref;
  }
  for (cold::ColdSeriesId id : cold_->Select(matchers, range)) {
    model::Labels labels = cold_->SeriesLabels(id);
    SeriesEntry& e = merged[labels];
    e.labels = std::move(labels);
    e.cold_id = id;
  }
  std::vector<SeriesEntry> out;
  out.reserve(merged.size());
  for (auto& [labels, e] : merged) out.push_back(std::move(e));
  return out;
}

Status Storage::ReadSamples(std::span<const SeriesEntry> entries, model::TimeRange range,
                            std::vector<std::vector<model::Sample>>* out) const {
  out->assign(entries.size(), {});
  // The head first, then the cold tier: the head forgets samples only after
  // the commit that persisted them, so whatever the head no longer had when
  // it was read is in the cold snapshot taken afterwards. (The other order
  // could miss a block persisted in between.)
  for (size_t i = 0; i < entries.size(); ++i) {
    if (entries[i].head_ref) head_->ReadSamples(*entries[i].head_ref, range, &(*out)[i]);
  }
  // Series that were only in the head at Select time may have reached the
  // cold tier since.
  std::vector<cold::ColdSeriesId> cold_ids;
  std::vector<size_t> cold_index;
  for (size_t i = 0; i < entries.size(); ++i) {
    std::optional<cold::ColdSeriesId> id = entries[i].cold_id;
    if (!id) id = cold_->Find(entries[i].labels);
    if (id) {
      cold_ids.push_back(*id);
      cold_index.push_back(i);
    }
  }
  std::vector<std::vector<model::Sample>> cold_samples;
  if (!cold_ids.empty()) RETURN_NOT_OK(cold_->ReadSamples(cold_ids, range, &cold_samples));
  std::vector<model::Sample> hot;
  for (size_t k = 0; k < cold_ids.size(); ++k) {
    std::vector<model::Sample>& dst = (*out)[cold_index[k]];
    std::vector<model::Sample>& cold = cold_samples[k];
    if (dst.empty()) {
      dst = std::move(cold);
      continue;
    }
    if (cold.empty()) continue;
    // Merge; on the same timestamp the head's sample is kept (the tiers
    // overlap between a commit and the truncation after it, with identical
    // samples, and a backfilled sample never overrides one in the head).
    hot.swap(dst);
    dst.clear();
    dst.reserve(hot.size() + cold.size());
    size_t h = 0, c = 0;
    while (h < hot.size() || c < cold.size()) {
      if (c == cold.size() || (h < hot.size() && hot[h].timestamp_ms <= cold[c].timestamp_ms)) {
        if (c < cold.size() && hot[h].timestamp_ms == cold[c].timestamp_ms) ++c;
        dst.push_back(hot[h++]);
      } else {
        dst.push_back(cold[c++]);
      }
    }
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
  if (lo > hi) return {0, 0};
  return {lo, hi};
}

}  // namespace mytsdb::storage
