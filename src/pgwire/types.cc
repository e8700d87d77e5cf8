#include "pgwire/types.h"

#include <cstring>
#include <string_view>
#include <vector>

#include "duckdb.hpp"
#include "sql/result_writer.h"
#include "sql/text_format.h"

namespace mytsdb::pgwire {

using duckdb::LogicalTypeId;

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
    case LogicalTypeId::FLOAT: sql::AppendDouble(duckdb::FlatVector::GetData<float>(v)[row], sql::FloatSpelling::kPostgres, out); return true;
    case LogicalTypeId::DOUBLE: sql::AppendDouble(duckdb::FlatVector::GetData<double>(v)[row], sql::FloatSpelling::kPostgres, out); return true;
    case LogicalTypeId::VARCHAR: {
      const duckdb::string_t s = duckdb::FlatVector::GetData<duckdb::string_t>(v)[row];
      out->append(s.GetData(), s.GetSize());
      return true;
    }
    case LogicalTypeId::TIMESTAMP_TZ:
      sql::AppendTimestamp(duckdb::FlatVector::GetData<int64_t>(v)[row], sql::TimestampStyle::kPostgresWithZone, out);
      return true;
    case LogicalTypeId::TIMESTAMP:
      sql::AppendTimestamp(duckdb::FlatVector::GetData<int64_t>(v)[row], sql::TimestampStyle::kPostgres, out);
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

namespace {

template <typename T>
void AppendBigEndian(T v, std::string* out) {
  for (int shift = (sizeof(T) - 1) * 8; shift >= 0; shift -= 8) {
    out->push_back(static_cast<char>((static_cast<uint64_t>(v) >> shift) & 0xff));
  }
}

// PostgreSQL's epoch (2000-01-01) in microseconds and days after 1970.
constexpr int64_t kPgEpochMicros = 946'684'800'000'000;
constexpr int32_t kPgEpochDays = 10'957;

}  // namespace

void NumericToBinary(std::string_view text, std::string* out) {
  bool negative = !text.empty() && text[0] == '-';
  if (negative || (!text.empty() && text[0] == '+')) text.remove_prefix(1);
  const size_t point = text.find('.');
  std::string int_part(text.substr(0, point));
  std::string frac_part(point == std::string_view::npos ? "" : text.substr(point + 1));
  if (int_part.find_first_not_of("0123456789") != std::string::npos ||
      frac_part.find_first_not_of("0123456789") != std::string::npos) {
    // NaN (or anything else): numeric's NaN.
    AppendBigEndian<int16_t>(0, out);
    AppendBigEndian<int16_t>(0, out);
    AppendBigEndian<uint16_t>(0xC000, out);
    AppendBigEndian<int16_t>(0, out);
    return;
  }
  const int16_t dscale = static_cast<int16_t>(frac_part.size());
  // Base-10000 digits: the integer part padded on the left, the fraction on
  // the right, to multiples of four.
  while (int_part.size() % 4 != 0) int_part.insert(0, "0");
  while (frac_part.size() % 4 != 0) frac_part.push_back('0');
  std::vector<int16_t> digits;
  for (size_t i = 0; i < int_part.size(); i += 4) digits.push_back(static_cast<int16_t>(std::stoi(int_part.substr(i, 4))));
  const int int_groups = static_cast<int>(int_part.size() / 4);
  for (size_t i = 0; i < frac_part.size(); i += 4) digits.push_back(static_cast<int16_t>(std::stoi(frac_part.substr(i, 4))));
  int weight = int_groups - 1;
  // Leading and trailing zero groups are not stored.
  size_t first = 0;
  while (first < digits.size() && digits[first] == 0) {
    ++first;
    --weight;
  }
  size_t last = digits.size();
  while (last > first && digits[last - 1] == 0) --last;
  if (first == last) {
    weight = 0;
    negative = false;
  }
  AppendBigEndian<int16_t>(static_cast<int16_t>(last - first), out);
  AppendBigEndian<int16_t>(static_cast<int16_t>(weight), out);
  AppendBigEndian<uint16_t>(negative ? 0x4000 : 0x0000, out);
  AppendBigEndian<int16_t>(dscale, out);
  for (size_t i = first; i < last; ++i) AppendBigEndian<int16_t>(digits[i], out);
}

bool CellToBinary(const duckdb::DataChunk& chunk, uint64_t column, uint64_t row, std::string* out) {
  const duckdb::Vector& v = chunk.data[column];
  if (!duckdb::FlatVector::Validity(v).RowIsValid(row)) return false;
  const duckdb::LogicalType& type = v.GetType();
  const PgType pg = PgTypeOf(type);
  const duckdb::Value value = chunk.GetValue(column, row);
  switch (pg.oid) {
    case oid::kBool: out->push_back(value.GetValue<bool>() ? 1 : 0); return true;
    case oid::kInt2: AppendBigEndian<int16_t>(value.GetValue<int16_t>(), out); return true;
    case oid::kInt4: AppendBigEndian<int32_t>(value.GetValue<int32_t>(), out); return true;
    case oid::kInt8: AppendBigEndian<int64_t>(value.GetValue<int64_t>(), out); return true;
    case oid::kFloat4: {
      const float f = value.GetValue<float>();
      uint32_t bits;
      std::memcpy(&bits, &f, 4);
      AppendBigEndian<uint32_t>(bits, out);
      return true;
    }
    case oid::kFloat8: {
      const double d = value.GetValue<double>();
      uint64_t bits;
      std::memcpy(&bits, &d, 8);
      AppendBigEndian<uint64_t>(bits, out);
      return true;
    }
    case oid::kTimestamp:
    case oid::kTimestamptz: {
      const int64_t us = type.id() == LogicalTypeId::TIMESTAMP_TZ || type.id() == LogicalTypeId::TIMESTAMP
                             ? duckdb::FlatVector::GetData<int64_t>(v)[row]
                             : duckdb::Timestamp::GetEpochMicroSeconds(value.GetValue<duckdb::timestamp_t>());
      AppendBigEndian<int64_t>(us - kPgEpochMicros, out);
      return true;
    }
    case oid::kDate:
      AppendBigEndian<int32_t>(duckdb::FlatVector::GetData<int32_t>(v)[row] - kPgEpochDays, out);
      return true;
    case oid::kNumeric: NumericToBinary(value.ToString(), out); return true;
    default:
      // Text-like types (text, json, ...) are their text in both formats.
      return CellToText(chunk, column, row, out);
  }
}

}  // namespace mytsdb::pgwire
