#include "scrape/exposition.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "scrape/lexing.h"

namespace mytsdb::scrape {

namespace {

using lexing::IsDigit;

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

bool IsTokenChar(char c) {
  return c > 0x20 && c < 0x7f && std::string_view("()<>@,;:\\\"/[]?=").find(c) == std::string_view::npos;
}

std::string_view TrimSpace(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string_view ConsumeToken(std::string_view* s) {
  size_t n = 0;
  while (n < s->size() && IsTokenChar((*s)[n])) ++n;
  const std::string_view token = s->substr(0, n);
  s->remove_prefix(n);
  return token;
}

// The media type of a Content-Type, lower-cased, as Go's
// mime.ParseMediaType checks it (a token, a slash and a token, then
// `;key=value` parameters whose values are tokens or quoted strings).
std::optional<std::string> MediaType(std::string_view v) {
  const size_t semicolon = v.find(';');
  std::string_view base = TrimSpace(v.substr(0, semicolon));
  std::string_view rest = base;
  if (ConsumeToken(&rest).empty()) return std::nullopt;
  if (!rest.empty()) {
    if (rest[0] != '/') return std::nullopt;
    rest.remove_prefix(1);
    if (ConsumeToken(&rest).empty() || !rest.empty()) return std::nullopt;
  }
  std::string_view params = semicolon == std::string_view::npos ? "" : v.substr(semicolon);
  while (!TrimSpace(params).empty()) {
    params = TrimSpace(params);
    if (params == ";") break;  // a trailing semicolon is allowed
    if (params[0] != ';') return std::nullopt;
    params = TrimSpace(params.substr(1));
    if (ConsumeToken(&params).empty()) return std::nullopt;
    params = TrimSpace(params);
    if (params.empty() || params[0] != '=') return std::nullopt;
    params = TrimSpace(params.substr(1));
    if (!params.empty() && params[0] == '"') {
      size_t i = 1;
      while (i < params.size() && params[i] != '"') i += params[i] == '\\' ? 2 : 1;
      if (i >= params.size()) return std::nullopt;
      params.remove_prefix(i + 1);
    } else if (ConsumeToken(&params).empty()) {
      return std::nullopt;
    }
  }
  std::string type(base);
  for (char& c : type) c = Lower(c);
  return type;
}

struct Protocol {
  std::string_view name;
  std::string_view header;  // what Accept asks for
  std::optional<Format> format;
  bool escaping;  // takes the escaping parameter (the 1.0.0 versions)
};

constexpr Protocol kProtocols[] = {
    {kPrometheusProto, "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited",
     std::nullopt, false},
    {"PrometheusText0.0.4", "text/plain;version=0.0.4", Format::kPrometheusText, false},
    {"PrometheusText1.0.0", "text/plain;version=1.0.0", Format::kPrometheusText, true},
    {"OpenMetricsText0.0.1", "application/openmetrics-text;version=0.0.1", Format::kOpenMetrics, false},
    {"OpenMetricsText1.0.0", "application/openmetrics-text;version=1.0.0", Format::kOpenMetrics, true},
};

const Protocol* FindProtocol(std::string_view name) {
  for (const auto& p : kProtocols) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

}  // namespace

bool IsScrapeProtocol(std::string_view protocol) { return FindProtocol(protocol) != nullptr; }

std::optional<Format> ProtocolFormat(std::string_view protocol) {
  const Protocol* p = FindProtocol(protocol);
  return p == nullptr ? std::nullopt : p->format;
}

std::string AcceptHeader(const std::vector<std::string>& protocols) {
  // As Prometheus: q from 0.(number of protocols + 1) down, one step each.
  int weight = static_cast<int>(std::size(kProtocols)) + 1;
  std::string out;
  for (const auto& name : protocols) {
    const Protocol* p = FindProtocol(name);
    if (p == nullptr || !p->format) continue;
    out += std::string(p->header) + (p->escaping ? ";escaping=allow-utf-8" : "") + ";q=0." + std::to_string(weight) + ",";
    --weight;
  }
  return out + "*/*;q=0." + std::to_string(weight);
}

Result<FormatChoice> ChooseFormat(std::string_view content_type, std::string_view fallback_protocol) {
  const std::optional<Format> fallback = ProtocolFormat(fallback_protocol);
  const std::string quoted_type = "\"" + std::string(content_type) + "\"";
  const std::string quoted_fallback = "\"" + std::string(fallback_protocol) + "\"";
  if (content_type.empty()) {
    if (!fallback) {
      return Status::InvalidArgument(
          "non-compliant scrape target sending blank Content-Type and no fallback_scrape_protocol specified for "
          "target");
    }
    return FormatChoice{*fallback, "non-compliant scrape target sending blank Content-Type, using "
                                   "fallback_scrape_protocol " + quoted_fallback};
  }
  const std::optional<std::string> media = MediaType(content_type);
  if (!media) {
    if (!fallback) {
      return Status::InvalidArgument("cannot parse Content-Type " + quoted_type +
                                     " and no fallback_scrape_protocol for target");
    }
    return FormatChoice{*fallback, "could not parse received Content-Type " + quoted_type +
                                       ", using fallback_scrape_protocol " + quoted_fallback};
  }
  if (*media == "application/openmetrics-text") return FormatChoice{Format::kOpenMetrics, ""};
  if (*media == "text/plain") return FormatChoice{Format::kPrometheusText, ""};
  if (!fallback) {
    return Status::InvalidArgument("received unsupported Content-Type " + quoted_type +
                                   " and no fallback_scrape_protocol specified for target");
  }
  return FormatChoice{*fallback, "received unsupported Content-Type " + quoted_type +
                                     ", using fallback_scrape_protocol " + quoted_fallback};
}

Result<Exposition> Parse(std::string_view body, Format format) {
  return format == Format::kOpenMetrics ? ParseOpenMetrics(body) : ParsePrometheusText(body);
}

std::optional<double> ParseValue(std::string_view s) {
  if (s.empty()) return std::nullopt;
  size_t i = 0;
  bool negative = false;
  if (s[0] == '+' || s[0] == '-') {
    negative = s[0] == '-';
    i = 1;
  }
  const std::string_view rest = s.substr(i);
  if (EqualsIgnoreCase(rest, "inf") || EqualsIgnoreCase(rest, "infinity")) {
    return negative ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
  }
  if (i == 0 && EqualsIgnoreCase(rest, "nan")) return std::numeric_limits<double>::quiet_NaN();
  // Decimal only: digits with at most one point (one digit at least), then
  // an optional exponent.
  size_t digits = 0;
  bool point = false;
  for (; i < s.size() && (IsDigit(s[i]) || (s[i] == '.' && !point)); ++i) {
    if (s[i] == '.') {
      point = true;
    } else {
      ++digits;
    }
  }
  if (digits == 0) return std::nullopt;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    const size_t exponent_start = i;
    while (i < s.size() && IsDigit(s[i])) ++i;
    if (i == exponent_start) return std::nullopt;
  }
  if (i != s.size()) return std::nullopt;
  const std::string copy(s);
  errno = 0;
  char* end = nullptr;
  const double value = std::strtod(copy.c_str(), &end);
  if (end != copy.c_str() + copy.size()) return std::nullopt;
  if (std::isinf(value)) return std::nullopt;  // past the largest double: Go's ErrRange
  return value;
}

std::string FormatOpenMetricsFloat(double f) {
  if (f == 1) return "1.0";
  if (f == 0) return "0.0";
  if (f == -1) return "-1.0";
  if (std::isnan(f)) return "NaN";
  if (std::isinf(f)) return f > 0 ? "+Inf" : "-Inf";
  // The shortest digits that read back as f, then Go's %g: an exponent
  // below -4 or from 6 up is written as one.
  char buf[64];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, f, std::chars_format::scientific);
  const std::string_view sci(buf, static_cast<size_t>(end - buf));
  const size_t e = sci.find('e');
  const bool negative = sci[0] == '-';
  std::string digits;
  for (char c : sci.substr(negative ? 1 : 0, e - (negative ? 1 : 0))) {
    if (c != '.') digits.push_back(c);
  }
  int exponent = 0;
  std::from_chars(sci.data() + e + 1 + (sci[e + 1] == '+' ? 1 : 0), sci.data() + sci.size(), exponent);
  std::string out = negative ? "-" : "";
  if (exponent < -4 || exponent >= 6) {
    out += digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    out += exponent < 0 ? "e-" : "e+";
    const int magnitude = std::abs(exponent);
    if (magnitude < 10) out += "0";
    out += std::to_string(magnitude);
    return out;
  }
  if (exponent < 0) {
    out += "0." + std::string(static_cast<size_t>(-exponent - 1), '0') + digits;
  } else if (static_cast<size_t>(exponent) + 1 >= digits.size()) {
    out += digits + std::string(static_cast<size_t>(exponent) + 1 - digits.size(), '0');
  } else {
    out += digits.substr(0, static_cast<size_t>(exponent) + 1) + "." + digits.substr(static_cast<size_t>(exponent) + 1);
  }
  if (out.find('.') == std::string::npos) out += ".0";
  return out;
}

}  // namespace mytsdb::scrape
