#include "promql/evaluator.h"

#include <algorithm>
#include <map>

#include "promql/range_functions.h"

namespace mytsdb::promql {

Result<Value> Evaluator::Eval(const Node& node) {
  RETURN_NOT_OK(CheckDeadline());
  switch (node.kind) {
    case NodeKind::kNumber: {
      Value v;
      v.type = ValueType::kScalar;
      v.scalar.assign(steps_, static_cast<const NumberLiteral&>(node).value);
      return v;
    }
    case NodeKind::kString: {
      Value v;
      v.type = ValueType::kString;
      v.str = static_cast<const StringLiteral&>(node).value;
      return v;
    }
    case NodeKind::kParen:
      return Eval(*static_cast<const ParenExpr&>(node).expr);
    case NodeKind::kVectorSelector:
      return EvalSelector(static_cast<const VectorSelector&>(node));
    case NodeKind::kUnary:
      return EvalUnary(static_cast<const UnaryExpr&>(node));
    case NodeKind::kBinary:
      return EvalBinary(static_cast<const BinaryExpr&>(node));
    case NodeKind::kAggregate:
      return EvalAggregate(static_cast<const AggregateExpr&>(node));
    case NodeKind::kCall:
      return EvalCall(static_cast<const Call&>(node));
    case NodeKind::kMatrixSelector:
      return Status::InvalidArgument("a range vector is only allowed as a function argument here");
    case NodeKind::kSubquery:
      return Status::InvalidArgument("a subquery is only allowed as a function argument here");
  }
  return Status::Internal("unknown node");
}

// The time at which a selector or subquery is evaluated for step i.
int64_t Evaluator::ModTime(const AtModifier& at, int64_t offset_ms, size_t i) const {
  int64_t t = StepTime(i);
  switch (at.kind) {
    case AtModifier::Kind::kTime: t = at.time_ms; break;
    case AtModifier::Kind::kStart: t = query_start_; break;
    case AtModifier::Kind::kEnd: t = query_end_; break;
    case AtModifier::Kind::kNone: break;
  }
  return t - offset_ms;
}

// Records an annotation once per distinct message, as Prometheus does.
void Evaluator::Record(Annotation annotation) {
  if (annotations_ == nullptr) return;
  for (const Annotation& a : *annotations_) {
    if (a.message == annotation.message) return;
  }
  annotations_->push_back(std::move(annotation));
}

void Evaluator::Annotate(bool warning, std::string message, const Node& at) {
  Annotation a;
  a.warning = warning;
  a.message = std::string(warning ? "PromQL warning: " : "PromQL info: ") + message;
  a.pos = at.pos.start;
  Record(std::move(a));
}

// histogram_quantile's info on buckets forced monotonic: one annotation
// per metric name, merging the times, buckets and differences it covers.
void Evaluator::AnnotateMonotonicity(const std::string& name, int64_t t, const Monotonicity& m, const Node& at) {
  if (annotations_ == nullptr) return;
  std::string message =
      "PromQL info: input to histogram_quantile needed to be fixed for monotonicity (see "
      "https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile)" +
      (name.empty() ? std::string() : " for metric name " + Quote(name));
  for (Annotation& a : *annotations_) {
    if (a.message != message) continue;
    a.detail.min_ts = std::min(a.detail.min_ts, t);
    a.detail.max_ts = std::max(a.detail.max_ts, t);
    a.detail.min_bucket = std::min(a.detail.min_bucket, m.min_bucket);
    a.detail.max_bucket = std::max(a.detail.max_bucket, m.max_bucket);
    a.detail.max_diff = std::max(a.detail.max_diff, m.max_diff);
    ++a.detail.count;
    return;
  }
  Annotation a{false, std::move(message), at.pos.start, false, {}};
  a.has_detail = true;
  a.detail = {t, t, m.min_bucket, m.max_bucket, m.max_diff, 1};
  annotations_->push_back(std::move(a));
}

// Functions and arithmetic drop the metric name: at once, or with delayed
// name removal when the query ends (so label_replace can still read it).
void Evaluator::DropNameOf(StepSeries& s) const {
  if (options_.delayed_name_removal) {
    s.drop_name = true;
  } else {
    s.labels = DropName(s.labels);
  }
}

// Without delayed name removal, Prometheus fails as soon as dropping names
// leaves two series with the same labels at one step.
Status Evaluator::CheckStepCollisions(const Value& v) const {
  if (options_.delayed_name_removal || v.series.size() < 2) return Status::OK();
  std::map<model::Labels, const StepSeries*> seen;
  for (const StepSeries& s : v.series) {
    auto [it, fresh] = seen.try_emplace(s.labels, &s);
    if (fresh) continue;
    for (size_t i = 0; i < steps_; ++i) {
      if (s.has[i] && it->second->has[i]) {
        return Status::InvalidArgument("vector cannot contain metrics with the same labelset");
      }
    }
  }
  return Status::OK();
}

namespace {

Status TooManySamples(const char* where) {
  return Status::ResourceExhausted(std::string("query processing would load too many samples into memory in ") +
                                   where);
}

}  // namespace

Status Evaluator::Hold(int64_t points, const char* where) {
  held_ += points;
  return held_ > options_.max_samples ? TooManySamples(where) : Status::OK();
}

Status Evaluator::ForEachSeries(const VectorSelector& vs, model::TimeRange range, bool drop_stale,
                                const std::function<Status(Series&)>& visit) {
  constexpr const char* kWhere = "query execution";
  SelectLimits limits;
  // A batch of series read together may hold what the query has left.
  limits.max_samples = options_.max_samples - held_;
  limits.deadline = deadline_;
  limits.cancel = options_.cancel;
  ASSIGN_OR_RETURN(std::unique_ptr<SeriesSet> set, data_.Select(vs.matchers, range, limits));
  for (std::string& w : set->Warnings()) {
    Annotation a;
    a.message = std::move(w);
    a.positioned = false;  // the storage's, not an expression's
    Record(std::move(a));
  }
  Series s;
  for (size_t n = 0;; ++n) {
    if (n % 64 == 0) RETURN_NOT_OK(CheckDeadline());
    Result<bool> more = set->Next(&s);
    if (!more.ok() && more.status().code() == StatusCode::kResourceExhausted) {
      return TooManySamples(kWhere);
    }
    RETURN_NOT_OK(more.status());
    if (!*more) return Status::OK();
    if (drop_stale) {
      std::erase_if(s.samples, [](const model::Sample& x) { return model::IsStaleNaN(x.value); });
    }
    // The series' samples are held while it is visited.
    const auto samples = static_cast<int64_t>(s.samples.size());
    RETURN_NOT_OK(Hold(samples, kWhere));
    RETURN_NOT_OK(visit(s));
    held_ -= samples;
  }
}

Evaluator::RangeWindows Evaluator::WindowsOf(const Node& range_arg) const {
  const Node& arg = Unparen(range_arg);
  RangeWindows w;
  if (arg.kind == NodeKind::kMatrixSelector) {
    const auto& ms = static_cast<const MatrixSelector&>(arg);
    w.range_ms = ms.range_ms;
    for (size_t i = 0; i < steps_; ++i) w.end.push_back(EvalTime(*ms.selector, i));
  } else if (arg.kind == NodeKind::kSubquery) {
    const auto& sq = static_cast<const SubqueryExpr&>(arg);
    w.range_ms = sq.range_ms;
    for (size_t i = 0; i < steps_; ++i) w.end.push_back(ModTime(sq.at, sq.offset_ms, i));
  }
  return w;
}

Status Evaluator::ForEachRangeSeries(const Node& range_arg, const RangeWindows& windows,
                                     const RangeVisitor& visit) {
  const Node& arg = Unparen(range_arg);
  auto [lo_it, hi_it] = std::minmax_element(windows.end.begin(), windows.end.end());
  if (arg.kind == NodeKind::kMatrixSelector) {
    const auto& ms = static_cast<const MatrixSelector&>(arg);
    return ForEachSeries(*ms.selector, {*lo_it - ms.range_ms + 1, *hi_it}, /*drop_stale=*/true,
                         [&](Series& s) { return visit(s, false); });
  }
  if (arg.kind != NodeKind::kSubquery) {
    return Status::Internal("range input is neither a range selector nor a subquery");
  }
  const auto& sq = static_cast<const SubqueryExpr&>(arg);
  int64_t lo = *lo_it - sq.range_ms, hi = *hi_it;
  int64_t step = sq.step_ms > 0 ? sq.step_ms : options_.default_subquery_step_ms;
  // The inner steps are multiples of the subquery step (Prometheus aligns
  // them so that results do not depend on when the query runs).
  int64_t start = model::FloorTo(lo, step);
  if (start < lo) start += step;
  if (start > hi) return Status::OK();
  constexpr const char* kWhere = "subquery evaluation";
  // Every inner step holds a value per series: bound them like samples,
  // so that [10000d:1s] is refused instead of exhausting memory.
  if ((hi - start) / step + 1 > options_.max_samples) return TooManySamples(kWhere);
  Evaluator inner(data_, options_, start, hi, step, query_start_, query_end_);
  inner.held_ = held_;
  inner.query_step_ = query_step_;
  inner.deadline_ = deadline_;
  inner.annotations_ = annotations_;
  ASSIGN_OR_RETURN(Value v, inner.Eval(*sq.expr));
  RETURN_NOT_OK(CheckDeadline());
  held_ = inner.held_;
  int64_t points = 0;
  for (const StepSeries& s : v.series) points += std::count(s.has.begin(), s.has.end(), 1);
  RETURN_NOT_OK(Hold(points, kWhere));
  Series series;
  for (StepSeries& s : v.series) {
    series.labels = std::move(s.labels);
    series.samples.clear();
    for (size_t j = 0; j < inner.steps(); ++j) {
      if (s.has[j]) series.samples.push_back({inner.StepTime(j), s.v[j]});
    }
    // The inner values of this series are no longer needed.
    s.v = {};
    s.has = {};
    RETURN_NOT_OK(visit(series, s.drop_name));
  }
  return Status::OK();
}

Status Evaluator::SelectorSeries(const VectorSelector& vs, bool timestamps, const SeriesSink& sink) {
  int64_t lo = INT64_MAX, hi = INT64_MIN;
  for (size_t i = 0; i < steps_; ++i) {
    lo = std::min(lo, EvalTime(vs, i));
    hi = std::max(hi, EvalTime(vs, i));
  }
  return ForEachSeries(vs, {lo - options_.lookback_ms + 1, hi}, /*drop_stale=*/false,
                       [&](Series& s) -> Status {
    StepSeries r;
    r.v.assign(steps_, 0);
    r.has.assign(steps_, 0);
    int64_t points = 0;
    // The first sample after the step's time, found forward from the last
    // step's while times do not decrease (@ and offsets can break that).
    size_t after = 0;
    int64_t last_t = INT64_MIN;
    for (size_t i = 0; i < steps_; ++i) {
      int64_t t = EvalTime(vs, i);
      if (t < last_t) after = 0;
      last_t = t;
      after = FirstAfter(s.samples, after, t);
      if (after == 0) continue;
      const model::Sample* it = &s.samples[after - 1];
      // Left-open lookback window, and a staleness marker ends the series.
      if (it->timestamp_ms <= t - options_.lookback_ms || model::IsStaleNaN(it->value)) continue;
      r.v[i] = timestamps ? static_cast<double>(it->timestamp_ms) / 1000 : it->value;
      r.has[i] = 1;
      ++points;
    }
    if (points == 0) return Status::OK();
    RETURN_NOT_OK(Hold(points, "query execution"));
    r.labels = std::move(s.labels);
    return sink(r);
  });
}

Result<Value> Evaluator::EvalSelector(const VectorSelector& vs, bool timestamps) {
  Value out;
  out.type = ValueType::kVector;
  RETURN_NOT_OK(SelectorSeries(vs, timestamps, [&](StepSeries& s) {
    out.series.push_back(std::move(s));
    return Status::OK();
  }));
  return out;
}

Status Evaluator::EvalSeries(const Node& node, const SeriesSink& sink) {
  RETURN_NOT_OK(CheckDeadline());
  const Node& n = Unparen(node);
  if (n.kind == NodeKind::kVectorSelector) {
    return SelectorSeries(static_cast<const VectorSelector&>(n), /*timestamps=*/false, sink);
  }
  if (n.kind == NodeKind::kCall) {
    const auto& c = static_cast<const Call&>(n);
    // A range function's result needs no check for series colliding at a
    // step (EvalCall): it is checked whole for equal label sets.
    if (const Node* range_arg = RangeArgOf(c)) return RangeFunctionSeries(c, *range_arg, sink);
  }
  ASSIGN_OR_RETURN(Value v, Eval(n));
  for (StepSeries& s : v.series) {
    RETURN_NOT_OK(sink(s));
    s = StepSeries();  // consumed
  }
  return Status::OK();
}

void Evaluator::Release(const StepSeries& s) {
  held_ -= std::count(s.has.begin(), s.has.end(), 1);
}

Result<Value> Evaluator::EvalWithTimestamps(const Node& node) {
  const Node& n = Unparen(node);
  if (n.kind == NodeKind::kVectorSelector) {
    return EvalSelector(static_cast<const VectorSelector&>(n), /*timestamps=*/true);
  }
  ASSIGN_OR_RETURN(Value v, Eval(n));
  for (StepSeries& s : v.series) {
    for (size_t i = 0; i < steps_; ++i) s.v[i] = static_cast<double>(StepTime(i)) / 1000;
  }
  return v;
}

}  // namespace mytsdb::promql
