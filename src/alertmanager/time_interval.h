// Alertmanager's time intervals (timeinterval of 0.25): the `time_intervals`
// section of its configuration, which routes name in
// `mute_time_intervals` and `active_time_intervals` and MyTSDB's recurring
// silences refer to. An interval holds a time when the time, in the
// interval's location, falls in one of its `times` and one of its
// `weekdays`, `days_of_month`, `months` and `years` (a field left out
// holds every time).
//
// Time zones come from the system's zoneinfo through Abseil's time
// library, as Go's time.LoadLocation reads them.
#pragma once

#include <absl/time/time.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace YAML {
class Node;
}  // namespace YAML

namespace mytsdb::alertmanager {

struct InclusiveRange {
  int begin = 0;
  int end = 0;
};

struct TimeRange {
  int start_minute = 0;  // minutes since midnight, inclusive
  int end_minute = 0;    // exclusive; 24:00 is 1440
};

struct TimeInterval {
  // Unset: any; set but empty (`times: []`): none, as in Alertmanager.
  std::optional<std::vector<TimeRange>> times;
  std::optional<std::vector<InclusiveRange>> weekdays;       // 0 = Sunday
  std::optional<std::vector<InclusiveRange>> days_of_month;  // negative: from the end
  std::optional<std::vector<InclusiveRange>> months;         // 1 = January
  std::optional<std::vector<InclusiveRange>> years;
  absl::TimeZone location = absl::UTCTimeZone();
  std::string location_name;  // as written; empty: UTC

  bool Contains(int64_t unix_ms) const;
};

// A named entry of `time_intervals`: it holds a time when one of its
// intervals does.
struct NamedTimeInterval {
  std::string name;
  std::vector<TimeInterval> intervals;

  bool Contains(int64_t unix_ms) const;
};

// One element of a `time_intervals` list, with Alertmanager's checks and
// messages ("start time cannot be equal or greater than end time",
// "end month march is before start month april", "unknown time zone X").
Result<TimeInterval> ParseTimeInterval(const YAML::Node& node);

// One entry: `name` and its `time_intervals`; `kind` names the section in
// errors ("time interval", or "mute time interval" for the deprecated
// `mute_time_intervals`).
Result<NamedTimeInterval> ParseNamedTimeInterval(const YAML::Node& node, std::string_view kind = "time interval");

}  // namespace mytsdb::alertmanager
