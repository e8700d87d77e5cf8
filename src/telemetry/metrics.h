// The server's own metrics, rendered in the Prometheus text exposition format
// (version 0.0.4) for GET /metrics.
//
// Two kinds of sources: families owned by the registry that code updates as
// things happen (HTTP requests, durations), and collectors: callbacks that
// read state such as head or WAL statistics when /metrics is scraped.
// All methods are thread-safe.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/mutex.h"

namespace mytsdb::telemetry {

// Writes metric families in the text format; used by collectors.
class TextWriter {
 public:
  // Starts a family: emits # HELP and # TYPE ("counter", "gauge", "histogram").
  void Family(std::string_view name, std::string_view type, std::string_view help);
  // One sample line. `labels` are name/value pairs.
  void Sample(std::string_view name,
              std::initializer_list<std::pair<std::string_view, std::string_view>> labels,
              double value);
  void Sample(std::string_view name,
              const std::vector<std::pair<std::string, std::string>>& labels, double value);
  const std::string& text() const { return out_; }

 private:
  std::string out_;
};

// A counter or gauge family with a fixed list of label names.
class ValueFamily {
 public:
  ValueFamily(std::string name, std::string help, std::string type,
              std::vector<std::string> label_names);
  void Add(const std::vector<std::string>& label_values, double delta) EXCLUDES(mu_);
  void Set(const std::vector<std::string>& label_values, double value) EXCLUDES(mu_);
  double Get(const std::vector<std::string>& label_values) const EXCLUDES(mu_);
  void Write(TextWriter* w) const EXCLUDES(mu_);

 private:
  const std::string name_, help_, type_;
  const std::vector<std::string> label_names_;
  mutable Mutex mu_;
  std::map<std::vector<std::string>, double> values_ GUARDED_BY(mu_);
};

// A histogram family (cumulative buckets, _sum, _count).
class HistogramFamily {
 public:
  HistogramFamily(std::string name, std::string help, std::vector<std::string> label_names,
                  std::vector<double> upper_bounds);
  void Observe(const std::vector<std::string>& label_values, double value) EXCLUDES(mu_);
  void Write(TextWriter* w) const EXCLUDES(mu_);

 private:
  struct Data {
    std::vector<uint64_t> counts;  // per bucket, not cumulative
    double sum = 0;
    uint64_t count = 0;
  };
  const std::string name_, help_;
  const std::vector<std::string> label_names_;
  const std::vector<double> upper_bounds_;
  mutable Mutex mu_;
  std::map<std::vector<std::string>, Data> data_ GUARDED_BY(mu_);
};

class Registry {
 public:
  // Families live as long as the registry; the returned references stay valid.
  ValueFamily& Counter(std::string name, std::string help, std::vector<std::string> label_names = {});
  ValueFamily& Gauge(std::string name, std::string help, std::vector<std::string> label_names = {});
  HistogramFamily& Histogram(std::string name, std::string help,
                             std::vector<std::string> label_names,
                             std::vector<double> upper_bounds);
  void AddCollector(std::function<void(TextWriter*)> collector) EXCLUDES(mu_);

  std::string Render() const EXCLUDES(mu_);

 private:
  mutable Mutex mu_;
  std::vector<std::unique_ptr<ValueFamily>> values_ GUARDED_BY(mu_);
  std::vector<std::unique_ptr<HistogramFamily>> histograms_ GUARDED_BY(mu_);
  std::vector<std::function<void(TextWriter*)>> collectors_ GUARDED_BY(mu_);
};

// Formats a float as Prometheus does in the text format: shortest round-trip
// representation, "NaN", "+Inf", "-Inf".
std::string FormatValue(double v);

}  // namespace mytsdb::telemetry
