// The text of doubles, timestamps and JSON strings in SQL results, shared by
// the HTTP formats (result_writer.cc) and the PostgreSQL protocol
// (pgwire/types.cc), which differ only in spelling.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace mytsdb::sql {

// How NaN and the infinities are written: "NaN", "+Inf", "-Inf" as
// Prometheus writes sample values, or "NaN", "Infinity", "-Infinity" as
// PostgreSQL does. Finite values in their shortest exact form either way.
enum class FloatSpelling { kPrometheus, kPostgres };
void AppendDouble(double v, FloatSpelling spelling, std::string* out);

// A UTC instant in microseconds: RFC 3339 ("2026-01-01T00:00:00.123Z",
// milliseconds, or microseconds where there are some), or PostgreSQL's
// text form ("2026-01-01 00:00:00.123", fraction trimmed, "+00" with a
// zone). The infinities as "infinity" and "-infinity".
enum class TimestampStyle { kRfc3339, kPostgres, kPostgresWithZone };
void AppendTimestamp(int64_t micros, TimestampStyle style, std::string* out);

// `s` as a JSON string, quotes included (RapidJSON's escaping).
void AppendJsonString(std::string_view s, std::string* out);

}  // namespace mytsdb::sql
