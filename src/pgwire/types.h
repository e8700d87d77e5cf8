// DuckDB's values as PostgreSQL sees them: the type OID a column is
// described with, and a value's text format (what psql prints and drivers
// parse: booleans t/f, timestamps "2026-01-01 00:00:00.123+00", NaN and
// Infinity spelt as PostgreSQL spells them, lists and maps as JSON).
#pragma once

#include <cstdint>
#include <string>

namespace duckdb {
class DataChunk;
struct LogicalType;
}  // namespace duckdb

namespace mytsdb::pgwire {

// PostgreSQL type OIDs used here.
namespace oid {
inline constexpr int32_t kBool = 16, kBytea = 17, kInt8 = 20, kInt2 = 21, kInt4 = 23, kText = 25,
                         kJson = 114, kFloat4 = 700, kFloat8 = 701, kVarchar = 1043, kDate = 1082,
                         kTime = 1083, kTimestamp = 1114, kTimestamptz = 1184, kInterval = 1186,
                         kNumeric = 1700, kUuid = 2950, kUnknown = 705;
}  // namespace oid

struct PgType {
  int32_t oid;
  int16_t size;  // -1: variable
};
PgType PgTypeOf(const duckdb::LogicalType& type);

// Cell (column, row) of a flat chunk in text format; false for NULL.
bool CellToText(const duckdb::DataChunk& chunk, uint64_t column, uint64_t row, std::string* out);
// The same in binary format, for the column's PgTypeOf (what JDBC asks for
// once a statement runs often): false for NULL.
bool CellToBinary(const duckdb::DataChunk& chunk, uint64_t column, uint64_t row, std::string* out);
// A number's decimal text ("-12.345") in the binary format of numeric.
void NumericToBinary(std::string_view text, std::string* out);

}  // namespace mytsdb::pgwire
