// Head::Append: validate, log to the WAL, then make visible.
#include <algorithm>
#include <bit>

#include "common/atomic_util.h"
#include "head/head.h"
#include "head/head_internal.h"

namespace mytsdb::head {

int64_t Head::AcceptsFrom() const {
  // Half a chunk range behind the newest sample, as in Prometheus's head
  // (appendableMinValidTime), and nothing the cold tier already holds.
  int64_t head_max = max_time_.load(std::memory_order_relaxed);
  int64_t window = head_max == INT64_MIN ? INT64_MIN : head_max - options_.chunk_range_ms / 2;
  return std::max(window, min_valid_time_.load(std::memory_order_acquire));
}

void Head::RaiseMinValidTime(int64_t t) {
  MutexLock lock(&append_mu_);
  AtomicMax(&min_valid_time_, t);
}

Status Head::Append(std::span<const SeriesSamples> batch, std::span<const MetricMetadata> metadata,
                    AppendResult* result) {
  *result = AppendResult{};
  MutexLock lock(&append_mu_);
  if (closed_) return Status::Unavailable("head is closed");

  const int64_t min_valid = AcceptsFrom();

  // 1. Resolve series, creating (but not yet publishing) new ones, and
  //    validate every sample against its series' newest one. Each series'
  //    newest accepted sample is advanced in place as the batch is read (a
  //    series may appear more than once in it); `touched` keeps the values
  //    from before, put back if the batch cannot be logged.
  std::vector<std::pair<SeriesPtr, uint64_t>> created;  // and its hash
  std::unordered_multimap<uint64_t, MemSeries*> created_by_hash;
  std::vector<wal::SeriesRecordView> series_records;
  std::vector<wal::SampleRecord> sample_records;
  std::vector<MemSeries*> sample_series;  // the series of each sample record
  struct Touched {
    MemSeries* series;
    int64_t last_t;
    uint64_t last_bits;
  };
  std::vector<Touched> touched;
  touched.reserve(batch.size());
  // Until the batch is logged, leaving (an error, an exception) puts the
  // series' newest samples back.
  struct RestoreUnlessLogged {
    std::vector<Touched>* touched;
    bool logged = false;
    ~RestoreUnlessLogged() {
      if (logged) return;
      for (auto it = touched->rbegin(); it != touched->rend(); ++it) {
        it->series->last_t = it->last_t;
        it->series->last_value_bits = it->last_bits;
      }
    }
  } restore{&touched};
  SeriesRef next_ref = next_ref_;
  int64_t min_t = INT64_MAX, max_t = INT64_MIN;
  const uint64_t num_series = options_.max_series > 0 ? stats().num_series : 0;
  std::unordered_map<std::string, uint64_t> created_per_metric;

  for (const SeriesSamples& item : batch) {
    if (item.samples.empty()) continue;
    const model::Labels& labels = *item.labels;
    uint64_t hash = labels.Hash();
    MemSeries* series = FindSeries(labels, hash);
    if (series == nullptr) {
      auto [first, last] = created_by_hash.equal_range(hash);
      for (auto it = first; it != last && series == nullptr; ++it) {
        if (it->second->LabelsEqual(labels)) series = it->second;
      }
    }
    if (series == nullptr) {
      // A new series: within the cardinality limits?
      std::string_view metric = labels.metric_name();
      if (options_.max_series > 0 && num_series + created.size() >= options_.max_series) {
        result->series_limit += item.samples.size();
        if (result->limited_metric.empty()) result->limited_metric = std::string(metric);
        continue;
      }
      if (options_.max_series_per_metric > 0) {
        auto it = series_per_metric_.find(std::string(metric));
        uint64_t existing = it == series_per_metric_.end() ? 0 : it->second;
        if (existing + created_per_metric[std::string(metric)] >= options_.max_series_per_metric) {
          result->series_per_metric_limit += item.samples.size();
          if (result->limited_metric.empty()) result->limited_metric = std::string(metric);
          continue;
        }
        ++created_per_metric[std::string(metric)];
      }
      created.emplace_back(NewSeries(next_ref++, labels), hash);
      series = created.back().first.get();
      created_by_hash.emplace(hash, series);
      series_records.push_back({series->ref, &labels});
    }
    touched.push_back({series, series->last_t, series->last_value_bits});
    for (const model::Sample& s : item.samples) {
      uint64_t bits = std::bit_cast<uint64_t>(s.value);
      if (s.timestamp_ms < min_valid) {
        ++result->too_old;
      } else if (s.timestamp_ms < series->last_t) {
        // A sender retrying a request whose answer it lost resends samples
        // that are already stored: those are no-ops, not errors.
        if (!HasSample(series, s.timestamp_ms, bits)) ++result->out_of_order;
      } else if (s.timestamp_ms == series->last_t) {
        // The same sample again is a no-op, as in Prometheus; another value
        // for the same timestamp is an error.
        if (bits != series->last_value_bits) ++result->duplicates;
      } else {
        series->last_t = s.timestamp_ms;
        series->last_value_bits = bits;
        sample_records.push_back({series->ref, s.timestamp_ms, s.value});
        sample_series.push_back(series);
        min_t = std::min(min_t, s.timestamp_ms);
        max_t = std::max(max_t, s.timestamp_ms);
      }
    }
  }

  // Only metadata that changed is logged.
  std::vector<wal::MetadataRecord> metadata_records;
  {
    MutexLock meta_lock(&metadata_mu_);
    for (const MetricMetadata& m : metadata) {
      auto it = metadata_.find(m.metric_family_name);
      if (it == metadata_.end() || it->second.type != m.type || it->second.help != m.help ||
          it->second.unit != m.unit) {
        metadata_records.push_back(m);
      }
    }
  }

  // 2. Log. Series records precede the samples that refer to them.
  std::vector<std::string> records;
  if (!series_records.empty()) wal::EncodeSeries(series_records, &records.emplace_back());
  if (!sample_records.empty()) wal::EncodeSamples(sample_records, &records.emplace_back());
  if (!metadata_records.empty()) wal::EncodeMetadata(metadata_records, &records.emplace_back());
  if (!records.empty()) {
    std::vector<std::string_view> views(records.begin(), records.end());
    RETURN_NOT_OK(wal_->Append(views).WithContext("write-ahead log"));
    // Appends rotate segments before writing, and only appenders (holding
    // append_mu_) and Truncate (also) switch segments: this is the segment
    // just written.
    if (!sample_records.empty()) {
      auto [it, inserted] = segment_max_time_.try_emplace(wal_->current_segment(), max_t);
      if (!inserted) it->second = std::max(it->second, max_t);
    }
  }

  restore.logged = true;

  // 3. Make visible: new series first, then samples, then bounds.
  next_ref_ = next_ref;
  for (auto& [series, hash] : created) Publish(std::move(series), hash);
  for (const auto& [metric, n] : created_per_metric) series_per_metric_[metric] += n;
  for (size_t i = 0; i < sample_records.size(); ++i) {
    AppendToChunks(sample_series[i], {sample_records[i].t, sample_records[i].v});
  }
  if (!sample_records.empty()) UpdateTimeBounds(min_t, max_t);
  if (!metadata_records.empty()) {
    MutexLock meta_lock(&metadata_mu_);
    for (wal::MetadataRecord& m : metadata_records) {
      metadata_[m.metric_family_name] = std::move(m);
    }
  }

  result->samples_appended = sample_records.size();
  result->series_created = series_records.size();
  samples_appended_total_.fetch_add(result->samples_appended, std::memory_order_relaxed);
  out_of_order_total_.fetch_add(result->out_of_order, std::memory_order_relaxed);
  too_old_total_.fetch_add(result->too_old, std::memory_order_relaxed);
  duplicates_total_.fetch_add(result->duplicates, std::memory_order_relaxed);
  series_limit_total_.fetch_add(result->series_limit, std::memory_order_relaxed);
  series_per_metric_limit_total_.fetch_add(result->series_per_metric_limit,
                                          std::memory_order_relaxed);
  return Status::OK();
}

}  // namespace mytsdb::head
