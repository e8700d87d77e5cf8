#include "promql/promqltest.h"

#include <re2/re2.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <tuple>

#include "model/sample.h"
#include "promql/numeric.h"
#include "promql/parser.h"
#include "promql/selector_parser.h"

namespace mytsdb::promql::test {

namespace {

constexpr int64_t kMinute = 60'000;

// One value of a series description: a float, a gap (`_`) or a native
// histogram (`{{...}}`, which the float engine does not read).
struct SeqValue {
  double v = 0;
  bool omitted = false;
  bool histogram = false;
};

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

bool EqualsFold(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return std::tolower(x) == std::tolower(y); });
}

// A number as Go's strconv.ParseFloat reads it (plus Inf/NaN in any case).
std::optional<double> ParseNumber(std::string_view s) {
  s = Trim(s);
  if (s.empty()) return std::nullopt;
  std::string_view body = s;
  double sign = 1;
  if (body[0] == '+' || body[0] == '-') {
    sign = body[0] == '-' ? -1 : 1;
    body.remove_prefix(1);
  }
  if (EqualsFold(body, "inf") || EqualsFold(body, "infinity")) return sign * INFINITY;
  if (EqualsFold(body, "nan")) return NAN;
  std::string str(s);
  char* end = nullptr;
  double v = std::strtod(str.c_str(), &end);
  if (end != str.c_str() + str.size()) return std::nullopt;
  return v;
}

Result<uint64_t> ParseCount(std::string_view s) {
  uint64_t n = 0;
  if (s.empty()) return Status::InvalidArgument("missing repetition count");
  for (char c : s) {
    if (c < '0' || c > '9') return Status::InvalidArgument("bad repetition count \"" + std::string(s) + "\"");
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  return n;
}

// Expands a value sequence: `1 2 _ stale 0+10x5 1x3 _x2 {{...}}x2`.
Result<std::vector<SeqValue>> ParseValues(std::string_view text) {
  std::vector<SeqValue> out;
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] == ' ' || text[i] == '\t') {
      ++i;
      continue;
    }
    if (text.substr(i, 2) == "{{") {
      // Histograms: only their number matters here.
      size_t close = text.find("}}", i);
      if (close == std::string_view::npos) return Status::InvalidArgument("unterminated histogram");
      i = close + 2;
      if (i + 2 < text.size() && (text[i] == '+' || text[i] == '-') && text.substr(i + 1, 2) == "{{") {
        close = text.find("}}", i);
        if (close == std::string_view::npos) return Status::InvalidArgument("unterminated histogram");
        i = close + 2;
      }
      uint64_t n = 0;
      if (i < text.size() && text[i] == 'x') {
        size_t end = i + 1;
        while (end < text.size() && std::isdigit(static_cast<unsigned char>(text[end]))) ++end;
        ASSIGN_OR_RETURN(n, ParseCount(text.substr(i + 1, end - i - 1)));
        i = end;
      }
      for (uint64_t k = 0; k <= n; ++k) out.push_back({0, false, true});
      continue;
    }
    size_t end = i;
    while (end < text.size() && text[end] != ' ' && text[end] != '\t') ++end;
    std::string_view tok = text.substr(i, end - i);
    i = end;
    size_t x = tok.find('x');
    std::string_view head = tok.substr(0, x);
    if (head == "_") {
      uint64_t n = 1;
      if (x != std::string_view::npos) {
        ASSIGN_OR_RETURN(n, ParseCount(tok.substr(x + 1)));
      }
      for (uint64_t k = 0; k < n; ++k) out.push_back({0, true, false});
      continue;
    }
    // head is `value` or `value<signed increment>`.
    std::string_view value_text = head, inc_text;
    for (size_t k = 1; k < head.size(); ++k) {
      if ((head[k] == '+' || head[k] == '-') && head[k - 1] != 'e' && head[k - 1] != 'E') {
        value_text = head.substr(0, k);
        inc_text = head.substr(k);
        break;
      }
    }
    double value;
    if (value_text == "stale") {
      value = model::StaleNaN();
    } else {
      std::optional<double> v = ParseNumber(value_text);
      if (!v) return Status::InvalidArgument("bad value \"" + std::string(tok) + "\"");
      value = *v;
    }
    double inc = 0;
    if (!inc_text.empty()) {
      std::optional<double> d = ParseNumber(inc_text);
      if (!d) return Status::InvalidArgument("bad increment \"" + std::string(tok) + "\"");
      inc = *d;
    }
    if (x == std::string_view::npos) {
      if (!inc_text.empty()) return Status::InvalidArgument("increment without count: \"" + std::string(tok) + "\"");
      out.push_back({value, false, false});
      continue;
    }
    ASSIGN_OR_RETURN(uint64_t n, ParseCount(tok.substr(x + 1)));
    // N repetitions after the first value, as the reference grammar does.
    for (uint64_t k = 0; k <= n; ++k) {
      out.push_back({value, false, false});
      value += inc;
    }
  }
  return out;
}

// Splits `metric{a="b"} 1 2 3` into labels and the value text.
Result<std::pair<model::Labels, std::string_view>> ParseSeriesLine(std::string_view line) {
  size_t i = 0;
  while (i < line.size() && (std::isalnum(static_cast<unsigned char>(line[i])) || line[i] == '_' || line[i] == ':')) ++i;
  std::string name(line.substr(0, i));
  std::string_view braces;
  if (i < line.size() && line[i] == '{') {
    size_t start = i;
    char quote = 0;
    for (; i < line.size(); ++i) {
      char c = line[i];
      if (quote) {
        if (c == '\\') ++i;
        else if (c == quote) quote = 0;
      } else if (c == '"' || c == '\'' || c == '`') {
        quote = c;
      } else if (c == '}') {
        break;
      }
    }
    if (i >= line.size()) return Status::InvalidArgument("unterminated label set in \"" + std::string(line) + "\"");
    ++i;
    braces = line.substr(start, i - start);
  }
  if (name.empty() && braces.empty()) return Status::InvalidArgument("no series in \"" + std::string(line) + "\"");
  std::vector<model::Label> labels;
  std::string_view inner = braces.empty() ? std::string_view() : Trim(braces.substr(1, braces.size() - 2));
  if (!inner.empty()) {
    std::string selector = "{" + std::string(inner) + "}";
    Result<model::Matchers> matchers = ParseSeriesSelector(selector);
    if (!matchers.ok()) {
      // A selector needs one non-empty matcher; a label set like {a=""} does not.
      return Status::InvalidArgument("bad labels in \"" + std::string(line) + "\": " + matchers.status().message());
    }
    for (const model::Matcher& m : *matchers) {
      if (m.type() != model::MatchType::kEqual) return Status::InvalidArgument("labels must use = in \"" + std::string(line) + "\"");
      if (!m.value().empty()) labels.push_back({m.name(), m.value()});
    }
  }
  if (!name.empty()) labels.push_back({std::string(model::kMetricNameLabel), name});
  return std::make_pair(model::Labels::FromUnsorted(std::move(labels)), line.substr(i));
}

// The loaded data: float samples per series, and which series hold
// histograms (the float engine does not see those).
class TestStorage : public Queryable {
 public:
  void Clear() { series_.clear(); }

  void Load(const model::Labels& labels, const std::vector<SeqValue>& values, int64_t interval) {
    Stored& s = series_[labels];
    for (size_t i = 0; i < values.size(); ++i) {
      const SeqValue& v = values[i];
      if (v.omitted) continue;
      int64_t t = static_cast<int64_t>(i) * interval;
      if (v.histogram) {
        s.histogram_times.insert(t);
        continue;
      }
      s.samples[t] = v.v;
    }
  }
  // A classic histogram also becomes a native one with custom buckets (load_with_nhcb).
  void MarkHistogramFamily(const model::Labels& labels) {
    std::string name(labels.metric_name());
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      size_t n = std::string_view(suffix).size();
      if (name.size() > n && name.ends_with(suffix)) {
        std::vector<model::Label> rest;
        for (const model::Label& l : labels) {
          if (l.name == "le") continue;
          rest.push_back(l.name == model::kMetricNameLabel ? model::Label{l.name, name.substr(0, name.size() - n)} : l);
        }
        series_[model::Labels::FromSorted(std::move(rest))].histogram_times.insert(0);
      }
    }
  }

  Result<std::unique_ptr<SeriesSet>> Select(const model::Matchers& matchers, model::TimeRange range,
                                            const SelectLimits&) const override {
    std::vector<Series> out;
    for (const auto& [labels, stored] : series_) {
      bool ok = true;
      for (const model::Matcher& m : matchers) ok = ok && m.Matches(labels.Get(m.name()));
      if (!ok) continue;
      if (!stored.histogram_times.empty()) touched_histograms_ = true;
      Series s{labels, {}};
      for (auto it = stored.samples.lower_bound(range.min); it != stored.samples.end() && it->first <= range.max; ++it) {
        s.samples.push_back({it->first, it->second});
      }
      if (!s.samples.empty()) out.push_back(std::move(s));
    }
    return std::unique_ptr<SeriesSet>(std::make_unique<VectorSeriesSet>(std::move(out)));
  }

  bool touched_histograms() const { return touched_histograms_; }
  // Whether the expression names a metric that holds histograms (for
  // expressions that fail before they read anything).
  bool NamesHistogramMetric(const std::string& expr) const {
    for (const auto& [labels, stored] : series_) {
      if (stored.histogram_times.empty()) continue;
      std::string name(labels.metric_name());
      for (size_t p = expr.find(name); p != std::string::npos; p = expr.find(name, p + 1)) {
        auto word = [&](size_t i) { return i < expr.size() && (std::isalnum(static_cast<unsigned char>(expr[i])) || expr[i] == '_' || expr[i] == ':'); };
        if ((p == 0 || !word(p - 1)) && !word(p + name.size())) return true;
      }
    }
    return false;
  }
  void reset_touched() { touched_histograms_ = false; }

 private:
  struct Stored {
    std::map<int64_t, double> samples;
    std::set<int64_t> histogram_times;
  };
  std::map<model::Labels, Stored> series_;
  mutable bool touched_histograms_ = false;
};

struct Expected {
  model::Labels labels;
  std::vector<SeqValue> values;
  size_t pos = 0;  // 1-based position, for ordered results
};

// One `expect warn|info` line: a message, a regex, or (neither) anything.
struct ExpectAnnotation {
  std::string message;
  std::shared_ptr<RE2> regex;  // null: compare `message` exactly
  bool Matches(const std::string& s) const {
    return regex ? RE2::PartialMatch(s, *regex) : s == message;
  }
  std::string Describe() const { return regex ? "pattern " + regex->pattern() : "message " + message; }
};

struct EvalCmd {
  int line = 0;
  std::string expr;
  bool range = false;
  int64_t at = 0;
  int64_t start = 0, end = 0, step = 0;  // of the range query, or of `expect range vector`
  bool fail = false;
  bool ordered = false;
  bool annotations = false;          // states any expectation about annotations
  bool warn_required = false, info_required = false;  // eval_warn / eval_info
  bool no_warn = false, no_info = false;
  std::vector<ExpectAnnotation> warns, infos;
  std::optional<std::string> fail_message;
  std::unique_ptr<RE2> fail_regex;
  std::vector<Expected> expected;
  std::optional<double> scalar;
  std::optional<std::string> string_value;
  bool exclude_from_range = false;
};

Result<int64_t> ParseTime(std::string_view s) {
  s = Trim(s);
  if (s == "0") return 0;
  if (std::optional<double> secs = ParseNumber(s)) return static_cast<int64_t>(std::llround(*secs * 1000));
  return ParseDurationMs(s);
}

// The harness's comparison: relative 1e-6, and a staleness marker equals
// only another one.
bool SameValue(double a, double b) {
  if (model::IsStaleNaN(a) || model::IsStaleNaN(b)) return model::IsStaleNaN(a) && model::IsStaleNaN(b);
  return AlmostEqual(a, b, 1e-6);
}

std::string FormatValue(double v) {
  if (model::IsStaleNaN(v)) return "stale";
  return FormatFloat(v);
}

const Expected* FindExpected(const EvalCmd& cmd, const model::Labels& labels) {
  for (const Expected& e : cmd.expected) {
    if (e.labels == labels) return &e;
  }
  return nullptr;
}

// Checks a result against the expectation (the reference's compareResult).
Status Compare(const EvalCmd& cmd, const QueryResult& r) {
  auto fail = [](std::string msg) { return Status::InvalidArgument(std::move(msg)); };
  switch (r.type) {
    case ValueType::kMatrix: {
      if (cmd.ordered) return fail("expected ordered result, but query returned a matrix");
      if (cmd.scalar) return fail("expected scalar result, but got a matrix");
      for (size_t i = 1; i < r.series.size(); ++i) {
        if (r.series[i].labels < r.series[i - 1].labels) return fail("matrix is not sorted by labels");
      }
      std::set<const Expected*> seen;
      for (const SeriesResult& s : r.series) {
        const Expected* e = FindExpected(cmd, s.labels);
        if (!e) return fail("unexpected series " + s.labels.ToString() + " in result");
        seen.insert(e);
        std::vector<Point> want;
        for (size_t i = 0; i < e->values.size(); ++i) {
          int64_t t = cmd.start + static_cast<int64_t>(i) * cmd.step;
          if (t > cmd.end) return fail("more expected points than the query range holds for " + s.labels.ToString());
          if (e->values[i].histogram) return fail("expected a histogram for " + s.labels.ToString());
          if (!e->values[i].omitted) want.push_back({t, e->values[i].v});
        }
        if (want.size() != s.points.size()) {
          std::string got;
          for (const Point& p : s.points) got += " " + FormatValue(p.v) + "@" + std::to_string(p.t);
          return fail("expected " + std::to_string(want.size()) + " points for " + s.labels.ToString() +
                      ", got " + std::to_string(s.points.size()) + ":" + got);
        }
        for (size_t i = 0; i < want.size(); ++i) {
          if (want[i].t != s.points[i].t) {
            return fail("point " + std::to_string(i) + " of " + s.labels.ToString() + " at t=" +
                        std::to_string(s.points[i].t) + ", expected t=" + std::to_string(want[i].t));
          }
          if (!SameValue(want[i].v, s.points[i].v)) {
            return fail("point " + std::to_string(i) + " (t=" + std::to_string(want[i].t) + ") of " +
                        s.labels.ToString() + " is " + FormatValue(s.points[i].v) + ", expected " +
                        FormatValue(want[i].v));
          }
        }
      }
      for (const Expected& e : cmd.expected) {
        if (!seen.count(&e)) return fail("expected series " + e.labels.ToString() + " not found");
      }
      return Status::OK();
    }
    case ValueType::kVector: {
      if (cmd.scalar) return fail("expected scalar result, but got a vector");
      std::set<const Expected*> seen;
      for (size_t pos = 0; pos < r.series.size(); ++pos) {
        const SeriesResult& s = r.series[pos];
        const Expected* e = FindExpected(cmd, s.labels);
        double v = s.points.empty() ? NAN : s.points[0].v;
        if (!e) return fail("unexpected series " + s.labels.ToString() + " with value " + FormatValue(v));
        if (cmd.ordered && e->pos != pos + 1) {
          return fail("expected " + s.labels.ToString() + " at position " + std::to_string(e->pos) +
                      " but it was at " + std::to_string(pos + 1));
        }
        if (e->values.empty()) return fail("no expected value for " + s.labels.ToString());
        if (e->values[0].histogram) return fail("expected a histogram for " + s.labels.ToString());
        if (!SameValue(e->values[0].v, v)) {
          return fail("expected " + FormatValue(e->values[0].v) + " for " + s.labels.ToString() + " but got " +
                      FormatValue(v));
        }
        seen.insert(e);
      }
      for (const Expected& e : cmd.expected) {
        if (!seen.count(&e)) return fail("expected series " + e.labels.ToString() + " not found");
      }
      return Status::OK();
    }
    case ValueType::kScalar:
      if (!cmd.scalar) return fail("expected a vector or matrix, got scalar " + FormatValue(r.scalar.v));
      if (!SameValue(*cmd.scalar, r.scalar.v)) {
        return fail("expected scalar " + FormatValue(*cmd.scalar) + " but got " + FormatValue(r.scalar.v));
      }
      return Status::OK();
    case ValueType::kString:
      if (!cmd.string_value || *cmd.string_value != r.string_value) {
        return fail("unexpected string \"" + r.string_value + "\"");
      }
      return Status::OK();
  }
  return Status::OK();
}

// The reference's annotation check: required kinds present, every expected
// annotation matched by one produced and every produced one expected, and
// none where `no_warn` / `no_info` says so.
Status CheckAnnotations(const EvalCmd& cmd, const QueryResult& r, const std::string& text) {
  std::vector<std::string> warns = AnnotationStrings(r, text, true), infos = AnnotationStrings(r, text, false);
  auto fail = [](std::string msg) { return Status::InvalidArgument(std::move(msg)); };
  if (cmd.warn_required && warns.empty()) return fail("expected warnings but got none");
  if (cmd.info_required && infos.empty()) return fail("expected info annotations but got none");
  for (auto [kind, expected, actual] : {std::make_tuple("warn", &cmd.warns, &warns), std::make_tuple("info", &cmd.infos, &infos)}) {
    if (expected->empty()) continue;
    if (actual->empty()) return fail(std::string("expected ") + kind + " annotations but none were found");
    for (const ExpectAnnotation& e : *expected) {
      if (std::none_of(actual->begin(), actual->end(), [&](const std::string& a) { return e.Matches(a); })) {
        std::string found;
        for (const std::string& a : *actual) found += " [" + a + "]";
        return fail(std::string("expected ") + kind + " annotation matching " + e.Describe() + ", found:" + found);
      }
    }
    for (const std::string& a : *actual) {
      if (std::none_of(expected->begin(), expected->end(), [&](const ExpectAnnotation& e) { return e.Matches(a); })) {
        return fail(std::string("unexpected ") + kind + " annotation \"" + a + "\"");
      }
    }
  }
  if (cmd.no_warn && !warns.empty()) return fail("unexpected warning: " + warns[0]);
  if (cmd.no_info && !infos.empty()) return fail("unexpected info annotation: " + infos[0]);
  return Status::OK();
}

// The expected-failure check: the message, when one is given, must match.
Status CheckFailure(const EvalCmd& cmd, const Status& error) {
  const std::string& msg = error.message();
  if (cmd.fail_message && *cmd.fail_message != msg) {
    return Status::InvalidArgument("expected error \"" + *cmd.fail_message + "\", got \"" + msg + "\"");
  }
  if (cmd.fail_regex && !RE2::PartialMatch(msg, *cmd.fail_regex)) {
    return Status::InvalidArgument("expected error matching \"" + cmd.fail_regex->pattern() + "\", got \"" + msg + "\"");
  }
  return Status::OK();
}

// Sets `@ t` on every selector and top-level subquery without one, as the
// reference harness does (selectors inside subqueries keep their times).
void SetAt(Node& node, int64_t t) {
  switch (node.kind) {
    case NodeKind::kVectorSelector: {
      auto& vs = static_cast<VectorSelector&>(node);
      if (vs.at.kind != AtModifier::Kind::kTime) vs.at = {AtModifier::Kind::kTime, t};
      return;
    }
    case NodeKind::kMatrixSelector:
      SetAt(*static_cast<MatrixSelector&>(node).selector, t);
      return;
    case NodeKind::kSubquery: {
      auto& sq = static_cast<SubqueryExpr&>(node);
      if (sq.at.kind != AtModifier::Kind::kTime) sq.at = {AtModifier::Kind::kTime, t};
      return;
    }
    case NodeKind::kParen:
      SetAt(*static_cast<ParenExpr&>(node).expr, t);
      return;
    case NodeKind::kUnary:
      SetAt(*static_cast<UnaryExpr&>(node).expr, t);
      return;
    case NodeKind::kBinary:
      SetAt(*static_cast<BinaryExpr&>(node).lhs, t);
      SetAt(*static_cast<BinaryExpr&>(node).rhs, t);
      return;
    case NodeKind::kAggregate: {
      auto& a = static_cast<AggregateExpr&>(node);
      if (a.param) SetAt(*a.param, t);
      SetAt(*a.expr, t);
      return;
    }
    case NodeKind::kCall:
      for (ExprPtr& arg : static_cast<Call&>(node).args) SetAt(*arg, t);
      return;
    case NodeKind::kNumber:
    case NodeKind::kString:
      return;
  }
}

// Functions whose result depends on the evaluation time even when their
// arguments do not; the reference skips the @ re-runs for them.
bool HasAtUnsafeFunction(std::string_view expr) {
  static const RE2 re(R"(\b(days_in_month|day_of_month|day_of_week|day_of_year|end|hour|minute|month|year|predict_linear|range|start|step|time|timestamp)\s*\()");
  return RE2::PartialMatch(expr, re);
}

CaseClass Classify(std::string_view expr, bool experimental_file) {
  static const RE2 experimental(
      R"(\b(histogram_quantiles|info|max_of|min_of|mad_over_time|ts_of_first_over_time|ts_of_max_over_time|ts_of_min_over_time|ts_of_last_over_time|start_timestamp|fill|fill_left|fill_right)\s*\(|\b(anchored|smoothed)\b|\b(step|range)\(\)|[^@]\s+(start|end)\(\))");
  static const RE2 grafana(R"(\b(limitk|limit_ratio|sort_by_label|sort_by_label_desc|double_exponential_smoothing)\s*\()");
  // Duration arithmetic: [5m+1m], offset (1m*2), [step()].
  static const RE2 duration_expr(R"(\[[^\]]*[-+*/%^()][^\]]*\]|offset\s*[-+]?\s*\()");
  if (experimental_file) return CaseClass::kExperimental;
  std::string text(expr);
  if (RE2::PartialMatch(text, experimental) || RE2::PartialMatch(text, duration_expr)) return CaseClass::kExperimental;
  if (RE2::PartialMatch(text, grafana)) return CaseClass::kGrafanaExperimental;
  return CaseClass::kStable;
}

class Runner {
 public:
  explicit Runner(const FileOptions& options) : options_(options) {
    EngineOptions eo;
    eo.max_samples = 10'000;  // the reference harness's limit
    eo.delayed_name_removal = true;
    engine_ = Engine(eo);
  }

  Result<std::vector<Case>> Run(std::string_view script) {
    std::vector<std::string> lines;
    size_t p = 0;
    while (p <= script.size()) {
      size_t nl = script.find('\n', p);
      if (nl == std::string_view::npos) nl = script.size();
      std::string_view l = Trim(script.substr(p, nl - p));
      if (!l.empty() && l[0] == '#') l = {};
      lines.emplace_back(l);
      p = nl + 1;
    }
    for (size_t i = 0; i < lines.size(); ++i) {
      const std::string& l = lines[i];
      if (l.empty()) continue;
      std::string word = l.substr(0, l.find_first_of(" \t"));
      std::transform(word.begin(), word.end(), word.begin(), ::tolower);
      if (word == "clear") {
        storage_.Clear();
      } else if (word.starts_with("load")) {
        RETURN_NOT_OK(Load(lines, &i));
      } else if (word.starts_with("eval")) {
        ASSIGN_OR_RETURN(EvalCmd cmd, ParseEval(lines, &i));
        cases_.push_back(Execute(cmd));
      } else {
        return Status::InvalidArgument("line " + std::to_string(i + 1) + ": invalid command \"" + l + "\"");
      }
    }
    return std::move(cases_);
  }

 private:
  static Status LineError(size_t i, const Status& s) {
    return Status::InvalidArgument("line " + std::to_string(i + 1) + ": " + s.message());
  }

  Status Load(const std::vector<std::string>& lines, size_t* i) {
    static const RE2 pat(R"(^load(?:_(with_nhcb))?\s+(.+?)$)");
    std::string nhcb, step;
    if (!RE2::FullMatch(lines[*i], pat, &nhcb, &step)) {
      return LineError(*i, Status::InvalidArgument("invalid load command"));
    }
    Result<int64_t> interval = ParseDurationMs(step);
    if (!interval.ok()) return LineError(*i, interval.status());
    while (*i + 1 < lines.size() && !lines[*i + 1].empty()) {
      ++*i;
      const std::string& def = lines[*i];
      size_t first_space = def.find_first_of(" \t");
      if (first_space != std::string::npos && def.substr(0, first_space).ends_with("@st")) {
        continue;  // start timestamps (experimental): not stored
      }
      auto parsed = ParseSeriesLine(def);
      if (!parsed.ok()) return LineError(*i, parsed.status());
      auto values = ParseValues(parsed->second);
      if (!values.ok()) return LineError(*i, values.status());
      storage_.Load(parsed->first, *values, *interval);
      if (!nhcb.empty()) storage_.MarkHistogramFamily(parsed->first);
    }
    return Status::OK();
  }

  Result<EvalCmd> ParseEval(const std::vector<std::string>& lines, size_t* i) {
    static const RE2 instant(R"(^eval(?:_(fail|warn|ordered|info))?\s+instant\s+(?:at\s+(.+?))?\s+(.+)$)");
    static const RE2 range(R"(^eval(?:_(fail|warn|info))?\s+range\s+from\s+(.+)\s+to\s+(.+)\s+step\s+(.+?)\s+(.+)$)");
    static const RE2 expect(R"(^expect\s+(ordered|fail|warn|no_warn|info|no_info)(?:\s+(regex|msg):(.+))?$)");
    static const RE2 expect_range(R"(^expect range vector\s+from\s+(.+)\s+to\s+(.+)\s+step\s+(.+)$)");
    EvalCmd cmd;
    cmd.line = static_cast<int>(*i + 1);
    std::string mod, at, from, to, step;
    if (RE2::FullMatch(lines[*i], instant, &mod, &at, &cmd.expr)) {
      Result<int64_t> t = ParseTime(at);
      if (!t.ok()) return LineError(*i, t.status());
      cmd.at = *t;
    } else if (RE2::FullMatch(lines[*i], range, &mod, &from, &to, &step, &cmd.expr)) {
      cmd.range = true;
      Result<int64_t> s = ParseTime(from), e = ParseTime(to), st = ParseDurationMs(Trim(step));
      if (!s.ok() || !e.ok() || !st.ok()) return LineError(*i, Status::InvalidArgument("bad range"));
      cmd.start = *s;
      cmd.end = *e;
      cmd.step = *st;
    } else {
      return LineError(*i, Status::InvalidArgument("invalid eval command"));
    }
    cmd.fail = mod == "fail";
    cmd.ordered = mod == "ordered";
    cmd.warn_required = mod == "warn";
    cmd.info_required = mod == "info";
    cmd.annotations = cmd.warn_required || cmd.info_required;
    size_t pos = 1;
    while (*i + 1 < lines.size() && !lines[*i + 1].empty()) {
      ++*i;
      const std::string& def = lines[*i];
      if (cmd.fail && def.starts_with("expected_fail_message")) {
        cmd.fail_message = std::string(Trim(std::string_view(def).substr(21)));
        continue;
      }
      if (cmd.fail && def.starts_with("expected_fail_regexp")) {
        cmd.fail_regex = std::make_unique<RE2>(std::string(Trim(std::string_view(def).substr(20))));
        continue;
      }
      if (RE2::FullMatch(def, expect_range, &from, &to, &step)) {
        Result<int64_t> s = ParseTime(from), e = ParseTime(to), st = ParseDurationMs(Trim(step));
        if (!s.ok() || !e.ok() || !st.ok()) return LineError(*i, Status::InvalidArgument("bad range vector"));
        cmd.start = *s;
        cmd.end = *e;
        cmd.step = *st;
        cmd.at = *e;
        cmd.exclude_from_range = true;
        continue;
      }
      if (def.starts_with("expect string")) {
        std::string_view lit = Trim(std::string_view(def).substr(13));
        Result<std::string> s = UnquoteString(lit);
        if (!s.ok()) return LineError(*i, s.status());
        cmd.string_value = *s;
        cmd.exclude_from_range = true;
        continue;
      }
      if (def.substr(0, def.find(' ')) == "expect") {
        std::string type, kind, text;
        if (!RE2::FullMatch(def, expect, &type, &kind, &text)) {
          return LineError(*i, Status::InvalidArgument("invalid expect line"));
        }
        if (type == "ordered") cmd.ordered = true;
        if (type != "ordered" && type != "fail") cmd.annotations = true;
        if (type == "no_warn") cmd.no_warn = true;
        if (type == "no_info") cmd.no_info = true;
        if (type == "warn" || type == "info") {
          ExpectAnnotation e;
          if (kind == "msg") {
            e.message = std::string(Trim(text));
          } else {
            // `regex:`, or nothing (which matches anything).
            e.regex = std::make_shared<RE2>(kind == "regex" ? std::string(Trim(text)) : std::string(".*"));
          }
          (type == "warn" ? cmd.warns : cmd.infos).push_back(std::move(e));
        }
        if (type == "fail") {
          cmd.fail = true;
          if (kind == "msg") cmd.fail_message = std::string(Trim(text));
          if (kind == "regex") cmd.fail_regex = std::make_unique<RE2>(std::string(Trim(text)));
        }
        continue;
      }
      if (std::optional<double> v = ParseNumber(def)) {
        cmd.scalar = *v;
        break;
      }
      auto parsed = ParseSeriesLine(def);
      if (!parsed.ok()) return LineError(*i, parsed.status());
      auto values = ParseValues(parsed->second);
      if (!values.ok()) return LineError(*i, values.status());
      cmd.expected.push_back({parsed->first, std::move(*values), pos++});
    }
    return cmd;
  }

  Case Execute(const EvalCmd& cmd) {
    Case c;
    c.line = cmd.line;
    c.expr = cmd.expr;
    c.expects_annotations = cmd.annotations;
    storage_.reset_touched();
    Status s = cmd.range ? RunRange(cmd) : RunInstant(cmd);
    c.passed = s.ok();
    if (!s.ok()) c.error = s.message();
    bool histogram_expected = false;
    for (const Expected& e : cmd.expected) {
      for (const SeqValue& v : e.values) histogram_expected = histogram_expected || v.histogram;
    }
    c.cls = Classify(cmd.expr, options_.experimental_file);
    if (storage_.touched_histograms() || histogram_expected || storage_.NamesHistogramMetric(cmd.expr)) c.cls = CaseClass::kNativeHistogram;
    return c;
  }

  Status RunRange(const EvalCmd& cmd) {
    Result<ExprPtr> expr = ParseExpr(cmd.expr);
    if (!expr.ok()) return expr.status();
    Result<QueryResult> r = engine_.Range(storage_, **expr, cmd.start, cmd.end, cmd.step);
    if (!r.ok()) return cmd.fail ? CheckFailure(cmd, r.status()) : r.status();
    if (cmd.fail) return Status::InvalidArgument("expected an error, got none");
    RETURN_NOT_OK(CheckAnnotations(cmd, *r, cmd.expr));
    return Compare(cmd, *r);
  }

  Status RunInstant(const EvalCmd& cmd) {
    RETURN_NOT_OK(RunInstantAt(cmd, cmd.expr, cmd.at, "as written"));
    if (HasAtUnsafeFunction(cmd.expr)) return Status::OK();
    ASSIGN_OR_RETURN(ExprPtr with_at, ParseExpr(cmd.expr));
    SetAt(*with_at, cmd.at);
    std::string text = Format(*with_at);
    std::vector<int64_t> times = {-10 * cmd.at, 0, cmd.at / 5, cmd.at, 10 * cmd.at};
    if (cmd.at == 0) times = {-1000, 0, 1000};
    for (int64_t t : times) {
      RETURN_NOT_OK(RunInstantAt(cmd, text, t, "with @ (" + text + " at " + std::to_string(t) + "ms)"));
    }
    return Status::OK();
  }

  Status RunInstantAt(const EvalCmd& cmd, const std::string& text, int64_t t, const std::string& variant) {
    auto annotate = [&](const Status& s) { return Status::InvalidArgument(variant + ": " + s.message()); };
    Result<ExprPtr> expr = ParseExpr(text);
    if (!expr.ok()) return cmd.fail ? CheckFailure(cmd, expr.status()) : annotate(expr.status());
    Result<QueryResult> r = engine_.Instant(storage_, **expr, t);
    if (!r.ok()) {
      if (!cmd.fail) return annotate(r.status());
      Status f = CheckFailure(cmd, r.status());
      return f.ok() ? f : annotate(f);
    }
    if (cmd.fail) return annotate(Status::InvalidArgument("expected an error, got none"));
    if (Status s = CheckAnnotations(cmd, *r, text); !s.ok()) return annotate(s);
    if (Status s = Compare(cmd, *r); !s.ok()) return annotate(s);
    if (cmd.exclude_from_range || cmd.ordered) return Status::OK();
    static const RE2 context_funcs(R"((start|end|range|step)\(\))");
    if (RE2::PartialMatch(text, context_funcs)) return Status::OK();
    // The same expression as a range query must agree at its middle step.
    Result<QueryResult> rr = engine_.Range(storage_, **expr, t - kMinute, t + kMinute, kMinute);
    if (!rr.ok()) return annotate(Status::InvalidArgument("in range mode: " + rr.status().message()));
    QueryResult at_t;
    at_t.type = r->type == ValueType::kScalar ? ValueType::kScalar : ValueType::kVector;
    for (const SeriesResult& s : rr->series) {
      for (const Point& p : s.points) {
        if (p.t != t) continue;
        if (at_t.type == ValueType::kScalar) at_t.scalar = p;
        at_t.series.push_back({s.labels, {p}});
      }
    }
    if (at_t.type == ValueType::kScalar && at_t.series.empty()) {
      return annotate(Status::InvalidArgument("in range mode: no scalar value at t"));
    }
    if (Status s = Compare(cmd, at_t); !s.ok()) {
      return annotate(Status::InvalidArgument("in range mode: " + s.message()));
    }
    return Status::OK();
  }

  FileOptions options_;
  Engine engine_;
  TestStorage storage_;
  std::vector<Case> cases_;
};

}  // namespace

const char* CaseClassName(CaseClass c) {
  switch (c) {
    case CaseClass::kStable: return "stable";
    case CaseClass::kGrafanaExperimental: return "experimental (Grafana)";
    case CaseClass::kExperimental: return "experimental";
    case CaseClass::kNativeHistogram: return "native histograms";
  }
  return "?";
}

bool IsExperimentalFile(std::string_view file_name) {
  for (const char* f : {"duration_expression", "extended_vectors", "fill-modifier", "info",
                        "start_timestamps", "type_and_unit"}) {
    if (file_name == f || file_name == std::string(f) + ".test") return true;
  }
  return false;
}

Result<std::vector<Case>> RunScript(std::string_view script, const FileOptions& options) {
  Runner runner(options);
  return runner.Run(script);
}

}  // namespace mytsdb::promql::test
