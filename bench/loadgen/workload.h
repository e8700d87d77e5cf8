// Deterministic synthetic workloads for the side-by-side benchmark.
//
//   node   node-exporter-like hosts: CPU, network and disk counters with
//          integer or two-decimal increments, memory and filesystem gauges
//          (random walks at limited precision), constants, and a classic
//          request-duration histogram (_bucket{le}, _sum, _count).
//   churn  the same, with 30% of the series belonging to pods that start and
//          stop (a new pod every `pod_lifetime`), each carrying a customer_id
//          label with 10,000 possible values.
//   latency one gauge family, request_latency_seconds{customer_id, instance,
//          job="api"}: 1,000 customers (slot % 1000) over as many instances
//          as the series need, each sample a log-normal latency in
//          milliseconds (three decimals) around a median of the customer's
//          own; the data of "P99 latency by customer" (issue 12's benchmark).
//
// Everything derives from the seed: the same parameters give the same series
// and the same values, byte for byte.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "model/labels.h"

namespace mytsdb::bench {

struct WorkloadOptions {
  std::string kind = "node";  // node | churn | latency
  int64_t num_series = 100000;  // active series at any time
  int64_t duration_ms = 2 * 3600 * 1000;
  int64_t interval_ms = 15000;
  int64_t start_ms = 1767225600000;  // 2026-01-01T00:00:00Z
  uint64_t seed = 42;
  int64_t pod_lifetime_ms = 30 * 60 * 1000;  // churn only
  // A label every series gets (e.g. shard=w1), so that several senders send
  // distinct series; empty name: none.
  model::Label extra_label;
};

// One series slot: a fixed identity, or (churn) a sequence of pods.
class Workload {
 public:
  explicit Workload(const WorkloadOptions& options);

  int64_t num_slots() const { return static_cast<int64_t>(slots_.size()); }
  int64_t num_steps() const { return options_.duration_ms / options_.interval_ms; }
  int64_t timestamp(int64_t step) const { return options_.start_ms + step * options_.interval_ms; }
  const WorkloadOptions& options() const { return options_; }

  // Labels of slot `i` at `step` (churning slots change identity over time).
  const model::Labels& LabelsAt(int64_t slot, int64_t step);
  // Value of slot `i` at `step`; must be called with steps in increasing order
  // for each slot (values are random walks).
  double NextValue(int64_t slot, int64_t step);
  // The TYPE of the metric family of a slot, for OpenMetrics output.
  const std::string& TypeOf(int64_t slot) const;
  const std::string& FamilyOf(int64_t slot) const;

  // Distinct series over the whole run (churn creates more than num_series).
  int64_t TotalSeries() const;

 private:
  enum class Kind : uint8_t { kCounterInt, kCounterFrac, kGaugeWalk, kGaugeBytes, kConstant,
                              kBucket, kHistSum, kHistCount, kLatency };
  struct Slot {
    Kind kind;
    model::Labels labels;      // base identity
    std::string family;
    std::string type;          // counter | gauge | histogram
    double value = 0;
    double scale = 1;          // step size / bucket share
    uint64_t ident = 0;        // fixed per slot: pod offsets and ids derive from it
    uint64_t rng = 0;          // advances with every value
    double rate = 0, phase = 0;  // histograms: requests per step and wobble
    bool churns = false;
    int64_t pod_generation = -1;
    bool pod_started = false;  // the next value is a new pod's first: 0 for counters
    model::Labels current;     // labels of the current pod (churn)
  };
  void AddHost(int64_t host, int64_t budget);
  void AddPodSlots(int64_t count);
  void AddLatencySlots(int64_t count);

  WorkloadOptions options_;
  std::vector<Slot> slots_;
};

}  // namespace mytsdb::bench
