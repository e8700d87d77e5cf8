#include "promql/engine.h"

#include <re2/re2.h>
#include <xxhash.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <ctime>
#include <limits>
#include <iterator>
#include <map>
#include <numeric>
#include <optional>
#include <set>
#include <span>
#include <unordered_map>

namespace mytsdb::promql {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// One series evaluated at every step: v[i] is valid where has[i].
struct StepSeries {
  model::Labels labels;
  // With delayed name removal: the name goes when the query ends.
  bool drop_name = false;
  std::vector<double> v;
  std::vector<uint8_t> has;
};

// The value of an expression at every step.
struct Value {
  ValueType type = ValueType::kVector;
  std::vector<double> scalar;       // kScalar: one per step
  std::vector<StepSeries> series;   // kVector
  std::string str;                  // kString
};

// A float as Go's %g writes it: shortest digits, exponent form below 1e-4
// or from 1e21 ("1.1", "1e+21", "NaN", "+Inf").
std::string GoG(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == 0) return std::signbit(v) ? "-0" : "0";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  std::string sci(buf, r.ptr);
  size_t e = sci.find('e');
  int exp = std::atoi(sci.c_str() + e + 1);
  if (exp < -4 || exp >= 21) {
    std::string mant = sci.substr(0, e);
    char ebuf[16];
    std::snprintf(ebuf, sizeof ebuf, "e%c%02d", exp < 0 ? '-' : '+', std::abs(exp));
    return mant + ebuf;
  }
  return FormatFloat(v);
}

// Natural order of label values ("cpu2" < "cpu10"), as the natsort package
// Prometheus uses for sort_by_label: runs of digits compare as numbers.
bool NaturalLess(std::string_view a, std::string_view b) {
  auto chunks = [](std::string_view s) {
    std::vector<std::string_view> out;
    size_t i = 0;
    while (i < s.size()) {
      bool digit = std::isdigit(static_cast<unsigned char>(s[i]));
      size_t j = i;
      while (j < s.size() && static_cast<bool>(std::isdigit(static_cast<unsigned char>(s[j]))) == digit) ++j;
      out.push_back(s.substr(i, j - i));
      i = j;
    }
    return out;
  };
  auto as_int = [](std::string_view s, int64_t* v) {
    auto r = std::from_chars(s.data(), s.data() + s.size(), *v);
    return r.ec == std::errc() && r.ptr == s.data() + s.size();
  };
  std::vector<std::string_view> ca = chunks(a), cb = chunks(b);
  for (size_t i = 0; i < ca.size(); ++i) {
    if (i >= cb.size()) return false;
    int64_t x, y;
    bool equal;
    if (as_int(ca[i], &x) && as_int(cb[i], &y)) {
      if (x != y) return x < y;
      equal = true;
    } else {
      if (ca[i] != cb[i]) return ca[i] < cb[i];
      equal = true;
    }
    if (equal) {
      if (i == ca.size() - 1) return true;
      if (i == cb.size() - 1) return false;
    }
  }
  return false;
}

// The expression inside any number of parentheses.
const Node& Unparen(const Node& n) {
  const Node* p = &n;
  while (p->kind == NodeKind::kParen) p = static_cast<const ParenExpr*>(p)->expr.get();
  return *p;
}

model::Labels DropName(const model::Labels& l) {
  std::vector<model::Label> out;
  for (const model::Label& x : l) {
    if (x.name != model::kMetricNameLabel) out.push_back(x);
  }
  return model::Labels::FromSorted(std::move(out));
}

// Labels kept (on) or dropped (ignoring, always with __name__) for matching.
std::string Signature(const model::Labels& l, bool on, const std::vector<std::string>& names) {
  std::string sig;
  for (const model::Label& x : l) {
    bool listed = std::find(names.begin(), names.end(), x.name) != names.end();
    if (on ? !listed : (listed || x.name == model::kMetricNameLabel)) continue;
    sig += x.name;
    sig += '\xff';
    sig += x.value;
    sig += '\xff';
  }
  return sig;
}

// The smallest and largest non-NaN values of a per-step parameter, and
// whether any step is NaN (Prometheus checks topk's k, quantile's q and
// limit_ratio's ratio over the whole query this way).
struct ParamRange {
  double min = INFINITY, max = -INFINITY;
  bool any_nan = false;
};
ParamRange RangeOf(const std::vector<double>& param) {
  ParamRange r;
  for (double p : param) {
    r.any_nan = r.any_nan || std::isnan(p);
    if (!std::isnan(p)) {
      r.max = std::max(r.max, p);
      r.min = std::min(r.min, p);
    }
  }
  return r;
}

}  // namespace

bool AlmostEqual(double a, double b, double epsilon) {
  constexpr double kMinNormal = 2.2250738585072014e-308;
  if (std::isnan(a) && std::isnan(b)) return true;
  if (a == b) return true;
  double abs_sum = std::fabs(a) + std::fabs(b);
  double diff = std::fabs(a - b);
  if (a == 0 || b == 0 || abs_sum < kMinNormal) return diff < epsilon * kMinNormal;
  return diff / std::min(abs_sum, std::numeric_limits<double>::max()) < epsilon;
}

namespace {

double KahanAdd(double sum, double x, double* c) {
  double t = sum + x;
  if (std::isinf(t)) {
    *c = 0;  // the compensation of an overflowed sum is meaningless (NaN)
  } else if (std::fabs(sum) >= std::fabs(x)) {
    *c += (sum - t) + x;
  } else {
    *c += (x - t) + sum;
  }
  return t;
}

// The mean as Prometheus computes it: a Kahan-compensated sum divided by
// the count while the sum stays finite, an incremental mean from the point
// where it would overflow.
template <typename Values>
double Mean(const Values& values) {
  auto it = values.begin();
  double sum = *it, c = 0, mean = 0, count = 1;
  bool incremental = false;
  for (++it; it != values.end(); ++it) {
    double f = *it;
    count += 1;
    if (!incremental) {
      double c2 = c;
      double next = KahanAdd(sum, f, &c2);
      if (!std::isinf(next)) {
        sum = next;
        c = c2;
        continue;
      }
      incremental = true;
      mean = sum / (count - 1);
      c /= count - 1;
    }
    double q = (count - 1) / count;
    double c2 = q * c;
    mean = KahanAdd(q * mean, f / count, &c2);
    c = c2;
  }
  return incremental ? mean + c : sum / count + c / count;
}

// Prometheus's quantile over sorted values (linear interpolation).
double Quantile(double q, std::vector<double> values) {
  if (values.empty() || std::isnan(q)) return kNaN;
  if (q < 0) return -INFINITY;
  if (q > 1) return INFINITY;
  // NaN sorts below everything, as in Prometheus's vectorByValueHeap.
  std::sort(values.begin(), values.end(), [](double a, double b) { return std::isnan(a) ? !std::isnan(b) : a < b; });
  double n = static_cast<double>(values.size());
  double rank = q * (n - 1);
  size_t lower = static_cast<size_t>(std::max(0.0, std::floor(rank)));
  size_t upper = std::min(values.size() - 1, lower + 1);
  double weight = rank - std::floor(rank);
  return values[lower] * (1 - weight) + values[upper] * weight;
}

// What forcing a classic histogram's buckets monotonic changed (for the
// info annotation Prometheus raises then).
struct Monotonicity {
  bool forced = false;
  double min_bucket = INFINITY, max_bucket = -INFINITY, max_diff = 0;
};

// Functions over a range of samples, by name.
enum class RangeFn {
  kAvgOverTime, kChanges, kCountOverTime, kDelta, kDeriv, kDoubleExponentialSmoothing, kFirstOverTime, kIdelta, kIncrease, kIrate, kLastOverTime, kMadOverTime, kMaxOverTime, kMinOverTime, kPredictLinear, kPresentOverTime, kQuantileOverTime, kRate, kResets, kStddevOverTime, kStdvarOverTime, kSumOverTime, kTsOfFirstOverTime, kTsOfLastOverTime, kTsOfMaxOverTime, kTsOfMinOverTime, kOther,
};

// The range function of a name, resolved once per call rather than per step.
RangeFn RangeFnOf(std::string_view name) {
  if (name == "avg_over_time") return RangeFn::kAvgOverTime;
  if (name == "changes") return RangeFn::kChanges;
  if (name == "count_over_time") return RangeFn::kCountOverTime;
  if (name == "delta") return RangeFn::kDelta;
  if (name == "deriv") return RangeFn::kDeriv;
  if (name == "double_exponential_smoothing") return RangeFn::kDoubleExponentialSmoothing;
  if (name == "first_over_time") return RangeFn::kFirstOverTime;
  if (name == "idelta") return RangeFn::kIdelta;
  if (name == "increase") return RangeFn::kIncrease;
  if (name == "irate") return RangeFn::kIrate;
  if (name == "last_over_time") return RangeFn::kLastOverTime;
  if (name == "mad_over_time") return RangeFn::kMadOverTime;
  if (name == "max_over_time") return RangeFn::kMaxOverTime;
  if (name == "min_over_time") return RangeFn::kMinOverTime;
  if (name == "predict_linear") return RangeFn::kPredictLinear;
  if (name == "present_over_time") return RangeFn::kPresentOverTime;
  if (name == "quantile_over_time") return RangeFn::kQuantileOverTime;
  if (name == "rate") return RangeFn::kRate;
  if (name == "resets") return RangeFn::kResets;
  if (name == "stddev_over_time") return RangeFn::kStddevOverTime;
  if (name == "stdvar_over_time") return RangeFn::kStdvarOverTime;
  if (name == "sum_over_time") return RangeFn::kSumOverTime;
  if (name == "ts_of_first_over_time") return RangeFn::kTsOfFirstOverTime;
  if (name == "ts_of_last_over_time") return RangeFn::kTsOfLastOverTime;
  if (name == "ts_of_max_over_time") return RangeFn::kTsOfMaxOverTime;
  if (name == "ts_of_min_over_time") return RangeFn::kTsOfMinOverTime;
  return RangeFn::kOther;
}

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

  Result<Value> Eval(const Node& node) {
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

 private:
  // The time at which a selector or subquery is evaluated for step i.
  int64_t ModTime(const AtModifier& at, int64_t offset_ms, size_t i) const {
    int64_t t = StepTime(i);
    switch (at.kind) {
      case AtModifier::Kind::kTime: t = at.time_ms; break;
      case AtModifier::Kind::kStart: t = query_start_; break;
      case AtModifier::Kind::kEnd: t = query_end_; break;
      case AtModifier::Kind::kNone: break;
    }
    return t - offset_ms;
  }
  int64_t EvalTime(const VectorSelector& vs, size_t i) const {
    return ModTime(vs.at, vs.offset_ms, i);
  }

  // Records an annotation once per distinct message, as Prometheus does.
  void Annotate(bool warning, std::string message, const Node& at) {
    if (annotations_ == nullptr) return;
    message = std::string(warning ? "PromQL warning: " : "PromQL info: ") + message;
    for (const Annotation& a : *annotations_) {
      if (a.message == message) return;
    }
    annotations_->push_back({warning, std::move(message), at.pos.start});
  }

  // histogram_quantile's info on buckets forced monotonic: one annotation
  // per metric name, merging the times, buckets and differences it covers.
  void AnnotateMonotonicity(const std::string& name, int64_t t, const Monotonicity& m, const Node& at) {
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
    Annotation a{false, std::move(message), at.pos.start};
    a.has_detail = true;
    a.detail = {t, t, m.min_bucket, m.max_bucket, m.max_diff, 1};
    annotations_->push_back(std::move(a));
  }

  // Functions and arithmetic drop the metric name: at once, or with delayed
  // name removal when the query ends (so label_replace can still read it).
  void DropNameOf(StepSeries& s) const {
    if (options_.delayed_name_removal) {
      s.drop_name = true;
    } else {
      s.labels = DropName(s.labels);
    }
  }

  // Without delayed name removal, Prometheus fails as soon as dropping names
  // leaves two series with the same labels at one step.
  Status CheckStepCollisions(const Value& v) const {
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

 public:
  // The input of a function over a range: series with the samples of every
  // window, the window length, and each step's window end.
  struct RangeInput {
    std::vector<Series> series;
    std::vector<uint8_t> drop_name;  // per series, from a subquery's expression
    int64_t range_ms = 0;
    std::vector<int64_t> window_end;
  };

  Result<RangeInput> LoadRangeInput(const Node& node) {
    const Node& arg = Unparen(node);
    RangeInput in;
    if (arg.kind == NodeKind::kMatrixSelector) {
      const auto& ms = static_cast<const MatrixSelector&>(arg);
      in.range_ms = ms.range_ms;
      for (size_t i = 0; i < steps_; ++i) in.window_end.push_back(EvalTime(*ms.selector, i));
      auto [lo, hi] = std::minmax_element(in.window_end.begin(), in.window_end.end());
      RETURN_NOT_OK(Load(*ms.selector, {*lo - ms.range_ms + 1, *hi}, &in.series, true));
      return in;
    }
    if (arg.kind != NodeKind::kSubquery) {
      return Status::Internal("range input is neither a range selector nor a subquery");
    }
    const auto& sq = static_cast<const SubqueryExpr&>(arg);
    in.range_ms = sq.range_ms;
    for (size_t i = 0; i < steps_; ++i) in.window_end.push_back(ModTime(sq.at, sq.offset_ms, i));
    auto [lo_it, hi_it] = std::minmax_element(in.window_end.begin(), in.window_end.end());
    int64_t lo = *lo_it - sq.range_ms, hi = *hi_it;
    int64_t step = sq.step_ms > 0 ? sq.step_ms : options_.default_subquery_step_ms;
    // The inner steps are multiples of the subquery step (Prometheus aligns
    // them so that results do not depend on when the query runs).
    int64_t start = (lo >= 0 ? lo / step : (lo - step + 1) / step) * step;
    if (start < lo) start += step;
    if (start > hi) return in;
    // Every inner step holds a value per series: bound them like samples,
    // so that [10000d:1s] is refused instead of exhausting memory.
    if ((hi - start) / step + 1 > options_.max_samples) {
      return Status::ResourceExhausted(
          "query processing would load too many samples into memory in subquery evaluation");
    }
    Evaluator inner(data_, options_, start, hi, step, query_start_, query_end_);
    inner.loaded_ = loaded_;
    inner.query_step_ = query_step_;
    inner.deadline_ = deadline_;
    inner.annotations_ = annotations_;
    ASSIGN_OR_RETURN(Value v, inner.Eval(*sq.expr));
    RETURN_NOT_OK(CheckDeadline());
    loaded_ = inner.loaded_;
    for (const StepSeries& s : v.series) {
      loaded_ += std::count(s.has.begin(), s.has.end(), 1);
    }
    if (loaded_ > options_.max_samples) {
      return Status::ResourceExhausted(
          "query processing would load too many samples into memory in subquery evaluation");
    }
    for (StepSeries& s : v.series) {
      in.drop_name.push_back(s.drop_name);
      Series out{std::move(s.labels), {}};
      for (size_t j = 0; j < inner.steps(); ++j) {
        if (s.has[j]) out.samples.push_back({inner.StepTime(j), s.v[j]});
      }
      in.series.push_back(std::move(out));
    }
    return in;
  }

 private:

  Status Load(const VectorSelector& vs, model::TimeRange range, std::vector<Series>* out,
              bool drop_stale) {
    size_t before = out->size();
    SelectLimits limits;
    // Stale markers are dropped below, so they count until then.
    limits.max_samples = options_.max_samples - loaded_;
    limits.deadline = deadline_;
    limits.cancel = options_.cancel;
    Status selected = data_.Select(vs.matchers, range, limits, out);
    if (selected.code() == StatusCode::kResourceExhausted) {
      return Status::ResourceExhausted(
          "query processing would load too many samples into memory in query execution");
    }
    RETURN_NOT_OK(selected);
    RETURN_NOT_OK(CheckDeadline());
    for (size_t k = before; k < out->size(); ++k) {
      auto& samples = (*out)[k].samples;
      if (drop_stale) {
        std::erase_if(samples, [](const model::Sample& s) { return model::IsStaleNaN(s.value); });
      }
      loaded_ += static_cast<int64_t>(samples.size());
    }
    if (loaded_ > options_.max_samples) {
      return Status::ResourceExhausted(
          "query processing would load too many samples into memory in query execution");
    }
    return Status::OK();
  }

  Result<Value> EvalSelector(const VectorSelector& vs) {
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    for (size_t i = 0; i < steps_; ++i) {
      lo = std::min(lo, EvalTime(vs, i));
      hi = std::max(hi, EvalTime(vs, i));
    }
    std::vector<Series> series;
    RETURN_NOT_OK(Load(vs, {lo - options_.lookback_ms + 1, hi}, &series, false));
    Value out;
    out.type = ValueType::kVector;
    for (Series& s : series) {
      StepSeries r;
      r.labels = std::move(s.labels);
      r.v.assign(steps_, 0);
      r.has.assign(steps_, 0);
      bool any = false;
      for (size_t i = 0; i < steps_; ++i) {
        int64_t t = EvalTime(vs, i);
        auto it = std::upper_bound(s.samples.begin(), s.samples.end(), t,
                                   [](int64_t x, const model::Sample& a) { return x < a.timestamp_ms; });
        if (it == s.samples.begin()) continue;
        --it;
        // Left-open lookback window, and a staleness marker ends the series.
        if (it->timestamp_ms <= t - options_.lookback_ms || model::IsStaleNaN(it->value)) continue;
        r.v[i] = it->value;
        r.has[i] = 1;
        any = true;
      }
      if (any) out.series.push_back(std::move(r));
    }
    return out;
  }

  Result<Value> EvalUnary(const UnaryExpr& u) {
    ASSIGN_OR_RETURN(Value v, Eval(*u.expr));
    if (u.op == '+') return v;
    if (v.type == ValueType::kScalar) {
      for (double& x : v.scalar) x = -x;
      return v;
    }
    for (StepSeries& s : v.series) {
      DropNameOf(s);
      for (double& x : s.v) x = -x;
    }
    return options_.delayed_name_removal ? v : MergeSameLabels(std::move(v));
  }

  // ---- binary operators
  static std::optional<double> Apply(BinaryOp op, double l, double r, bool* keep) {
    *keep = true;
    switch (op) {
      case BinaryOp::kAdd: return l + r;
      case BinaryOp::kSub: return l - r;
      case BinaryOp::kMul: return l * r;
      case BinaryOp::kDiv: return l / r;
      case BinaryOp::kMod: return std::fmod(l, r);
      case BinaryOp::kPow: return std::pow(l, r);
      case BinaryOp::kAtan2: return std::atan2(l, r);
      case BinaryOp::kEql: *keep = l == r; return l;
      case BinaryOp::kNeq: *keep = l != r; return l;
      case BinaryOp::kLss: *keep = l < r; return l;
      case BinaryOp::kGtr: *keep = l > r; return l;
      case BinaryOp::kLte: *keep = l <= r; return l;
      case BinaryOp::kGte: *keep = l >= r; return l;
      default: return std::nullopt;
    }
  }

  static bool DropsName(BinaryOp op) {
    return !IsComparison(op) && !IsSetOperator(op);
  }

  Result<Value> EvalBinary(const BinaryExpr& b) {
    ASSIGN_OR_RETURN(Value l, Eval(*b.lhs));
    ASSIGN_OR_RETURN(Value r, Eval(*b.rhs));
    if (l.type == ValueType::kScalar && r.type == ValueType::kScalar) {
      Value out;
      out.type = ValueType::kScalar;
      out.scalar.resize(steps_);
      for (size_t i = 0; i < steps_; ++i) {
        bool keep;
        double v = *Apply(b.op, l.scalar[i], r.scalar[i], &keep);
        out.scalar[i] = IsComparison(b.op) ? (keep ? 1 : 0) : v;
      }
      return out;
    }
    if (l.type == ValueType::kScalar || r.type == ValueType::kScalar) {
      bool scalar_left = l.type == ValueType::kScalar;
      Value& vec = scalar_left ? r : l;
      const std::vector<double>& sc = scalar_left ? l.scalar : r.scalar;
      Value out;
      out.type = ValueType::kVector;
      for (StepSeries& s : vec.series) {
        StepSeries o;
        o.labels = s.labels;
        o.drop_name = s.drop_name;
        if (DropsName(b.op) || b.return_bool) DropNameOf(o);
        o.v.assign(steps_, 0);
        o.has.assign(steps_, 0);
        bool any = false;
        for (size_t i = 0; i < steps_; ++i) {
          if (!s.has[i]) continue;
          double lv = scalar_left ? sc[i] : s.v[i], rv = scalar_left ? s.v[i] : sc[i];
          bool keep;
          double v = *Apply(b.op, lv, rv, &keep);
          if (IsComparison(b.op)) {
            if (b.return_bool) {
              v = keep ? 1 : 0;
              keep = true;
            } else {
              v = s.v[i];  // the vector's value, whichever side it is on
            }
          }
          if (!keep) continue;
          o.v[i] = v;
          o.has[i] = 1;
          any = true;
        }
        if (any) out.series.push_back(std::move(o));
      }
      RETURN_NOT_OK(CheckStepCollisions(out));
      return out;
    }
    return VectorBinary(b, std::move(l), std::move(r));
  }

  Result<Value> VectorBinary(const BinaryExpr& b, Value l, Value r) {
    const VectorMatching m = b.matching.value_or(VectorMatching{});
    Value out;
    out.type = ValueType::kVector;
    std::vector<std::string> lsig(l.series.size()), rsig(r.series.size());
    for (size_t k = 0; k < l.series.size(); ++k) lsig[k] = Signature(l.series[k].labels, m.on, m.labels);
    for (size_t k = 0; k < r.series.size(); ++k) rsig[k] = Signature(r.series[k].labels, m.on, m.labels);

    if (IsSetOperator(b.op)) {
      // Signatures as small integers; per step, which of them each side has.
      std::unordered_map<std::string, size_t> ids;
      auto intern = [&](const std::string& sig) { return ids.emplace(sig, ids.size()).first->second; };
      std::vector<size_t> lid(l.series.size()), rid(r.series.size());
      for (size_t k = 0; k < l.series.size(); ++k) lid[k] = intern(lsig[k]);
      for (size_t k = 0; k < r.series.size(); ++k) rid[k] = intern(rsig[k]);
      std::vector<size_t> in_l(ids.size(), SIZE_MAX), in_r(ids.size(), SIZE_MAX);  // step last seen
      for (size_t i = 0; i < steps_; ++i) {
        for (size_t k = 0; k < r.series.size(); ++k) {
          if (r.series[k].has[i]) in_r[rid[k]] = i;
        }
        for (size_t k = 0; k < l.series.size(); ++k) {
          if (l.series[k].has[i]) in_l[lid[k]] = i;
        }
        for (size_t k = 0; k < l.series.size(); ++k) {
          if (!l.series[k].has[i]) continue;
          bool matched = in_r[lid[k]] == i;
          bool keep = b.op == BinaryOp::kAnd ? matched : b.op == BinaryOp::kUnless ? !matched : true;
          if (!keep) l.series[k].has[i] = 0;
        }
        if (b.op == BinaryOp::kOr) {
          for (size_t k = 0; k < r.series.size(); ++k) {
            if (r.series[k].has[i] && in_l[rid[k]] == i) r.series[k].has[i] = 0;
          }
        } else {
          for (StepSeries& s : r.series) s.has[i] = 0;
        }
      }
      for (auto* side : {&l, &r}) {
        for (StepSeries& s : side->series) {
          if (std::find(s.has.begin(), s.has.end(), 1) != s.has.end()) out.series.push_back(std::move(s));
        }
      }
      return MergeSameLabels(std::move(out));
    }

    // group_right: the right side is the "many" side.
    bool swap = m.card == VectorMatching::Card::kOneToMany;
    Value& many = swap ? r : l;
    Value& one = swap ? l : r;
    std::vector<std::string>& many_sig = swap ? rsig : lsig;
    std::vector<std::string>& one_sig = swap ? lsig : rsig;
    // Arithmetic drops the name at once (also with delayed name removal, as
    // Prometheus does); `bool` comparisons drop it like functions do.
    bool drop_name = DropsName(b.op) || (b.return_bool && !options_.delayed_name_removal);
    // Signatures as small integers, computed once rather than per step.
    std::unordered_map<std::string, int> sig_ids;
    auto intern = [&](const std::string& sig) { return sig_ids.emplace(sig, static_cast<int>(sig_ids.size())).first->second; };
    std::vector<int> many_id(many.series.size()), one_id(one.series.size());
    for (size_t k = 0; k < many.series.size(); ++k) many_id[k] = intern(many_sig[k]);
    for (size_t k = 0; k < one.series.size(); ++k) one_id[k] = intern(one_sig[k]);
    // Output series, found by labels once per (many, one) pair.
    std::map<model::Labels, size_t> result_index;
    std::vector<StepSeries> results;
    std::unordered_map<uint64_t, size_t> pair_result;
    std::vector<int64_t> one_at(sig_ids.size(), -1);     // per step: the "one" series of a signature
    std::vector<size_t> matched_at(sig_ids.size(), SIZE_MAX);  // one-to-one: step a signature was used
    std::vector<size_t> inserted_at;                           // many-to-one: step a result was produced
    for (size_t i = 0; i < steps_; ++i) {
      RETURN_NOT_OK(CheckDeadline());
      std::fill(one_at.begin(), one_at.end(), -1);
      for (size_t k = 0; k < one.series.size(); ++k) {
        if (!one.series[k].has[i]) continue;
        int64_t& slot = one_at[static_cast<size_t>(one_id[k])];
        if (slot >= 0) {
          const StepSeries& other = one.series[static_cast<size_t>(slot)];
          std::string a = one.series[k].labels.ToBracedString(), b = other.labels.ToBracedString();
          if (a > b) std::swap(a, b);
          return Status::InvalidArgument(
              "found duplicate series for the match group " + MatchLabels(one.series[k].labels, m).ToBracedString() +
              " on the " + std::string(swap ? "left" : "right") + " hand-side of the operation: [" + a + ", " + b +
              "];many-to-many matching not allowed: matching labels must be unique on one side");
        }
        slot = static_cast<int64_t>(k);
      }
      for (size_t k = 0; k < many.series.size(); ++k) {
        if (!many.series[k].has[i]) continue;
        int64_t j = one_at[static_cast<size_t>(many_id[k])];
        if (j < 0) continue;
        const StepSeries& o = one.series[static_cast<size_t>(j)];
        const StepSeries& s = many.series[k];
        double lv = swap ? o.v[i] : s.v[i], rv = swap ? s.v[i] : o.v[i];
        bool keep;
        double v = *Apply(b.op, lv, rv, &keep);
        if (IsComparison(b.op)) {
          if (b.return_bool) {
            v = keep ? 1 : 0;
            keep = true;
          } else {
            v = lv;
          }
        }
        uint64_t pair = (static_cast<uint64_t>(k) << 32) | static_cast<uint64_t>(j);
        auto [pit, fresh_pair] = pair_result.try_emplace(pair, 0);
        if (fresh_pair) {
          model::Labels labels = ResultLabels(s.labels, o.labels, m, drop_name);
          auto [rit, fresh] = result_index.try_emplace(std::move(labels), results.size());
          if (fresh) {
            StepSeries r;
            r.labels = rit->first;
            r.v.assign(steps_, 0);
            r.has.assign(steps_, 0);
            results.push_back(std::move(r));
            inserted_at.push_back(SIZE_MAX);
          }
          pit->second = rit->second;
        }
        size_t out_index = pit->second;
        if (m.card == VectorMatching::Card::kOneToOne) {
          size_t& used = matched_at[static_cast<size_t>(many_id[k])];
          if (used == i) {
            return Status::InvalidArgument(
                "multiple matches for labels: many-to-one matching must be explicit "
                "(group_left/group_right)");
          }
          used = i;
        } else {
          if (inserted_at[out_index] == i) {
            return Status::InvalidArgument(
                "multiple matches for labels: grouping labels must ensure unique matches");
          }
          inserted_at[out_index] = i;
        }
        if (!keep) continue;
        StepSeries& r = results[out_index];
        r.v[i] = v;
        r.has[i] = 1;
        if ((b.return_bool && options_.delayed_name_removal) || (!drop_name && s.drop_name)) {
          r.drop_name = true;
        }
      }
    }
    for (StepSeries& r : results) {
      if (std::find(r.has.begin(), r.has.end(), 1) != r.has.end()) out.series.push_back(std::move(r));
    }
    return out;
  }

  // The labels a vector matching compares (Prometheus's MatchLabels).
  static model::Labels MatchLabels(const model::Labels& l, const VectorMatching& m) {
    std::vector<model::Label> out;
    for (const model::Label& x : l) {
      bool listed = std::find(m.labels.begin(), m.labels.end(), x.name) != m.labels.end();
      if (m.on ? listed : !(listed || x.name == model::kMetricNameLabel)) out.push_back(x);
    }
    return model::Labels::FromSorted(std::move(out));
  }

  static model::Labels ResultLabels(const model::Labels& many, const model::Labels& one,
                                    const VectorMatching& m, bool drop_name) {
    std::vector<model::Label> out;
    for (const model::Label& l : many) {
      if (drop_name && l.name == model::kMetricNameLabel) continue;
      if (m.card == VectorMatching::Card::kOneToOne) {
        bool listed = std::find(m.labels.begin(), m.labels.end(), l.name) != m.labels.end();
        if (m.on ? !listed : listed) continue;
      }
      if (std::find(m.include.begin(), m.include.end(), l.name) != m.include.end()) continue;
      out.push_back(l);
    }
    for (const std::string& name : m.include) {
      std::string_view v = one.Get(name);
      if (!v.empty()) out.push_back({name, std::string(v)});
    }
    return model::Labels::FromUnsorted(std::move(out));
  }

  // `or` may produce the same labels from both sides at different steps.
  static Value MergeSameLabels(Value v) {
    std::map<model::Labels, size_t> index;
    std::vector<StepSeries> merged;
    for (StepSeries& s : v.series) {
      auto [it, inserted] = index.try_emplace(s.labels, merged.size());
      if (inserted) {
        merged.push_back(std::move(s));
        continue;
      }
      StepSeries& into = merged[it->second];
      for (size_t i = 0; i < s.v.size(); ++i) {
        if (s.has[i] && !into.has[i]) {
          into.v[i] = s.v[i];
          into.has[i] = 1;
        }
      }
    }
    v.series = std::move(merged);
    return v;
  }

  // ---- aggregations
  Result<Value> EvalAggregate(const AggregateExpr& a) {
    ASSIGN_OR_RETURN(Value in, Eval(*a.expr));
    std::vector<double> param(steps_, 0);
    if (a.param) {
      if (a.op == AggregateOp::kCountValues) return CountValues(a, std::move(in));
      ASSIGN_OR_RETURN(Value p, Eval(*a.param));
      param = p.scalar;
    }
    // Group key per input series.
    std::vector<model::Labels> group_labels(in.series.size());
    for (size_t k = 0; k < in.series.size(); ++k) {
      std::vector<model::Label> keep;
      for (const model::Label& l : in.series[k].labels) {
        bool listed = std::find(a.grouping.begin(), a.grouping.end(), l.name) != a.grouping.end();
        if (a.without ? (listed || l.name == model::kMetricNameLabel) : !listed) continue;
        keep.push_back(l);
      }
      group_labels[k] = model::Labels::FromSorted(std::move(keep));
    }
    std::map<model::Labels, std::vector<size_t>> groups;
    std::vector<const std::vector<size_t>*> group_order;  // by first appearance
    for (size_t k = 0; k < in.series.size(); ++k) {
      auto [it, fresh] = groups.try_emplace(group_labels[k]);
      if (fresh) group_order.push_back(&it->second);
      it->second.push_back(k);
    }

    Value out;
    out.type = ValueType::kVector;
    if (a.op == AggregateOp::kTopk || a.op == AggregateOp::kBottomk || a.op == AggregateOp::kLimitk ||
        a.op == AggregateOp::kLimitRatio) {
      return SelectSeries(a, std::move(in), param, group_order);
    }

    if (a.op == AggregateOp::kQuantile) {
      auto [min, max, any_nan] = RangeOf(param);
      if (any_nan) Annotate(true, "quantile value should be between 0 and 1, got NaN", *a.param);
      if (max > 1) Annotate(true, "quantile value should be between 0 and 1, got " + GoG(max), *a.param);
      if (min < 0) Annotate(true, "quantile value should be between 0 and 1, got " + GoG(min), *a.param);
    }
    size_t group_index = 0;
    for (const auto& [labels, members] : groups) {
      if (++group_index % 64 == 0) RETURN_NOT_OK(CheckDeadline());
      StepSeries o;
      o.labels = labels;
      o.v.assign(steps_, 0);
      o.has.assign(steps_, 0);
      bool any = false;
      std::vector<double> values;
      for (size_t i = 0; i < steps_; ++i) {
        values.clear();
        for (size_t m : members) {
          if (in.series[m].has[i]) values.push_back(in.series[m].v[i]);
        }
        if (values.empty()) continue;
        double r = 0;
        switch (a.op) {
          case AggregateOp::kSum: {
            double c = 0;
            for (double x : values) r = KahanAdd(r, x, &c);
            r += c;
            break;
          }
          case AggregateOp::kAvg: r = Mean(values); break;
          case AggregateOp::kCount: r = static_cast<double>(values.size()); break;
          case AggregateOp::kGroup: r = 1; break;
          case AggregateOp::kMin:
            r = values[0];
            for (double x : values) {
              if (x < r || std::isnan(r)) r = x;
            }
            break;
          case AggregateOp::kMax:
            r = values[0];
            for (double x : values) {
              if (x > r || std::isnan(r)) r = x;
            }
            break;
          case AggregateOp::kStddev:
          case AggregateOp::kStdvar: {
            double mean = 0, m2 = 0;
            size_t n = 0;
            for (double x : values) {
              ++n;
              double delta = x - mean;
              mean += delta / static_cast<double>(n);
              m2 += delta * (x - mean);
            }
            r = m2 / static_cast<double>(n);
            if (a.op == AggregateOp::kStddev) r = std::sqrt(r);
            break;
          }
          case AggregateOp::kQuantile: r = Quantile(param[i], values); break;
          default: return Status::Internal("aggregation");
        }
        o.v[i] = r;
        o.has[i] = 1;
        any = true;
      }
      for (size_t m : members) o.drop_name = o.drop_name || in.series[m].drop_name;
      if (any) out.series.push_back(std::move(o));
    }
    return out;
  }

  // topk, bottomk, limitk and limit_ratio: the output series are input
  // series. In an instant query they come out group by group (groups in
  // order of first appearance), each group sorted as Prometheus sorts it.
  Result<Value> SelectSeries(const AggregateExpr& a, Value in, const std::vector<double>& param,
                             const std::vector<const std::vector<size_t>*>& group_order) {
    Value out;
    out.type = ValueType::kVector;
    auto [min, max, any_nan] = RangeOf(param);
    std::vector<double> ratio(param);
    // NaN first: Prometheus's min/max of the parameters are NaN then.
    if (a.op == AggregateOp::kLimitRatio) {
      if (any_nan) return Status::InvalidArgument("Ratio value is NaN");
      if (max == 0 && min == 0) return out;
      if (max > 1) Annotate(true, "ratio value should be between -1 and 1, got " + GoG(max) + ", capping to 1", *a.param);
      if (min < -1) Annotate(true, "ratio value should be between -1 and 1, got " + GoG(min) + ", capping to -1", *a.param);
      for (double& r : ratio) r = std::clamp(r, -1.0, 1.0);
    } else {
      if (any_nan) return Status::InvalidArgument("Parameter value is NaN");
      if (max < 1) return out;
      if (min <= -9.223372036854775808e18) {
        return Status::InvalidArgument("Scalar value " + FormatFloat(min) + " underflows int64");
      }
      if (max >= 9.223372036854775808e18) {
        return Status::InvalidArgument("Scalar value " + FormatFloat(max) + " overflows int64");
      }
    }
    std::vector<StepSeries> kept(in.series.size());
    for (size_t k = 0; k < in.series.size(); ++k) {
      kept[k].labels = in.series[k].labels;
      kept[k].drop_name = in.series[k].drop_name;
      kept[k].v.assign(steps_, 0);
      kept[k].has.assign(steps_, 0);
    }
    // Output order of an instant query.
    std::vector<size_t> order;
    for (const std::vector<size_t>* members : group_order) {
      for (size_t i = 0; i < steps_; ++i) {
        std::vector<size_t> chosen;
        for (size_t m : *members) {
          if (in.series[m].has[i]) chosen.push_back(m);
        }
        if (a.op == AggregateOp::kLimitRatio) {
          std::erase_if(chosen, [&](size_t m) { return !RatioSampled(in.series[m].labels, ratio[i]); });
        } else {
          size_t k = static_cast<size_t>(std::min<double>(param[i], static_cast<double>(chosen.size())));
          if (param[i] < 1) k = 0;
          if (a.op != AggregateOp::kLimitk) {
            bool top = a.op == AggregateOp::kTopk;
            chosen = HeapSelect(chosen, k, top, [&](size_t m) { return in.series[m].v[i]; });
            // Best first (NaN last either way), for the order of an instant result.
            std::stable_sort(chosen.begin(), chosen.end(), [&](size_t x, size_t y) {
              double vx = in.series[x].v[i], vy = in.series[y].v[i];
              if (std::isnan(vx)) return false;
              if (std::isnan(vy)) return true;
              return top ? vx > vy : vx < vy;
            });
          }
          chosen.resize(std::min(k, chosen.size()));
        }
        for (size_t m : chosen) {
          kept[m].v[i] = in.series[m].v[i];
          kept[m].has[i] = 1;
        }
        if (steps_ == 1) order.insert(order.end(), chosen.begin(), chosen.end());
      }
    }
    if (steps_ == 1) {
      for (size_t m : order) out.series.push_back(std::move(kept[m]));
      return out;
    }
    for (StepSeries& s : kept) {
      if (std::find(s.has.begin(), s.has.end(), 1) != s.has.end()) out.series.push_back(std::move(s));
    }
    return out;
  }

  // The k series topk (top) or bottomk keeps, chosen exactly as
  // Prometheus's binary heap does, so that ties between equal values go the
  // same way: a series replaces the heap's weakest only if strictly better.
  template <typename ValueOf>
  static std::vector<size_t> HeapSelect(const std::vector<size_t>& input, size_t k, bool top, ValueOf value) {
    std::vector<size_t> h;
    if (k == 0) return h;
    // less(i, j): the heap order of Go's vectorByValueHeap (top) or
    // vectorByReverseValueHeap (bottom); NaN is always "less".
    auto less = [&](size_t i, size_t j) {
      double a = value(h[i]), b = value(h[j]);
      if (std::isnan(a)) return true;
      return top ? a < b : a > b;
    };
    auto up = [&](size_t j) {
      while (j > 0) {
        size_t i = (j - 1) / 2;
        if (!less(j, i)) break;
        std::swap(h[i], h[j]);
        j = i;
      }
    };
    auto down = [&](size_t i0) {
      size_t i = i0, n = h.size();
      while (true) {
        size_t j1 = 2 * i + 1;
        if (j1 >= n) break;
        size_t j = j1;
        if (j1 + 1 < n && less(j1 + 1, j1)) j = j1 + 1;
        if (!less(j, i)) break;
        std::swap(h[i], h[j]);
        i = j;
      }
      return i > i0;
    };
    for (size_t m : input) {
      if (h.size() < k) {
        h.push_back(m);
        up(h.size() - 1);
        continue;
      }
      double weakest = value(h[0]), v = value(m);
      bool better = (top ? weakest < v : weakest > v) || (std::isnan(weakest) && !std::isnan(v));
      if (!better) continue;
      h[0] = m;
      if (k > 1 && !down(0)) up(0);
    }
    return h;
  }

  // limit_ratio's deterministic choice: the series' label hash (Prometheus's
  // labels.Hash, XXH64 of name\xffvalue\xff...) as a fraction of 2^64.
  static bool RatioSampled(const model::Labels& labels, double ratio) {
    std::string buf;
    for (const model::Label& l : labels) {
      buf += l.name;
      buf += '\xff';
      buf += l.value;
      buf += '\xff';
    }
    double offset = static_cast<double>(XXH64(buf.data(), buf.size(), 0)) /
                    static_cast<double>(std::numeric_limits<uint64_t>::max());
    return ratio >= 0 ? offset < ratio : offset >= 1 + ratio;
  }

  Result<Value> CountValues(const AggregateExpr& a, Value in) {
    const std::string label = static_cast<const StringLiteral&>(Unparen(*a.param)).value;
    if (label.empty() || !model::IsValidUtf8(label)) {
      return Status::InvalidArgument("invalid label name \"" + label + "\"");
    }
    std::map<model::Labels, StepSeries> out_series;
    for (const StepSeries& s : in.series) {
      std::vector<model::Label> keep;
      for (const model::Label& l : s.labels) {
        bool listed = std::find(a.grouping.begin(), a.grouping.end(), l.name) != a.grouping.end();
        if (a.without ? (listed || l.name == model::kMetricNameLabel) : !listed) continue;
        if (l.name == label) continue;
        keep.push_back(l);
      }
      for (size_t i = 0; i < steps_; ++i) {
        if (!s.has[i]) continue;
        std::vector<model::Label> ls = keep;
        ls.push_back({label, FormatFloat(s.v[i])});
        model::Labels key = model::Labels::FromUnsorted(std::move(ls));
        auto [it, fresh] = out_series.try_emplace(key);
        if (fresh) {
          it->second.labels = key;
          it->second.v.assign(steps_, 0);
          it->second.has.assign(steps_, 0);
        }
        it->second.v[i] += 1;
        it->second.has[i] = 1;
      }
    }
    Value out;
    out.type = ValueType::kVector;
    for (auto& [k, s] : out_series) out.series.push_back(std::move(s));
    return out;
  }

  // ---- functions
  Result<Value> EvalCall(const Call& c) {
    ASSIGN_OR_RETURN(Value v, EvalCallUnchecked(c));
    RETURN_NOT_OK(CheckStepCollisions(v));
    return v;
  }

  Result<Value> EvalCallUnchecked(const Call& c) {
    std::string_view name = c.func->name;
    for (const ExprPtr& arg : c.args) {
      if (arg->type() == ValueType::kMatrix) {
        if (name == "absent_over_time") break;  // handled below
        return EvalRangeFunction(c, *arg);
      }
    }
    if (name == "time") {
      Value v;
      v.type = ValueType::kScalar;
      for (size_t i = 0; i < steps_; ++i) v.scalar.push_back(static_cast<double>(StepTime(i)) / 1000);
      return v;
    }
    if (name == "start" || name == "end" || name == "range" || name == "step") {
      // The query's own parameters, in seconds.
      int64_t ms = name == "start" ? query_start_
                   : name == "end" ? query_end_
                   : name == "range" ? query_end_ - query_start_
                                     : query_step_;
      Value v;
      v.type = ValueType::kScalar;
      v.scalar.assign(steps_, static_cast<double>(ms) / 1000);
      return v;
    }
    if (name == "sort_by_label" || name == "sort_by_label_desc") {
      if (query_start_ != query_end_) {
        Annotate(true, "sort is ineffective for range queries since results are always ordered by labels", c);
      }
      ASSIGN_OR_RETURN(Value in, Eval(*c.args[0]));
      if (steps_ > 1) return in;  // range results are sorted by labels anyway
      std::vector<std::string> names;
      for (size_t i = 1; i < c.args.size(); ++i) {
        names.push_back(static_cast<const StringLiteral&>(Unparen(*c.args[i])).value);
      }
      bool desc = name == "sort_by_label_desc";
      std::sort(in.series.begin(), in.series.end(), [&](const StepSeries& a, const StepSeries& b) {
        for (const std::string& n : names) {
          std::string_view x = a.labels.Get(n), y = b.labels.Get(n);
          if (x == y) continue;
          return desc ? NaturalLess(y, x) : NaturalLess(x, y);
        }
        return desc ? b.labels < a.labels : a.labels < b.labels;
      });
      return in;
    }
    if (name == "pi") {
      Value v;
      v.type = ValueType::kScalar;
      v.scalar.assign(steps_, M_PI);
      return v;
    }
    if (name == "vector") {
      ASSIGN_OR_RETURN(Value s, Eval(*c.args[0]));
      Value v;
      v.type = ValueType::kVector;
      StepSeries o;
      o.v = s.scalar;
      o.has.assign(steps_, 1);
      v.series.push_back(std::move(o));
      return v;
    }
    if (name == "scalar") {
      ASSIGN_OR_RETURN(Value in, Eval(*c.args[0]));
      Value v;
      v.type = ValueType::kScalar;
      v.scalar.assign(steps_, kNaN);
      for (size_t i = 0; i < steps_; ++i) {
        int n = 0;
        for (const StepSeries& s : in.series) {
          if (s.has[i]) {
            ++n;
            v.scalar[i] = s.v[i];
          }
        }
        if (n != 1) v.scalar[i] = kNaN;
      }
      return v;
    }
    static const std::map<std::string_view, double (*)(double)> kMath = {
        {"abs", [](double x) { return std::fabs(x); }},
        {"ceil", [](double x) { return std::ceil(x); }},
        {"floor", [](double x) { return std::floor(x); }},
        {"exp", [](double x) { return std::exp(x); }},
        {"sqrt", [](double x) { return std::sqrt(x); }},
        {"ln", [](double x) { return std::log(x); }},
        {"log2", [](double x) { return std::log2(x); }},
        {"log10", [](double x) { return std::log10(x); }},
        {"sin", [](double x) { return std::sin(x); }},
        {"cos", [](double x) { return std::cos(x); }},
        {"tan", [](double x) { return std::tan(x); }},
        {"asin", [](double x) { return std::asin(x); }},
        {"acos", [](double x) { return std::acos(x); }},
        {"atan", [](double x) { return std::atan(x); }},
        {"sinh", [](double x) { return std::sinh(x); }},
        {"cosh", [](double x) { return std::cosh(x); }},
        {"tanh", [](double x) { return std::tanh(x); }},
        {"asinh", [](double x) { return std::asinh(x); }},
        {"acosh", [](double x) { return std::acosh(x); }},
        {"atanh", [](double x) { return std::atanh(x); }},
        {"deg", [](double x) { return x * 180 / M_PI; }},
        {"rad", [](double x) { return x * M_PI / 180; }},
        {"sgn", [](double x) { return x > 0 ? 1.0 : x < 0 ? -1.0 : x; }},
    };
    auto math = kMath.find(name);
    if (math != kMath.end()) {
      ASSIGN_OR_RETURN(Value in, Eval(*c.args[0]));
      for (StepSeries& s : in.series) {
        DropNameOf(s);
        for (size_t i = 0; i < steps_; ++i) {
          if (s.has[i]) s.v[i] = math->second(s.v[i]);
        }
      }
      return in;
    }
    if (name == "clamp" || name == "clamp_min" || name == "clamp_max") {
      ASSIGN_OR_RETURN(Value in, Eval(*c.args[0]));
      ASSIGN_OR_RETURN(Value a1, Eval(*c.args[1]));
      std::vector<double> lo(steps_, -INFINITY), hi(steps_, INFINITY);
      if (name == "clamp") {
        ASSIGN_OR_RETURN(Value a2, Eval(*c.args[2]));
        lo = a1.scalar;
        hi = a2.scalar;
      } else if (name == "clamp_min") {
        lo = a1.scalar;
      } else {
        hi = a1.scalar;
      }
      Value out;
      out.type = ValueType::kVector;
      for (StepSeries& s : in.series) {
        DropNameOf(s);
        for (size_t i = 0; i < steps_; ++i) {
          if (!s.has[i]) continue;
          if (name == "clamp" && lo[i] > hi[i]) {
            s.has[i] = 0;  // Prometheus returns nothing for min > max
            continue;
          }
          s.v[i] = std::max(lo[i], std::min(hi[i], s.v[i]));
          if (std::isnan(lo[i]) || std::isnan(hi[i])) s.v[i] = kNaN;
        }
        out.series.push_back(std::move(s));
      }
      return out;
    }
    if (name == "label_replace" || name == "label_join") return EvalLabelFunction(c);
    if (name == "sort" || name == "sort_desc") {
      if (query_start_ != query_end_) {
        Annotate(true, "sort is ineffective for range queries since results are always ordered by labels", c);
      }
      ASSIGN_OR_RETURN(Value in, Eval(*c.args[0]));
      if (steps_ == 1) {
        bool desc = name == "sort_desc";
        // NaN goes last either way, as in Prometheus.
        std::stable_sort(in.series.begin(), in.series.end(),
                         [desc](const StepSeries& a, const StepSeries& b) {
                           double x = a.v[0], y = b.v[0];
                           if (std::isnan(x)) return false;
                           if (std::isnan(y)) return true;
                           return desc ? x > y : x < y;
                         });
      }
      return in;
    }
    if (name == "absent" || name == "absent_over_time") return EvalAbsent(c);
    if (name == "timestamp") {
      ASSIGN_OR_RETURN(Value in, EvalWithTimestamps(*c.args[0]));
      for (StepSeries& s : in.series) DropNameOf(s);
      return in;
    }
    if (name == "round") {
      ASSIGN_OR_RETURN(Value in, Eval(*c.args[0]));
      std::vector<double> to(steps_, 1);
      if (c.args.size() > 1) {
        ASSIGN_OR_RETURN(Value t, Eval(*c.args[1]));
        to = t.scalar;
      }
      for (StepSeries& s : in.series) {
        DropNameOf(s);
        for (size_t i = 0; i < steps_; ++i) {
          // Prometheus: floor(v / to + 0.5) * to, via the inverse for precision.
          double inv = 1 / to[i];
          if (s.has[i]) s.v[i] = std::floor(s.v[i] * inv + 0.5) / inv;
        }
      }
      return in;
    }
    static const std::map<std::string_view, int> kTimeParts = {
        {"minute", 0}, {"hour", 1}, {"day_of_week", 2}, {"day_of_month", 3}, {"day_of_year", 4},
        {"days_in_month", 5}, {"month", 6}, {"year", 7}};
    auto part = kTimeParts.find(name);
    if (part != kTimeParts.end()) {
      Value in;
      if (c.args.empty()) {
        in.type = ValueType::kVector;
        StepSeries s;
        for (size_t i = 0; i < steps_; ++i) s.v.push_back(static_cast<double>(StepTime(i)) / 1000);
        s.has.assign(steps_, 1);
        in.series.push_back(std::move(s));
      } else {
        ASSIGN_OR_RETURN(in, Eval(*c.args[0]));
      }
      for (StepSeries& s : in.series) {
        DropNameOf(s);
        for (size_t i = 0; i < steps_; ++i) {
          if (s.has[i]) s.v[i] = TimePart(part->second, s.v[i]);
        }
      }
      return in;
    }
    if (name == "histogram_quantile" || name == "histogram_fraction") return EvalHistogramQuantile(c);
    if (name == "histogram_avg" || name == "histogram_count" || name == "histogram_sum" ||
        name == "histogram_stddev" || name == "histogram_stdvar") {
      // These read native histograms only and skip float samples; MyTSDB
      // stores floats, so the result is empty (the argument still runs, for
      // its errors and limits).
      ASSIGN_OR_RETURN(Value in, Eval(*c.args[0]));
      in.series.clear();
      return in;
    }
    return Status::Unimplemented("function " + std::string(name) + "() is not implemented yet");
  }

  // minute, hour, day_of_week, day_of_month, day_of_year, days_in_month,
  // month, year of a Unix time in seconds (UTC); NaN stays NaN.
  static double TimePart(int part, double secs) {
    if (std::isnan(secs) || std::isinf(secs)) return kNaN;
    std::time_t t = static_cast<std::time_t>(std::floor(secs));
    std::tm tm{};
    gmtime_r(&t, &tm);
    switch (part) {
      case 0: return tm.tm_min;
      case 1: return tm.tm_hour;
      case 2: return tm.tm_wday;
      case 3: return tm.tm_mday;
      case 4: return tm.tm_yday + 1;
      case 5: {
        static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        int y = tm.tm_year + 1900;
        bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        return kDays[tm.tm_mon] + (tm.tm_mon == 1 && leap ? 1 : 0);
      }
      case 6: return tm.tm_mon + 1;
      default: return tm.tm_year + 1900;
    }
  }

  // Like Eval, but a vector selector yields the timestamps (seconds) of the
  // samples it picks instead of their values; anything else the step time.
  Result<Value> EvalWithTimestamps(const Node& node) {
    const Node* n = &node;
    while (n->kind == NodeKind::kParen) n = static_cast<const ParenExpr*>(n)->expr.get();
    ASSIGN_OR_RETURN(Value v, Eval(*n));
    if (n->kind != NodeKind::kVectorSelector) {
      for (StepSeries& s : v.series) {
        for (size_t i = 0; i < steps_; ++i) s.v[i] = static_cast<double>(StepTime(i)) / 1000;
      }
      return v;
    }
    const auto& vs = static_cast<const VectorSelector&>(*n);
    std::vector<Series> raw;
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    for (size_t i = 0; i < steps_; ++i) {
      lo = std::min(lo, EvalTime(vs, i));
      hi = std::max(hi, EvalTime(vs, i));
    }
    RETURN_NOT_OK(Load(vs, {lo - options_.lookback_ms + 1, hi}, &raw, false));
    std::map<model::Labels, const Series*> by_labels;
    for (const Series& s : raw) by_labels[s.labels] = &s;
    for (StepSeries& s : v.series) {
      const Series* src = by_labels[s.labels];
      for (size_t i = 0; i < steps_ && src != nullptr; ++i) {
        if (!s.has[i]) continue;
        int64_t t = EvalTime(vs, i);
        auto it = std::upper_bound(src->samples.begin(), src->samples.end(), t,
                                   [](int64_t x, const model::Sample& a) { return x < a.timestamp_ms; });
        s.v[i] = static_cast<double>(std::prev(it)->timestamp_ms) / 1000;
      }
    }
    return v;
  }

  Result<Value> EvalAbsent(const Call& c) {
    const Node* arg = &Unparen(*c.args[0]);
    Value out;
    out.type = ValueType::kVector;
    StepSeries o;
    o.v.assign(steps_, 1);
    o.has.assign(steps_, 1);
    if (c.func->name == std::string_view("absent_over_time")) {
      ASSIGN_OR_RETURN(RangeInput in, LoadRangeInput(*arg));
      for (size_t i = 0; i < steps_; ++i) {
        int64_t t = in.window_end[i];
        for (const Series& s : in.series) {
          for (const model::Sample& x : s.samples) {
            if (x.timestamp_ms > t - in.range_ms && x.timestamp_ms <= t) {
              o.has[i] = 0;
              break;
            }
          }
        }
      }
      if (arg->kind == NodeKind::kMatrixSelector) {
        arg = static_cast<const MatrixSelector*>(arg)->selector.get();
      }
    } else {
      ASSIGN_OR_RETURN(Value in, Eval(*arg));
      for (const StepSeries& s : in.series) {
        for (size_t i = 0; i < steps_; ++i) {
          if (s.has[i]) o.has[i] = 0;
        }
      }
    }
    // Labels: the equality matchers of a plain selector (not the name; a
    // label matched twice is left out), as Prometheus does.
    if (arg->kind == NodeKind::kVectorSelector) {
      std::map<std::string, std::string> labels;
      std::map<std::string, int> seen;
      for (const model::Matcher& m : static_cast<const VectorSelector*>(arg)->matchers) {
        if (m.name() == model::kMetricNameLabel) continue;
        ++seen[m.name()];
        if (m.type() == model::MatchType::kEqual) labels[m.name()] = m.value();
      }
      std::vector<model::Label> ls;
      for (const auto& [k, v] : labels) {
        if (seen[k] == 1) ls.push_back({k, v});
      }
      o.labels = model::Labels::FromSorted(std::move(ls));
    }
    if (std::find(o.has.begin(), o.has.end(), 1) != o.has.end()) out.series.push_back(std::move(o));
    return out;
  }

  Result<Value> EvalLabelFunction(const Call& c) {
    ASSIGN_OR_RETURN(Value in, Eval(*c.args[0]));
    auto str = [&](size_t i) { return static_cast<const StringLiteral&>(Unparen(*c.args[i])).value; };
    for (size_t i = 1; i < c.args.size(); ++i) {
      if (Unparen(*c.args[i]).kind != NodeKind::kString) {
        return Status::InvalidArgument("label_replace/label_join take string literals");
      }
    }
    const std::string dst = str(1);
    if (dst.empty() || !model::IsValidUtf8(dst)) {
      return Status::InvalidArgument("invalid destination label name in " +
                                     std::string(c.func->name) + "(): " + dst);
    }
    if (c.func->name == std::string_view("label_replace")) {
      const std::string replacement = str(2), src = str(3), regex = str(4);
      auto re = std::make_shared<re2::RE2>("^(?s:" + regex + ")$", re2::RE2::Quiet);
      if (!re->ok()) {
        return Status::InvalidArgument("invalid regular expression in label_replace(): " + regex);
      }
      int groups = re->NumberOfCapturingGroups();
      const auto& names = re->NamedCapturingGroups();
      for (StepSeries& s : in.series) {
        std::string value(s.labels.Get(src));
        std::vector<re2::StringPiece> match(static_cast<size_t>(groups) + 1);
        if (!re->Match(value, 0, value.size(), re2::RE2::UNANCHORED, match.data(),
                       groups + 1)) {
          continue;
        }
        std::string result = Expand(replacement, match, names);
        s.labels = SetLabel(s.labels, dst, result);
        if (dst == model::kMetricNameLabel) s.drop_name = false;
      }
    } else {
      const std::string sep = str(2);
      for (StepSeries& s : in.series) {
        std::string joined;
        for (size_t i = 3; i < c.args.size(); ++i) {
          if (i > 3) joined += sep;
          joined += std::string(s.labels.Get(str(i)));
        }
        s.labels = SetLabel(s.labels, dst, joined);
        if (dst == model::kMetricNameLabel) s.drop_name = false;
      }
    }
    return in;
  }

  static model::Labels SetLabel(const model::Labels& in, const std::string& name,
                                const std::string& value) {
    std::vector<model::Label> out;
    for (const model::Label& l : in) {
      if (l.name != name) out.push_back(l);
    }
    if (!value.empty()) out.push_back({name, value});
    return model::Labels::FromUnsorted(std::move(out));
  }

  // Go's regexp.Expand: $1, ${1}, $name, ${name}; $$ is a dollar.
  static std::string Expand(const std::string& tmpl, const std::vector<re2::StringPiece>& match,
                            const std::map<std::string, int>& names) {
    std::string out;
    for (size_t i = 0; i < tmpl.size(); ++i) {
      if (tmpl[i] != '$' || i + 1 >= tmpl.size()) {
        out += tmpl[i];
        continue;
      }
      if (tmpl[i + 1] == '$') {
        out += '$';
        ++i;
        continue;
      }
      std::string name;
      size_t j = i + 1;
      if (tmpl[j] == '{') {
        size_t close = tmpl.find('}', j);
        if (close == std::string::npos) {
          out += tmpl[i];
          continue;
        }
        name = tmpl.substr(j + 1, close - j - 1);
        j = close + 1;
      } else {
        while (j < tmpl.size() && (std::isalnum(static_cast<unsigned char>(tmpl[j])) || tmpl[j] == '_')) {
          ++j;
        }
        name = tmpl.substr(i + 1, j - i - 1);
      }
      if (name.empty()) {
        out += tmpl[i];
        continue;
      }
      int index = -1;
      if (std::all_of(name.begin(), name.end(), ::isdigit)) {
        index = std::atoi(name.c_str());
      } else if (auto it = names.find(name); it != names.end()) {
        index = it->second;
      }
      if (index >= 0 && static_cast<size_t>(index) < match.size() && match[index].data() != nullptr) {
        out.append(match[index].data(), match[index].size());
      }
      i = j - 1;
    }
    return out;
  }

  // histogram_quantile(q, buckets) and histogram_fraction(lower, upper,
  // buckets) over classic histograms (series with an `le` label).
  Result<Value> EvalHistogramQuantile(const Call& c) {
    bool fraction = c.func->name == std::string_view("histogram_fraction");
    ASSIGN_OR_RETURN(Value q, Eval(*c.args[0]));
    Value upper_arg;
    if (fraction) {
      ASSIGN_OR_RETURN(upper_arg, Eval(*c.args[1]));
    }
    ASSIGN_OR_RETURN(Value in, Eval(*c.args[fraction ? 2 : 1]));
    if (!fraction) {
      // Checked at every step, data or not, as Prometheus does.
      for (double qv : q.scalar) {
        if (std::isnan(qv) || qv < 0 || qv > 1) {
          Annotate(true, "quantile value should be between 0 and 1, got " + GoG(qv), *c.args[0]);
        }
      }
    }
    // Buckets grouped by their labels without le (and the name).
    struct Bucket {
      double upper;
      size_t series;
    };
    std::map<model::Labels, std::vector<Bucket>> groups;
    for (size_t k = 0; k < in.series.size(); ++k) {
      std::string le_s(in.series[k].labels.Get("le"));
      char* end = nullptr;
      double upper = std::strtod(le_s.c_str(), &end);
      if (le_s.empty() || std::isspace(static_cast<unsigned char>(le_s[0])) || end != le_s.c_str() + le_s.size()) {
        std::string name(in.series[k].labels.metric_name());
        Annotate(true,
                 "bucket label \"le\" is missing or has a malformed value of " + Quote(le_s) +
                     (options_.delayed_name_removal && !name.empty() ? " for metric name " + Quote(name) : ""),
                 *c.args[fraction ? 2 : 1]);
        continue;
      }
      std::vector<model::Label> rest;
      for (const model::Label& l : in.series[k].labels) {
        if (l.name != "le" && l.name != model::kMetricNameLabel) rest.push_back(l);
      }
      groups[model::Labels::FromSorted(std::move(rest))].push_back({upper, k});
    }
    Value out;
    out.type = ValueType::kVector;
    for (auto& [labels, buckets] : groups) {
      std::sort(buckets.begin(), buckets.end(),
                [](const Bucket& a, const Bucket& b) { return a.upper < b.upper; });
      StepSeries o;
      o.labels = labels;
      o.v.assign(steps_, 0);
      o.has.assign(steps_, 0);
      bool any = false;
      for (size_t i = 0; i < steps_; ++i) {
        std::vector<std::pair<double, double>> b;  // upper bound, count
        for (const Bucket& x : buckets) {
          if (!in.series[x.series].has[i]) continue;
          double count = in.series[x.series].v[i];
          if (!b.empty() && b.back().first == x.upper) {
            b.back().second += count;
          } else {
            b.emplace_back(x.upper, count);
          }
        }
        if (b.empty()) continue;
        if (fraction) {
          o.v[i] = BucketFraction(q.scalar[i], upper_arg.scalar[i], std::move(b));
        } else {
          Monotonicity mono;
          o.v[i] = BucketQuantile(q.scalar[i], std::move(b), &mono);
          if (mono.forced) {
            std::string name = options_.delayed_name_removal ? std::string(in.series[buckets[0].series].labels.metric_name()) : "";
            AnnotateMonotonicity(name, StepTime(i), mono, *c.args[1]);
          }
        }
        o.has[i] = 1;
        any = true;
      }
      if (any) out.series.push_back(std::move(o));
    }
    return out;
  }

  // Prometheus's BucketFraction: the estimated share of observations
  // between lower and upper, interpolating linearly inside buckets.
  static double BucketFraction(double lower, double upper, std::vector<std::pair<double, double>> b) {
    if (!std::isinf(b.back().first) || b.back().first < 0) return kNaN;
    double count = b.back().second;
    if (count == 0 || std::isnan(lower) || std::isnan(upper)) return kNaN;
    if (lower >= upper) return 0;
    double rank = 0, lower_rank = 0, upper_rank = 0;
    bool lower_set = false, upper_set = false;
    double lower_bound = b[0].first <= 0 ? -INFINITY : 0.0;
    for (size_t i = 0; i < b.size(); ++i) {
      if (i > 0) lower_bound = b[i - 1].first;
      double upper_bound = b[i].first, bucket_count = b[i].second;
      auto interpolate = [&](double v) {
        // No interpolation inside a bucket reaching to -Inf.
        if (lower_bound == -INFINITY) return bucket_count;
        return rank + (bucket_count - rank) * (v - lower_bound) / (upper_bound - lower_bound);
      };
      if (!lower_set && lower_bound >= lower) {
        lower_rank = rank;
        lower_set = true;
      }
      if (!upper_set && lower_bound >= upper) {
        upper_rank = rank;
        upper_set = true;
      }
      if (lower_set && upper_set) break;
      if (!lower_set && lower_bound < lower && upper_bound > lower) {
        lower_rank = interpolate(lower);
        lower_set = true;
      }
      if (!upper_set && lower_bound < upper && upper_bound > upper) {
        upper_rank = interpolate(upper);
        upper_set = true;
      }
      if (lower_set && upper_set) break;
      rank = bucket_count;
    }
    if (!lower_set || lower_rank > count) lower_rank = count;
    if (!upper_set || upper_rank > count) upper_rank = count;
    return (upper_rank - lower_rank) / count;
  }

  // Prometheus's BucketQuantile for classic histograms: buckets sorted,
  // decreases removed (and differences within 1e-12 relative ignored), then
  // linear interpolation inside the bucket holding the rank.
  static double BucketQuantile(double q, std::vector<std::pair<double, double>> b, Monotonicity* mono) {
    if (std::isnan(q)) return kNaN;
    if (q < 0) return -INFINITY;
    if (q > 1) return INFINITY;
    if (!std::isinf(b.back().first) || b.back().first < 0) return kNaN;
    double prev = b[0].second;
    for (size_t i = 1; i < b.size(); ++i) {
      double curr = b[i].second;
      if (curr == prev) continue;
      if (AlmostEqual(prev, curr, 1e-12)) {
        b[i].second = prev;
        continue;
      }
      if (curr < prev) {
        b[i].second = prev;
        mono->forced = true;
        mono->min_bucket = std::min(mono->min_bucket, b[i].first);
        mono->max_bucket = std::max(mono->max_bucket, b[i].first);
        mono->max_diff = std::max(mono->max_diff, prev - curr);
        continue;
      }
      prev = curr;
    }
    if (b.size() < 2) return kNaN;
    double observations = b.back().second;
    if (observations == 0) return kNaN;
    double rank = q * observations;
    size_t k = 0;
    while (k < b.size() - 1 && b[k].second < rank) ++k;
    if (k == b.size() - 1) return b[b.size() - 2].first;
    if (k == 0 && b[0].first <= 0) return b[0].first;
    double start = 0, end = b[k].first, count = b[k].second;
    if (k > 0) {
      start = b[k - 1].first;
      count -= b[k - 1].second;
      rank -= b[k - 1].second;
    }
    return start + (end - start) * (rank / count);
  }

  Result<Value> EvalRangeFunction(const Call& c, const Node& range_arg) {
    std::string_view name = c.func->name;
    // The scalar arguments besides the range.
    std::vector<double> scalar_arg(steps_, 0), scalar_arg2(steps_, 0);
    if (name == "quantile_over_time" || name == "predict_linear") {
      ASSIGN_OR_RETURN(Value p, Eval(name == "quantile_over_time" ? *c.args[0] : *c.args[1]));
      scalar_arg = p.scalar;
    }
    if (name == "double_exponential_smoothing") {
      ASSIGN_OR_RETURN(Value sf, Eval(*c.args[1]));
      ASSIGN_OR_RETURN(Value tf, Eval(*c.args[2]));
      scalar_arg = sf.scalar;
      scalar_arg2 = tf.scalar;
    }
    ASSIGN_OR_RETURN(RangeInput input, LoadRangeInput(range_arg));
    const RangeFn fn = RangeFnOf(name);
    std::vector<Series>& series = input.series;
    const int64_t range_ms = input.range_ms;
    bool keep_name = name == "last_over_time" || name == "first_over_time";
    Value out;
    out.type = ValueType::kVector;
    for (size_t k = 0; k < series.size(); ++k) {
      // Per series: a series' steps can be much work (a long window at a
      // fine step), and the check is a clock read and two loads.
      RETURN_NOT_OK(CheckDeadline());
      Series& s = series[k];
      StepSeries o;
      o.labels = s.labels;
      o.drop_name = k < input.drop_name.size() && input.drop_name[k];
      if (!keep_name) DropNameOf(o);
      o.v.assign(steps_, 0);
      o.has.assign(steps_, 0);
      bool any = false;
      // Window ends never decrease from step to step, so the window's
      // bounds only move forward: (t - range, t], left-open.
      size_t lo = 0, hi = 0;
      const size_t n = s.samples.size();
      for (size_t i = 0; i < steps_; ++i) {
        int64_t t = input.window_end[i];
        if (i > 0 && t < input.window_end[i - 1]) lo = hi = 0;
        while (lo < n && s.samples[lo].timestamp_ms <= t - range_ms) ++lo;
        if (hi < lo) hi = lo;
        while (hi < n && s.samples[hi].timestamp_ms <= t) ++hi;
        std::span<const model::Sample> w(s.samples.data() + lo, hi - lo);
        std::optional<double> r;
        ASSIGN_OR_RETURN(r, RangeFunction(fn, name, w, t, StepTime(i), range_ms, scalar_arg[i], scalar_arg2[i]));
        if (fn == RangeFn::kQuantileOverTime && !w.empty() &&
            (std::isnan(scalar_arg[i]) || scalar_arg[i] < 0 || scalar_arg[i] > 1)) {
          Annotate(true, "quantile value should be between 0 and 1, got " + GoG(scalar_arg[i]), *c.args[0]);
        }
        if (!r) continue;
        o.v[i] = *r;
        o.has[i] = 1;
        any = true;
      }
      if (any && (fn == RangeFn::kRate || fn == RangeFn::kIncrease)) {
        std::string_view metric = s.labels.metric_name();
        if (!metric.empty() && !metric.ends_with("_total") && !metric.ends_with("_sum") &&
            !metric.ends_with("_count") && !metric.ends_with("_bucket")) {
          Annotate(false,
                   "metric might not be a counter, name does not end in _total/_sum/_count/_bucket: " +
                       Quote(metric),
                   *c.args[0]);
        }
      }
      if (any) out.series.push_back(std::move(o));
    }
    if (!options_.delayed_name_removal) {
      // Prometheus checks the whole result of a range function, not each step.
      std::set<model::Labels> seen;
      for (const StepSeries& o : out.series) {
        if (!seen.insert(o.labels).second) {
          return Status::InvalidArgument("vector cannot contain metrics with the same labelset");
        }
      }
    }
    return out;
  }

  static Result<std::optional<double>> RangeFunction(RangeFn fn, std::string_view name,
                                                      std::span<const model::Sample> w, int64_t t,
                                                      int64_t step_t, int64_t range_ms, double arg,
                                                      double arg2) {
    if (w.empty()) return std::optional<double>();
    size_t n = w.size();
    if (fn == RangeFn::kRate || fn == RangeFn::kIncrease || fn == RangeFn::kDelta) {
      if (n < 2) return std::optional<double>();
      bool counter = name != "delta";
      double result = w[n - 1].value - w[0].value;
      if (counter) {
        for (size_t k = 1; k < n; ++k) {
          if (w[k].value < w[k - 1].value) result += w[k - 1].value;
        }
      }
      double range_start = static_cast<double>(t - range_ms), range_end = static_cast<double>(t);
      double to_start = (static_cast<double>(w[0].timestamp_ms) - range_start) / 1000;
      double to_end = (range_end - static_cast<double>(w[n - 1].timestamp_ms)) / 1000;
      double sampled = static_cast<double>(w[n - 1].timestamp_ms - w[0].timestamp_ms) / 1000;
      double avg_step = sampled / static_cast<double>(n - 1);
      double threshold = avg_step * 1.1;
      if (to_start >= threshold) to_start = avg_step / 2;
      if (counter) {
        double to_zero = to_start;
        if (result > 0 && w[0].value >= 0) to_zero = sampled * (w[0].value / result);
        if (to_zero < to_start) to_start = to_zero;
      }
      if (to_end >= threshold) to_end = avg_step / 2;
      double factor = (sampled + to_start + to_end) / sampled;
      if (fn == RangeFn::kRate) factor /= static_cast<double>(range_ms) / 1000;
      return std::optional<double>(result * factor);
    }
    if (fn == RangeFn::kIrate || fn == RangeFn::kIdelta) {
      if (n < 2) return std::optional<double>();
      const model::Sample& a = w[n - 2];
      const model::Sample& b = w[n - 1];
      double d = b.value - a.value;
      if (fn == RangeFn::kIrate) {
        if (b.value < a.value) d = b.value;  // counter reset
        double dt = static_cast<double>(b.timestamp_ms - a.timestamp_ms) / 1000;
        if (dt == 0) return std::optional<double>();
        return std::optional<double>(d / dt);
      }
      return std::optional<double>(d);
    }
    if (fn == RangeFn::kSumOverTime) {
      double sum = 0, c = 0;
      for (const model::Sample& s : w) sum = KahanAdd(sum, s.value, &c);
      return std::optional<double>(sum + c);
    }
    if (fn == RangeFn::kAvgOverTime) {
      std::vector<double> values;
      for (const model::Sample& s : w) values.push_back(s.value);
      return std::optional<double>(Mean(values));
    }
    if (fn == RangeFn::kCountOverTime) return std::optional<double>(static_cast<double>(n));
    if (fn == RangeFn::kPresentOverTime) return std::optional<double>(1.0);
    if (fn == RangeFn::kLastOverTime) return std::optional<double>(w[n - 1].value);
    if (fn == RangeFn::kFirstOverTime) return std::optional<double>(w[0].value);
    if (fn == RangeFn::kTsOfFirstOverTime) return std::optional<double>(static_cast<double>(w[0].timestamp_ms) / 1000);
    if (fn == RangeFn::kTsOfLastOverTime) return std::optional<double>(static_cast<double>(w[n - 1].timestamp_ms) / 1000);
    if (fn == RangeFn::kTsOfMaxOverTime || fn == RangeFn::kTsOfMinOverTime) {
      // The last sample holding the extreme value.
      double best = w[0].value;
      int64_t at = w[0].timestamp_ms;
      for (const model::Sample& s : w) {
        bool better = fn == RangeFn::kTsOfMaxOverTime ? s.value >= best : s.value <= best;
        if (better || std::isnan(best)) {
          best = s.value;
          at = s.timestamp_ms;
        }
      }
      return std::optional<double>(static_cast<double>(at) / 1000);
    }
    if (fn == RangeFn::kMadOverTime) {
      std::vector<double> values;
      for (const model::Sample& s : w) {
        if (std::isnan(s.value)) return std::optional<double>(kNaN);
        values.push_back(s.value);
      }
      double median = Quantile(0.5, values);
      for (double& v : values) v = std::fabs(v - median);
      return std::optional<double>(Quantile(0.5, std::move(values)));
    }
    if (fn == RangeFn::kDoubleExponentialSmoothing) {
      char msg[128];
      if (!(arg > 0 && arg < 1)) {
        std::snprintf(msg, sizeof msg, "invalid smoothing factor. Expected: 0 < sf < 1, got: %f", arg);
        return Status::InvalidArgument(msg);
      }
      if (!(arg2 > 0 && arg2 < 1)) {
        std::snprintf(msg, sizeof msg, "invalid trend factor. Expected: 0 < tf < 1, got: %f", arg2);
        return Status::InvalidArgument(msg);
      }
      if (n < 2) return std::optional<double>();
      // Holt's linear method, as Prometheus computes it.
      double sf = arg, tf = arg2;
      double s0 = 0, s1 = w[0].value, b = w[1].value - w[0].value;
      for (size_t i = 1; i < n; ++i) {
        double x = sf * w[i].value;
        if (i > 1) b = tf * (s1 - s0) + (1 - tf) * b;
        double y = (1 - sf) * (s1 + b);
        s0 = s1;
        s1 = x + y;
      }
      return std::optional<double>(s1);
    }
    if (fn == RangeFn::kMinOverTime || fn == RangeFn::kMaxOverTime) {
      double r = w[0].value;
      for (const model::Sample& s : w) {
        bool better = fn == RangeFn::kMinOverTime ? s.value < r : s.value > r;
        if (better || std::isnan(r)) r = s.value;
      }
      return std::optional<double>(r);
    }
    if (fn == RangeFn::kStddevOverTime || fn == RangeFn::kStdvarOverTime) {
      double mean = 0, m2 = 0;
      size_t k = 0;
      for (const model::Sample& s : w) {
        ++k;
        double delta = s.value - mean;
        mean += delta / static_cast<double>(k);
        m2 += delta * (s.value - mean);
      }
      double var = m2 / static_cast<double>(k);
      return std::optional<double>(fn == RangeFn::kStddevOverTime ? std::sqrt(var) : var);
    }
    if (fn == RangeFn::kQuantileOverTime) {
      std::vector<double> values;
      for (const model::Sample& s : w) values.push_back(s.value);
      return std::optional<double>(Quantile(arg, std::move(values)));
    }
    if (fn == RangeFn::kChanges || fn == RangeFn::kResets) {
      double count = 0;
      for (size_t k = 1; k < n; ++k) {
        double prev = w[k - 1].value, cur = w[k].value;
        if (fn == RangeFn::kChanges) {
          if (cur != prev && !(std::isnan(cur) && std::isnan(prev))) ++count;
        } else if (cur < prev) {
          ++count;
        }
      }
      return std::optional<double>(count);
    }
    if (fn == RangeFn::kDeriv || fn == RangeFn::kPredictLinear) {
      if (n < 2) return std::optional<double>();
      // Least squares, times relative to the first sample (or t for
      // predict_linear) for precision, as Prometheus does.
      // predict_linear predicts from the evaluation time, even under @.
      double intercept_t = fn == RangeFn::kDeriv ? static_cast<double>(w[0].timestamp_ms)
                                           : static_cast<double>(step_t);
      double sx = 0, sy = 0, sxy = 0, sxx = 0, cx = 0, cy = 0, cxy = 0, cxx = 0;
      for (const model::Sample& s : w) {
        double x = (static_cast<double>(s.timestamp_ms) - intercept_t) / 1000;
        sx = KahanAdd(sx, x, &cx);
        sy = KahanAdd(sy, s.value, &cy);
        sxy = KahanAdd(sxy, x * s.value, &cxy);
        sxx = KahanAdd(sxx, x * x, &cxx);
      }
      sx += cx;
      sy += cy;
      sxy += cxy;
      sxx += cxx;
      double nn = static_cast<double>(n);
      double cov = sxy - sx * sy / nn;
      double var = sxx - sx * sx / nn;
      double slope = cov / var;
      double intercept = sy / nn - slope * sx / nn;
      if (fn == RangeFn::kDeriv) return std::optional<double>(slope);
      return std::optional<double>(slope * arg + intercept);
    }
    return Status::Unimplemented("function " + std::string(name) + "() is not implemented yet");
  }

  const Queryable& data_;
  const EngineOptions& options_;
  int64_t start_, end_, step_;
  int64_t query_start_, query_end_;
  int64_t query_step_ = 0;
  std::optional<std::chrono::steady_clock::time_point> deadline_;
  std::vector<Annotation>* annotations_ = nullptr;
  size_t steps_ = 1;
  int64_t loaded_ = 0;
};

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

std::vector<std::string> AnnotationStrings(const QueryResult& r, std::string_view query, bool warnings) {
  std::vector<std::string> out;
  for (const Annotation& a : r.annotations) {
    if (a.warning != warnings) continue;
    // Prometheus's position: line and column (1-based) of the expression.
    size_t pos = std::min(a.pos, query.size());
    std::string_view before = query.substr(0, pos);
    size_t line = static_cast<size_t>(std::count(before.begin(), before.end(), '\n')) + 1;
    size_t last_break = before.rfind('\n');
    size_t column = last_break == std::string_view::npos ? pos + 1 : pos - last_break;
    std::string text = a.message;
    if (a.has_detail) {
      auto rfc3339 = [](int64_t ms) {
        std::time_t secs = static_cast<std::time_t>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
        std::tm tm{};
        gmtime_r(&secs, &tm);
        char buf[32];
        std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
        return std::string(buf);
      };
      char diff[32];
      std::snprintf(diff, sizeof diff, "%.2g", a.detail.max_diff);
      text += ", from buckets " + GoG(a.detail.min_bucket) + " to " + GoG(a.detail.max_bucket) +
              ", with a max diff of " + diff + ", over " + std::to_string(a.detail.count) + " samples from " +
              rfc3339(a.detail.min_ts) + " to " + rfc3339(a.detail.max_ts);
    }
    out.push_back(text + " (" + std::to_string(line) + ":" + std::to_string(column) + ")");
  }
  return out;
}

Status CancelFlags::Check() const {
  if (shutdown != nullptr && shutdown->load(std::memory_order_relaxed)) {
    return Status::Cancelled("query cancelled: MyTSDB is shutting down");
  }
  if (client_gone != nullptr && client_gone->load(std::memory_order_relaxed)) {
    return Status::Cancelled("query cancelled: the client closed the connection");
  }
  return Status::OK();
}

Result<QueryResult> Engine::Instant(const Queryable& data, const Node& expr, int64_t t) const {
  Evaluator ev(data, options_, t, t, 0, t, t);
  if (options_.timeout_ms > 0) ev.set_deadline(std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.timeout_ms));
  if (Unparen(expr).kind == NodeKind::kMatrixSelector || Unparen(expr).kind == NodeKind::kSubquery) {
    // A range vector at the top: the raw samples of each window.
    ASSIGN_OR_RETURN(Evaluator::RangeInput in, ev.LoadRangeInput(expr));
    QueryResult out;
    out.type = ValueType::kMatrix;
    int64_t end = in.window_end[0];
    for (Series& s : in.series) {
      SeriesResult r;
      r.labels = std::move(s.labels);
      for (const model::Sample& x : s.samples) {
        if (x.timestamp_ms > end - in.range_ms && x.timestamp_ms <= end) {
          r.points.push_back({x.timestamp_ms, x.value});
        }
      }
      if (!r.points.empty()) out.series.push_back(std::move(r));
    }
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
