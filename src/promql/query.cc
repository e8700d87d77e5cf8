#include "promql/query.h"

#include <algorithm>
#include <cstdio>
#include <ctime>

#include "promql/value.h"

namespace mytsdb::promql {

std::vector<std::string> AnnotationStrings(const QueryResult& r, std::string_view query, bool warnings) {
  std::vector<std::string> out;
  for (const Annotation& a : r.annotations) {
    if (a.warning != warnings) continue;
    // Prometheus's position: line and column (1-based) of the expression.
    size_t pos = std::min(a.pos, query.size());
    std::string_view before = query.substr(0, pos);
    size_t line = static_cast<size_t>(std::count(before.begin(), before.end(), '\n')) + 1;
    size_t last_break = before.rfind('\n');
    size_t column = last_break == std::string_view::npos ? pos + 1 : pos - last_break;
    std::string text = a.message;
    if (!a.positioned) {
      out.push_back(std::move(text));
      continue;
    }
    if (a.has_detail) {
      auto rfc3339 = [](int64_t ms) {
        std::time_t secs = static_cast<std::time_t>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
        std::tm tm{};
        gmtime_r(&secs, &tm);
        char buf[32];
        std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
        return std::string(buf);
      };
      char diff[32];
      std::snprintf(diff, sizeof diff, "%.2g", a.detail.max_diff);
      text += ", from buckets " + GoG(a.detail.min_bucket) + " to " + GoG(a.detail.max_bucket) +
              ", with a max diff of " + diff + ", over " + std::to_string(a.detail.count) + " samples from " +
              rfc3339(a.detail.min_ts) + " to " + rfc3339(a.detail.max_ts);
    }
    out.push_back(text + " (" + std::to_string(line) + ":" + std::to_string(column) + ")");
  }
  return out;
}

}  // namespace mytsdb::promql
