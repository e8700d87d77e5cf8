// Unary minus and the binary operators: arithmetic, comparisons and the
// set operators, between scalars and vectors, with every vector matching
// mode (on/ignoring, group_left/group_right).
#include "promql/evaluator.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <unordered_map>

namespace mytsdb::promql {

namespace {

std::optional<double> Apply(BinaryOp op, double l, double r, bool* keep) {
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

bool DropsName(BinaryOp op) {
  return !IsComparison(op) && !IsSetOperator(op);
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

// The labels a vector matching compares (Prometheus's MatchLabels).
model::Labels MatchLabels(const model::Labels& l, const VectorMatching& m) {
  std::vector<model::Label> out;
  for (const model::Label& x : l) {
    bool listed = std::find(m.labels.begin(), m.labels.end(), x.name) != m.labels.end();
    if (m.on ? listed : !(listed || x.name == model::kMetricNameLabel)) out.push_back(x);
  }
  return model::Labels::FromSorted(std::move(out));
}

model::Labels ResultLabels(const model::Labels& many, const model::Labels& one,
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
Value MergeSameLabels(Value v) {
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

// `l op r` as a binary operator between vectors (or a vector and a scalar)
// yields it: a comparison filters (*keep) and yields `filtered`, or with
// `bool` always yields 0 or 1.
double Combine(const BinaryExpr& b, double l, double r, double filtered, bool* keep) {
  double v = *Apply(b.op, l, r, keep);
  if (!IsComparison(b.op)) return v;
  if (!b.return_bool) return filtered;
  v = *keep ? 1 : 0;
  *keep = true;
  return v;
}

}  // namespace

Result<Value> Evaluator::EvalUnary(const UnaryExpr& u) {
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

Result<Value> Evaluator::EvalBinary(const BinaryExpr& b) {
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
        // A filtering comparison keeps the vector's value, whichever side it is on.
        double v = Combine(b, lv, rv, s.v[i], &keep);
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

Result<Value> Evaluator::VectorBinary(const BinaryExpr& b, Value l, Value r) {
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
      double v = Combine(b, lv, rv, lv, &keep);
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

}  // namespace mytsdb::promql
