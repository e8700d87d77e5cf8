// Head::DeleteSamples: deleting samples of matching series (Prometheus's
// delete_series), logged as a tombstones record so that replay deletes the
// same samples, and only those appended before it.
#include <algorithm>
#include <set>

#include "head/head.h"
#include "head/head_internal.h"

namespace mytsdb::head {

namespace {

// The samples of `c` outside `drop`, appended with `state`.
chunk::HeadChunk Rewrite(const chunk::HeadChunk& c, model::TimeRange drop,
                         chunk::AppendState* state) {
  chunk::HeadChunk rewritten;
  chunk::SampleIterator it = c.Iterator();
  while (it.Next()) {
    if (!drop.Contains(it.t())) rewritten.Append(it.t(), it.v(), state);
  }
  return rewritten;
}

}  // namespace

void Head::DeleteFromSeries(MemSeries* s, model::TimeRange range) {
  CompactMutexLock lock(&s->mu);
  std::vector<chunk::HeadChunk> kept;
  int64_t bytes_before = 0, bytes_after = 0;
  const size_t chunks_before = s->chunks.size();
  bool newest_dropped = false;
  for (size_t i = 0; i < s->chunks.size(); ++i) {
    chunk::HeadChunk& c = s->chunks[i];
    bytes_before += static_cast<int64_t>(c.bytes().size());
    const bool last = i + 1 == s->chunks.size();
    if (c.num_samples() == 0 || !range.Overlaps(c.min_time(), c.max_time())) {
      bytes_after += static_cast<int64_t>(c.bytes().size());
      kept.push_back(std::move(c));
      continue;
    }
    // The newest chunk is appended to later: it is rewritten with the
    // series' append state; closed ones with a scratch one, and compacted.
    chunk::AppendState scratch;
    chunk::HeadChunk rewritten = Rewrite(c, range, last ? &s->append_state : &scratch);
    if (rewritten.num_samples() == 0) {
      newest_dropped = last;
      continue;
    }
    if (!last) rewritten.Compact();
    bytes_after += static_cast<int64_t>(rewritten.bytes().size());
    kept.push_back(std::move(rewritten));
  }
  // An emptied newest chunk goes; appends then continue in the chunk before
  // it (unless it is full), whose append state is rebuilt.
  if (newest_dropped && !kept.empty()) {
    const model::TimeRange nothing{1, 0};
    chunk::HeadChunk reopened = Rewrite(kept.back(), nothing, &s->append_state);
    bytes_after += static_cast<int64_t>(reopened.bytes().size()) -
                   static_cast<int64_t>(kept.back().bytes().size());
    kept.back() = std::move(reopened);
  }
  s->chunks = std::move(kept);
  num_chunks_.fetch_sub(chunks_before - s->chunks.size(), std::memory_order_relaxed);
  chunk_bytes_.fetch_sub(static_cast<uint64_t>(bytes_before - bytes_after),
                         std::memory_order_relaxed);
}

Result<size_t> Head::DeleteSamples(std::span<const model::Matchers> selectors,
                                   model::TimeRange range) {
  MutexLock lock(&append_mu_);
  if (closed_) return Status::Unavailable("head is closed");
  std::set<SeriesRef> refs;
  for (const model::Matchers& matchers : selectors) {
    for (SeriesRef ref : Select(matchers, range)) refs.insert(ref);
  }
  if (refs.empty()) return size_t{0};
  std::vector<wal::TombstoneRecord> records;
  records.reserve(refs.size());
  for (SeriesRef ref : refs) records.push_back({ref, range.min, range.max});
  std::string record;
  wal::EncodeTombstones(records, &record);
  std::string_view view = record;
  RETURN_NOT_OK(wal_->Append({&view, 1}).WithContext("write-ahead log"));
  for (SeriesRef ref : refs) {
    if (auto s = SeriesByRef(ref)) DeleteFromSeries(s.get(), range);
  }
  return refs.size();
}

}  // namespace mytsdb::head
