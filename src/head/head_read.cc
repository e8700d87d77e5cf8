// Head's read path: series selection, labels and samples.
#include <algorithm>

#include "head/head.h"
#include "head/head_internal.h"

namespace mytsdb::head {

std::vector<SeriesRef> Head::Select(const model::Matchers& matchers,
                                    model::TimeRange range) const {
  index::Postings refs = postings_.Select(matchers);
  std::vector<SeriesRef> out;
  out.reserve(refs.size());
  for (SeriesRef ref : refs) {
    SeriesPtr s = SeriesByRef(ref);
    if (s == nullptr) continue;
    CompactMutexLock lock(&s->mu);
    if (s->chunks.empty()) continue;
    if (range.Overlaps(s->chunks.front().min_time(), s->chunks.back().max_time())) {
      out.push_back(ref);
    }
  }
  return out;
}

model::Labels Head::SeriesLabels(SeriesRef ref) const {
  SeriesPtr s = SeriesByRef(ref);
  return s == nullptr ? model::Labels() : s->ToLabels();
}

void Head::AppendSeriesLabels(SeriesRef ref, model::LabelSets* out) const {
  if (SeriesPtr s = SeriesByRef(ref)) {
    s->AppendLabelsTo(out);
  } else {
    out->EndSet();
  }
}

void Head::ReadSamples(SeriesRef ref, model::TimeRange range,
                       std::vector<model::Sample>* out) const {
  // Held for the read: the series stays valid if a truncation removes it.
  SeriesPtr s = SeriesByRef(ref);
  if (s == nullptr) return;
  CompactMutexLock lock(&s->mu);
  size_t upper_bound = 0;
  for (const chunk::HeadChunk& c : s->chunks) {
    if (range.Overlaps(c.min_time(), c.max_time())) upper_bound += c.num_samples();
  }
  // Room for every sample of the overlapping chunks, written by index and
  // one field at a time: push_back of {it.t(), it.v()} copied the pair
  // through the stack as one 16-byte load of two 8-byte stores just made,
  // which the CPU cannot forward (a fifth of a head query's CPU).
  const size_t at = out->size();
  out->resize(at + upper_bound);
  model::Sample* dst = out->data() + at;
  size_t n = 0;
  for (size_t i = 0; i < s->chunks.size(); ++i) {
    const chunk::HeadChunk& c = s->chunks[i];
    if (c.num_samples() == 0 || !range.Overlaps(c.min_time(), c.max_time())) continue;
    // The next chunk's bytes are fetched from memory while this one decodes
    // (each chunk's first read was a cache miss).
    if (i + 1 < s->chunks.size()) __builtin_prefetch(s->chunks[i + 1].bytes().data());
    // The loop is compiled once per encoding.
    n = c.VisitIterator([&](auto it) {
      size_t written = n;
      if (!it.Seek(range.min)) return written;
      do {
        const int64_t t = it.t();
        if (t > range.max) break;
        dst[written].timestamp_ms = t;
        dst[written].value = it.v();
        ++written;
      } while (it.Next());
      return written;
    });
  }
  out->resize(at + n);
}

bool Head::HasSample(const MemSeries* s, int64_t t, uint64_t value_bits) const {
  CompactMutexLock lock(&s->mu);
  for (const chunk::HeadChunk& c : s->chunks) {
    if (c.num_samples() == 0 || t < c.min_time() || t > c.max_time()) continue;
    chunk::SampleIterator it = c.Iterator();
    return it.Seek(t) && it.t() == t && it.value_bits() == value_bits;
  }
  return false;
}

std::vector<MetricMetadata> Head::Metadata() const {
  MutexLock lock(&metadata_mu_);
  std::vector<MetricMetadata> out;
  out.reserve(metadata_.size());
  for (const auto& [name, m] : metadata_) out.push_back(m);
  std::sort(out.begin(), out.end(), [](const MetricMetadata& a, const MetricMetadata& b) {
    return a.metric_family_name < b.metric_family_name;
  });
  return out;
}

size_t Head::PruneMetadata(const std::function<bool(std::string_view family)>& keep) {
  MutexLock lock(&metadata_mu_);
  return std::erase_if(metadata_, [&](const auto& entry) { return !keep(entry.first); });
}

}  // namespace mytsdb::head
