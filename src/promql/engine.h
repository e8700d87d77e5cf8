// The PromQL engine: runs a parsed expression (ast.h) over a Queryable
// with Prometheus 3's semantics for float samples: instant and range
// queries, 5-minute lookback (left-open: a sample exactly lookback before
// the step is not seen), staleness markers, offset and @, left-open range
// selectors, subqueries and name dropping; every operator and the float
// functions of Prometheus's stable test suite. Native histograms are not
// stored, so the functions that read only them return nothing. Anything
// else is reported as an error (Unimplemented), never guessed.
//
// Queries stream: series are read one at a time and turned into their
// per-step values at once (evaluator.h), so a query's memory is the size
// of its values, not of the samples it reads.
//
// Thread safety: an Engine is immutable and can run queries concurrently.
#pragma once

#include <cstdint>

#include "common/result.h"
#include "promql/ast.h"
#include "promql/query.h"
#include "promql/queryable.h"

namespace mytsdb::promql {

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
