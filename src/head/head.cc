#include "head/head.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <bit>

#include "common/atomic_util.h"
#include "head/head_internal.h"

namespace mytsdb::head {

Head::Head(const HeadOptions& options)
    : options_(options),
      min_valid_time_(options.min_valid_time) {}

Head::~Head() { (void)Close(); }

Result<std::unique_ptr<Head>> Head::Open(const HeadOptions& options) {
  if (options.wal.dir.empty()) return Status::InvalidArgument("head: WAL directory not set");
  if (options.chunk_range_ms <= 0 || options.samples_per_chunk <= 0) {
    return Status::InvalidArgument("head: chunk range and samples per chunk must be positive");
  }
  std::unique_ptr<Head> head(new Head(options));
  Head* raw = head.get();
  size_t records = 0;
  // Each replayed segment is noted with the newest sample it holds, as
  // appends note theirs: a truncation drops it once that sample is persisted.
  // (Marking every replayed segment with the newest replayed sample would be
  // safe too, but a server restarted more often than a block is persisted
  // would then never drop a segment, and its WAL would grow without end.)
  auto segment_replayed = [raw](int segment) {
    MutexLock lock(&raw->append_mu_);
    if (raw->replay_segment_max_time_ != INT64_MIN) {
      raw->segment_max_time_[segment] = raw->replay_segment_max_time_;
    }
    raw->replay_segment_max_time_ = INT64_MIN;
  };
  ASSIGN_OR_RETURN(head->wal_, wal::Wal::Open(
                                   options.wal,
                                   [raw, &records](std::string_view rec) {
                                     ++records;
                                     return raw->Replay(rec);
                                   },
                                   segment_replayed));
  {
    // Series whose samples were all persisted before the last checkpoint.
    MutexLock lock(&head->append_mu_);
    head->SetTimeBoundsAfterRemoval(head->RemoveEmptySeries());
  }
  HeadStats st = head->stats();
  spdlog::info("head: replayed {} WAL records: {} series, {} chunks", records, st.num_series,
               st.num_chunks);
  return head;
}

Status Head::Close() {
  MutexLock lock(&append_mu_);
  if (closed_) return Status::OK();
  closed_ = true;
  return wal_ ? wal_->Close() : Status::OK();
}

Head::MemSeries* Head::FindSeries(const model::Labels& labels, uint64_t hash) const {
  ReaderLock lock(&series_mu_);
  return series_by_hash_.Find(hash, [&](const MemSeries* s) { return s->LabelsEqual(labels); });
}

Head::SeriesPtr Head::SeriesByRef(SeriesRef ref) const {
  ReaderLock lock(&series_mu_);
  const SeriesPtr* s = series_by_ref_.Find(ref);
  return s == nullptr ? nullptr : *s;
}

Head::SeriesPtr Head::NewSeries(SeriesRef ref, const model::Labels& labels) {
  return MemSeries::Make(ref, labels);
}

void Head::Publish(SeriesPtr series, uint64_t hash) {
  model::Labels labels = series->ToLabels();
  SeriesRef ref = series->ref;
  {
    WriterLock lock(&series_mu_);
    series_by_hash_.Insert(hash, series.get());
    series_by_ref_.Insert(ref, std::move(series));
  }
  // Added to the index last: a reader finds the series only once it exists.
  postings_.Add(ref, labels);
  series_created_total_.fetch_add(1, std::memory_order_relaxed);
}

void Head::AppendToChunks(MemSeries* s, const model::Sample& sample) {
  CompactMutexLock lock(&s->mu);
  bool cut = s->chunks.empty();
  if (!cut) {
    const chunk::HeadChunk& last = s->chunks.back();
    // Chunks never straddle a multiple of the chunk range, so that a block of
    // the cold tier takes whole chunks.
    int64_t range = options_.chunk_range_ms;
    int64_t min_t = last.min_time();
    int64_t boundary = (min_t >= 0 ? min_t / range : (min_t - range + 1) / range) * range + range;
    cut = last.num_samples() >= options_.samples_per_chunk || sample.timestamp_ms >= boundary ||
          static_cast<uint64_t>(sample.timestamp_ms) - static_cast<uint64_t>(min_t) >
              static_cast<uint64_t>(chunk::HeadChunk::kMaxSpanMs);
  }
  if (cut) {
    size_t previous_bytes = 0;
    if (!s->chunks.empty()) {
      previous_bytes = s->chunks.back().bytes().size();
      s->chunks.back().Compact();  // closed for good
    }
    s->chunks.emplace_back().Reserve(previous_bytes);
    num_chunks_.fetch_add(1, std::memory_order_relaxed);
  }
  // Modulo 2^64: a chunk that changes encoding can shrink.
  const size_t before = s->chunks.back().bytes().size();
  s->chunks.back().Append(sample.timestamp_ms, sample.value, &s->append_state);
  chunk_bytes_.fetch_add(s->chunks.back().bytes().size() - before, std::memory_order_relaxed);
}

void Head::UpdateTimeBounds(int64_t min_t, int64_t max_t) {
  AtomicMin(&min_time_, min_t);
  AtomicMax(&max_time_, max_t);
}

Status Head::Replay(std::string_view record) {
  // Replay runs before the head is shared, single-threaded.
  ASSIGN_OR_RETURN(wal::RecordType type, wal::PeekType(record));
  switch (type) {
    case wal::RecordType::kSeries: {
      std::vector<wal::SeriesRecord> series;
      RETURN_NOT_OK(wal::DecodeSeries(record, &series));
      for (wal::SeriesRecord& rec : series) {
        if (SeriesByRef(rec.ref) != nullptr) continue;  // repeated by a checkpoint
        Publish(NewSeries(rec.ref, rec.labels), rec.labels.Hash());
        MutexLock lock(&append_mu_);
        next_ref_ = std::max(next_ref_, rec.ref + 1);
        if (options_.max_series_per_metric > 0) {
          ++series_per_metric_[std::string(rec.labels.metric_name())];
        }
      }
      return Status::OK();
    }
    case wal::RecordType::kSamples: {
      std::vector<wal::SampleRecord> samples;
      RETURN_NOT_OK(wal::DecodeSamples(record, &samples));
      int64_t min_t = INT64_MAX, max_t = INT64_MIN;
      uint64_t appended = 0;
      for (const wal::SampleRecord& rec : samples) {
        // What the segment holds, whether or not the head takes it again.
        replay_segment_max_time_ = std::max(replay_segment_max_time_, rec.t);
        // Samples before min_valid_time are in the cold tier already (their
        // series may be gone from the head).
        if (rec.t < options_.min_valid_time) continue;
        SeriesPtr s = SeriesByRef(rec.ref);
        if (s == nullptr) {
          return Status::Corruption("WAL samples record refers to unknown series " +
                                    std::to_string(rec.ref));
        }
        // The WAL holds only accepted samples, in order; a sample that does not
        // follow its series' newest one can only come from a repeated record.
        if (rec.t <= s->last_t) continue;
        s->last_t = rec.t;
        s->last_value_bits = std::bit_cast<uint64_t>(rec.v);
        AppendToChunks(s.get(), {rec.t, rec.v});
        min_t = std::min(min_t, rec.t);
        max_t = std::max(max_t, rec.t);
        ++appended;
      }
      if (appended > 0) UpdateTimeBounds(min_t, max_t);
      return Status::OK();
    }
    case wal::RecordType::kTombstones: {
      std::vector<wal::TombstoneRecord> tombstones;
      RETURN_NOT_OK(wal::DecodeTombstones(record, &tombstones));
      for (const wal::TombstoneRecord& t : tombstones) {
        // A series removed by a later checkpoint's truncation is gone anyway.
        if (auto s = SeriesByRef(t.ref)) DeleteFromSeries(s.get(), {t.min, t.max});
      }
      return Status::OK();
    }
    case wal::RecordType::kMetadata: {
      std::vector<wal::MetadataRecord> metadata;
      RETURN_NOT_OK(wal::DecodeMetadata(record, &metadata));
      MutexLock lock(&metadata_mu_);
      for (wal::MetadataRecord& m : metadata) metadata_[m.metric_family_name] = std::move(m);
      return Status::OK();
    }
  }
  return Status::Corruption("unknown WAL record type " + std::to_string(static_cast<int>(type)));
}

size_t Head::SeriesObjectBytes() { return sizeof(MemSeries); }

HeadStats Head::stats() const {
  HeadStats st;
  {
    ReaderLock lock(&series_mu_);
    st.num_series = series_by_ref_.size();
  }
  st.chunk_bytes = chunk_bytes_.load();
  st.num_chunks = num_chunks_.load();
  st.samples_appended_total = samples_appended_total_.load();
  st.series_created_total = series_created_total_.load();
  st.out_of_order_total = out_of_order_total_.load();
  st.too_old_total = too_old_total_.load();
  st.duplicates_total = duplicates_total_.load();
  st.series_limit_total = series_limit_total_.load();
  st.series_per_metric_limit_total = series_per_metric_limit_total_.load();
  int64_t min_t = min_time_.load(), max_t = max_time_.load();
  if (min_t <= max_t) {
    st.min_time = min_t;
    st.max_time = max_t;
  }
  return st;
}

}  // namespace mytsdb::head
