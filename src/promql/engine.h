// The PromQL evaluator: runs a parsed expression (ast.h) over a Queryable
// with Prometheus 3's semantics for float samples: instant and range
// queries evaluated step by step, 5-minute lookback (left-open: a sample
// exactly lookback before the step is not seen), staleness markers, offset
// and @, left-open range selectors, and name dropping.
//
// What is implemented so far (issue #5 is built up in steps): literals,
// selectors, range selectors and subqueries, unary and binary operators with
// every vector matching mode, the aggregation operators except
// limitk/limit_ratio, the rate family, the *_over_time functions,
// histogram_quantile on classic buckets, label_replace/label_join, sort,
// absent, timestamp, time-of-day and math functions. Anything else is
// reported as an error (Unimplemented), never guessed.
//
// Thread safety: an Engine is immutable and can run queries concurrently.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "model/labels.h"
#include "model/matcher.h"
#include "model/sample.h"
#include "promql/ast.h"

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

// Where queries read samples from.
// What one Select may cost: it stops before it has read everything, with
// ResourceExhausted once the series it appends hold more than max_samples
// samples, and with DeadlineExceeded (or Cancelled) past the deadline (or
// once `cancel` says so), so that an oversized query fails without having
// allocated what it asked for.
struct SelectLimits {
  int64_t max_samples = INT64_MAX;
  std::optional<std::chrono::steady_clock::time_point> deadline;
  CancelFlags cancel;
};

class Queryable {
 public:
  virtual ~Queryable() = default;
  // Appends the series matching all matchers, with their samples in `range`
  // (both ends inclusive), to *out.
  virtual Status Select(const model::Matchers& matchers, model::TimeRange range,
                        const SelectLimits& limits, std::vector<Series>* out) const = 0;
};

struct EngineOptions {
  int64_t lookback_ms = 5 * 60 * 1000;
  // A query that loads more samples fails (Prometheus' --query.max-samples).
  int64_t max_samples = 50'000'000;
  // Step of a subquery written without one ([1h:]), as Prometheus' default
  // evaluation interval.
  int64_t default_subquery_step_ms = 60'000;
  // Prometheus's promql-delayed-name-removal feature: functions mark the
  // metric name for removal and it goes when the query ends, so that
  // label_replace and `by (__name__)` can still see it. Off by default, as
  // in a Prometheus server; its test suite runs with it on.
  bool delayed_name_removal = false;
  // A query running longer fails with DeadlineExceeded (0: no limit).
  int64_t timeout_ms = 0;
  // Running queries stop with Cancelled once a flag is set.
  CancelFlags cancel;
};

struct Point {
  int64_t t;
  double v;
};

struct SeriesResult {
  model::Labels labels;
  std::vector<Point> points;
};

// A PromQL warning or info annotation ("PromQL info: metric might not be a
// counter, ..."), with the byte offset in the query of the expression that
// caused it. Prometheus reports each distinct message once.
struct Annotation {
  bool warning = true;  // else info
  std::string message;
  size_t pos = 0;
  // histogram_quantile's monotonicity info also says where and by how much.
  struct Detail {
    int64_t min_ts = 0, max_ts = 0;
    double min_bucket = 0, max_bucket = 0, max_diff = 0;
    int count = 0;
  };
  bool has_detail = false;
  Detail detail;
};

struct QueryResult {
  ValueType type = ValueType::kVector;
  Point scalar{0, 0};                 // kScalar
  std::string string_value;           // kString
  int64_t string_t = 0;
  std::vector<SeriesResult> series;   // kVector: one point each; kMatrix: any number
  std::vector<Annotation> annotations;  // distinct messages, in the order raised
};

// Prometheus's almost.Equal: NaN equals NaN, otherwise a relative difference
// below epsilon (an absolute one near zero).
bool AlmostEqual(double a, double b, double epsilon);

// The warnings (or infos) of a result as Prometheus's API writes them:
// "<message> (<line>:<column>)", positions taken from `query`.
std::vector<std::string> AnnotationStrings(const QueryResult& r, std::string_view query, bool warnings);

class Engine {
 public:
  explicit Engine(EngineOptions options = {}) : options_(options) {}

  // Evaluates `expr` at time t (ms).
  Result<QueryResult> Instant(const Queryable& data, const Node& expr, int64_t t) const;
  // Evaluates `expr` at start, start+step, ..., <= end; the result is a
  // matrix (or, for a scalar expression, a matrix with one unlabelled series).
  Result<QueryResult> Range(const Queryable& data, const Node& expr, int64_t start, int64_t end,
                            int64_t step) const;

 private:
  EngineOptions options_;
};

}  // namespace mytsdb::promql
