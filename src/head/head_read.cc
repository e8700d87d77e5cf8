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
    std::shared_ptr<const MemSeries> s = SeriesByRef(ref);
    if (s == nullptr) continue;
    MutexLock lock(&s->mu);
    if (s->chunks.empty()) continue;
    if (range.Overlaps(s->chunks.front().min_time(), s->chunks.back().max_time())) {
      out.push_back(ref);
    }
  }
  return out;
}

model::Labels Head::SeriesLabels(SeriesRef ref) const {
  std::shared_ptr<const MemSeries> s = SeriesByRef(ref);
  return s == nullptr ? model::Labels() : s->ToLabels();
}

void Head::AppendSeriesLabels(SeriesRef ref, model::LabelSets* out) const {
  if (std::shared_ptr<const MemSeries> s = SeriesByRef(ref)) {
    s->AppendLabelsTo(out);
  } else {
    out->EndSet();
  }
}

void Head::ReadSamples(SeriesRef ref, model::TimeRange range,
                       std::vector<model::Sample>* out) const {
  // Held for the read: the series stays valid if a truncation removes it.
  std::shared_ptr<const MemSeries> s = SeriesByRef(ref);
  if (s == nullptr) return;
  MutexLock lock(&s->mu);
  size_t upper_bound = 0;
  for (const chunk::XorChunk& c : s->chunks) {
    if (range.Overlaps(c.min_time(), c.max_time())) upper_bound += c.num_samples();
  }
  out->reserve(out->size() + upper_bound);
  for (const chunk::XorChunk& c : s->chunks) {
    if (c.num_samples() == 0 || !range.Overlaps(c.min_time(), c.max_time())) continue;
    chunk::XorIterator it = c.Iterator();
    if (!it.Seek(range.min)) continue;
    do {
      if (it.t() > range.max) break;
      out->push_back({it.t(), it.v()});
    } while (it.Next());
  }
}

bool Head::HasSample(const MemSeries* s, int64_t t, uint64_t value_bits) const {
  MutexLock lock(&s->mu);
  for (const chunk::XorChunk& c : s->chunks) {
    if (c.num_samples() == 0 || t < c.min_time() || t > c.max_time()) continue;
    chunk::XorIterator it = c.Iterator();
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
