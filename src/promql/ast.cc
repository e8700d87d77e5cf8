#include "promql/ast.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <unordered_map>

#include "model/labels.h"

namespace mytsdb::promql {

const char* ValueTypeName(ValueType t) {
  switch (t) {
    case ValueType::kScalar: return "scalar";
    case ValueType::kVector: return "instant vector";
    case ValueType::kMatrix: return "range vector";
    case ValueType::kString: return "string";
  }
  return "?";
}

const char* BinaryOpName(BinaryOp op) {
  switch (op) {
    case BinaryOp::kAdd: return "+";
    case BinaryOp::kSub: return "-";
    case BinaryOp::kMul: return "*";
    case BinaryOp::kDiv: return "/";
    case BinaryOp::kMod: return "%";
    case BinaryOp::kPow: return "^";
    case BinaryOp::kAtan2: return "atan2";
    case BinaryOp::kEql: return "==";
    case BinaryOp::kNeq: return "!=";
    case BinaryOp::kLss: return "<";
    case BinaryOp::kGtr: return ">";
    case BinaryOp::kLte: return "<=";
    case BinaryOp::kGte: return ">=";
    case BinaryOp::kAnd: return "and";
    case BinaryOp::kOr: return "or";
    case BinaryOp::kUnless: return "unless";
  }
  return "?";
}

bool IsComparison(BinaryOp op) {
  return op == BinaryOp::kEql || op == BinaryOp::kNeq || op == BinaryOp::kLss ||
         op == BinaryOp::kGtr || op == BinaryOp::kLte || op == BinaryOp::kGte;
}

bool IsSetOperator(BinaryOp op) {
  return op == BinaryOp::kAnd || op == BinaryOp::kOr || op == BinaryOp::kUnless;
}

const char* AggregateOpName(AggregateOp op) {
  switch (op) {
    case AggregateOp::kSum: return "sum";
    case AggregateOp::kAvg: return "avg";
    case AggregateOp::kCount: return "count";
    case AggregateOp::kMin: return "min";
    case AggregateOp::kMax: return "max";
    case AggregateOp::kGroup: return "group";
    case AggregateOp::kStddev: return "stddev";
    case AggregateOp::kStdvar: return "stdvar";
    case AggregateOp::kTopk: return "topk";
    case AggregateOp::kBottomk: return "bottomk";
    case AggregateOp::kCountValues: return "count_values";
    case AggregateOp::kQuantile: return "quantile";
    case AggregateOp::kLimitk: return "limitk";
    case AggregateOp::kLimitRatio: return "limit_ratio";
  }
  return "?";
}

namespace {

constexpr ValueType S = ValueType::kScalar;
constexpr ValueType V = ValueType::kVector;
constexpr ValueType M = ValueType::kMatrix;
constexpr ValueType Str = ValueType::kString;

// Prometheus 3's function list (promql/parser/functions.go), float and
// histogram functions alike; `experimental` ones need a feature flag there.
const std::vector<FunctionInfo>& Functions() {
  static const std::vector<FunctionInfo> functions = {
      {"abs", {V}, 0, V},
      {"absent", {V}, 0, V},
      {"absent_over_time", {M}, 0, V},
      {"acos", {V}, 0, V},
      {"acosh", {V}, 0, V},
      {"asin", {V}, 0, V},
      {"asinh", {V}, 0, V},
      {"atan", {V}, 0, V},
      {"atanh", {V}, 0, V},
      {"avg_over_time", {M}, 0, V},
      {"ceil", {V}, 0, V},
      {"changes", {M}, 0, V},
      {"clamp", {V, S, S}, 0, V},
      {"clamp_max", {V, S}, 0, V},
      {"clamp_min", {V, S}, 0, V},
      {"cos", {V}, 0, V},
      {"cosh", {V}, 0, V},
      {"count_over_time", {M}, 0, V},
      {"days_in_month", {V}, 1, V},
      {"day_of_month", {V}, 1, V},
      {"day_of_week", {V}, 1, V},
      {"day_of_year", {V}, 1, V},
      {"deg", {V}, 0, V},
      {"delta", {M}, 0, V},
      {"deriv", {M}, 0, V},
      {"double_exponential_smoothing", {M, S, S}, 0, V, true},
      {"exp", {V}, 0, V},
      {"end", {}, 0, S, true},
      {"first_over_time", {M}, 0, V},
      {"floor", {V}, 0, V},
      {"histogram_avg", {V}, 0, V},
      {"histogram_count", {V}, 0, V},
      {"histogram_fraction", {S, S, V}, 0, V},
      {"histogram_quantile", {S, V}, 0, V},
      {"histogram_stddev", {V}, 0, V},
      {"histogram_stdvar", {V}, 0, V},
      {"histogram_sum", {V}, 0, V},
      {"hour", {V}, 1, V},
      {"idelta", {M}, 0, V},
      {"increase", {M}, 0, V},
      {"info", {V, V}, 1, V, true},
      {"irate", {M}, 0, V},
      {"label_join", {V, Str, Str, Str}, -1, V},
      {"label_replace", {V, Str, Str, Str, Str}, 0, V},
      {"last_over_time", {M}, 0, V},
      {"ln", {V}, 0, V},
      {"log10", {V}, 0, V},
      {"log2", {V}, 0, V},
      {"mad_over_time", {M}, 0, V, true},
      {"max_over_time", {M}, 0, V},
      {"min_over_time", {M}, 0, V},
      {"minute", {V}, 1, V},
      {"month", {V}, 1, V},
      {"pi", {}, 0, S},
      {"predict_linear", {M, S}, 0, V},
      {"present_over_time", {M}, 0, V},
      {"quantile_over_time", {S, M}, 0, V},
      {"rad", {V}, 0, V},
      {"range", {}, 0, S, true},
      {"rate", {M}, 0, V},
      {"resets", {M}, 0, V},
      {"round", {V, S}, 1, V},
      {"scalar", {V}, 0, S},
      {"sgn", {V}, 0, V},
      {"sin", {V}, 0, V},
      {"sinh", {V}, 0, V},
      {"sort", {V}, 0, V},
      {"sort_by_label", {V, Str}, -1, V, true},
      {"sort_by_label_desc", {V, Str}, -1, V, true},
      {"sort_desc", {V}, 0, V},
      {"start", {}, 0, S, true},
      {"step", {}, 0, S, true},
      {"sqrt", {V}, 0, V},
      {"stddev_over_time", {M}, 0, V},
      {"stdvar_over_time", {M}, 0, V},
      {"sum_over_time", {M}, 0, V},
      {"tan", {V}, 0, V},
      {"tanh", {V}, 0, V},
      {"time", {}, 0, S},
      {"timestamp", {V}, 0, V},
      {"ts_of_first_over_time", {M}, 0, V, true},
      {"ts_of_last_over_time", {M}, 0, V, true},
      {"ts_of_max_over_time", {M}, 0, V, true},
      {"ts_of_min_over_time", {M}, 0, V, true},
      {"vector", {S}, 0, V},
      {"year", {V}, 1, V},
  };
  return functions;
}

}  // namespace

const FunctionInfo* FindFunction(std::string_view name) {
  static const auto* index = [] {
    auto* m = new std::unordered_map<std::string_view, const FunctionInfo*>();
    for (const FunctionInfo& f : Functions()) (*m)[f.name] = &f;
    return m;
  }();
  auto it = index->find(name);
  return it == index->end() ? nullptr : it->second;
}

// ---- Printing ----------------------------------------------------------------

std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\a': out += "\\a"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\v': out += "\\v"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\x%02x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

bool IsLegacyLabelName(std::string_view s) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

bool IsLegacyMetricName(std::string_view s) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

std::string LabelName(std::string_view s) {
  return IsLegacyLabelName(s) ? std::string(s) : Quote(s);
}

std::string Join(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += ", ";
    out += LabelName(names[i]);
  }
  return out;
}

namespace {

const char* MatchOp(model::MatchType t) {
  switch (t) {
    case model::MatchType::kEqual: return "=";
    case model::MatchType::kNotEqual: return "!=";
    case model::MatchType::kRegexMatch: return "=~";
    case model::MatchType::kRegexNoMatch: return "!~";
  }
  return "?";
}

// Words the parser reads as keywords after an operator or a selector; a
// metric with such a name is printed as {__name__="..."}.
bool IsKeyword(std::string_view s) {
  static constexpr std::string_view kWords[] = {
      "and", "or", "unless", "atan2", "bool", "on", "ignoring", "group_left", "group_right",
      "by", "without", "offset", "inf", "nan"};
  for (std::string_view w : kWords) {
    if (s.size() == w.size() &&
        std::equal(s.begin(), s.end(), w.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) == b;
        })) {
      return true;
    }
  }
  return false;
}

std::string SelectorText(const VectorSelector& vs) {
  std::string out;
  std::vector<std::string> parts;
  bool name_printed = false;
  if (!vs.name.empty() && IsLegacyMetricName(vs.name) && !IsKeyword(vs.name)) {
    out = vs.name;
    name_printed = true;
  } else if (!vs.name.empty() && !IsKeyword(vs.name)) {
    parts.push_back(Quote(vs.name));
    name_printed = true;
  }
  for (const model::Matcher& m : vs.matchers) {
    if (name_printed && m.name() == model::kMetricNameLabel &&
        m.type() == model::MatchType::kEqual && m.value() == vs.name) {
      continue;
    }
    parts.push_back(LabelName(m.name()) + MatchOp(m.type()) + Quote(m.value()));
  }
  if (!parts.empty() || out.empty()) {
    out += "{";
    for (size_t i = 0; i < parts.size(); ++i) {
      if (i > 0) out += ", ";
      out += parts[i];
    }
    out += "}";
  }
  return out;
}

std::string AtText(const AtModifier& at) {
  switch (at.kind) {
    case AtModifier::Kind::kNone: return "";
    case AtModifier::Kind::kStart: return " @ start()";
    case AtModifier::Kind::kEnd: return " @ end()";
    case AtModifier::Kind::kTime: {
      char buf[64];
      std::snprintf(buf, sizeof(buf), " @ %.3f", static_cast<double>(at.time_ms) / 1000.0);
      return buf;
    }
  }
  return "";
}

std::string OffsetText(bool has, int64_t ms) {
  if (!has || ms == 0) return "";
  return ms > 0 ? " offset " + FormatDuration(ms) : " offset -" + FormatDuration(-ms);
}

}  // namespace

std::string FormatFloat(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[512];
  auto r = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::fixed);
  return std::string(buf, r.ptr);
}

std::string FormatDuration(int64_t ms) {
  if (ms == 0) return "0s";
  std::string out;
  if (ms < 0) {
    out = "-";
    ms = -ms;
  }
  struct Unit {
    int64_t ms;
    const char* name;
  };
  static constexpr Unit kUnits[] = {{365LL * 24 * 3600 * 1000, "y"}, {7LL * 24 * 3600 * 1000, "w"},
                                    {24LL * 3600 * 1000, "d"},        {3600LL * 1000, "h"},
                                    {60LL * 1000, "m"},               {1000, "s"},
                                    {1, "ms"}};
  for (const Unit& u : kUnits) {
    if (ms >= u.ms) {
      out += std::to_string(ms / u.ms) + u.name;
      ms %= u.ms;
    }
  }
  return out;
}

std::string Format(const Node& node) {
  switch (node.kind) {
    case NodeKind::kNumber:
      return FormatFloat(static_cast<const NumberLiteral&>(node).value);
    case NodeKind::kString:
      return Quote(static_cast<const StringLiteral&>(node).value);
    case NodeKind::kVectorSelector: {
      const auto& vs = static_cast<const VectorSelector&>(node);
      return SelectorText(vs) + AtText(vs.at) + OffsetText(vs.has_offset, vs.offset_ms);
    }
    case NodeKind::kMatrixSelector: {
      const auto& ms = static_cast<const MatrixSelector&>(node);
      const VectorSelector& vs = *ms.selector;
      return SelectorText(vs) + "[" + FormatDuration(ms.range_ms) + "]" + AtText(vs.at) +
             OffsetText(vs.has_offset, vs.offset_ms);
    }
    case NodeKind::kSubquery: {
      const auto& sq = static_cast<const SubqueryExpr&>(node);
      return Format(*sq.expr) + "[" + FormatDuration(sq.range_ms) + ":" +
             (sq.step_ms > 0 ? FormatDuration(sq.step_ms) : "") + "]" + AtText(sq.at) +
             OffsetText(sq.has_offset, sq.offset_ms);
    }
    case NodeKind::kParen:
      return "(" + Format(*static_cast<const ParenExpr&>(node).expr) + ")";
    case NodeKind::kUnary: {
      const auto& u = static_cast<const UnaryExpr&>(node);
      std::string operand = Format(*u.expr);
      // "--2 ^ 2" or "-+Inf ^ 2" would read back differently; Prometheus
      // prints them so, we add the parentheses that keep the meaning.
      if (!operand.empty() && (operand[0] == '+' || operand[0] == '-')) {
        operand = "(" + operand + ")";
      }
      return std::string(1, u.op) + operand;
    }
    case NodeKind::kBinary: {
      const auto& b = static_cast<const BinaryExpr&>(node);
      std::string matching;
      if (b.matching && (b.matching->on || !b.matching->labels.empty())) {
        matching = std::string(" ") + (b.matching->on ? "on" : "ignoring") + " (" +
                   Join(b.matching->labels) + ")";
        if (b.matching->card == VectorMatching::Card::kManyToOne ||
            b.matching->card == VectorMatching::Card::kOneToMany) {
          matching += std::string(" group_") +
                      (b.matching->card == VectorMatching::Card::kManyToOne ? "left" : "right") +
                      " (" + Join(b.matching->include) + ")";
        }
      }
      return Format(*b.lhs) + " " + BinaryOpName(b.op) + (b.return_bool ? " bool" : "") +
             matching + " " + Format(*b.rhs);
    }
    case NodeKind::kAggregate: {
      const auto& a = static_cast<const AggregateExpr&>(node);
      std::string out = AggregateOpName(a.op);
      if (a.without) {
        out += " without (" + Join(a.grouping) + ") ";
      } else if (!a.grouping.empty()) {
        out += " by (" + Join(a.grouping) + ") ";
      }
      out += "(";
      if (a.param) out += Format(*a.param) + ", ";
      return out + Format(*a.expr) + ")";
    }
    case NodeKind::kCall: {
      const auto& c = static_cast<const Call&>(node);
      std::string out = std::string(c.func->name) + "(";
      for (size_t i = 0; i < c.args.size(); ++i) {
        if (i > 0) out += ", ";
        out += Format(*c.args[i]);
      }
      return out + ")";
    }
  }
  return "";
}

}  // namespace mytsdb::promql
