#include "sql/tables.h"

#include <string>
#include <vector>

#include "duckdb.hpp"
#include "duckdb/function/replacement_scan.hpp"
#include "duckdb/function/table_function.hpp"
#include "duckdb/parser/expression/function_expression.hpp"
#include "duckdb/parser/parser.hpp"
#include "duckdb/parser/statement/select_statement.hpp"
#include "duckdb/parser/tableref/subqueryref.hpp"
#include "duckdb/parser/parsed_data/create_table_function_info.hpp"
#include "duckdb/parser/tableref/table_function_ref.hpp"
#include "ingest/remote_write.h"
#include "sql/helpers.h"
#include "sql/promql_table.h"
#include "storage/storage.h"

namespace mytsdb::sql {

namespace {

using duckdb::idx_t;

// ---- metadata: metric, type, help, unit, from what senders sent -----------

struct MetadataInfo : duckdb::TableFunctionInfo {
  explicit MetadataInfo(const storage::Storage* s) : storage(s) {}
  const storage::Storage* storage;
};

struct MetadataBind : duckdb::TableFunctionData {
  const storage::Storage* storage = nullptr;
};

struct MetadataGlobal : duckdb::GlobalTableFunctionState {
  std::vector<head::MetricMetadata> rows;
  size_t next = 0;
};

duckdb::unique_ptr<duckdb::FunctionData> MetadataBindFn(duckdb::ClientContext&,
                                                        duckdb::TableFunctionBindInput& input,
                                                        duckdb::vector<duckdb::LogicalType>& types,
                                                        duckdb::vector<std::string>& names) {
  auto bind = duckdb::make_uniq<MetadataBind>();
  bind->storage = input.info->Cast<MetadataInfo>().storage;
  names = {"metric", "type", "help", "unit"};
  types.assign(4, duckdb::LogicalType::VARCHAR);
  return std::move(bind);
}

duckdb::unique_ptr<duckdb::GlobalTableFunctionState> MetadataInit(
    duckdb::ClientContext&, duckdb::TableFunctionInitInput& input) {
  auto global = duckdb::make_uniq<MetadataGlobal>();
  global->rows = input.bind_data->Cast<MetadataBind>().storage->Metadata();
  std::sort(global->rows.begin(), global->rows.end(), [](const auto& a, const auto& b) {
    return a.metric_family_name < b.metric_family_name;
  });
  return std::move(global);
}

void MetadataScan(duckdb::ClientContext&, duckdb::TableFunctionInput& input,
                  duckdb::DataChunk& output) {
  auto& global = input.global_state->Cast<MetadataGlobal>();
  idx_t rows = 0;
  for (; global.next < global.rows.size() && rows < STANDARD_VECTOR_SIZE; ++global.next, ++rows) {
    const head::MetricMetadata& m = global.rows[global.next];
    const std::string_view type =
        ingest::MetricTypeName(static_cast<ingest::MetricType>(m.type));
    const std::string_view cells[] = {m.metric_family_name, type, m.help, m.unit};
    for (idx_t c = 0; c < 4; ++c) {
      duckdb::FlatVector::GetData<duckdb::string_t>(output.data[c])[rows] =
          duckdb::StringVector::AddString(output.data[c], cells[c].data(), cells[c].size());
    }
  }
  output.SetCardinality(rows);
}

duckdb::TableFunction MetadataTableFunction(const storage::Storage* storage) {
  duckdb::TableFunction fn("mytsdb_metadata", {}, MetadataScan, MetadataBindFn, MetadataInit);
  fn.function_info = duckdb::make_shared_ptr<MetadataInfo>(storage);
  return fn;
}

// ---- series: one row per series, from the samples ---------------------------

std::string QuoteIdentifier(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    out += c;
    if (c == '"') out += '"';
  }
  return out + "\"";
}

// The query behind `series`: the samples grouped by series, so that its
// first and last timestamps are those of the samples a query of `samples`
// would see. Grouped by metric too, so that a filter on the metric still
// narrows the scan of `samples` below it; the labels, the same for every
// row of a series, are taken from any row.
std::string SeriesQuery(const std::vector<std::string>& label_columns) {
  std::string q = "SELECT series_id, metric";
  for (const std::string& column : label_columns) {
    q += ", any_value(" + QuoteIdentifier(column) + ") AS " + QuoteIdentifier(column);
  }
  q += ", any_value(labels) AS labels, min(ts) AS first_ts, max(ts) AS last_ts "
       "FROM mytsdb_samples() GROUP BY series_id, metric";
  return q;
}

// ---- names ----------------------------------------------------------------

// ---- alerts: the alert history's Delta table --------------------------------

// Its columns, as DuckDB reads them from the files (docs/FORMAT.md, "The
// alert history"), for the table with no file yet.
constexpr const char* kNoAlertsQuery =
    "SELECT NULL::TIMESTAMPTZ AS time, NULL::VARCHAR AS kind, NULL::VARCHAR AS rule, "
    "NULL::VARCHAR AS group_name, NULL::VARCHAR AS rule_file, NULL::VARCHAR AS state, "
    "NULL::VARCHAR AS previous_state, NULL::BIGINT AS fingerprint, NULL::MAP(VARCHAR, VARCHAR) AS labels, "
    "NULL::MAP(VARCHAR, VARCHAR) AS annotations, NULL::DOUBLE AS value, NULL::TIMESTAMPTZ AS active_at, "
    "NULL::TIMESTAMPTZ AS fired_at, NULL::VARCHAR AS receiver, NULL::VARCHAR AS integration, "
    "NULL::VARCHAR AS error, NULL::VARCHAR AS day WHERE false";

// The files of the current snapshot (never a glob: a file being written or
// one compaction replaced is not in it).
std::string AlertsQuery(const std::vector<std::string>& files) {
  if (files.empty()) return kNoAlertsQuery;
  std::string list;
  for (const std::string& f : files) {
    list += list.empty() ? "'" : ", '";
    for (char c : f) list += c == '\'' ? std::string("''") : std::string(1, c);
    list += "'";
  }
  // `day` from `time`, not from the directory: hive partitioning would also
  // make columns of the data directory's own path components with a '='.
  return "SELECT *, strftime(time::TIMESTAMP, '%Y-%m-%d') AS day FROM read_parquet([" + list +
         "], hive_partitioning = false)";
}

struct TablesData : duckdb::ReplacementScanData {
  TablesData(const storage::Storage* s, AlertFilesFn a) : storage(s), alert_files(std::move(a)) {}
  const storage::Storage* storage;
  AlertFilesFn alert_files;
};

duckdb::unique_ptr<duckdb::TableRef> Subquery(const std::string& sql, const std::string& alias) {
  duckdb::Parser parser;
  parser.ParseQuery(sql);
  auto select = duckdb::unique_ptr_cast<duckdb::SQLStatement, duckdb::SelectStatement>(std::move(parser.statements[0]));
  return duckdb::make_uniq<duckdb::SubqueryRef>(std::move(select), alias);
}

// The table a plain name in a query stands for, when no catalog entry has
// that name (the sandbox lets no one create one).
duckdb::unique_ptr<duckdb::TableRef> ReplaceTableName(
    duckdb::ClientContext&, duckdb::ReplacementScanInput& input,
    duckdb::optional_ptr<duckdb::ReplacementScanData> data) {
  const std::string name = duckdb::StringUtil::Lower(input.table_name);
  if (name == "series") {
    std::vector<std::string> columns;
    for (const std::string& label : data->Cast<TablesData>().storage->LabelNames()) {
      if (label != model::kMetricNameLabel) columns.push_back(SamplesLabelColumn(label));
    }
    return Subquery(SeriesQuery(columns), input.table_name);
  }
  if (name == "alerts") {
    const AlertFilesFn& files = data->Cast<TablesData>().alert_files;
    return Subquery(AlertsQuery(files ? files() : std::vector<std::string>()), input.table_name);
  }
  std::string function;
  if (name == "samples") function = "mytsdb_samples";
  if (name == "metadata") function = "mytsdb_metadata";
  if (function.empty()) return nullptr;
  auto ref = duckdb::make_uniq<duckdb::TableFunctionRef>();
  duckdb::vector<duckdb::unique_ptr<duckdb::ParsedExpression>> no_arguments;
  ref->function = duckdb::make_uniq<duckdb::FunctionExpression>(function, std::move(no_arguments));
  ref->alias = input.table_name;
  return std::move(ref);
}

}  // namespace

std::string CreateViewsSql(const std::vector<std::string>& label_names) {
  std::vector<std::string> columns;
  for (const std::string& label : label_names) {
    if (label != model::kMetricNameLabel) columns.push_back(SamplesLabelColumn(label));
  }
  return "CREATE OR REPLACE VIEW samples AS SELECT * FROM mytsdb_samples();\n"
         "CREATE OR REPLACE VIEW metadata AS SELECT * FROM mytsdb_metadata();\n"
         "CREATE OR REPLACE VIEW series AS " + SeriesQuery(columns) + ";\n";
}

Status RegisterTables(duckdb::Connection& con, const storage::Storage* storage,
                      const promql::EngineOptions& promql, ScanCounters* counters, AlertFilesFn alert_files) {
  try {
    con.BeginTransaction();
    for (duckdb::TableFunction fn : {SamplesTableFunction(storage, counters), MetadataTableFunction(storage)}) {
      duckdb::CreateTableFunctionInfo info(std::move(fn));
      con.context->RegisterFunction(info);
    }
    duckdb::CreateTableFunctionInfo promql_info(PromqlTableFunctions(storage, promql));
    con.context->RegisterFunction(promql_info);
    con.Commit();
    duckdb::DBConfig::GetConfig(*con.context)
        .replacement_scans.emplace_back(ReplaceTableName,
                                        duckdb::make_uniq<TablesData>(storage, std::move(alert_files)));
  } catch (const std::exception& e) {
    return Status::Internal(std::string("SQL: cannot register MyTSDB's tables: ") + e.what());
  }
  return RegisterHelpers(con);
}

}  // namespace mytsdb::sql
