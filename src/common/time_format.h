// A Unix time in milliseconds as UTC date and time text, with the
// fraction's trailing zeros (and the dot) left out, as Go prints times:
// "2024-01-02 03:04:05.5" or, with `t_separator`, "2024-01-02T03:04:05.5".
#pragma once

#include <cstdint>
#include <cstdio>
#include <ctime>
#include <string>

namespace mytsdb {

inline std::string FormatUtcMs(int64_t unix_ms, bool t_separator) {
  int64_t seconds = unix_ms / 1000;
  int64_t millis = unix_ms % 1000;
  if (millis < 0) {
    millis += 1000;
    --seconds;
  }
  const std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[48];
  size_t n = std::strftime(buf, sizeof(buf), t_separator ? "%Y-%m-%dT%H:%M:%S" : "%Y-%m-%d %H:%M:%S", &tm);
  if (millis != 0) {
    n += static_cast<size_t>(std::snprintf(buf + n, sizeof(buf) - n, ".%03d", static_cast<int>(millis)));
    while (buf[n - 1] == '0') --n;
  }
  return std::string(buf, n);
}

}  // namespace mytsdb
