#include "template/prometheus_functions.h"

#include "common/case_map.h"

#include <re2/re2.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <limits>
#include <optional>
#include <utility>

#include "common/time_format.h"
#include "promql/parser.h"
#include "template/format.h"
#include "template/quote.h"

namespace mytsdb::tmpl {

namespace {

Status Fail(std::string message) { return Status::InvalidArgument(std::move(message)); }

std::string Format(std::string_view format, double v) {
  const Value args[] = {Value::Float(v)};
  return Sprintf(format, args);
}

// convertToFloat of Prometheus: numbers as they are, strings parsed.
Result<double> ToFloat(const Value& v) {
  switch (v.kind()) {
    case Kind::kFloat: return v.AsFloat();
    case Kind::kInt: return static_cast<double>(v.AsInt());
    case Kind::kString: {
      const std::string& s = v.AsString();
      // strconv.ParseFloat: the whole text, Go's spellings of infinity and NaN included.
      char* end = nullptr;
      const double f = std::strtod(s.c_str(), &end);
      if (s.empty() || end != s.c_str() + s.size() || std::isspace(static_cast<unsigned char>(s[0]))) {
        return Fail("strconv.ParseFloat: parsing " + GoQuote(s) + ": invalid syntax");
      }
      return f;
    }
    default:
      return Fail("can't convert " + (v.IsNil() ? std::string("<nil>") : v.TypeName()) + " to float");
  }
}

std::string Humanize(double v) {
  if (v == 0 || std::isnan(v) || std::isinf(v)) return Format("%.4g", v);
  if (std::fabs(v) >= 1) {
    const char* prefix = "";
    for (const char* p : {"k", "M", "G", "T", "P", "E", "Z", "Y"}) {
      if (std::fabs(v) < 1000) break;
      prefix = p;
      v /= 1000;
    }
    return Format("%.4g", v) + prefix;
  }
  const char* prefix = "";
  for (const char* p : {"m", "u", "n", "p", "f", "a", "z", "y"}) {
    if (std::fabs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return Format("%.4g", v) + prefix;
}

std::string Humanize1024(double v) {
  if (std::fabs(v) <= 1 || std::isnan(v) || std::isinf(v)) return Format("%.4g", v);
  const char* prefix = "";
  for (const char* p : {"ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"}) {
    if (std::fabs(v) < 1024) break;
    prefix = p;
    v /= 1024;
  }
  return Format("%.4g", v) + prefix;
}

std::string HumanizeDuration(double v) {
  if (std::isnan(v) || std::isinf(v)) return Format("%.4g", v);
  if (v == 0) return Format("%.4g", v) + "s";
  if (std::fabs(v) >= 1) {
    std::string sign;
    if (v < 0) {
      sign = "-";
      v = -v;
    }
    const auto duration = static_cast<int64_t>(v);
    const int64_t seconds = duration % 60;
    const int64_t minutes = (duration / 60) % 60;
    const int64_t hours = (duration / 60 / 60) % 24;
    const int64_t days = duration / 60 / 60 / 24;
    auto s = [](int64_t n) { return std::to_string(n); };
    if (days != 0) return sign + s(days) + "d " + s(hours) + "h " + s(minutes) + "m " + s(seconds) + "s";
    if (hours != 0) return sign + s(hours) + "h " + s(minutes) + "m " + s(seconds) + "s";
    if (minutes != 0) return sign + s(minutes) + "m " + s(seconds) + "s";
    return sign + Format("%.4g", v) + "s";
  }
  const char* prefix = "";
  for (const char* p : {"m", "u", "n", "p", "f", "a", "z", "y"}) {
    if (std::fabs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return Format("%.4g", v) + prefix + "s";
}

// Seconds since the epoch to milliseconds, as model.TimeFromUnixNano does
// (truncating to the millisecond).
Result<int64_t> SecondsToMs(double v) {
  const double ns = v * 1e9;
  if (ns > 9.2233720368547758e18 || ns < -9.2233720368547758e18) {
    return Fail(ToText(Value::Float(v)) + " cannot be represented as a nanoseconds timestamp since it overflows int64");
  }
  return static_cast<int64_t>(ns) / 1'000'000;
}

// net.SplitHostPort: host and port of "host:port" or "[v6]:port".
std::optional<std::pair<std::string, std::string>> SplitHostPort(std::string_view hp) {
  if (!hp.empty() && hp[0] == '[') {
    const size_t close = hp.find(']');
    if (close == std::string_view::npos || close + 1 >= hp.size() || hp[close + 1] != ':') return std::nullopt;
    const std::string_view port = hp.substr(close + 2);
    if (port.find(':') != std::string_view::npos) return std::nullopt;
    return std::make_pair(std::string(hp.substr(1, close - 1)), std::string(port));
  }
  const size_t colon = hp.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  const std::string_view host = hp.substr(0, colon);
  if (host.find(':') != std::string_view::npos || host.find_first_of("[]") != std::string_view::npos) {
    return std::nullopt;
  }
  return std::make_pair(std::string(host), std::string(hp.substr(colon + 1)));
}

bool IsIp(std::string_view host) {
  // An IPv6 address has a colon; an IPv4 one is four numbers of at most 255.
  if (host.find(':') != std::string_view::npos) return true;
  int parts = 0;
  size_t i = 0;
  while (i <= host.size()) {
    const size_t dot = std::min(host.find('.', i), host.size());
    const std::string_view part = host.substr(i, dot - i);
    int n = 0;
    auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), n);
    if (part.empty() || part.size() > 3 || ec != std::errc() || end != part.data() + part.size() || n > 255) {
      return false;
    }
    ++parts;
    i = dot + 1;
  }
  return parts == 4;
}

std::string JoinHostPort(const std::string& host, const std::string& port) {
  return host.find(':') != std::string::npos ? "[" + host + "]:" + port : host + ":" + port;
}

Result<std::unique_ptr<RE2>> Compile(const std::string& pattern) {
  RE2::Options options;
  options.set_log_errors(false);
  auto re = std::make_unique<RE2>(pattern, options);
  if (!re->ok()) return Fail("error parsing regexp: " + re->error() + ": `" + pattern + "`");
  return re;
}

// Go's Regexp.Expand of `repl` for one match: $1, ${1}, $name, ${name},
// $$; a $ followed by nothing valid is kept as is.
void Expand(std::string& out, std::string_view repl, const RE2& re, const std::vector<re2::StringPiece>& groups) {
  const auto& names = re.NamedCapturingGroups();
  const auto is_name = [](char c) { return c == '_' || std::isalnum(static_cast<unsigned char>(c)); };
  for (size_t i = 0; i < repl.size(); ++i) {
    if (repl[i] != '$' || i + 1 >= repl.size()) {
      out.push_back(repl[i]);
      continue;
    }
    if (repl[i + 1] == '$') {
      out.push_back('$');
      ++i;
      continue;
    }
    std::string_view name;
    size_t next = i + 1;
    if (repl[i + 1] == '{') {
      const size_t close = repl.find('}', i + 2);
      if (close == std::string_view::npos) {
        out.push_back('$');
        continue;
      }
      name = repl.substr(i + 2, close - i - 2);
      if (name.empty() || !std::all_of(name.begin(), name.end(), is_name)) {
        out.push_back('$');
        continue;
      }
      next = close + 1;
    } else {
      while (next < repl.size() && is_name(repl[next])) ++next;
      name = repl.substr(i + 1, next - i - 1);
      if (name.empty()) {
        out.push_back('$');
        continue;
      }
    }
    int group = -1;
    if (std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      if (name.size() < 10) group = std::atoi(std::string(name).c_str());
    } else if (auto it = names.find(std::string(name)); it != names.end()) {
      group = it->second;
    }
    if (group >= 0 && static_cast<size_t>(group) < groups.size()) {
      const re2::StringPiece& g = groups[static_cast<size_t>(group)];
      out.append(g.data(), g.size());
    }
    i = next - 1;
  }
}

// Go's Regexp.ReplaceAllString: every non-overlapping match; an empty match
// right after the previous match is skipped.
std::string ReplaceAll(const RE2& re, std::string_view text, std::string_view repl) {
  const int ngroups = re.NumberOfCapturingGroups() + 1;
  std::vector<re2::StringPiece> groups(static_cast<size_t>(ngroups));
  std::string out;
  size_t pos = 0;
  size_t last_match_end = std::string_view::npos;
  size_t copied = 0;
  while (pos <= text.size()) {
    if (!re.Match(re2::StringPiece(text.data(), text.size()), pos, text.size(), RE2::UNANCHORED, groups.data(),
                  ngroups)) {
      break;
    }
    const size_t start = static_cast<size_t>(groups[0].data() - text.data());
    const size_t end = start + groups[0].size();
    if (!(groups[0].empty() && start == last_match_end)) {
      out.append(text.substr(copied, start - copied));
      Expand(out, repl, re, groups);
      copied = end;
      last_match_end = end;
    }
    if (end > pos) {
      pos = end;
    } else {
      // An empty match: step over one character (a whole UTF-8 sequence).
      if (pos >= text.size()) break;
      pos += DecodeRune(text, pos).second;
    }
  }
  out.append(text.substr(std::min(copied, text.size())));
  return out;
}

const std::shared_ptr<const Type>& SampleType() {
  static const auto* type = new std::shared_ptr<const Type>(std::make_shared<Type>(Type{"*template.sample", {}, {}}));
  return *type;
}

const std::shared_ptr<const Type>& QueryResultType() {
  static const auto* type = new std::shared_ptr<const Type>(std::make_shared<Type>(Type{"template.queryResult", {}, {}}));
  return *type;
}

const std::shared_ptr<const Type>& TimeType() {
  static const auto* type = new std::shared_ptr<const Type>([] {
    auto t = std::make_shared<Type>();
    t->name = "*time.Time";
    t->string_method = [](const Value& v) { return GoTimeString(v.AsInt()); };
    return std::shared_ptr<const Type>(std::move(t));
  }());
  return *type;
}

// The Labels map of a sample from `query`.
Result<const Value::Fields*> SampleFields(const Value& v) {
  if (v.kind() != Kind::kStruct || v.type() != SampleType().get()) {
    return Fail("wrong type for value; expected *template.sample; got " + v.TypeName());
  }
  return &v.AsFields();
}

Value FieldOf(const Value::Fields& fields, std::string_view name) {
  for (const auto& [field, value] : fields) {
    if (field == name) return value;
  }
  return Value();
}

Function Fn(std::vector<Param> params, std::function<Result<Value>(std::span<const Value>)> call) {
  return Function{std::move(params), false, Param::kAny, std::move(call)};
}

// Functions of one value that Prometheus converts to a float first.
Function Numeric(std::string (*fn)(double)) {
  return Fn({Param::kAny}, [fn](std::span<const Value> a) -> Result<Value> {
    ASSIGN_OR_RETURN(const double v, ToFloat(a[0]));
    return Value::String(fn(v));
  });
}

}  // namespace

std::string GraphLink(std::string_view expr) { return "/graph?g0.expr=" + QueryEscape(expr) + "&g0.tab=0"; }
std::string TableLink(std::string_view expr) { return "/graph?g0.expr=" + QueryEscape(expr) + "&g0.tab=1"; }

std::string GoTimeString(int64_t unix_ms) { return FormatUtcMs(unix_ms, false) + " +0000 UTC"; }

Value AlertTemplateData(const LabelMap& labels, const LabelMap& external_labels, const std::string& external_url,
                        double value) {
  auto data_type = std::make_shared<Type>();
  data_type->name = "struct { Labels map[string]string; ExternalLabels map[string]string; ExternalURL string; Value interface {} }";
  std::map<std::string, std::string, std::less<>> l(labels.begin(), labels.end());
  std::map<std::string, std::string, std::less<>> e(external_labels.begin(), external_labels.end());
  return Value::Struct({{"Labels", Value::StringMap(std::move(l))},
                        {"ExternalLabels", Value::StringMap(std::move(e))},
                        {"ExternalURL", Value::String(external_url)},
                        {"Value", Value::Float(value)}},
                       std::move(data_type));
}

std::shared_ptr<const FunctionMap> PrometheusFunctions(PrometheusContext context) {
  auto f = std::make_shared<FunctionMap>();
  auto query = std::move(context.query);
  (*f)["query"] = Fn({Param::kString}, [query](std::span<const Value> a) -> Result<Value> {
    if (!query) return Fail("queries are not available here");
    ASSIGN_OR_RETURN(auto samples, query(a[0].AsString()));
    Value::List list;
    for (auto& s : samples) {
      std::map<std::string, std::string, std::less<>> labels(s.labels.begin(), s.labels.end());
      list.push_back(Value::Struct({{"Labels", Value::StringMap(std::move(labels))}, {"Value", Value::Float(s.value)}},
                                   SampleType()));
    }
    return Value::MakeList(std::move(list), QueryResultType());
  });
  (*f)["first"] = Fn({Param::kAny}, [](std::span<const Value> a) -> Result<Value> {
    if (a[0].kind() != Kind::kList) return Fail("wrong type for value; expected template.queryResult; got " + a[0].TypeName());
    if (a[0].AsList().empty()) return Fail("first() called on vector with no elements");
    return a[0].AsList()[0];
  });
  (*f)["label"] = Fn({Param::kString, Param::kAny}, [](std::span<const Value> a) -> Result<Value> {
    ASSIGN_OR_RETURN(const Value::Fields* fields, SampleFields(a[1]));
    const Value labels = FieldOf(*fields, "Labels");
    auto it = labels.AsMap().entries.find(a[0].AsString());
    return it == labels.AsMap().entries.end() ? Value::String("") : it->second;
  });
  (*f)["value"] = Fn({Param::kAny}, [](std::span<const Value> a) -> Result<Value> {
    ASSIGN_OR_RETURN(const Value::Fields* fields, SampleFields(a[0]));
    return FieldOf(*fields, "Value");
  });
  (*f)["strvalue"] = Fn({Param::kAny}, [](std::span<const Value> a) -> Result<Value> {
    ASSIGN_OR_RETURN(const Value::Fields* fields, SampleFields(a[0]));
    const Value labels = FieldOf(*fields, "Labels");
    auto it = labels.AsMap().entries.find("__value__");
    return it == labels.AsMap().entries.end() ? Value::String("") : it->second;
  });
  (*f)["args"] = Function{{}, true, Param::kAny, [](std::span<const Value> a) -> Result<Value> {
                            std::map<std::string, Value, std::less<>> m;
                            for (size_t i = 0; i < a.size(); ++i) m["arg" + std::to_string(i)] = a[i].Evaluated();
                            return Value::MakeMap(std::move(m), Value());
                          }};
  (*f)["reReplaceAll"] = Fn({Param::kString, Param::kString, Param::kString},
                            [](std::span<const Value> a) -> Result<Value> {
                              ASSIGN_OR_RETURN(auto re, Compile(a[0].AsString()));
                              return Value::String(ReplaceAll(*re, a[2].AsString(), a[1].AsString()));
                            });
  (*f)["match"] = Fn({Param::kString, Param::kString}, [](std::span<const Value> a) -> Result<Value> {
    ASSIGN_OR_RETURN(auto re, Compile(a[0].AsString()));
    return Value::Bool(RE2::PartialMatch(a[1].AsString(), *re));
  });
  (*f)["safeHtml"] = Fn({Param::kString}, [](std::span<const Value> a) -> Result<Value> {
    static const auto* html = new std::shared_ptr<const Type>(std::make_shared<Type>(Type{kHtmlTypeName, {}, {}}));
    return Value::Typed(a[0].Evaluated(), *html);
  });
  (*f)["title"] = Fn({Param::kString}, [](std::span<const Value> a) -> Result<Value> {
    return Value::String(MapRunes(a[0].AsString(), ToUpperRune, /*words=*/true));
  });
  (*f)["toUpper"] = Fn({Param::kString}, [](std::span<const Value> a) -> Result<Value> {
    return Value::String(MapRunes(a[0].AsString(), ToUpperRune));
  });
  (*f)["toLower"] = Fn({Param::kString}, [](std::span<const Value> a) -> Result<Value> {
    return Value::String(MapRunes(a[0].AsString(), ToLowerRune));
  });
  (*f)["graphLink"] = Fn({Param::kString}, [](std::span<const Value> a) -> Result<Value> {
    return Value::String(GraphLink(a[0].AsString()));
  });
  (*f)["tableLink"] = Fn({Param::kString}, [](std::span<const Value> a) -> Result<Value> {
    return Value::String(TableLink(a[0].AsString()));
  });
  (*f)["sortByLabel"] = Fn({Param::kString, Param::kAny}, [](std::span<const Value> a) -> Result<Value> {
    if (a[1].kind() != Kind::kList) return Fail("wrong type for value; expected template.queryResult; got " + a[1].TypeName());
    Value::List list = a[1].AsList();
    std::vector<std::string> keys;
    for (const Value& s : list) {
      ASSIGN_OR_RETURN(const Value::Fields* fields, SampleFields(s));
      const auto& labels = FieldOf(*fields, "Labels").AsMap().entries;
      auto it = labels.find(a[0].AsString());
      keys.push_back(it == labels.end() ? "" : it->second.AsString());
    }
    std::vector<size_t> order(list.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) { return keys[x] < keys[y]; });
    Value::List sorted;
    for (size_t i : order) sorted.push_back(list[i]);
    return Value::MakeList(std::move(sorted), QueryResultType());
  });
  (*f)["stripPort"] = Fn({Param::kString}, [](std::span<const Value> a) -> Result<Value> {
    auto hp = SplitHostPort(a[0].AsString());
    return hp ? Value::String(hp->first) : a[0];
  });
  (*f)["stripDomain"] = Fn({Param::kString}, [](std::span<const Value> a) -> Result<Value> {
    const std::string& in = a[0].AsString();
    auto hp = SplitHostPort(in);
    std::string host = hp ? hp->first : in;
    if (IsIp(host)) return a[0];
    host = host.substr(0, host.find('.'));
    return Value::String(hp && !hp->second.empty() ? JoinHostPort(host, hp->second) : host);
  });
  (*f)["humanize"] = Numeric(Humanize);
  (*f)["humanize1024"] = Numeric(Humanize1024);
  (*f)["humanizeDuration"] = Numeric(HumanizeDuration);
  (*f)["humanizePercentage"] = Numeric([](double v) { return Format("%.4g", v * 100) + "%"; });
  (*f)["humanizeTimestamp"] = Fn({Param::kAny}, [](std::span<const Value> a) -> Result<Value> {
    ASSIGN_OR_RETURN(const double v, ToFloat(a[0]));
    if (std::isnan(v) || std::isinf(v)) return Value::String(Format("%.4g", v));
    ASSIGN_OR_RETURN(const int64_t ms, SecondsToMs(v));
    return Value::String(GoTimeString(ms));
  });
  (*f)["toTime"] = Fn({Param::kAny}, [](std::span<const Value> a) -> Result<Value> {
    ASSIGN_OR_RETURN(const double v, ToFloat(a[0]));
    if (std::isnan(v) || std::isinf(v)) return Fail("value is NaN or Inf");
    ASSIGN_OR_RETURN(const int64_t ms, SecondsToMs(v));
    return Value::Typed(Value::Int(ms), TimeType());
  });
  const std::string url = context.external_url;
  std::string path;
  if (const size_t scheme = url.find("://"); scheme != std::string::npos) {
    const size_t slash = url.find('/', scheme + 3);
    if (slash != std::string::npos) path = url.substr(slash, url.find_first_of("?#", slash) - slash);
  }
  (*f)["pathPrefix"] = Fn({}, [path](std::span<const Value>) -> Result<Value> { return Value::String(path); });
  (*f)["externalURL"] = Fn({}, [url](std::span<const Value>) -> Result<Value> { return Value::String(url); });
  (*f)["parseDuration"] = Fn({Param::kString}, [](std::span<const Value> a) -> Result<Value> {
    auto ms = promql::ParseDurationMs(a[0].AsString());
    if (!ms.ok()) return Fail("not a valid duration string: " + GoQuote(a[0].AsString()));
    return Value::Float(static_cast<double>(*ms) / 1000);
  });
  return f;
}

}  // namespace mytsdb::tmpl
