#include "sql/result_writer.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <ctime>
#include <string>

#include "duckdb.hpp"
#include "sql/text_format.h"

namespace mytsdb::sql {

namespace {

using duckdb::idx_t;
using duckdb::LogicalTypeId;

constexpr size_t kFlushBytes = 64 * 1024;

void AppendCsvField(std::string_view s, std::string* out) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) {
    out->append(s);
    return;
  }
  out->push_back('"');
  for (char c : s) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

// Cell (c, r) of a flat chunk: false if NULL; otherwise its text in *text,
// and whether it is a JSON literal (number, boolean) rather than a string.
bool CellText(const duckdb::DataChunk& chunk, idx_t c, idx_t r, std::string* text, bool* literal) {
  const duckdb::Vector& v = chunk.data[c];
  if (!duckdb::FlatVector::Validity(v).RowIsValid(r)) return false;
  *literal = true;
  switch (v.GetType().id()) {
    case LogicalTypeId::BOOLEAN: *text += duckdb::FlatVector::GetData<bool>(v)[r] ? "true" : "false"; return true;
    case LogicalTypeId::TINYINT: *text += std::to_string(duckdb::FlatVector::GetData<int8_t>(v)[r]); return true;
    case LogicalTypeId::SMALLINT: *text += std::to_string(duckdb::FlatVector::GetData<int16_t>(v)[r]); return true;
    case LogicalTypeId::INTEGER: *text += std::to_string(duckdb::FlatVector::GetData<int32_t>(v)[r]); return true;
    case LogicalTypeId::BIGINT: *text += std::to_string(duckdb::FlatVector::GetData<int64_t>(v)[r]); return true;
    case LogicalTypeId::UTINYINT: *text += std::to_string(duckdb::FlatVector::GetData<uint8_t>(v)[r]); return true;
    case LogicalTypeId::USMALLINT: *text += std::to_string(duckdb::FlatVector::GetData<uint16_t>(v)[r]); return true;
    case LogicalTypeId::UINTEGER: *text += std::to_string(duckdb::FlatVector::GetData<uint32_t>(v)[r]); return true;
    case LogicalTypeId::UBIGINT: *text += std::to_string(duckdb::FlatVector::GetData<uint64_t>(v)[r]); return true;
    case LogicalTypeId::FLOAT:
    case LogicalTypeId::DOUBLE: {
      const double d = v.GetType().id() == LogicalTypeId::FLOAT
                           ? duckdb::FlatVector::GetData<float>(v)[r]
                           : duckdb::FlatVector::GetData<double>(v)[r];
      *literal = std::isfinite(d);
      AppendDouble(d, FloatSpelling::kPrometheus, text);
      return true;
    }
    case LogicalTypeId::VARCHAR: {
      const duckdb::string_t s = duckdb::FlatVector::GetData<duckdb::string_t>(v)[r];
      text->append(s.GetData(), s.GetSize());
      *literal = false;
      return true;
    }
    case LogicalTypeId::TIMESTAMP_TZ:
    case LogicalTypeId::TIMESTAMP:
      AppendTimestamp(duckdb::FlatVector::GetData<int64_t>(v)[r], TimestampStyle::kRfc3339, text);
      *literal = false;
      return true;
    case LogicalTypeId::TIMESTAMP_MS:
      AppendTimestamp(duckdb::FlatVector::GetData<int64_t>(v)[r] * 1000, TimestampStyle::kRfc3339, text);
      *literal = false;
      return true;
    case LogicalTypeId::TIMESTAMP_SEC:
      AppendTimestamp(duckdb::FlatVector::GetData<int64_t>(v)[r] * 1'000'000, TimestampStyle::kRfc3339, text);
      *literal = false;
      return true;
    case LogicalTypeId::TIMESTAMP_NS:
      AppendTimestamp(duckdb::FlatVector::GetData<int64_t>(v)[r] / 1000, TimestampStyle::kRfc3339, text);
      *literal = false;
      return true;
    default: {
      const duckdb::Value value = chunk.GetValue(c, r);
      const auto id = value.type().id();
      *literal = id == LogicalTypeId::HUGEINT || id == LogicalTypeId::UHUGEINT ||
                 id == LogicalTypeId::DECIMAL;
      *text += value.ToString();
      return true;
    }
  }
}

bool IsNested(LogicalTypeId id) {
  return id == LogicalTypeId::LIST || id == LogicalTypeId::ARRAY || id == LogicalTypeId::MAP ||
         id == LogicalTypeId::STRUCT;
}

class Writer {
 public:
  Writer(ResultFormat format, const Cursor& cursor, const Sink& sink)
      : format_(format), cursor_(cursor), sink_(sink) {}

  bool Begin() {
    if (format_ == ResultFormat::kJson) {
      out_ += "{\"status\":\"success\",\"data\":{\"columns\":[";
      for (size_t c = 0; c < cursor_.columns().size(); ++c) {
        if (c > 0) out_ += ',';
        out_ += "{\"name\":";
        AppendJsonString(cursor_.columns()[c], &out_);
        out_ += ",\"type\":";
        AppendJsonString(cursor_.types()[c], &out_);
        out_ += '}';
      }
      out_ += "],\"rows\":[";
    } else {
      for (size_t c = 0; c < cursor_.columns().size(); ++c) {
        if (c > 0) out_ += ',';
        AppendCsvField(cursor_.columns()[c], &out_);
      }
      out_ += "\r\n";
    }
    return true;
  }

  // Rows [0, rows) of `chunk`; false once the sink stops.
  bool Rows(const duckdb::DataChunk& chunk, idx_t rows) {
    std::string cell;
    for (idx_t r = 0; r < rows; ++r) {
      if (format_ == ResultFormat::kJson) {
        if (rows_written_ > 0) out_ += ',';
        out_ += '[';
      }
      for (idx_t c = 0; c < chunk.ColumnCount(); ++c) {
        if (c > 0) out_ += ',';
        if (IsNested(chunk.data[c].GetType().id())) {
          // Lists, maps and structs as JSON, in CSV too (as a quoted field).
          if (format_ == ResultFormat::kJson) {
            AppendJsonValue(chunk.GetValue(c, r), &out_);
          } else if (!chunk.GetValue(c, r).IsNull()) {
            cell.clear();
            AppendJsonValue(chunk.GetValue(c, r), &cell);
            AppendCsvField(cell, &out_);
          }
          continue;
        }
        cell.clear();
        bool literal = false;
        const bool valid = CellText(chunk, c, r, &cell, &literal);
        if (format_ == ResultFormat::kJson) {
          if (!valid) {
            out_ += "null";
          } else if (literal) {
            out_ += cell;
          } else {
            AppendJsonString(cell, &out_);
          }
        } else if (valid) {
          AppendCsvField(cell, &out_);
        }
      }
      out_ += format_ == ResultFormat::kJson ? "]" : "\r\n";
      ++rows_written_;
      if (out_.size() >= kFlushBytes && !Flush()) return false;
    }
    return true;
  }

  bool End(bool truncated) {
    if (format_ == ResultFormat::kJson) {
      out_ += "],\"truncated\":";
      out_ += truncated ? "true" : "false";
      out_ += "}";
      // As PromQL's API: a partial result's warnings beside its data.
      const std::vector<std::string> warnings = cursor_.warnings();
      if (!warnings.empty()) {
        out_ += ",\"warnings\":[";
        for (size_t i = 0; i < warnings.size(); ++i) {
          if (i > 0) out_ += ',';
          AppendJsonString(warnings[i], &out_);
        }
        out_ += ']';
      }
      out_ += "}\n";
    }
    return Flush();
  }

  bool Flush() {
    if (out_.empty()) return true;
    const bool go_on = sink_(out_);
    out_.clear();
    return go_on;
  }

  int64_t rows_written() const { return rows_written_; }

 private:
  const ResultFormat format_;
  const Cursor& cursor_;
  const Sink& sink_;
  std::string out_;
  int64_t rows_written_ = 0;
};

}  // namespace

void AppendJsonValue(const duckdb::Value& v, std::string* out) {
  if (v.IsNull()) {
    *out += "null";
    return;
  }
  const duckdb::LogicalType& type = v.type();
  switch (type.id()) {
    case LogicalTypeId::LIST:
    case LogicalTypeId::ARRAY: {
      const auto& children = type.id() == LogicalTypeId::LIST ? duckdb::ListValue::GetChildren(v)
                                                               : duckdb::ArrayValue::GetChildren(v);
      out->push_back('[');
      for (idx_t i = 0; i < children.size(); ++i) {
        if (i > 0) out->push_back(',');
        AppendJsonValue(children[i], out);
      }
      out->push_back(']');
      return;
    }
    case LogicalTypeId::MAP: {
      out->push_back('{');
      const auto& entries = duckdb::ListValue::GetChildren(v);
      for (idx_t i = 0; i < entries.size(); ++i) {
        const auto& kv = duckdb::StructValue::GetChildren(entries[i]);
        if (i > 0) out->push_back(',');
        AppendJsonString(kv[0].ToString(), out);
        out->push_back(':');
        AppendJsonValue(kv[1], out);
      }
      out->push_back('}');
      return;
    }
    case LogicalTypeId::STRUCT: {
      out->push_back('{');
      const auto& children = duckdb::StructValue::GetChildren(v);
      for (idx_t i = 0; i < children.size(); ++i) {
        if (i > 0) out->push_back(',');
        AppendJsonString(duckdb::StructType::GetChildName(type, i), out);
        out->push_back(':');
        AppendJsonValue(children[i], out);
      }
      out->push_back('}');
      return;
    }
    case LogicalTypeId::BOOLEAN:
    case LogicalTypeId::TINYINT:
    case LogicalTypeId::SMALLINT:
    case LogicalTypeId::INTEGER:
    case LogicalTypeId::BIGINT:
    case LogicalTypeId::UTINYINT:
    case LogicalTypeId::USMALLINT:
    case LogicalTypeId::UINTEGER:
    case LogicalTypeId::UBIGINT:
    case LogicalTypeId::HUGEINT:
    case LogicalTypeId::UHUGEINT:
    case LogicalTypeId::DECIMAL:
      *out += v.ToString();
      return;
    case LogicalTypeId::FLOAT:
    case LogicalTypeId::DOUBLE: {
      const double d = v.GetValue<double>();
      if (std::isfinite(d)) {
        AppendDouble(d, FloatSpelling::kPrometheus, out);
      } else {
        out->push_back('"');
        AppendDouble(d, FloatSpelling::kPrometheus, out);
        out->push_back('"');
      }
      return;
    }
    default: AppendJsonString(v.ToString(), out); return;
  }
}

Result<ResultFormat> ParseResultFormat(std::string_view name) {
  if (name.empty() || name == "json") return ResultFormat::kJson;
  if (name == "csv") return ResultFormat::kCsv;
  if (name == "arrow") return ResultFormat::kArrow;
  if (name == "parquet") return ResultFormat::kParquet;
  return Status::InvalidArgument("invalid parameter \"format\": \"" + std::string(name) +
                                 "\" is not one of json, csv, arrow, parquet");
}

std::string_view ContentType(ResultFormat format) {
  switch (format) {
    case ResultFormat::kJson: return "application/json";
    case ResultFormat::kCsv: return "text/csv; charset=utf-8";
    case ResultFormat::kArrow: return "application/vnd.apache.arrow.stream";
    case ResultFormat::kParquet: return "application/vnd.apache.parquet";
  }
  return "application/octet-stream";
}

Result<WriteSummary> WriteResult(Cursor& cursor, std::optional<bool> fetched, ResultFormat format,
                                 int64_t limit, const Sink& sink) {
  if (format == ResultFormat::kArrow || format == ResultFormat::kParquet) {
    return WriteArrowResult(cursor, fetched, format, limit, sink);
  }
  WriteSummary summary;
  Writer writer(format, cursor, sink);
  writer.Begin();
  bool have = fetched.value_or(false);
  while (fetched.value_or(true)) {
    if (!have) {
      Result<bool> more = cursor.Next();
      if (!more.ok()) {
        writer.Flush();
        return more.status();
      }
      if (!*more) break;
    }
    have = false;
    const duckdb::DataChunk& chunk = cursor.chunk();
    idx_t rows = chunk.size();
    if (limit >= 0 && writer.rows_written() + static_cast<int64_t>(rows) > limit) {
      rows = static_cast<idx_t>(limit - writer.rows_written());
      summary.truncated = true;
    }
    if (!writer.Rows(chunk, rows)) {
      summary.stopped = true;
      break;
    }
    if (summary.truncated) break;
  }
  summary.rows = writer.rows_written();
  if (!summary.stopped && !writer.End(summary.truncated)) summary.stopped = true;
  return summary;
}

}  // namespace mytsdb::sql
