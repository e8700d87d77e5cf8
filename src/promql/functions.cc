// The PromQL functions: the table that maps a name to its evaluation, and
// the functions that are more than a per-value formula (label_replace,
// absent, histogram_quantile, the range functions' driver).
#include "promql/evaluator.h"

#include <re2/re2.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <ctime>
#include <map>
#include <set>

#include "promql/histogram.h"
#include "promql/range_functions.h"

namespace mytsdb::promql {

namespace {

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

// minute, hour, day_of_week, day_of_month, day_of_year, days_in_month,
// month, year of a Unix time in seconds (UTC); NaN stays NaN.
double TimePart(int part, double secs) {
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

model::Labels SetLabel(const model::Labels& in, const std::string& name,
                       const std::string& value) {
  std::vector<model::Label> out;
  for (const model::Label& l : in) {
    if (l.name != name) out.push_back(l);
  }
  if (!value.empty()) out.push_back({name, value});
  return model::Labels::FromUnsorted(std::move(out));
}

// Go's regexp.Expand: $1, ${1}, $name, ${name}; $$ is a dollar.
std::string Expand(const std::string& tmpl, const std::vector<re2::StringPiece>& match,
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

// The functions that apply a formula to each value.
const std::map<std::string_view, double (*)(double)>& MathFunctions() {
  static const std::map<std::string_view, double (*)(double)> table = {
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
  return table;
}

// The date functions and the part of a time each returns (TimePart).
const std::map<std::string_view, int> kDateParts = {
    {"minute", 0}, {"hour", 1}, {"day_of_week", 2}, {"day_of_month", 3}, {"day_of_year", 4},
    {"days_in_month", 5}, {"month", 6}, {"year", 7}};

}  // namespace

const Evaluator::FunctionTable& Evaluator::Functions() {
  static const FunctionTable table = [] {
    FunctionTable t;
    for (std::string_view n : {"time", "start", "end", "range", "step", "pi"}) t[n] = &Evaluator::EvalConstantFunction;
    for (const auto& [n, fn] : MathFunctions()) t[n] = &Evaluator::EvalMathFunction;
    for (const auto& [n, part] : kDateParts) t[n] = &Evaluator::EvalDateFunction;
    for (std::string_view n : {"clamp", "clamp_min", "clamp_max"}) t[n] = &Evaluator::EvalClamp;
    for (std::string_view n : {"sort", "sort_desc"}) t[n] = &Evaluator::EvalSort;
    for (std::string_view n : {"sort_by_label", "sort_by_label_desc"}) t[n] = &Evaluator::EvalSortByLabel;
    for (std::string_view n : {"label_replace", "label_join"}) t[n] = &Evaluator::EvalLabelFunction;
    for (std::string_view n : {"absent", "absent_over_time"}) t[n] = &Evaluator::EvalAbsent;
    for (std::string_view n : {"histogram_quantile", "histogram_fraction"}) t[n] = &Evaluator::EvalHistogramQuantile;
    for (std::string_view n : {"histogram_avg", "histogram_count", "histogram_sum", "histogram_stddev",
                               "histogram_stdvar"}) {
      t[n] = &Evaluator::EvalNativeHistogramFunction;
    }
    t["vector"] = &Evaluator::EvalVectorFunction;
    t["scalar"] = &Evaluator::EvalScalarFunction;
    t["timestamp"] = &Evaluator::EvalTimestamp;
    t["round"] = &Evaluator::EvalRound;
    return t;
  }();
  return table;
}

Result<Value> Evaluator::EvalCall(const Call& c) {
  ASSIGN_OR_RETURN(Value v, EvalCallUnchecked(c));
  RETURN_NOT_OK(CheckStepCollisions(v));
  return v;
}

Result<Value> Evaluator::EvalCallUnchecked(const Call& c) {
  std::string_view name = c.func->name;
  // Functions of a range vector (rate, *_over_time, ...) share one driver.
  if (const Node* range_arg = RangeArgOf(c)) return EvalRangeFunction(c, *range_arg);
  auto it = Functions().find(name);
  if (it == Functions().end()) {
    return Status::Unimplemented("function " + std::string(name) + "() is not implemented yet");
  }
  return (this->*(it->second))(c);
}

// time(), pi() and the query's own parameters, in seconds.
Result<Value> Evaluator::EvalConstantFunction(const Call& c) {
  std::string_view name = c.func->name;
  Value v;
  v.type = ValueType::kScalar;
  if (name == "time") {
    for (size_t i = 0; i < steps_; ++i) v.scalar.push_back(static_cast<double>(StepTime(i)) / 1000);
    return v;
  }
  if (name == "pi") {
    v.scalar.assign(steps_, M_PI);
    return v;
  }
  int64_t ms = name == "start" ? query_start_
               : name == "end" ? query_end_
               : name == "range" ? query_end_ - query_start_
                                 : query_step_;
  v.scalar.assign(steps_, static_cast<double>(ms) / 1000);
  return v;
}

Result<Value> Evaluator::EvalMathFunction(const Call& c) {
  double (*fn)(double) = MathFunctions().at(c.func->name);
  ASSIGN_OR_RETURN(Value in, Eval(*c.args[0]));
  for (StepSeries& s : in.series) {
    DropNameOf(s);
    for (size_t i = 0; i < steps_; ++i) {
      if (s.has[i]) s.v[i] = fn(s.v[i]);
    }
  }
  return in;
}

Result<Value> Evaluator::EvalDateFunction(const Call& c) {
  const int part = kDateParts.at(c.func->name);
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
      if (s.has[i]) s.v[i] = TimePart(part, s.v[i]);
    }
  }
  return in;
}

Result<Value> Evaluator::EvalClamp(const Call& c) {
  std::string_view name = c.func->name;
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

Result<Value> Evaluator::EvalSort(const Call& c) {
  if (query_start_ != query_end_) {
    Annotate(true, "sort is ineffective for range queries since results are always ordered by labels", c);
  }
  ASSIGN_OR_RETURN(Value in, Eval(*c.args[0]));
  if (steps_ == 1) {
    bool desc = c.func->name == std::string_view("sort_desc");
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

Result<Value> Evaluator::EvalSortByLabel(const Call& c) {
  if (query_start_ != query_end_) {
    Annotate(true, "sort is ineffective for range queries since results are always ordered by labels", c);
  }
  ASSIGN_OR_RETURN(Value in, Eval(*c.args[0]));
  if (steps_ > 1) return in;  // range results are sorted by labels anyway
  std::vector<std::string> names;
  for (size_t i = 1; i < c.args.size(); ++i) {
    names.push_back(static_cast<const StringLiteral&>(Unparen(*c.args[i])).value);
  }
  bool desc = c.func->name == std::string_view("sort_by_label_desc");
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

Result<Value> Evaluator::EvalVectorFunction(const Call& c) {
  ASSIGN_OR_RETURN(Value s, Eval(*c.args[0]));
  Value v;
  v.type = ValueType::kVector;
  StepSeries o;
  o.v = s.scalar;
  o.has.assign(steps_, 1);
  v.series.push_back(std::move(o));
  return v;
}

Result<Value> Evaluator::EvalScalarFunction(const Call& c) {
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

Result<Value> Evaluator::EvalTimestamp(const Call& c) {
  ASSIGN_OR_RETURN(Value in, EvalWithTimestamps(*c.args[0]));
  for (StepSeries& s : in.series) DropNameOf(s);
  return in;
}

Result<Value> Evaluator::EvalRound(const Call& c) {
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

// histogram_avg, _count, _sum, _stddev and _stdvar read native histograms
// only and skip float samples; MyTSDB stores floats, so the result is empty
// (the argument still runs, for its errors and limits).
Result<Value> Evaluator::EvalNativeHistogramFunction(const Call& c) {
  ASSIGN_OR_RETURN(Value in, Eval(*c.args[0]));
  in.series.clear();
  return in;
}

Result<Value> Evaluator::EvalAbsent(const Call& c) {
  const Node* arg = &Unparen(*c.args[0]);
  Value out;
  out.type = ValueType::kVector;
  StepSeries o;
  o.v.assign(steps_, 1);
  o.has.assign(steps_, 1);
  if (c.func->name == std::string_view("absent_over_time")) {
    const RangeWindows windows = WindowsOf(*arg);
    RETURN_NOT_OK(ForEachRangeSeries(*arg, windows, [&](Series& s, bool) {
      for (size_t i = 0; i < steps_; ++i) {
        int64_t t = windows.end[i];
        auto first_after = std::upper_bound(s.samples.begin(), s.samples.end(), t - windows.range_ms,
                                            [](int64_t x, const model::Sample& a) { return x < a.timestamp_ms; });
        if (first_after != s.samples.end() && first_after->timestamp_ms <= t) o.has[i] = 0;
      }
      return Status::OK();
    }));
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

Result<Value> Evaluator::EvalLabelFunction(const Call& c) {
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

// histogram_quantile(q, buckets) and histogram_fraction(lower, upper,
// buckets) over classic histograms (series with an `le` label).
Result<Value> Evaluator::EvalHistogramQuantile(const Call& c) {
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

const Node* Evaluator::RangeArgOf(const Call& c) {
  if (c.func->name == std::string_view("absent_over_time")) return nullptr;
  for (const ExprPtr& arg : c.args) {
    if (arg->type() == ValueType::kMatrix) return arg.get();
  }
  return nullptr;
}

namespace {

// Whether the series of a range selector keep distinct label sets after a
// range function: when the function keeps the names, or all of them have
// one metric name (`name` or __name__="name"), whose other labels differ.
bool StaysDistinct(const Node& range_arg, bool keep_name) {
  const Node& arg = Unparen(range_arg);
  if (arg.kind != NodeKind::kMatrixSelector) return false;
  if (keep_name) return true;
  for (const model::Matcher& m : static_cast<const MatrixSelector&>(arg).selector->matchers) {
    if (m.type() == model::MatchType::kEqual && m.name() == model::kMetricNameLabel && !m.value().empty()) {
      return true;
    }
  }
  return false;
}

}  // namespace

Result<Value> Evaluator::EvalRangeFunction(const Call& c, const Node& range_arg) {
  Value out;
  out.type = ValueType::kVector;
  RETURN_NOT_OK(RangeFunctionSeries(c, range_arg, [&](StepSeries& s) {
    out.series.push_back(std::move(s));
    return Status::OK();
  }));
  return out;
}

Status Evaluator::RangeFunctionSeries(const Call& c, const Node& range_arg, const SeriesSink& sink) {
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
  const RangeWindows windows = WindowsOf(range_arg);
  const RangeFn fn = RangeFnOf(name);
  const int64_t range_ms = windows.range_ms;
  bool keep_name = name == "last_over_time" || name == "first_over_time";
  // Prometheus checks the whole result of a range function: dropping the
  // names must not leave two series with the same labels. That holds every
  // series' labels, so it is done only where a collision can happen.
  const bool check_labels = !options_.delayed_name_removal && !StaysDistinct(range_arg, keep_name);
  std::set<model::Labels> seen;
  WindowShapeCache shapes;
  return ForEachRangeSeries(range_arg, windows, [&](Series& s, bool drop_name) -> Status {
    // Per series: a series' steps can be much work (a long window at a
    // fine step), and the check is a clock read and two loads.
    RETURN_NOT_OK(CheckDeadline());
    StepSeries o;
    o.drop_name = drop_name;
    o.v.assign(steps_, 0);
    o.has.assign(steps_, 0);
    int64_t points = 0;
    // Window ends never decrease from step to step, so the window's
    // bounds only move forward: (t - range, t], left-open.
    size_t lo = 0, hi = 0;
    const size_t n = s.samples.size();
    for (size_t i = 0; i < steps_; ++i) {
      int64_t t = windows.end[i];
      if (i > 0 && t < windows.end[i - 1]) lo = hi = 0;
      // Step by step (FirstAfter's block count measured 8% slower here).
      while (lo < n && s.samples[lo].timestamp_ms <= t - range_ms) ++lo;
      if (hi < lo) hi = lo;
      while (hi < n && s.samples[hi].timestamp_ms <= t) ++hi;
      std::span<const model::Sample> w(s.samples.data() + lo, hi - lo);
      std::optional<double> r;
      ASSIGN_OR_RETURN(r, RangeFunction(fn, name, w, t, StepTime(i), range_ms, scalar_arg[i], scalar_arg2[i],
                                    shapes));
      if (fn == RangeFn::kQuantileOverTime && !w.empty() &&
          (std::isnan(scalar_arg[i]) || scalar_arg[i] < 0 || scalar_arg[i] > 1)) {
        Annotate(true, "quantile value should be between 0 and 1, got " + GoG(scalar_arg[i]), *c.args[0]);
      }
      if (!r) continue;
      o.v[i] = *r;
      o.has[i] = 1;
      ++points;
    }
    if (points == 0) return Status::OK();
    if (fn == RangeFn::kRate || fn == RangeFn::kIncrease) {
      std::string_view metric = s.labels.metric_name();
      if (!metric.empty() && !metric.ends_with("_total") && !metric.ends_with("_sum") &&
          !metric.ends_with("_count") && !metric.ends_with("_bucket")) {
        Annotate(false,
                 "metric might not be a counter, name does not end in _total/_sum/_count/_bucket: " +
                     Quote(metric),
                 *c.args[0]);
      }
    }
    RETURN_NOT_OK(Hold(points, "query execution"));
    o.labels = std::move(s.labels);
    if (!keep_name) DropNameOf(o);
    if (check_labels && !seen.insert(o.labels).second) {
      return Status::InvalidArgument("vector cannot contain metrics with the same labelset");
    }
    return sink(o);
  });
}

}  // namespace mytsdb::promql
