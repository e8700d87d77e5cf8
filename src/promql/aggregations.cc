// The aggregation operators: sum, avg, count, min, max, group, stddev,
// stdvar, quantile, count_values, and the ones that pick series (topk,
// bottomk, limitk, limit_ratio).
#include "promql/evaluator.h"

#include <xxhash.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "promql/numeric.h"

namespace mytsdb::promql {

namespace {

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

// The k series topk (top) or bottomk keeps, chosen exactly as
// Prometheus's binary heap does, so that ties between equal values go the
// same way: a series replaces the heap's weakest only if strictly better.
template <typename ValueOf>
std::vector<size_t> HeapSelect(const std::vector<size_t>& input, size_t k, bool top, ValueOf value) {
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
bool RatioSampled(const model::Labels& labels, double ratio) {
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

// The labels of the group a series falls in.
model::Labels GroupOf(const AggregateExpr& a, const model::Labels& labels) {
  std::vector<model::Label> keep;
  for (const model::Label& l : labels) {
    bool listed = std::find(a.grouping.begin(), a.grouping.end(), l.name) != a.grouping.end();
    if (a.without ? (listed || l.name == model::kMetricNameLabel) : !listed) continue;
    keep.push_back(l);
  }
  return model::Labels::FromSorted(std::move(keep));
}

bool Folds(AggregateOp op) {
  switch (op) {
    case AggregateOp::kSum:
    case AggregateOp::kAvg:
    case AggregateOp::kCount:
    case AggregateOp::kGroup:
    case AggregateOp::kMin:
    case AggregateOp::kMax:
    case AggregateOp::kStddev:
    case AggregateOp::kStdvar:
      return true;
    default:
      return false;
  }
}

// One group's aggregate at every step, folded one input value at a time
// with exactly the arithmetic Prometheus uses (so the result does not
// depend on holding the inputs): Kahan sums, its mean (numeric.h's
// MeanAccumulator), Welford's variance.
class GroupFold {
 public:
  GroupFold(AggregateOp op, size_t steps)
      : op_(op), n_(steps, 0), x_(steps, 0), y_(steps, 0) {
    if (op == AggregateOp::kAvg) means_.resize(steps);
  }

  void Add(size_t i, double f) {
    double& n = n_[i];
    double &x = x_[i], &y = y_[i];
    n += 1;
    switch (op_) {
      case AggregateOp::kSum:  // x: sum, y: compensation
        x = KahanAdd(x, f, &y);
        break;
      case AggregateOp::kMin:
        if (n == 1 || f < x || std::isnan(x)) x = f;
        break;
      case AggregateOp::kMax:
        if (n == 1 || f > x || std::isnan(x)) x = f;
        break;
      case AggregateOp::kStddev:
      case AggregateOp::kStdvar: {  // x: mean, y: sum of squared deviations
        double delta = f - x;
        x += delta / n;
        y += delta * (f - x);
        break;
      }
      case AggregateOp::kAvg:
        means_[i].Add(f);
        break;
      default:  // count and group need only n
        break;
    }
  }

  bool has(size_t i) const { return n_[i] > 0; }

  double Result(size_t i) const {
    const double n = n_[i], x = x_[i], y = y_[i];
    switch (op_) {
      case AggregateOp::kSum: return x + y;
      case AggregateOp::kCount: return n;
      case AggregateOp::kGroup: return 1;
      case AggregateOp::kMin:
      case AggregateOp::kMax: return x;
      case AggregateOp::kStdvar: return y / n;
      case AggregateOp::kStddev: return std::sqrt(y / n);
      case AggregateOp::kAvg: return means_[i].Result();
      default: return kNaN;
    }
  }

  model::Labels labels;
  bool drop_name = false;

 private:
  AggregateOp op_;
  std::vector<double> n_, x_, y_;
  std::vector<MeanAccumulator> means_;  // avg only
};

}  // namespace

Result<Value> Evaluator::FoldAggregate(const AggregateExpr& a) {
  std::map<model::Labels, GroupFold> groups;
  RETURN_NOT_OK(EvalSeries(*a.expr, [&](StepSeries& s) -> Status {
    auto it = groups.find(GroupOf(a, s.labels));
    if (it == groups.end()) {
      // A group holds its running values at every step.
      RETURN_NOT_OK(Hold(static_cast<int64_t>(steps_), "query execution"));
      model::Labels key = GroupOf(a, s.labels);
      it = groups.emplace(key, GroupFold(a.op, steps_)).first;
      it->second.labels = std::move(key);
    }
    GroupFold& g = it->second;
    for (size_t i = 0; i < steps_; ++i) {
      if (s.has[i]) g.Add(i, s.v[i]);
    }
    g.drop_name = g.drop_name || s.drop_name;
    Release(s);
    return Status::OK();
  }));
  Value out;
  out.type = ValueType::kVector;
  for (auto& [labels, g] : groups) {
    StepSeries o;
    o.labels = std::move(g.labels);
    o.drop_name = g.drop_name;
    o.v.assign(steps_, 0);
    o.has.assign(steps_, 0);
    bool any = false;
    for (size_t i = 0; i < steps_; ++i) {
      if (!g.has(i)) continue;
      o.v[i] = g.Result(i);
      o.has[i] = 1;
      any = true;
    }
    if (any) out.series.push_back(std::move(o));
  }
  return out;
}

Result<Value> Evaluator::EvalAggregate(const AggregateExpr& a) {
  if (Folds(a.op)) return FoldAggregate(a);
  ASSIGN_OR_RETURN(Value in, Eval(*a.expr));
  if (a.op == AggregateOp::kCountValues) return CountValues(a, std::move(in));
  ASSIGN_OR_RETURN(Value p, Eval(*a.param));
  const std::vector<double>& param = p.scalar;
  // Group key per input series.
  std::map<model::Labels, std::vector<size_t>> groups;
  std::vector<const std::vector<size_t>*> group_order;  // by first appearance
  for (size_t k = 0; k < in.series.size(); ++k) {
    auto [it, fresh] = groups.try_emplace(GroupOf(a, in.series[k].labels));
    if (fresh) group_order.push_back(&it->second);
    it->second.push_back(k);
  }
  if (a.op != AggregateOp::kQuantile) return SelectSeries(a, std::move(in), param, group_order);

  auto [min, max, any_nan] = RangeOf(param);
  if (any_nan) Annotate(true, "quantile value should be between 0 and 1, got NaN", *a.param);
  if (max > 1) Annotate(true, "quantile value should be between 0 and 1, got " + GoG(max), *a.param);
  if (min < 0) Annotate(true, "quantile value should be between 0 and 1, got " + GoG(min), *a.param);
  Value out;
  out.type = ValueType::kVector;
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
      o.v[i] = Quantile(param[i], values);
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
Result<Value> Evaluator::SelectSeries(const AggregateExpr& a, Value in,
                                      const std::vector<double>& param,
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

Result<Value> Evaluator::CountValues(const AggregateExpr& a, Value in) {
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

}  // namespace mytsdb::promql
