// Head::DeleteSamples: deleting samples of matching series (Prometheus's
// delete_series), logged as a tombstones record so that replay deletes the
// same samples, and only those appended before it.
#include <algorithm>
#include <set>

#include "head/head.h"
#include "head/head_internal.h"

namespace mytsdb::head {

void Head::DeleteFromSeries(MemSeries* s, model::TimeRange range) {
  MutexLock lock(&s->mu);
  std::vector<chunk::XorChunk> kept;
  int64_t bytes_before = 0, bytes_after = 0;
  const size_t chunks_before = s->chunks.size();
  for (size_t i = 0; i < s->chunks.size(); ++i) {
    chunk::XorChunk& c = s->chunks[i];
    bytes_before += static_cast<int64_t>(c.bytes().size());
    const bool last = i + 1 == s->chunks.size();
    if (c.num_samples() == 0 || !range.Overlaps(c.min_time(), c.max_time())) {
      bytes_after += static_cast<int64_t>(c.bytes().size());
      kept.push_back(std::move(c));
      continue;
    }
    chunk::XorChunk rewritten;
    chunk::XorIterator it = c.Iterator();
    if (it.Seek(INT64_MIN)) {
      do {
        if (!range.Contains(it.t())) rewritten.Append(it.t(), it.v());
      } while (it.Next());
    }
    // An emptied chunk goes (the next append starts a new one); the last
    // one stays open for appends, closed ones are compacted.
    if (rewritten.num_samples() == 0) continue;
    if (!last) rewritten.Compact();
    bytes_after += static_cast<int64_t>(rewritten.bytes().size());
    kept.push_back(std::move(rewritten));
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
