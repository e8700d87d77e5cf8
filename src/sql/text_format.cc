#include "sql/text_format.h"

#include <rapidjson/writer.h>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <ctime>

namespace mytsdb::sql {

namespace {

// RapidJSON's output stream over a std::string.
struct StringAppender {
  using Ch = char;
  std::string* out;
  void Put(char c) { out->push_back(c); }
  void Flush() {}
};

}  // namespace

void AppendDouble(double v, FloatSpelling spelling, std::string* out) {
  const bool postgres = spelling == FloatSpelling::kPostgres;
  if (std::isnan(v)) {
    *out += "NaN";
  } else if (std::isinf(v)) {
    *out += v > 0 ? (postgres ? "Infinity" : "+Inf") : (postgres ? "-Infinity" : "-Inf");
  } else {
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof(buf), v);
    out->append(buf, r.ptr);
  }
}

void AppendTimestamp(int64_t us, TimestampStyle style, std::string* out) {
  if (us == INT64_MAX || us == -INT64_MAX) {
    *out += us > 0 ? "infinity" : "-infinity";
    return;
  }
  int64_t seconds = us / 1'000'000, fraction = us % 1'000'000;
  if (fraction < 0) {
    fraction += 1'000'000;
    --seconds;
  }
  const time_t t = static_cast<time_t>(seconds);
  struct tm tm;
  gmtime_r(&t, &tm);
  char buf[64];
  const bool rfc3339 = style == TimestampStyle::kRfc3339;
  size_t n = strftime(buf, sizeof(buf), rfc3339 ? "%Y-%m-%dT%H:%M:%S" : "%Y-%m-%d %H:%M:%S", &tm);
  if (rfc3339) {
    n += fraction % 1000 == 0
             ? snprintf(buf + n, sizeof(buf) - n, ".%03lldZ", static_cast<long long>(fraction / 1000))
             : snprintf(buf + n, sizeof(buf) - n, ".%06lldZ", static_cast<long long>(fraction));
  } else if (fraction != 0) {
    n += snprintf(buf + n, sizeof(buf) - n, ".%06lld", static_cast<long long>(fraction));
    while (buf[n - 1] == '0') --n;
  }
  out->append(buf, n);
  if (style == TimestampStyle::kPostgresWithZone) *out += "+00";
}

void AppendJsonString(std::string_view s, std::string* out) {
  StringAppender stream{out};
  rapidjson::Writer<StringAppender> writer(stream);
  writer.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

}  // namespace mytsdb::sql
