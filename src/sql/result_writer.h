// Writing a SQL result as the HTTP API and the CLI answer it: JSON (the
// Prometheus API's envelope), CSV, an Arrow IPC stream or a Parquet file,
// a chunk of rows at a time into a sink, so that a result of any size
// streams (docs/SQL.md has the formats). JSON and CSV are written here,
// Arrow and Parquet through Arrow C++ (arrow_writer.cc).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "sql/sandbox.h"

namespace duckdb {
class Value;
}  // namespace duckdb

namespace mytsdb::sql {

// `value` as JSON: lists as arrays, maps and structs as objects, numbers as
// numbers (NaN and infinities as the strings "NaN", "+Inf", "-Inf"),
// anything else as its text.
void AppendJsonValue(const duckdb::Value& value, std::string* out);

enum class ResultFormat { kJson, kCsv, kArrow, kParquet };

// "json", "csv", "arrow" or "parquet" (InvalidArgument, naming the
// choices, otherwise).
Result<ResultFormat> ParseResultFormat(std::string_view name);
std::string_view ContentType(ResultFormat format);

// Receives the output a piece at a time; returns false to stop (the reader
// is gone).
using Sink = std::function<bool(std::string_view)>;

struct WriteSummary {
  int64_t rows = 0;
  bool truncated = false;  // the limit cut the result
  bool stopped = false;    // the sink asked to stop
};

// Writes the rows of `cursor` in `format`, at most `limit` (< 0: all), to
// `sink`, in pieces of about 64 KiB. `fetched` is what the caller's first
// Cursor::Next returned, if it called it (to answer early errors before
// any output): true, the cursor is on its first chunk; false, at its end.
// An error of the query found while reading ends the output where it is
// and is returned: the caller's reader sees a broken stream.
Result<WriteSummary> WriteResult(Cursor& cursor, std::optional<bool> fetched, ResultFormat format,
                                 int64_t limit, const Sink& sink);
// The same for kArrow and kParquet (arrow_writer.cc).
Result<WriteSummary> WriteArrowResult(Cursor& cursor, std::optional<bool> fetched,
                                      ResultFormat format, int64_t limit, const Sink& sink);

}  // namespace mytsdb::sql
