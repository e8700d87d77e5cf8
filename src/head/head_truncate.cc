// Head::Truncate: forgetting what the cold tier has taken over.
//
//   1. raise min_valid_time (appends older than `before` are refused from now
//      on) and pick the WAL segments whose samples are all older than
//      `before` (the head records each segment's newest sample time); the
//      current segment is cut first if it qualifies too;
//   2. drop chunks older than `before` (a chunk straddling it is re-encoded);
//   3. remove series left empty (freed once no reader holds them);
//   4. checkpoint: the live series and the metadata replace those segments.
//      They hold no sample the head still needs, so the checkpoint holds no
//      samples and stays small (series and metadata only). Replay skips
//      samples older than min_valid_time in later segments, including those
//      of removed series.
//
// A crash between the steps is safe: the cold tier's watermark (passed back
// as HeadOptions::min_valid_time) makes replay skip persisted samples that an
// old segment still holds.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/atomic_util.h"
#include "head/head.h"
#include "head/head_internal.h"

namespace mytsdb::head {

uint64_t Head::TruncateSeries(MemSeries* s, int64_t before) {
  CompactMutexLock lock(&s->mu);
  uint64_t freed = 0;
  size_t drop = 0;
  while (drop < s->chunks.size() && s->chunks[drop].num_samples() > 0 &&
         s->chunks[drop].max_time() < before) {
    freed += s->chunks[drop].bytes().size();
    ++drop;
  }
  if (drop > 0) {
    s->chunks.erase(s->chunks.begin(), s->chunks.begin() + static_cast<ptrdiff_t>(drop));
    num_chunks_.fetch_sub(drop, std::memory_order_relaxed);
  }
  // Chunks are cut at multiples of the chunk range, so only a truncation at
  // another point (a flush of the whole head) leaves a chunk straddling it.
  if (!s->chunks.empty() && s->chunks.front().num_samples() > 0 &&
      s->chunks.front().min_time() < before) {
    chunk::HeadChunk kept;
    // Appends continue where the newest chunk's state says.
    chunk::AppendState scratch;
    const bool newest = s->chunks.size() == 1;
    chunk::AppendState* state = newest ? &s->append_state : &scratch;
    chunk::SampleIterator it = s->chunks.front().Iterator();
    if (it.Seek(before)) {
      do kept.Append(it.t(), it.v(), state);
      while (it.Next());
    }
    if (!newest) kept.Compact();
    freed += s->chunks.front().bytes().size();
    freed -= kept.bytes().size();
    s->chunks.front() = std::move(kept);
  }
  return freed;
}

int64_t Head::RemoveEmptySeries() {
  std::vector<std::pair<SeriesRef, model::Labels>> removed;
  int64_t min_time = INT64_MAX;
  {
    WriterLock lock(&series_mu_);
    std::vector<SeriesPtr> gone;
    series_by_ref_.EraseIf([&](SeriesRef, const SeriesPtr& series) {
      MemSeries* s = series.get();
      CompactMutexLock series_lock(&s->mu);
      const bool empty = s->chunks.empty() || (s->chunks.size() == 1 && s->chunks[0].num_samples() == 0);
      if (empty) {
        num_chunks_.fetch_sub(s->chunks.size(), std::memory_order_relaxed);
        s->chunks.clear();
        gone.push_back(series);
      } else {
        min_time = std::min(min_time, s->chunks.front().min_time());
      }
      return empty;
    });
    for (const SeriesPtr& s : gone) {
      removed.emplace_back(s->ref, s->ToLabels());
      if (options_.max_series_per_metric > 0) {
        auto m = series_per_metric_.find(std::string(removed.back().second.metric_name()));
        if (m != series_per_metric_.end() && --m->second == 0) series_per_metric_.erase(m);
      }
      series_by_hash_.Erase(removed.back().second.Hash(), s.get());
    }
    // Each is freed when the last reader holding it is done.
  }
  postings_.Remove(removed);
  return min_time;
}

void Head::SetTimeBoundsAfterRemoval(int64_t min_time) {
  if (min_time == INT64_MAX) {  // empty: the next sample starts afresh
    min_time_.store(INT64_MAX);
    max_time_.store(INT64_MIN);
  } else {
    min_time_.store(min_time);
  }
}

Status Head::Truncate(int64_t before) {
  MutexLock truncate_lock(&truncate_mu_);

  int last_segment = -1;
  {
    MutexLock lock(&append_mu_);
    if (closed_) return Status::Unavailable("head is closed");
    AtomicMax(&min_valid_time_, before);
    int current = wal_->current_segment();
    auto it = segment_max_time_.find(current);
    if (it == segment_max_time_.end() || it->second < before) {
      ASSIGN_OR_RETURN(current, wal_->CutSegment());
    }
    // Segments are numbered in order; the first one that holds a sample the
    // head keeps ends the range that can go.
    last_segment = current - 1;
    for (const auto& [segment, max_t] : segment_max_time_) {
      if (max_t >= before) {
        last_segment = std::min(last_segment, segment - 1);
        break;
      }
    }
    std::erase_if(segment_max_time_, [&](const auto& e) { return e.first <= last_segment; });
  }

  uint64_t freed = 0;
  for (SeriesRef ref : postings_.All()) {
    if (auto s = SeriesByRef(ref)) freed += TruncateSeries(s.get(), before);
  }
  chunk_bytes_.fetch_sub(freed, std::memory_order_relaxed);

  {
    MutexLock lock(&append_mu_);
    SetTimeBoundsAfterRemoval(RemoveEmptySeries());
  }
  if (last_segment <= wal_->last_checkpoint()) return Status::OK();
  return WriteCheckpoint(last_segment);
}

Status Head::SnapshotWal(const std::string& target) {
  // No truncation (which checkpoints and deletes segments) meanwhile.
  MutexLock truncate_lock(&truncate_mu_);
  return wal_->CopyTo(target);
}

Status Head::WriteCheckpoint(int last_segment) {
  // Written a few thousand series per record, each record encoded when the
  // checkpoint asks for it: a checkpoint of a large head never holds a
  // second copy of every label, nor its whole encoding, in memory.
  constexpr size_t kSeriesPerRecord = 4096;
  const std::vector<SeriesRef> all = postings_.All();
  size_t next_series = 0, num_series = 0;
  bool metadata_written = false;
  std::vector<uint64_t> refs;
  model::LabelSets labels;
  auto next = [&](std::string* record) {
    refs.clear();
    labels.clear();
    while (refs.size() < kSeriesPerRecord && next_series < all.size()) {
      if (auto s = SeriesByRef(all[next_series])) {
        s->AppendLabelsTo(&labels);
        refs.push_back(all[next_series]);
      }
      ++next_series;
    }
    record->clear();
    if (!refs.empty()) {
      num_series += refs.size();
      wal::EncodeSeries(refs, labels, record);
      return true;
    }
    if (metadata_written) return false;
    metadata_written = true;
    std::vector<MetricMetadata> metadata = Metadata();
    if (metadata.empty()) return false;
    wal::EncodeMetadata(metadata, record);
    return true;
  };
  RETURN_NOT_OK(wal_->CreateCheckpoint(last_segment, next).WithContext("WAL checkpoint"));
  spdlog::info("head: WAL checkpoint of {} series replaces segments up to {}", num_series,
               last_segment);
  return Status::OK();
}

}  // namespace mytsdb::head
