// The evaluator behind Engine: evaluates an expression over all steps of a
// query at once, node by node, each node's value a dense step matrix
// (value.h). Its parts live in one file per concern:
//
//   evaluator.cc        dispatch, time of a step (offset, @), selection of
//                       series from the Queryable, annotations, limits
//   binary_ops.cc       unary minus, arithmetic, comparisons, set operators
//                       and vector matching
//   aggregations.cc     sum, avg, ..., topk, count_values
//   functions.cc        the function table and the functions needing more
//                       than a per-value formula
//   range_functions.cc  rate, *_over_time, ...: kernels over a window
//   histogram.cc        histogram_quantile / histogram_fraction estimates
//
// One Evaluator runs one query (or one subquery inside it); not thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/result.h"
#include "promql/ast.h"
#include "promql/histogram.h"
#include "promql/query.h"
#include "promql/queryable.h"
#include "promql/value.h"

namespace mytsdb::promql {

class Evaluator {
 public:
  // [start, end] by step are this evaluation's steps; query_start/end are
  // those of the whole query, which @ start() and @ end() refer to (also
  // inside subqueries).
  Evaluator(const Queryable& data, const EngineOptions& options, int64_t start, int64_t end,
            int64_t step, int64_t query_start, int64_t query_end)
      : data_(data), options_(options), start_(start), end_(end), step_(step),
        query_start_(query_start), query_end_(query_end) {
    steps_ = step > 0 ? static_cast<size_t>((end - start) / step) + 1 : 1;
  }

  size_t steps() const { return steps_; }
  // Annotations go to `sink`, shared by the evaluators of subqueries.
  void set_annotations(std::vector<Annotation>* sink) { annotations_ = sink; }
  void set_deadline(std::chrono::steady_clock::time_point d) { deadline_ = d; }
  Status CheckDeadline() const {
    if (deadline_ && std::chrono::steady_clock::now() > *deadline_) {
      return Status::DeadlineExceeded("query timed out in query execution");
    }
    return options_.cancel.Check();
  }
  // The step of the whole query (0 for an instant query), for step().
  void set_query_step(int64_t step) { query_step_ = step; }
  int64_t StepTime(size_t i) const { return start_ + static_cast<int64_t>(i) * step_; }

  Result<Value> Eval(const Node& node);

  // The windows of a function over a range: their length, and the end of
  // each step's window, (end - range_ms, end].
  struct RangeWindows {
    int64_t range_ms = 0;
    std::vector<int64_t> end;
  };
  // The windows of a range argument (a range selector or a subquery).
  RangeWindows WindowsOf(const Node& range_arg) const;
  // Calls visit for each series of a range argument, one at a time: the
  // samples of a range selector covering every window (stale markers
  // dropped), or the points of a subquery, with whether its expression
  // dropped the name. A series is gone once visited.
  using RangeVisitor = std::function<Status(Series& series, bool drop_name)>;
  Status ForEachRangeSeries(const Node& range_arg, const RangeWindows& windows, const RangeVisitor& visit);

  // Counts `points` more held by the query (negative: released); fails
  // once it holds more than the sample limit, naming `where`.
  Status Hold(int64_t points, const char* where);

  // Receives the series of a vector one at a time; may move from it.
  using SeriesSink = std::function<Status(StepSeries& s)>;
  // Evaluates `node`, a vector, and hands its series to `sink` one by one.
  // A selector and a range function over a range selector produce each
  // series as they read its samples, so that a consumer folding them (an
  // aggregation) never holds them all; other expressions are evaluated
  // whole first. The points of a series count as held when it reaches the
  // sink: a sink that keeps nothing releases them (Release).
  Status EvalSeries(const Node& node, const SeriesSink& sink);
  void Release(const StepSeries& s);

 private:
  // ---- evaluator.cc: time, annotations, names, selection
  // The time at which a selector or subquery is evaluated for step i.
  int64_t ModTime(const AtModifier& at, int64_t offset_ms, size_t i) const;
  int64_t EvalTime(const VectorSelector& vs, size_t i) const {
    return ModTime(vs.at, vs.offset_ms, i);
  }
  // Records an annotation once per distinct message, as Prometheus does.
  void Record(Annotation annotation);
  // A PromQL warning or info raised by the expression at `at`.
  void Annotate(bool warning, std::string message, const Node& at);
  // histogram_quantile's info on buckets forced monotonic: one annotation
  // per metric name, merging the times, buckets and differences it covers.
  void AnnotateMonotonicity(const std::string& name, int64_t t, const Monotonicity& m, const Node& at);
  // Functions and arithmetic drop the metric name: at once, or with delayed
  // name removal when the query ends (so label_replace can still read it).
  void DropNameOf(StepSeries& s) const;
  // Without delayed name removal, Prometheus fails as soon as dropping names
  // leaves two series with the same labels at one step.
  Status CheckStepCollisions(const Value& v) const;
  // Calls visit for each series the selector matches with samples in
  // `range`, read one at a time; its samples are held while it is visited.
  Status ForEachSeries(const VectorSelector& vs, model::TimeRange range, bool drop_stale,
                       const std::function<Status(Series&)>& visit);
  // The value of a selector at every step; with `timestamps`, the times
  // (seconds) of the samples it picks instead of their values. The series
  // go to `sink` one at a time, or (EvalSelector) into a value.
  Status SelectorSeries(const VectorSelector& vs, bool timestamps, const SeriesSink& sink);
  Result<Value> EvalSelector(const VectorSelector& vs, bool timestamps = false);
  // Like Eval, but a vector selector yields the timestamps (seconds) of the
  // samples it picks instead of their values; anything else the step time.
  Result<Value> EvalWithTimestamps(const Node& node);

  // ---- binary_ops.cc
  Result<Value> EvalUnary(const UnaryExpr& u);
  Result<Value> EvalBinary(const BinaryExpr& b);
  Result<Value> VectorBinary(const BinaryExpr& b, Value l, Value r);

  // ---- aggregations.cc
  Result<Value> EvalAggregate(const AggregateExpr& a);
  // sum, avg, count, group, min, max, stddev and stdvar fold each input
  // series into its group as it arrives (aggregations.cc).
  Result<Value> FoldAggregate(const AggregateExpr& a);
  // topk, bottomk, limitk and limit_ratio: the output series are input
  // series. In an instant query they come out group by group (groups in
  // order of first appearance), each group sorted as Prometheus sorts it.
  Result<Value> SelectSeries(const AggregateExpr& a, Value in, const std::vector<double>& param,
                             const std::vector<const std::vector<size_t>*>& group_order);
  Result<Value> CountValues(const AggregateExpr& a, Value in);

  // ---- functions.cc
  // The functions by name, as Prometheus keeps its FunctionCalls apart
  // from the engine; those of a range vector go to EvalRangeFunction.
  using FunctionHandler = Result<Value> (Evaluator::*)(const Call&);
  using FunctionTable = std::unordered_map<std::string_view, FunctionHandler>;
  static const FunctionTable& Functions();
  Result<Value> EvalCall(const Call& c);
  Result<Value> EvalCallUnchecked(const Call& c);
  Result<Value> EvalConstantFunction(const Call& c);
  Result<Value> EvalMathFunction(const Call& c);
  Result<Value> EvalDateFunction(const Call& c);
  Result<Value> EvalClamp(const Call& c);
  Result<Value> EvalSort(const Call& c);
  Result<Value> EvalSortByLabel(const Call& c);
  Result<Value> EvalVectorFunction(const Call& c);
  Result<Value> EvalScalarFunction(const Call& c);
  Result<Value> EvalTimestamp(const Call& c);
  Result<Value> EvalRound(const Call& c);
  Result<Value> EvalNativeHistogramFunction(const Call& c);
  Result<Value> EvalAbsent(const Call& c);
  Result<Value> EvalLabelFunction(const Call& c);
  // histogram_quantile(q, buckets) and histogram_fraction(lower, upper,
  // buckets) over classic histograms (series with an `le` label).
  Result<Value> EvalHistogramQuantile(const Call& c);
  // A function of a range vector (rate, *_over_time, ...): its series go
  // to `sink` one at a time, or (EvalRangeFunction) into a value.
  Status RangeFunctionSeries(const Call& c, const Node& range_arg, const SeriesSink& sink);
  Result<Value> EvalRangeFunction(const Call& c, const Node& range_arg);
  // The range argument of a call of a range function, or null.
  static const Node* RangeArgOf(const Call& c);

  const Queryable& data_;
  const EngineOptions& options_;
  int64_t start_, end_, step_;
  int64_t query_start_, query_end_;
  int64_t query_step_ = 0;
  std::optional<std::chrono::steady_clock::time_point> deadline_;
  std::vector<Annotation>* annotations_ = nullptr;
  size_t steps_ = 1;
  // Samples and points the query holds: the values computed so far and
  // the series being read (the sample limit applies to this).
  int64_t held_ = 0;
};

}  // namespace mytsdb::promql
