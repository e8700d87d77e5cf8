// Private parts of Head shared by head*.cc. Not part of the interface.
#pragma once

#include <atomic>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "chunk/head_chunk.h"
#include "head/head.h"
#include "head/label_block.h"

namespace mytsdb::head {

// One series of the head. Owned by shared pointers (IntrusivePtr, the count
// in the series): the head's map holds one while the series is in the head;
// a reader holds one for as long as it reads, so a series removed meanwhile
// lives until the reader is done.
struct Head::MemSeries {
  MemSeries(SeriesRef ref, const model::Labels& labels) : ref(ref), labels(labels) {}
  MemSeries(const MemSeries&) = delete;
  MemSeries& operator=(const MemSeries&) = delete;

  const SeriesRef ref;
  // One allocation, compared front to back when ingestion looks the series
  // up (label_block.h). The series' label-hash is not kept: the head's
  // table has it, and removal computes it again.
  const LabelBlock labels;

  // Written only by the appender (under Head::append_mu_) or by replay; the
  // appender's view of the newest sample, used to validate new ones.
  int64_t last_t = INT64_MIN;
  uint64_t last_value_bits = 0;

  mutable CompactMutex mu;
  // Owners (IntrusivePtr); in the 4 bytes after the mutex, which would be
  // padding: the series is 96 bytes, an allocator size class.
  mutable std::atomic<uint32_t> refs{0};
  std::vector<chunk::HeadChunk> chunks GUARDED_BY(mu);
  // What appending to chunks.back() needs besides the chunk.
  chunk::AppendState append_state GUARDED_BY(mu);

  void AddRef() const { refs.fetch_add(1, std::memory_order_relaxed); }
  bool Release() const { return refs.fetch_sub(1, std::memory_order_acq_rel) == 1; }

  bool LabelsEqual(const model::Labels& other) const { return labels.Equals(other); }
  void AppendLabelsTo(model::LabelSets* out) const {
    labels.ForEach([&](std::string_view name, std::string_view value) { out->AddLabel(name, value); });
    out->EndSet();
  }
  model::Labels ToLabels() const { return labels.ToLabels(); }
};

}  // namespace mytsdb::head
