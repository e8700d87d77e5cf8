#include "http/params.h"

#include <charconv>
#include <cmath>
#include <ctime>

#include "common/utf8.h"
#include "promql/parser.h"
#include "promql/selector_parser.h"

namespace mytsdb::http {

namespace {

bool ParseInt(std::string_view s, int* out) {
  if (s.empty()) return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

// RFC 3339: YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)
bool ParseRfc3339(std::string_view s, int64_t* ms) {
  if (s.size() < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
      s[13] != ':' || s[16] != ':') {
    return false;
  }
  int year, mon, day, hour, min, sec;
  if (!ParseInt(s.substr(0, 4), &year) || !ParseInt(s.substr(5, 2), &mon) ||
      !ParseInt(s.substr(8, 2), &day) || !ParseInt(s.substr(11, 2), &hour) ||
      !ParseInt(s.substr(14, 2), &min) || !ParseInt(s.substr(17, 2), &sec)) {
    return false;
  }
  size_t pos = 19;
  int64_t frac_ms = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int digits = 0;
    int64_t scale = 100;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (digits < 3) {
        frac_ms += (s[pos] - '0') * scale;
        scale /= 10;
      }
      ++digits;
      ++pos;
    }
    if (digits == 0) return false;
  }
  int offset_min = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos + 6 == s.size() && (s[pos] == '+' || s[pos] == '-') && s[pos + 3] == ':') {
    int oh, om;
    if (!ParseInt(s.substr(pos + 1, 2), &oh) || !ParseInt(s.substr(pos + 4, 2), &om)) return false;
    offset_min = (oh * 60 + om) * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return false;
  }
  if (pos != s.size()) return false;
  if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60) {
    return false;
  }
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = mon - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = min;
  tm.tm_sec = sec;
  int64_t secs = static_cast<int64_t>(timegm(&tm)) - offset_min * 60;
  *ms = secs * 1000 + frac_ms;
  return true;
}

}  // namespace

Result<int64_t> ParseTimeParam(std::string_view name, std::string_view value) {
  std::string s(value);
  // Unix seconds. from_chars would accept "inf"/"nan", which are no times.
  double seconds;
  auto r = std::from_chars(s.data(), s.data() + s.size(), seconds);
  if (r.ec == std::errc() && r.ptr == s.data() + s.size() && std::isfinite(seconds)) {
    double ms = std::round(seconds * 1000.0);
    if (ms > static_cast<double>(kMaxTimeParamMs) || ms < -static_cast<double>(kMaxTimeParamMs)) {
      return Status::InvalidArgument("invalid parameter \"" + std::string(name) +
                                     "\": timestamp out of range");
    }
    return static_cast<int64_t>(ms);
  }
  int64_t ms;
  if (ParseRfc3339(value, &ms)) return ms;  // years 0000-9999: always in range
  return Status::InvalidArgument("invalid parameter \"" + std::string(name) +
                                 "\": cannot parse \"" + s + "\" to a valid timestamp");
}

Result<model::TimeRange> ParseTimeRange(std::string_view start, std::string_view end) {
  model::TimeRange range;
  if (!start.empty()) {
    ASSIGN_OR_RETURN(range.min, ParseTimeParam("start", start));
  }
  if (!end.empty()) {
    ASSIGN_OR_RETURN(range.max, ParseTimeParam("end", end));
  }
  if (range.max < range.min) {
    return Status::InvalidArgument(
        "invalid parameter \"end\": end timestamp must not be before start time");
  }
  return range;
}

Result<size_t> ParseLimitParam(std::string_view value) {
  if (value.empty()) return 0;
  int64_t n = -1;
  auto r = std::from_chars(value.data(), value.data() + value.size(), n);
  if (r.ec != std::errc() || r.ptr != value.data() + value.size() || n < 0) {
    return Status::InvalidArgument("invalid parameter \"limit\": cannot parse \"" + std::string(value) +
                                   "\" to a non-negative integer");
  }
  return static_cast<size_t>(n);
}

Result<std::vector<model::Matchers>> ParseMatchParams(const std::vector<std::string>& values) {
  std::vector<model::Matchers> out;
  for (const std::string& v : values) {
    auto m = promql::ParseSeriesSelector(v);
    if (!m.ok()) {
      return Status::InvalidArgument("invalid parameter \"match[]\": " + m.status().message());
    }
    out.push_back(m.MoveValue());
  }
  return out;
}

Result<std::string> UnescapeLabelName(std::string_view name) {
  if (name.substr(0, 3) != "U__") return std::string(name);
  std::string_view rest = name.substr(3);
  std::string out;
  for (size_t i = 0; i < rest.size(); ++i) {
    if (rest[i] != '_') {
      out += rest[i];
      continue;
    }
    if (i + 1 < rest.size() && rest[i + 1] == '_') {
      out += '_';
      ++i;
      continue;
    }
    size_t close = rest.find('_', i + 1);
    if (close == std::string_view::npos || close == i + 1) {
      return Status::InvalidArgument("invalid escaped label name \"" + std::string(name) + "\"");
    }
    uint32_t cp = 0;
    auto r = std::from_chars(rest.data() + i + 1, rest.data() + close, cp, 16);
    if (r.ec != std::errc() || r.ptr != rest.data() + close || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return Status::InvalidArgument("invalid escaped label name \"" + std::string(name) + "\"");
    }
    AppendUtf8(&out, cp);
    i = close;
  }
  return out;
}

Result<int64_t> ParseDurationParam(const char* name, const std::string& value) {
  double secs;
  auto r = std::from_chars(value.data(), value.data() + value.size(), secs);
  if (r.ec == std::errc() && r.ptr == value.data() + value.size() && std::isfinite(secs)) {
    if (std::fabs(secs * 1000) > static_cast<double>(kMaxDurationMs)) {
      return Status::InvalidArgument(std::string("invalid parameter \"") + name + "\": cannot parse \"" + value +
                                     "\" to a valid duration. It overflows int64");
    }
    return static_cast<int64_t>(std::llround(secs * 1000));
  }
  Result<int64_t> d = promql::ParseDurationMs(value);
  if (!d.ok() || *d > kMaxDurationMs) {
    return Status::InvalidArgument(std::string("invalid parameter \"") + name + "\": cannot parse \"" + value +
                                   "\" to a valid duration");
  }
  return *d;
}

}  // namespace mytsdb::http
