// Head: the hot tier. Recent samples of every active series, in memory,
// made durable by the write-ahead log before an append is acknowledged.
//
//   Append ──► validate ──► WAL (series + samples records) ──► memory
//                                                  (postings, chunks)
//
// Thread safety: all methods are safe to call concurrently. Appends are
// serialised by one lock (decoding, the expensive part of ingestion, happens
// before and in parallel); readers never wait for the WAL. A series' chunks
// are guarded by the series' own mutex, so a reader blocks an appender only
// for the time it takes to copy the samples it asked for.
//
// Memory: see docs/design/head.md for the cost per series and per sample.
#pragma once

#include <boost/smart_ptr/intrusive_ptr.hpp>

#include <atomic>
#include <functional>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/mutex.h"
#include "common/result.h"
#include "head/ref_table.h"
#include "head/series_table.h"
#include "index/postings.h"
#include "model/label_sets.h"
#include "model/labels.h"
#include "model/matcher.h"
#include "model/sample.h"
#include "wal/record.h"
#include "wal/wal.h"

namespace mytsdb::head {

using SeriesRef = index::SeriesRef;

struct HeadOptions {
  wal::Options wal;  // wal.dir must be set
  // Length of a block of the cold tier. Chunks are cut at multiples of it, and
  // samples older than (newest sample - chunk_range_ms / 2) are refused as
  // too old, as Prometheus's head does.
  int64_t chunk_range_ms = 2 * 3600 * 1000;
  // Samples per chunk before a new one is started (Prometheus: 120).
  int samples_per_chunk = 120;
  // Samples older than this belong to the cold tier: replay skips them and
  // appends refuse them as too old. Set from the cold tier's watermark.
  int64_t min_valid_time = INT64_MIN;
  // Cardinality limits (0: none): a new series beyond either is refused
  // (its samples counted as rejected); samples of existing series go on.
  uint64_t max_series = 0;
  uint64_t max_series_per_metric = 0;
};

// One series' samples in an append batch. `labels` must be valid (see
// model::Labels::Validate); samples should be in time order.
struct SeriesSamples {
  const model::Labels* labels;
  std::span<const model::Sample> samples;
};

// What became of the samples of one Append call. Rejected samples do not
// make the call fail: the valid ones are kept.
struct AppendResult {
  size_t samples_appended = 0;
  size_t series_created = 0;
  size_t out_of_order = 0;  // older than the newest sample of their series
  size_t too_old = 0;       // older than the head's accept window
  size_t duplicates = 0;    // same timestamp as the newest sample, other value
  // Samples of new series refused by HeadOptions::max_series, or by
  // max_series_per_metric; the first metric so refused, for the message.
  size_t series_limit = 0;
  size_t series_per_metric_limit = 0;
  std::string limited_metric;
  size_t rejected() const {
    return out_of_order + too_old + duplicates + series_limit + series_per_metric_limit;
  }
};

// Cumulative counters and gauges for /metrics.
struct HeadStats {
  uint64_t num_series = 0;
  uint64_t num_chunks = 0;
  uint64_t chunk_bytes = 0;
  uint64_t samples_appended_total = 0;
  uint64_t series_created_total = 0;
  uint64_t out_of_order_total = 0;
  uint64_t too_old_total = 0;
  uint64_t duplicates_total = 0;
  uint64_t series_limit_total = 0;             // samples refused by max_series
  uint64_t series_per_metric_limit_total = 0;  // ... by max_series_per_metric
  int64_t min_time = 0;  // 0/0 when the head is empty
  int64_t max_time = 0;
};

// Metadata of a metric family, as remote-write sends it.
using MetricMetadata = wal::MetadataRecord;

class Head {
 public:
  // Opens the WAL in options.wal.dir, replays it into memory, and is then
  // ready for appends. Corrupt or torn WAL tails are cut by the WAL.
  static Result<std::unique_ptr<Head>> Open(const HeadOptions& options);
  ~Head();

  // Appends a batch. Returns a non-OK Status only if the WAL could not be
  // written; then nothing of the batch is visible. Per-sample rejections
  // (out of order, too old, duplicate) are counted in `result`.
  Status Append(std::span<const SeriesSamples> batch, std::span<const MetricMetadata> metadata,
                AppendResult* result) EXCLUDES(append_mu_);

  // ---- Reading --------------------------------------------------------------
  // Series matching all matchers that have at least one sample in `range`.
  std::vector<SeriesRef> Select(const model::Matchers& matchers, model::TimeRange range) const;
  // Labels of a series returned by Select.
  model::Labels SeriesLabels(SeriesRef ref) const;
  // The same appended to *out (an empty set if the series is gone), for
  // callers that hold every series' labels at once.
  void AppendSeriesLabels(SeriesRef ref, model::LabelSets* out) const;
  // Appends the series' samples within `range` to `out`, in time order.
  void ReadSamples(SeriesRef ref, model::TimeRange range, std::vector<model::Sample>* out) const;
  std::vector<std::string> LabelNames() const { return postings_.LabelNames(); }
  std::vector<std::string> LabelValues(std::string_view name) const {
    return postings_.LabelValues(name);
  }
  // All metric metadata, keyed by metric family name.
  std::vector<MetricMetadata> Metadata() const EXCLUDES(metadata_mu_);
  // Forgets the metadata of families `keep` says no for (their series are
  // gone from both tiers). Returns how many went.
  size_t PruneMetadata(const std::function<bool(std::string_view family)>& keep)
      EXCLUDES(metadata_mu_);

  // Every series in the head, ascending.
  std::vector<SeriesRef> AllSeries() const { return postings_.All(); }
  // The label index's cardinality (/api/v1/status/tsdb).
  index::PostingsStats PostingsStats(size_t limit) const {
    return postings_.Stats(model::kMetricNameLabel, limit);
  }

  // Deletes the samples in `range` of every series matching any of
  // `selectors`: a tombstones record goes to the WAL first, so that replay
  // deletes the same samples (and keeps those appended later). Returns how
  // many series had samples deleted.
  Result<size_t> DeleteSamples(std::span<const model::Matchers> selectors, model::TimeRange range)
      EXCLUDES(append_mu_);

  // Copies the WAL into the new directory `target`: replaying the copy gives
  // the head as of this call (for snapshots). Appends go on meanwhile.
  Status SnapshotWal(const std::string& target) EXCLUDES(truncate_mu_);

  // ---- Hand-off to the cold tier ----------------------------------------------
  // Forgets every sample older than `before`, which the caller has persisted:
  // chunks are dropped, series left without samples are removed, and the WAL
  // is checkpointed so that replay no longer sees them. From then on appends
  // older than `before` are refused as too old. Safe to call while appends
  // and reads run; one call at a time.
  Status Truncate(int64_t before) EXCLUDES(append_mu_, truncate_mu_);
  // The oldest timestamp the head holds (INT64_MIN at first).
  int64_t min_valid_time() const { return min_valid_time_.load(std::memory_order_acquire); }
  // Refuses appends older than `t` from now on; when it returns, no append
  // that could add such a sample is still running. For a caller about to
  // persist everything before `t`.
  void RaiseMinValidTime(int64_t t) EXCLUDES(append_mu_);
  // The oldest timestamp an append would accept right now: the later of
  // min_valid_time() and half a chunk range behind the newest sample.
  int64_t AcceptsFrom() const;

  HeadStats stats() const;
  // Fixed bytes of one series' bookkeeping object (labels, chunks and index
  // entries come on top; see docs/design/head.md).
  static size_t SeriesObjectBytes();
  wal::Stats wal_stats() const { return wal_->stats(); }
  // Non-OK once a WAL fsync failed: appends are refused until a restart.
  Status wal_failure() const { return wal_->failure(); }

  // Flushes and fsyncs the WAL. Further appends fail.
  Status Close();

 private:
  struct MemSeries;
  // Shared ownership through a count inside the series (head_internal.h).
  using SeriesPtr = boost::intrusive_ptr<MemSeries>;

  explicit Head(const HeadOptions& options);
  Status Replay(std::string_view record);
  MemSeries* FindSeries(const model::Labels& labels, uint64_t hash) const EXCLUDES(series_mu_);
  // The series, kept alive for the caller also if it leaves the head.
  SeriesPtr SeriesByRef(SeriesRef ref) const EXCLUDES(series_mu_);
  // A series not yet visible: Publish makes it so.
  SeriesPtr NewSeries(SeriesRef ref, const model::Labels& labels);
  // `hash` is the series' labels.Hash(), which the caller has already computed.
  void Publish(SeriesPtr series, uint64_t hash) EXCLUDES(series_mu_);
  // Appends to the series' chunks; the caller checked the order.
  void AppendToChunks(MemSeries* series, const model::Sample& sample);
  void UpdateTimeBounds(int64_t min_t, int64_t max_t);
  // Removes series that have no samples left (after a truncation or a replay
  // that skipped persisted samples).
  // Returns the oldest sample time of the series that remain.
  int64_t RemoveEmptySeries() REQUIRES(append_mu_);
  void SetTimeBoundsAfterRemoval(int64_t min_time) REQUIRES(append_mu_);
  // Drops the samples of `s` older than `before`; returns the chunk bytes freed.
  uint64_t TruncateSeries(MemSeries* s, int64_t before);
  Status WriteCheckpoint(int last_segment) REQUIRES(truncate_mu_);
  // Drops the series' samples within `range` (re-encoding chunks).
  void DeleteFromSeries(MemSeries* s, model::TimeRange range);
  // Whether the series holds exactly this sample (same time, same bits).
  bool HasSample(const MemSeries* series, int64_t t, uint64_t value_bits) const;

  const HeadOptions options_;
  std::unique_ptr<wal::Wal> wal_;

  // Serialises appends: validation, WAL order and publication.
  Mutex append_mu_ ACQUIRED_BEFORE(series_mu_);
  SeriesRef next_ref_ GUARDED_BY(append_mu_) = 1;
  std::string wal_buffer_ GUARDED_BY(append_mu_);

  mutable SharedMutex series_mu_;
  SeriesTable<MemSeries> series_by_hash_ GUARDED_BY(series_mu_);
  RefTable<SeriesPtr> series_by_ref_ GUARDED_BY(series_mu_);

  index::MemPostings postings_;

  // One truncation (or WAL snapshot) at a time.
  Mutex truncate_mu_ ACQUIRED_BEFORE(append_mu_);
  // Newest sample time written to each WAL segment that may still be
  // replayed; decides which segments a truncation can drop.
  std::map<int, int64_t> segment_max_time_ GUARDED_BY(append_mu_);
  // During Open only: newest sample time in the segment being replayed.
  int64_t replay_segment_max_time_ = INT64_MIN;
  std::atomic<int64_t> min_valid_time_{INT64_MIN};

  mutable Mutex metadata_mu_;
  std::unordered_map<std::string, MetricMetadata> metadata_ GUARDED_BY(metadata_mu_);

  std::atomic<int64_t> min_time_{INT64_MAX};
  std::atomic<int64_t> max_time_{INT64_MIN};
  std::atomic<uint64_t> samples_appended_total_{0};
  std::atomic<uint64_t> series_created_total_{0};
  std::atomic<uint64_t> out_of_order_total_{0};
  std::atomic<uint64_t> too_old_total_{0};
  std::atomic<uint64_t> duplicates_total_{0};
  std::atomic<uint64_t> series_limit_total_{0};
  std::atomic<uint64_t> series_per_metric_limit_total_{0};
  // Series per metric name, for max_series_per_metric (empty without it).
  std::unordered_map<std::string, uint64_t> series_per_metric_ GUARDED_BY(append_mu_);
  std::atomic<uint64_t> num_chunks_{0};
  std::atomic<uint64_t> chunk_bytes_{0};
  bool closed_ GUARDED_BY(append_mu_) = false;
};

}  // namespace mytsdb::head
