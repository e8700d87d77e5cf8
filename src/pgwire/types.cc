#include "pgwire/types.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <ctime>

#include "duckdb.hpp"
#include "sql/result_writer.h"

namespace mytsdb::pgwire {

namespace {

using duckdb::LogicalTypeId;

void AppendDouble(double v, std::string* out) {
  if (std::isnan(v)) {
    *out += "NaN";
  } else if (std::isinf(v)) {
    *out += v > 0 ? "Infinity" : "-Infinity";
  } else {
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof(buf), v);
    out->append(buf, r.ptr);
  }
}

// PostgreSQL's text form of a timestamp (microseconds): fraction trimmed of
// trailing zeros, "+00" with a time zone.
void AppendTimestamp(int64_t us, bool with_zone, std::string* out) {
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
  size_t n = strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
  if (fraction != 0) {
    n += snprintf(buf + n, sizeof(buf) - n, ".%06lld", static_cast<long long>(fraction));
    while (buf[n - 1] == '0') --n;
  }
  out->append(buf, n);
  if (with_zone) *out += "+00";
}

}  // namespace

PgType PgTypeOf(const duckdb::LogicalType& type) {
  switch (type.id()) {
    case LogicalTypeId::BOOLEAN: return {oid::kBool, 1};
    case LogicalTypeId::TINYINT:
    case LogicalTypeId::SMALLINT:
    case LogicalTypeId::UTINYINT: return {oid::kInt2, 2};
    case LogicalTypeId::INTEGER:
    case LogicalTypeId::USMALLINT: return {oid::kInt4, 4};
    case LogicalTypeId::BIGINT:
    case LogicalTypeId::UINTEGER: return {oid::kInt8, 8};
    case LogicalTypeId::UBIGINT:
    case LogicalTypeId::HUGEINT:
    case LogicalTypeId::UHUGEINT:
    case LogicalTypeId::DECIMAL: return {oid::kNumeric, -1};
    case LogicalTypeId::FLOAT: return {oid::kFloat4, 4};
    case LogicalTypeId::DOUBLE: return {oid::kFloat8, 8};
    case LogicalTypeId::DATE: return {oid::kDate, 4};
    case LogicalTypeId::TIME: return {oid::kTime, 8};
    case LogicalTypeId::TIMESTAMP:
    case LogicalTypeId::TIMESTAMP_MS:
    case LogicalTypeId::TIMESTAMP_SEC:
    case LogicalTypeId::TIMESTAMP_NS: return {oid::kTimestamp, 8};
    case LogicalTypeId::TIMESTAMP_TZ: return {oid::kTimestamptz, 8};
    case LogicalTypeId::INTERVAL: return {oid::kInterval, 16};
    case LogicalTypeId::BLOB: return {oid::kBytea, -1};
    case LogicalTypeId::UUID: return {oid::kUuid, 16};
    case LogicalTypeId::LIST:
    case LogicalTypeId::ARRAY:
    case LogicalTypeId::MAP:
    case LogicalTypeId::STRUCT: return {oid::kJson, -1};
    default: return {oid::kText, -1};
  }
}

bool CellToText(const duckdb::DataChunk& chunk, uint64_t column, uint64_t row, std::string* out) {
  const duckdb::Vector& v = chunk.data[column];
  if (!duckdb::FlatVector::Validity(v).RowIsValid(row)) return false;
  switch (v.GetType().id()) {
    case LogicalTypeId::BOOLEAN: *out += duckdb::FlatVector::GetData<bool>(v)[row] ? "t" : "f"; return true;
    case LogicalTypeId::FLOAT: AppendDouble(duckdb::FlatVector::GetData<float>(v)[row], out); return true;
    case LogicalTypeId::DOUBLE: AppendDouble(duckdb::FlatVector::GetData<double>(v)[row], out); return true;
    case LogicalTypeId::VARCHAR: {
      const duckdb::string_t s = duckdb::FlatVector::GetData<duckdb::string_t>(v)[row];
      out->append(s.GetData(), s.GetSize());
      return true;
    }
    case LogicalTypeId::TIMESTAMP_TZ:
      AppendTimestamp(duckdb::FlatVector::GetData<int64_t>(v)[row], true, out);
      return true;
    case LogicalTypeId::TIMESTAMP:
      AppendTimestamp(duckdb::FlatVector::GetData<int64_t>(v)[row], false, out);
      return true;
    case LogicalTypeId::LIST:
    case LogicalTypeId::ARRAY:
    case LogicalTypeId::MAP:
    case LogicalTypeId::STRUCT:
      sql::AppendJsonValue(chunk.GetValue(column, row), out);
      return true;
    default:
      *out += chunk.GetValue(column, row).ToString();
      return true;
  }
}

}  // namespace mytsdb::pgwire
