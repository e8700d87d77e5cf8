// RecentSamplesSource: where a read-only query node finds the samples the
// shared table does not hold yet, those in the writers' heads
// (remote/writer_reader.h asks each writer over Prometheus's remote read).
// The storage facade asks it for the part of a selection at or above the
// table's lowest writer watermark and merges the answer with the table by
// (series, timestamp), so that a sample both in a writer's answer and in
// the node's snapshot of the table counts once.
#pragma once

#include <string>
#include <vector>

#include "model/labels.h"
#include "model/matcher.h"
#include "model/sample.h"

namespace mytsdb::storage {

struct RecentSeries {
  model::Labels labels;
  std::vector<model::Sample> samples;  // in time order
};

struct RecentSamples {
  // In any order; one series may come several times (from several
  // writers, whose answers also hold what they read from the table).
  std::vector<RecentSeries> series;
  // One per writer that did not answer: without its samples the result
  // is partial, and says so.
  std::vector<std::string> warnings;
};

class RecentSamplesSource {
 public:
  virtual ~RecentSamplesSource() = default;
  // The series matching all matchers with their samples within `range`.
  // Thread-safe.
  virtual RecentSamples Read(const model::Matchers& matchers, model::TimeRange range) const = 0;
};

}  // namespace mytsdb::storage
