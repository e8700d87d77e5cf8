// Private parts of Head shared by head*.cc. Not part of the interface.
#pragma once

#include <atomic>
#include <memory>
#include <new>
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

// One series of the head. Owned by shared pointers (boost::intrusive_ptr,
// the count in the series: std::make_shared's 16-byte count block would
// move it a size class up, and a std::shared_ptr is 16 bytes where the
// by-id table holds one a series): the head's map holds one while the
// series is in the head;
// a reader holds one for as long as it reads, so a series removed meanwhile
// lives until the reader is done.
struct Head::MemSeries {
  // A series and its label block (label_block.h), in one allocation: the
  // block follows the object, so that comparing labels on ingestion costs
  // no pointer to follow (and no 8-byte pointer).
  static SeriesPtr Make(SeriesRef ref, const model::Labels& labels) {
    const size_t label_bytes = LabelBlock::BytesFor(labels);
    void* memory = ::operator new(sizeof(MemSeries) + label_bytes);
    LabelBlock::Write(labels, static_cast<char*>(memory) + sizeof(MemSeries));
    return SeriesPtr(new (memory) MemSeries(ref));
  }
  // Unsized: the allocation is larger than the object.
  static void operator delete(void* p) { ::operator delete(p); }
  MemSeries(const MemSeries&) = delete;
  MemSeries& operator=(const MemSeries&) = delete;

  const SeriesRef ref;
  // The series' label-hash is not kept: the head's table has it, and
  // removal computes it again.
  LabelBlock labels() const { return LabelBlock(reinterpret_cast<const char*>(this + 1)); }

  // Written only by the appender (under Head::append_mu_) or by replay; the
  // appender's view of the newest sample, used to validate new ones.
  int64_t last_t = INT64_MIN;
  uint64_t last_value_bits = 0;

  mutable CompactMutex mu;
  // Owners (SeriesPtr); in the 4 bytes after the mutex, which would
  // otherwise be padding.
  mutable std::atomic<uint32_t> refs{0};
  std::vector<chunk::HeadChunk> chunks GUARDED_BY(mu);
  // What appending to chunks.back() needs besides the chunk.
  chunk::AppendState append_state GUARDED_BY(mu);

  // boost::intrusive_ptr's hooks; the last owner frees the allocation Make made.
  friend void intrusive_ptr_add_ref(const MemSeries* s) { s->refs.fetch_add(1, std::memory_order_relaxed); }
  friend void intrusive_ptr_release(const MemSeries* s) {
    if (s->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete s;
  }

  bool LabelsEqual(const model::Labels& other) const { return labels().Equals(other); }
  void AppendLabelsTo(model::LabelSets* out) const {
    labels().ForEach([&](std::string_view name, std::string_view value) { out->AddLabel(name, value); });
    out->EndSet();
  }
  model::Labels ToLabels() const { return labels().ToLabels(); }

 private:
  explicit MemSeries(SeriesRef ref) : ref(ref) {}
};

}  // namespace mytsdb::head
