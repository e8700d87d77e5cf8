#include "cold/file_stats.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>

#include "cold/schema.h"

namespace mytsdb::cold {

namespace {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

// Byte length of the first `chars` UTF-8 characters of `s` (all of it if
// shorter).
size_t PrefixBytes(std::string_view s, size_t chars) {
  size_t i = 0;
  for (size_t c = 0; c < chars && i < s.size(); ++c) {
    unsigned char b = static_cast<unsigned char>(s[i]);
    size_t len = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
    i = std::min(s.size(), i + len);
  }
  return i;
}

// ISO 8601 with milliseconds in UTC, as Delta writers record timestamps.
std::string IsoMillis(int64_t ms) {
  std::time_t secs = static_cast<std::time_t>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(((ms % 1000) + 1000) % 1000));
  return buf;
}

void Str(JsonWriter& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

bool IsPlainIdentifier(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

}  // namespace

std::string StatsMinString(std::string_view s) {
  return std::string(s.substr(0, PrefixBytes(s, kStatsStringPrefix)));
}

std::string StatsMaxString(std::string_view s) {
  size_t cut = PrefixBytes(s, kStatsStringPrefix);
  if (cut == s.size()) return std::string(s);
  // prefix + U+10FFFF (F4 8F BF BF, the largest UTF-8 sequence) is above
  // every string with that prefix, unless the next character is U+10FFFF
  // itself; then only the whole string is a safe bound.
  static constexpr std::string_view kMaxChar = "\xF4\x8F\xBF\xBF";
  if (s.substr(cut).starts_with(kMaxChar)) return std::string(s);
  return std::string(s.substr(0, cut)) + std::string(kMaxChar);
}

std::vector<std::string> StatsColumns(const std::vector<std::string>& label_columns) {
  std::vector<std::string> out = {std::string(kMetricColumn), std::string(kSeriesIdColumn),
                                  std::string(kTimestampColumn)};
  for (const std::string& c : label_columns) {
    if (out.size() >= kMaxStatsColumns) break;
    out.push_back(c);
  }
  return out;
}

std::string StatsColumnsProperty(const std::vector<std::string>& columns) {
  std::string out;
  for (const std::string& c : columns) {
    if (!out.empty()) out += ',';
    if (IsPlainIdentifier(c)) {
      out += c;
      continue;
    }
    out += '`';
    for (char ch : c) {
      if (ch == '`') out += '`';  // a backquote in a quoted name is doubled
      out += ch;
    }
    out += '`';
  }
  return out;
}

std::string FileStatsJson(const FileStats& stats, std::span<const std::string> columns) {
  // One pass per object; each column decides what it contributes.
  enum class Part { kMin, kMax, kNulls };
  auto write_part = [&](JsonWriter& w, Part part) {
    for (const std::string& c : columns) {
      if (c == kMetricColumn) {
        w.Key(c.data(), static_cast<rapidjson::SizeType>(c.size()));
        if (part == Part::kNulls) {
          w.Int64(0);
        } else {
          Str(w, part == Part::kMin ? StatsMinString(stats.min_metric)
                                    : StatsMaxString(stats.max_metric));
        }
      } else if (c == kSeriesIdColumn) {
        w.Key(c.data(), static_cast<rapidjson::SizeType>(c.size()));
        w.Int64(part == Part::kNulls  ? 0
                : part == Part::kMin ? stats.min_series_id
                                     : stats.max_series_id);
      } else if (c == kTimestampColumn) {
        w.Key(c.data(), static_cast<rapidjson::SizeType>(c.size()));
        if (part == Part::kNulls) {
          w.Int64(0);
        } else {
          Str(w, IsoMillis(part == Part::kMin ? stats.min_ts : stats.max_ts));
        }
      } else {
        auto it = stats.labels.find(c);
        const bool present = it != stats.labels.end();
        if (part == Part::kNulls) {
          w.Key(c.data(), static_cast<rapidjson::SizeType>(c.size()));
          w.Int64(present ? it->second.null_count : stats.num_records);
        } else if (present && it->second.range) {
          // All-null columns have no bounds (as Delta writers leave them out).
          w.Key(c.data(), static_cast<rapidjson::SizeType>(c.size()));
          Str(w, part == Part::kMin ? StatsMinString(it->second.range->first)
                                    : StatsMaxString(it->second.range->second));
        }
      }
    }
  };
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("numRecords");
  w.Int64(stats.num_records);
  w.Key("minValues");
  w.StartObject();
  write_part(w, Part::kMin);
  w.EndObject();
  w.Key("maxValues");
  w.StartObject();
  write_part(w, Part::kMax);
  w.EndObject();
  w.Key("nullCount");
  w.StartObject();
  write_part(w, Part::kNulls);
  w.EndObject();
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

std::set<std::string> StatsJsonColumns(std::string_view json) {
  std::set<std::string> out;
  if (json.empty()) return out;
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("nullCount") ||
      !doc["nullCount"].IsObject()) {
    return out;
  }
  for (const auto& m : doc["nullCount"].GetObject()) {
    if (m.name.IsString()) out.insert(m.name.GetString());
  }
  return out;
}

}  // namespace mytsdb::cold
