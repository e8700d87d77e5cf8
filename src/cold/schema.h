// The cold tier's table layout: one row per sample.
//
//   metric     string, dictionary-encoded   the metric name (__name__)
//   series_id  int64                        XXH3 of the series' labels (model::Labels::Hash),
//                                           the same in every file: GROUP BY series_id
//   ts         timestamp(ms, UTC)           sample time
//   value      double, nullable             the sample's value where it is no decimal
//                                           (value_encoding.h), bit-exact (NaN payloads kept)
//   value_int  int64, nullable              otherwise the value is value_int / value_div
//   value_div  int64, nullable              (a power of ten, the same along a series)
//   <label>    string, dictionary-encoded   one column per label name, null where absent
//
// A label whose name is one of the fixed columns or the partition column
// "day" (or starts with the prefix
// itself) is stored as "label_<name>"; docs/FORMAT.md documents it. Rows are
// sorted by metric, then the series' labels, then ts.
#pragma once

#include <string>
#include <string_view>

namespace mytsdb::cold {

inline constexpr std::string_view kMetricColumn = "metric";
inline constexpr std::string_view kSeriesIdColumn = "series_id";
inline constexpr std::string_view kTimestampColumn = "ts";
inline constexpr std::string_view kValueColumn = "value";
inline constexpr std::string_view kValueIntColumn = "value_int";
inline constexpr std::string_view kValueDivColumn = "value_div";
// The partition column (hive-style directory day=YYYY-MM-DD, not in the files).
inline constexpr std::string_view kDayColumn = "day";
inline constexpr std::string_view kLabelPrefix = "label_";

// The column that holds label `name` (never called for __name__).
std::string ColumnForLabel(std::string_view name);
// The inverse: the label name stored in column `column`, or "" for a fixed
// column.
std::string LabelForColumn(std::string_view column);

}  // namespace mytsdb::cold
