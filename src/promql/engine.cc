#include "promql/engine.h"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <iterator>
#include <map>

#include "promql/evaluator.h"

namespace mytsdb::promql {

namespace {

QueryResult ToResult(const Value& v, const Evaluator& ev, bool instant) {
  QueryResult out;
  if (v.type == ValueType::kScalar) {
    if (instant) {
      out.type = ValueType::kScalar;
      out.scalar = {ev.StepTime(0), v.scalar[0]};
      return out;
    }
    out.type = ValueType::kMatrix;
    SeriesResult s;
    for (size_t i = 0; i < ev.steps(); ++i) s.points.push_back({ev.StepTime(i), v.scalar[i]});
    out.series.push_back(std::move(s));
    return out;
  }
  if (v.type == ValueType::kString) {
    out.type = ValueType::kString;
    out.string_value = v.str;
    out.string_t = ev.StepTime(0);
    return out;
  }
  out.type = instant ? ValueType::kVector : ValueType::kMatrix;
  for (const StepSeries& s : v.series) {
    SeriesResult r;
    r.labels = s.drop_name ? DropName(s.labels) : s.labels;
    for (size_t i = 0; i < ev.steps(); ++i) {
      if (s.has[i]) r.points.push_back({ev.StepTime(i), s.v[i]});
    }
    if (!r.points.empty()) out.series.push_back(std::move(r));
  }
  if (!instant) {
    std::sort(out.series.begin(), out.series.end(),
              [](const SeriesResult& a, const SeriesResult& b) { return a.labels < b.labels; });
  }
  return out;
}

// Series that ended up with the same labels (e.g. rate() of two metrics that
// differ only by name) are one series if their points never share a
// timestamp; otherwise Prometheus fails the query.
Status CheckUniqueLabels(QueryResult* r) {
  std::map<model::Labels, size_t> index;
  std::vector<SeriesResult> merged;
  for (SeriesResult& s : r->series) {
    auto [it, inserted] = index.try_emplace(s.labels, merged.size());
    if (inserted) {
      merged.push_back(std::move(s));
      continue;
    }
    SeriesResult& into = merged[it->second];
    std::vector<Point> all;
    std::merge(into.points.begin(), into.points.end(), s.points.begin(), s.points.end(),
               std::back_inserter(all), [](const Point& a, const Point& b) { return a.t < b.t; });
    for (size_t i = 1; i < all.size(); ++i) {
      if (all[i].t == all[i - 1].t) {
        return Status::InvalidArgument("vector cannot contain metrics with the same labelset");
      }
    }
    into.points = std::move(all);
  }
  r->series = std::move(merged);
  return Status::OK();
}

}  // namespace

Result<QueryResult> Engine::Instant(const Queryable& data, const Node& expr, int64_t t) const {
  Evaluator ev(data, options_, t, t, 0, t, t);
  if (options_.timeout_ms > 0) ev.set_deadline(std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.timeout_ms));
  if (Unparen(expr).kind == NodeKind::kMatrixSelector || Unparen(expr).kind == NodeKind::kSubquery) {
    // A range vector at the top: the raw samples of each window.
    const Evaluator::RangeWindows windows = ev.WindowsOf(expr);
    const int64_t end = windows.end[0];
    QueryResult out;
    out.type = ValueType::kMatrix;
    RETURN_NOT_OK(ev.ForEachRangeSeries(expr, windows, [&](Series& s, bool) {
      SeriesResult r;
      for (const model::Sample& x : s.samples) {
        if (x.timestamp_ms > end - windows.range_ms && x.timestamp_ms <= end) {
          r.points.push_back({x.timestamp_ms, x.value});
        }
      }
      if (r.points.empty()) return Status::OK();
      RETURN_NOT_OK(ev.Hold(static_cast<int64_t>(r.points.size()), "query execution"));
      r.labels = std::move(s.labels);
      out.series.push_back(std::move(r));
      return Status::OK();
    }));
    return out;
  }
  std::vector<Annotation> annotations;
  ev.set_annotations(&annotations);
  ASSIGN_OR_RETURN(Value v, ev.Eval(expr));
  QueryResult out = ToResult(v, ev, /*instant=*/true);
  RETURN_NOT_OK(CheckUniqueLabels(&out));
  out.annotations = std::move(annotations);
  return out;
}

Result<QueryResult> Engine::Range(const Queryable& data, const Node& expr, int64_t start,
                                  int64_t end, int64_t step) const {
  if (step <= 0) return Status::InvalidArgument("zero or negative query resolution step widths are not accepted");
  if (end < start) return Status::InvalidArgument("end timestamp must not be before start time");
  if (expr.type() != ValueType::kScalar && expr.type() != ValueType::kVector) {
    return Status::InvalidArgument(std::string("invalid expression type \"") +
                                   ValueTypeName(expr.type()) +
                                   "\" for range query, must be Scalar or instant Vector");
  }
  Evaluator ev(data, options_, start, end, step, start, end);
  ev.set_query_step(step);
  if (options_.timeout_ms > 0) ev.set_deadline(std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.timeout_ms));
  std::vector<Annotation> annotations;
  ev.set_annotations(&annotations);
  ASSIGN_OR_RETURN(Value v, ev.Eval(expr));
  QueryResult out = ToResult(v, ev, /*instant=*/false);
  RETURN_NOT_OK(CheckUniqueLabels(&out));
  out.annotations = std::move(annotations);
  return out;
}

}  // namespace mytsdb::promql
