// Per-file statistics of the cold tier, as the Delta protocol records them in
// each `add` action (`stats`: numRecords, minValues, maxValues, nullCount), so
// that readers such as delta-rs and Spark skip files that cannot match a
// filter.
//
// Which columns carry statistics is a table property,
// delta.dataSkippingStatsColumns: metric, series_id, ts and the first label
// columns of the schema, 32 columns in all (Delta's default count). Never
// `value`: a file holding NaN (every staleness marker is one) or ±Inf has no
// exact bounds that JSON can write, and delta-rs treats a column missing from
// one file's statistics as excluding that file, so value statistics would
// make readers drop rows. Every file records every statistics column, so that
// no reader ever meets a missing one; a column the file lacks is all null.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mytsdb::cold {

struct FileStats {
  struct Column {
    // Bounds over the non-null rows; nullopt when every row is null.
    std::optional<std::pair<std::string, std::string>> range;
    int64_t null_count = 0;
  };
  int64_t num_records = 0;
  std::string min_metric, max_metric;
  int64_t min_series_id = 0, max_series_id = 0;
  int64_t min_ts = 0, max_ts = 0;  // ms
  std::map<std::string, Column> labels;  // the file's label columns, by column name
};

// How many columns carry statistics (Delta's dataSkippingNumIndexedCols default).
inline constexpr size_t kMaxStatsColumns = 32;
// String bounds are cut to this many characters (as Delta writers do).
inline constexpr size_t kStatsStringPrefix = 32;

// The statistics columns of a table with these label columns (schema order).
std::vector<std::string> StatsColumns(const std::vector<std::string>& label_columns);
// delta.dataSkippingStatsColumns for them: comma-separated, names that are not
// plain identifiers in backquotes.
std::string StatsColumnsProperty(const std::vector<std::string>& columns);

// The `stats` JSON of an add action for `columns`.
std::string FileStatsJson(const FileStats& stats, std::span<const std::string> columns);
// The columns a `stats` JSON gives a nullCount for (what it covers).
std::set<std::string> StatsJsonColumns(std::string_view json);

// A lower bound of `s` of at most kStatsStringPrefix characters.
std::string StatsMinString(std::string_view s);
// An upper bound of `s` of at most kStatsStringPrefix characters and U+10FFFF,
// or `s` itself where a shorter bound would not be one.
std::string StatsMaxString(std::string_view s);

}  // namespace mytsdb::cold
