#include "model/duration.h"

#include <charconv>
#include <cstdint>

namespace mytsdb::model {

Result<int64_t> ParseDuration(std::string_view s) {
  if (s.empty()) return Status::InvalidArgument("empty duration string");
  if (s == "0") return 0;  // as model.ParseDuration
  struct Unit {
    std::string_view name;
    int64_t ms;
  };
  static constexpr Unit kUnits[] = {{"y", 365LL * 24 * 3600 * 1000}, {"w", 7LL * 24 * 3600 * 1000},
                                    {"d", 24LL * 3600 * 1000},        {"h", 3600LL * 1000},
                                    {"m", 60LL * 1000},               {"s", 1000},
                                    {"ms", 1}};
  int64_t total = 0;
  size_t i = 0;
  int last_unit = -1;
  while (i < s.size()) {
    size_t start = i;
    while (i < s.size() && (s[i] >= '0' && s[i] <= '9')) ++i;
    if (i == start) return Status::InvalidArgument("not a valid duration string: \"" + std::string(s) + "\"");
    int64_t n = 0;
    auto r = std::from_chars(s.data() + start, s.data() + i, n);
    if (r.ec != std::errc()) return Status::InvalidArgument("duration out of range: \"" + std::string(s) + "\"");
    int unit = -1;
    for (int u = 0; u < 7; ++u) {
      // "ms" before "m": the longer unit name wins.
      if (kUnits[u].name == "m" && s.substr(i, 2) == "ms") continue;
      if (s.substr(i, kUnits[u].name.size()) == kUnits[u].name) {
        unit = u;
        break;
      }
    }
    if (unit < 0 || unit <= last_unit) {
      return Status::InvalidArgument("not a valid duration string: \"" + std::string(s) + "\"");
    }
    last_unit = unit;
    i += kUnits[unit].name.size();
    if (n > INT64_MAX / kUnits[unit].ms || total > INT64_MAX - n * kUnits[unit].ms) {
      return Status::InvalidArgument("duration out of range: \"" + std::string(s) + "\"");
    }
    total += n * kUnits[unit].ms;
  }
  return total;
}

std::string FormatDuration(int64_t ms) {
  if (ms == 0) return "0s";
  std::string out;
  if (ms < 0) {
    out = "-";
    ms = -ms;
  }
  struct Unit {
    const char* name;
    int64_t ms;
    bool exact;
  };
  static constexpr Unit kUnits[] = {{"y", 365LL * 24 * 3600 * 1000, true}, {"w", 7LL * 24 * 3600 * 1000, true},
                                    {"d", 24LL * 3600 * 1000, false},      {"h", 3600LL * 1000, false},
                                    {"m", 60LL * 1000, false},             {"s", 1000, false},
                                    {"ms", 1, false}};
  for (const auto& u : kUnits) {
    if (u.exact && ms % u.ms != 0) continue;
    if (const int64_t n = ms / u.ms; n > 0) {
      out += std::to_string(n) + u.name;
      ms -= n * u.ms;
    }
  }
  return out;
}

}  // namespace mytsdb::model
