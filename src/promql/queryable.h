// Where PromQL reads samples from: a Queryable selects the series matching
// a selector and hands them out one at a time (a SeriesSet), so that the
// evaluator holds the samples of the series it is working on rather than
// those of every series the query touches.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "model/labels.h"
#include "model/matcher.h"
#include "model/sample.h"

namespace mytsdb::promql {

struct Series {
  model::Labels labels;
  std::vector<model::Sample> samples;  // in time order
};

// Why a running query must stop early, if it must: the server shuts down,
// or the client that asked has closed its connection (nobody would read the
// answer, and the CPU and memory are better spent on those still waiting).
struct CancelFlags {
  const std::atomic<bool>* shutdown = nullptr;
  const std::atomic<bool>* client_gone = nullptr;
  // Cancelled with the reason once a flag is set.
  Status Check() const;
};

// What reading a selector's series may cost: reading stops with
// ResourceExhausted once the series held at once (a batch read together)
// hold more than max_samples samples, and with DeadlineExceeded (or
// Cancelled) past the deadline (or once `cancel` says so).
struct SelectLimits {
  int64_t max_samples = INT64_MAX;
  std::optional<std::chrono::steady_clock::time_point> deadline;
  CancelFlags cancel;
};

// The series a selector matched, handed out one at a time so that a query
// holds the samples of the series it is working on, not those of all of
// them: the evaluator turns each into its per-step values and drops it.
class SeriesSet {
 public:
  virtual ~SeriesSet() = default;
  // Moves the next series with samples in the range into *out; false once
  // there are no more.
  virtual Result<bool> Next(Series* out) = 0;
  // Why the set may lack samples (a source that did not answer); the query's
  // result carries them as warnings.
  virtual std::vector<std::string> Warnings() const { return {}; }
};

// Every series of `set`, read to the end (for small selections).
Result<std::vector<Series>> ReadAll(SeriesSet& set);

// A SeriesSet over series already in memory (tests, small sources).
class VectorSeriesSet final : public SeriesSet {
 public:
  explicit VectorSeriesSet(std::vector<Series> series) : series_(std::move(series)) {}
  Result<bool> Next(Series* out) override;

 private:
  std::vector<Series> series_;
  size_t next_ = 0;
};

// Where queries read samples from.
class Queryable {
 public:
  virtual ~Queryable() = default;
  // The series matching all matchers, with their samples in `range` (both
  // ends inclusive), read as the returned set is consumed.
  virtual Result<std::unique_ptr<SeriesSet>> Select(const model::Matchers& matchers,
                                                    model::TimeRange range,
                                                    const SelectLimits& limits) const = 0;
};

}  // namespace mytsdb::promql
