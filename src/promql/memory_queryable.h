// An in-memory Queryable for tests: series added by hand, selected by
// their matchers and time range.
#pragma once

#include <memory>
#include <utility>
#include <vector>

#include "promql/queryable.h"

namespace mytsdb::promql {

class MemoryQueryable : public Queryable {
 public:
  void Add(model::Labels labels, std::vector<model::Sample> samples) {
    series_.push_back({std::move(labels), std::move(samples)});
  }
  // Appends one sample to the series `labels`, creating it if needed.
  void Append(const model::Labels& labels, model::Sample sample) {
    for (Series& s : series_) {
      if (s.labels == labels) {
        s.samples.push_back(sample);
        return;
      }
    }
    series_.push_back({labels, {sample}});
  }

  Result<std::unique_ptr<SeriesSet>> Select(const model::Matchers& matchers, model::TimeRange range,
                                            const SelectLimits&) const override {
    std::vector<Series> out;
    for (const Series& s : series_) {
      bool ok = true;
      for (const model::Matcher& m : matchers) ok = ok && m.Matches(s.labels.Get(m.name()));
      if (!ok) continue;
      Series r{s.labels, {}};
      for (const model::Sample& x : s.samples) {
        if (range.Contains(x.timestamp_ms)) r.samples.push_back(x);
      }
      out.push_back(std::move(r));
    }
    return std::unique_ptr<SeriesSet>(std::make_unique<VectorSeriesSet>(std::move(out)));
  }

 private:
  std::vector<Series> series_;
};

}  // namespace mytsdb::promql
