#include "alertmanager/time_interval.h"

#include <absl/time/civil_time.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <functional>
#include <map>

#include "promconfig/yaml_fields.h"

namespace mytsdb::alertmanager {

using promconfig::ParseYamlDuration;
using promconfig::UnknownField;
using promconfig::YamlStringList;

namespace {

const std::map<std::string, int>& Weekdays() {
  static const auto* days = new std::map<std::string, int>{
      {"sunday", 0},   {"monday", 1}, {"tuesday", 2},  {"wednesday", 3},
      {"thursday", 4}, {"friday", 5}, {"saturday", 6},
  };
  return *days;
}

const char* const kMonthNames[] = {"",     "january", "february",  "march",   "april",    "may",     "june",
                                   "july", "august",  "september", "october", "november", "december"};

// Go's strconv.Atoi, with its error text.
Result<int> Atoi(const std::string& s) {
  int out = 0;
  const char* begin = s.data();
  const char* end = s.data() + s.size();
  if (begin != end && *begin == '+') ++begin;
  auto [ptr, ec] = std::from_chars(begin, end, out);
  if (s.empty() || ec == std::errc::invalid_argument || ptr != end) {
    return Status::InvalidArgument("strconv.Atoi: parsing \"" + s + "\": invalid syntax");
  }
  if (ec == std::errc::result_out_of_range) {
    return Status::InvalidArgument("strconv.Atoi: parsing \"" + s + "\": value out of range");
  }
  return out;
}

using MemberParser = std::function<Result<int>(const std::string&)>;

// "a:b" or "a", lowercased first, each side mapped by `member`.
Result<InclusiveRange> ParseRange(std::string in, const MemberParser& member) {
  std::transform(in.begin(), in.end(), in.begin(), [](unsigned char c) { return std::tolower(c); });
  InclusiveRange r;
  if (const size_t colon = in.find(':'); colon != std::string::npos) {
    if (in.find(':', colon + 1) != std::string::npos) {
      return Status::InvalidArgument("couldn't parse range " + in + ", invalid format");
    }
    ASSIGN_OR_RETURN(r.begin, member(in.substr(0, colon)));
    ASSIGN_OR_RETURN(r.end, member(in.substr(colon + 1)));
    return r;
  }
  ASSIGN_OR_RETURN(r.begin, member(in));
  r.end = r.begin;
  return r;
}

Result<InclusiveRange> ParseWeekdayRange(const std::string& s) {
  ASSIGN_OR_RETURN(InclusiveRange r, ParseRange(s, [](const std::string& day) -> Result<int> {
                     auto it = Weekdays().find(day);
                     if (it == Weekdays().end()) return Status::InvalidArgument(day + " is not a valid weekday");
                     return it->second;
                   }));
  if (r.begin > r.end) return Status::InvalidArgument("start day cannot be before end day");
  return r;
}

Result<InclusiveRange> ParseDayOfMonthRange(const std::string& s) {
  ASSIGN_OR_RETURN(InclusiveRange r, ParseRange(s, Atoi));
  for (int day : {r.begin, r.end}) {
    if (day == 0 || day < -31 || day > 31) {
      return Status::InvalidArgument(std::to_string(day) + " is not a valid day of the month: out of range");
    }
  }
  if (r.begin < 0 && r.end > 0) return Status::InvalidArgument("end day must be negative if start day is negative");
  // Negative days are checked against the shortest month (28 days).
  const int check_begin = r.begin < 0 ? 28 + r.begin : r.begin;
  const int check_end = r.end < 0 ? 28 + r.end : r.end;
  if (check_begin > check_end) {
    return Status::InvalidArgument("end day " + std::to_string(r.end) + " is always before start day " +
                                   std::to_string(r.begin));
  }
  return r;
}

Result<InclusiveRange> ParseMonthRange(const std::string& s) {
  ASSIGN_OR_RETURN(InclusiveRange r, ParseRange(s, [](const std::string& month) -> Result<int> {
                     for (int i = 1; i <= 12; ++i) {
                       if (month == kMonthNames[i]) return i;
                     }
                     auto n = Atoi(month);
                     if (!n.ok()) return Status::InvalidArgument(month + " is not a valid month");
                     return *n;
                   }));
  if (r.begin > r.end) {
    // Alertmanager names months by number outside 1..12 as "".
    auto name = [](int m) { return std::string(m >= 1 && m <= 12 ? kMonthNames[m] : ""); };
    return Status::InvalidArgument("end month " + name(r.end) + " is before start month " + name(r.begin));
  }
  return r;
}

Result<InclusiveRange> ParseYearRange(const std::string& s) {
  ASSIGN_OR_RETURN(InclusiveRange r, ParseRange(s, Atoi));
  if (r.begin > r.end) {
    return Status::InvalidArgument("end year " + std::to_string(r.end) + " is before start year " +
                                   std::to_string(r.begin));
  }
  return r;
}

// "HH:MM" from 00:00 to 24:00, as minutes since midnight.
Result<int> ParseClock(const std::string& s) {
  const bool shape = s.size() == 5 && s[2] == ':' && std::isdigit(static_cast<unsigned char>(s[0])) &&
                     std::isdigit(static_cast<unsigned char>(s[1])) && std::isdigit(static_cast<unsigned char>(s[3])) &&
                     std::isdigit(static_cast<unsigned char>(s[4]));
  const int hours = shape ? (s[0] - '0') * 10 + (s[1] - '0') : -1;
  const int minutes = shape ? (s[3] - '0') * 10 + (s[4] - '0') : -1;
  if (!shape || minutes > 59 || hours > 24 || (hours == 24 && minutes != 0)) {
    return Status::InvalidArgument("couldn't parse timestamp " + s + ", invalid format");
  }
  return hours * 60 + minutes;
}

Result<TimeRange> ParseTimeRange(const YAML::Node& node) {
  if (!node.IsMap()) return Status::InvalidArgument("a time range must be a mapping with start_time and end_time");
  std::string start, end;
  for (const auto& kv : node) {
    const std::string key = kv.first.as<std::string>();
    if (key == "start_time") {
      start = kv.second.IsNull() ? "" : kv.second.as<std::string>();
    } else if (key == "end_time") {
      end = kv.second.IsNull() ? "" : kv.second.as<std::string>();
    } else {
      return UnknownField(kv.first, "timeinterval.yamlTimeRange");
    }
  }
  if (start.empty() || end.empty()) return Status::InvalidArgument("both start and end times must be provided");
  TimeRange r;
  ASSIGN_OR_RETURN(r.start_minute, ParseClock(start));
  ASSIGN_OR_RETURN(r.end_minute, ParseClock(end));
  if (r.start_minute >= r.end_minute) {
    return Status::InvalidArgument("start time cannot be equal or greater than end time");
  }
  return r;
}

Result<std::vector<InclusiveRange>> ParseRanges(const YAML::Node& node,
                                                Result<InclusiveRange> (*parse)(const std::string&)) {
  std::vector<InclusiveRange> out;
  for (const std::string& s : YamlStringList(node)) {
    ASSIGN_OR_RETURN(InclusiveRange r, parse(s));
    out.push_back(r);
  }
  return out;
}

bool InAny(const std::vector<InclusiveRange>& ranges, int value) {
  for (const InclusiveRange& r : ranges) {
    if (value >= r.begin && value <= r.end) return true;
  }
  return false;
}

}  // namespace

bool TimeInterval::Contains(int64_t unix_ms) const {
  const absl::CivilSecond t = absl::ToCivilSecond(absl::FromUnixMillis(unix_ms), location);
  if (times) {
    const int minute = t.hour() * 60 + t.minute();
    bool in = false;
    for (const TimeRange& r : *times) in = in || (minute >= r.start_minute && minute < r.end_minute);
    if (!in) return false;
  }
  if (days_of_month) {
    const absl::CivilMonth month(t);
    const int days = static_cast<int>(absl::CivilDay(month + 1) - absl::CivilDay(month));
    bool in = false;
    for (const InclusiveRange& r : *days_of_month) {
      int begin = r.begin < 0 ? days + r.begin + 1 : r.begin;
      int end = r.end < 0 ? days + r.end + 1 : r.end;
      if (begin > days) continue;  // e.g. 31 in a 30-day month
      begin = std::clamp(begin, -days, days);
      end = std::clamp(end, -days, days);
      if (t.day() >= begin && t.day() <= end) {
        in = true;
        break;
      }
    }
    if (!in) return false;
  }
  if (months && !InAny(*months, t.month())) return false;
  if (weekdays) {
    // Abseil counts from Monday = 0, Go and Alertmanager from Sunday = 0.
    const int weekday = (static_cast<int>(absl::GetWeekday(absl::CivilDay(t))) + 1) % 7;
    if (!InAny(*weekdays, weekday)) return false;
  }
  if (years && !InAny(*years, static_cast<int>(t.year()))) return false;
  return true;
}

bool NamedTimeInterval::Contains(int64_t unix_ms) const {
  for (const TimeInterval& ti : intervals) {
    if (ti.Contains(unix_ms)) return true;
  }
  return false;
}

Result<TimeInterval> ParseTimeInterval(const YAML::Node& node) {
  if (!node.IsMap()) return Status::InvalidArgument("a time interval must be a mapping");
  TimeInterval ti;
  try {
    for (const auto& kv : node) {
      const std::string key = kv.first.as<std::string>();
      const YAML::Node& v = kv.second;
      // A null list is an unset one (Go decodes it as a nil slice).
      if (v.IsNull() && key != "location") continue;
      if (key == "times") {
        ti.times.emplace();
        if (!v.IsSequence()) return Status::InvalidArgument("times must be a list");
        for (const YAML::Node& r : v) {
          ASSIGN_OR_RETURN(TimeRange range, ParseTimeRange(r));
          ti.times->push_back(range);
        }
      } else if (key == "weekdays") {
        ASSIGN_OR_RETURN(ti.weekdays, ParseRanges(v, ParseWeekdayRange));
      } else if (key == "days_of_month") {
        ASSIGN_OR_RETURN(ti.days_of_month, ParseRanges(v, ParseDayOfMonthRange));
      } else if (key == "months") {
        ASSIGN_OR_RETURN(ti.months, ParseRanges(v, ParseMonthRange));
      } else if (key == "years") {
        ASSIGN_OR_RETURN(ti.years, ParseRanges(v, ParseYearRange));
      } else if (key == "location") {
        const std::string name = v.IsNull() ? "" : v.as<std::string>();
        ti.location_name = name;
        if (name.empty() || name == "UTC") {
          ti.location = absl::UTCTimeZone();
        } else if (name == "Local") {
          ti.location = absl::LocalTimeZone();
        } else if (!absl::LoadTimeZone(name, &ti.location)) {
          return Status::InvalidArgument("unknown time zone " + name);
        }
      } else {
        return UnknownField(kv.first, "timeinterval.TimeInterval");
      }
    }
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument("time_intervals: " + e.msg);
  }
  return ti;
}

Result<NamedTimeInterval> ParseNamedTimeInterval(const YAML::Node& node, std::string_view kind) {
  if (!node.IsMap()) return Status::InvalidArgument("a time interval must be a mapping");
  NamedTimeInterval named;
  try {
    for (const auto& kv : node) {
      const std::string key = kv.first.as<std::string>();
      if (key == "name") {
        named.name = kv.second.IsNull() ? "" : kv.second.as<std::string>();
      } else if (key == "time_intervals") {
        if (kv.second.IsNull()) continue;
        if (!kv.second.IsSequence()) return Status::InvalidArgument("time_intervals must be a list");
        for (const YAML::Node& ti : kv.second) {
          ASSIGN_OR_RETURN(TimeInterval interval, ParseTimeInterval(ti));
          named.intervals.push_back(std::move(interval));
        }
      } else {
        return UnknownField(kv.first, "config.plain");
      }
    }
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument("time_intervals: " + e.msg);
  }
  if (named.name.empty()) return Status::InvalidArgument("missing name in " + std::string(kind));
  return named;
}

}  // namespace mytsdb::alertmanager
