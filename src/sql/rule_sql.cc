#include "sql/rule_sql.h"

#include <set>
#include <string>

#include "duckdb.hpp"
#include "duckdb/parser/parser.hpp"
#include "sql/engine.h"
#include "sql/sandbox_internal.h"
#include "sql/text_format.h"

namespace mytsdb::sql {

namespace {

// A cell as a label value: RFC 3339 for instants, Prometheus's spelling
// for floats, DuckDB's text otherwise.
std::string LabelText(const duckdb::Value& cell) {
  std::string out;
  switch (cell.type().id()) {
    case duckdb::LogicalTypeId::TIMESTAMP:
    case duckdb::LogicalTypeId::TIMESTAMP_TZ:
      AppendTimestamp(cell.GetValueUnsafe<int64_t>(), TimestampStyle::kRfc3339, &out);
      return out;
    case duckdb::LogicalTypeId::DOUBLE:
    case duckdb::LogicalTypeId::FLOAT:
      AppendDouble(cell.GetValue<double>(), FloatSpelling::kPrometheus, &out);
      return out;
    default:
      return cell.ToString();
  }
}

}  // namespace

Status CheckRuleSql(std::string_view sql) {
  duckdb::Parser parser;
  try {
    parser.ParseQuery(std::string(sql));
  } catch (const std::exception& e) {
    return ToStatus(e);
  }
  if (parser.statements.size() != 1) {
    return Status::InvalidArgument("SQL: one statement, not " + std::to_string(parser.statements.size()));
  }
  const duckdb::SQLStatement& statement = *parser.statements[0];
  if (statement.type != duckdb::StatementType::SELECT_STATEMENT) {
    return Status::InvalidArgument("SQL: only a SELECT can be a rule's query");
  }
  for (const auto& [name, index] : statement.named_param_map) {
    if (!duckdb::StringUtil::CIEquals(name, kEvalTimeParameter)) {
      return Status::InvalidArgument("SQL: the parameter $" + name + " is not known; a rule's query may use $" +
                                     kEvalTimeParameter + " only");
    }
  }
  return Status::OK();
}

Result<std::vector<promql::SeriesResult>> RunRuleSql(const SqlEngine& engine, std::string_view sql, int64_t t,
                                                     const QueryControl& control, size_t max_rows) {
  ASSIGN_OR_RETURN(std::unique_ptr<PreparedQuery> prepared, engine.Prepare(sql, control));
  ASSIGN_OR_RETURN(std::unique_ptr<Cursor> cursor,
                   prepared->RunAt({{kEvalTimeParameter, t}}, engine.WithTimeout(control)));
  const std::vector<duckdb::LogicalType> types = cursor->logical_types();
  const std::vector<std::string>& columns = cursor->columns();
  size_t value_column = columns.size();
  for (size_t c = 0; c < columns.size(); ++c) {
    if (columns[c] != "value") continue;
    if (value_column != columns.size()) return Status::InvalidArgument("SQL rule: two columns are named value");
    value_column = c;
  }
  if (value_column == columns.size()) {
    return Status::InvalidArgument("SQL rule: the result has no column named value");
  }
  if (!types[value_column].IsNumeric()) {
    return Status::InvalidArgument("SQL rule: the column value must be numeric, not " + types[value_column].ToString());
  }
  std::vector<promql::SeriesResult> out;
  std::set<model::Labels> seen;
  for (;;) {
    ASSIGN_OR_RETURN(bool more, cursor->Next());
    if (!more) break;
    const duckdb::DataChunk& chunk = cursor->chunk();
    for (duckdb::idx_t row = 0; row < chunk.size(); ++row) {
      const duckdb::Value value = chunk.GetValue(value_column, row);
      if (value.IsNull()) continue;
      std::vector<model::Label> labels;
      for (size_t c = 0; c < columns.size(); ++c) {
        if (c == value_column) continue;
        const duckdb::Value cell = chunk.GetValue(c, row);
        if (cell.IsNull()) continue;
        std::string text = LabelText(cell);
        if (!text.empty()) labels.push_back({columns[c], std::move(text)});
      }
      model::Labels set = model::Labels::FromUnsorted(std::move(labels));
      if (!seen.insert(set).second) {
        return Status::InvalidArgument("SQL rule: two rows have the labels " + set.ToString());
      }
      if (out.size() == max_rows) {
        return Status::ResourceExhausted("SQL rule: more than " + std::to_string(max_rows) + " rows");
      }
      out.push_back({std::move(set), {{t, value.GetValue<double>()}}});
    }
  }
  return out;
}

}  // namespace mytsdb::sql
