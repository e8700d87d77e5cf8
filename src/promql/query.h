// What a PromQL query is run with (EngineOptions) and what it returns
// (QueryResult with its annotations), apart from the engine that runs it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "model/labels.h"
#include "promql/ast.h"
#include "promql/queryable.h"

namespace mytsdb::promql {

struct EngineOptions {
  int64_t lookback_ms = 5 * 60 * 1000;
  // A query that would hold more samples in memory at once fails
  // (Prometheus' --query.max-samples): the points of the values it has
  // computed plus the samples of the series it is reading.
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
  // False for a warning of the storage (a partial result), which no
  // expression caused: written without a position.
  bool positioned = true;
};

struct QueryResult {
  ValueType type = ValueType::kVector;
  Point scalar{0, 0};                 // kScalar
  std::string string_value;           // kString
  int64_t string_t = 0;
  std::vector<SeriesResult> series;   // kVector: one point each; kMatrix: any number
  std::vector<Annotation> annotations;  // distinct messages, in the order raised
};

// The warnings (or infos) of a result as Prometheus's API writes them:
// "<message> (<line>:<column>)", positions taken from `query`.
std::vector<std::string> AnnotationStrings(const QueryResult& r, std::string_view query, bool warnings);

}  // namespace mytsdb::promql
