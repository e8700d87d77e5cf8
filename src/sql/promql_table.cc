#include "sql/promql_table.h"

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "duckdb/function/table_function.hpp"
#include "promql/engine.h"
#include "promql/parser.h"
#include "query/storage_queryable.h"
#include "sql/column_fill.h"
#include "sql/partial_result.h"
#include "sql/samples_table.h"

namespace mytsdb::sql {

namespace {

using duckdb::idx_t;

struct PromqlInfo : duckdb::TableFunctionInfo {
  PromqlInfo(const storage::Storage* s, const promql::EngineOptions& o) : storage(s), options(o) {}
  const storage::Storage* storage;
  promql::EngineOptions options;
};

// The evaluated result, which the scan writes out.
struct PromqlBind : duckdb::TableFunctionData {
  promql::QueryResult result;
  std::vector<std::string> label_names;  // columns 3.. in this order
};

struct PromqlScanState : duckdb::GlobalTableFunctionState {
  size_t series = 0;
  size_t point = 0;
};

enum Column : idx_t { kTs = 0, kValue, kMetric, kFirstLabel };

int64_t Millis(const duckdb::Value& v, const char* what) {
  if (v.IsNull()) throw duckdb::InvalidInputException("promql(): %s must not be NULL", what);
  // A TIMESTAMP WITH TIME ZONE argument: microseconds since the epoch.
  const int64_t us = v.GetValueUnsafe<int64_t>();
  return us / 1000 - (us % 1000 < 0 ? 1 : 0);
}

duckdb::unique_ptr<duckdb::FunctionData> Bind(duckdb::ClientContext& context,
                                              duckdb::TableFunctionBindInput& input,
                                              duckdb::vector<duckdb::LogicalType>& types,
                                              duckdb::vector<std::string>& names) {
  const auto& info = input.info->Cast<PromqlInfo>();
  if (input.inputs[0].IsNull()) throw duckdb::InvalidInputException("promql(): the query must not be NULL");
  const std::string query = duckdb::StringValue::Get(input.inputs[0]);
  Result<promql::ExprPtr> expr = promql::ParseExpr(query);
  if (!expr.ok()) throw duckdb::BinderException("promql(): " + expr.status().message());
  promql::EngineOptions options = info.options;
  // The SQL statement's timeout or cancellation interrupts its context.
  options.cancel.client_gone = &context.interrupted;
  promql::Engine engine(options);
  query::StorageQueryable data(*info.storage);
  Result<promql::QueryResult> result = Status::OK();
  if (input.inputs.size() == 2) {
    result = engine.Instant(data, **expr, Millis(input.inputs[1], "the time"));
  } else {
    const int64_t start = Millis(input.inputs[1], "start"), end = Millis(input.inputs[2], "end");
    if (input.inputs[3].IsNull()) throw duckdb::InvalidInputException("promql(): step must not be NULL");
    const duckdb::interval_t step = input.inputs[3].GetValue<duckdb::interval_t>();
    const int64_t step_ms = duckdb::Interval::GetMilli(step);
    if (step_ms <= 0) throw duckdb::InvalidInputException("promql(): step must be positive");
    if (end < start) throw duckdb::InvalidInputException("promql(): end must not be before start");
    if ((end - start) / step_ms >= 11000) {
      throw duckdb::InvalidInputException(
          "promql(): exceeded maximum resolution of 11,000 points per timeseries");
    }
    result = engine.Range(data, **expr, start, end, step_ms);
  }
  if (!result.ok()) {
    if (result.status().code() == StatusCode::kCancelled) {
      throw duckdb::InterruptException();
    }
    throw duckdb::InvalidInputException("promql(): " + result.status().message());
  }
  if (result->type == promql::ValueType::kString) {
    throw duckdb::InvalidInputException("promql(): the query returns a string, not numbers");
  }
  // A partial result (a writer that did not answer) says so.
  std::vector<std::string> partial;
  for (const promql::Annotation& a : result->annotations) {
    if (!a.positioned) partial.push_back(a.message);
  }
  AddPartialWarnings(context, partial);
  auto bind = duckdb::make_uniq<PromqlBind>();
  bind->result = std::move(*result);
  if (bind->result.type == promql::ValueType::kScalar) {
    bind->result.series.push_back({model::Labels(), {bind->result.scalar}});
  }
  std::set<std::string> label_names;
  for (const auto& s : bind->result.series) {
    for (const model::Label& l : s.labels) {
      if (l.name != model::kMetricNameLabel) label_names.insert(l.name);
    }
  }
  bind->label_names.assign(label_names.begin(), label_names.end());
  names = {"ts", "value", "metric"};
  types = {duckdb::LogicalType::TIMESTAMP_TZ, duckdb::LogicalType::DOUBLE, duckdb::LogicalType::VARCHAR};
  for (const std::string& name : bind->label_names) {
    names.push_back(SamplesLabelColumn(name));
    types.push_back(duckdb::LogicalType::VARCHAR);
  }
  names.push_back("labels");
  types.push_back(duckdb::LogicalType::MAP(duckdb::LogicalType::VARCHAR, duckdb::LogicalType::VARCHAR));
  return std::move(bind);
}

duckdb::unique_ptr<duckdb::GlobalTableFunctionState> Init(duckdb::ClientContext&,
                                                          duckdb::TableFunctionInitInput&) {
  return duckdb::make_uniq<PromqlScanState>();
}

void Scan(duckdb::ClientContext&, duckdb::TableFunctionInput& input, duckdb::DataChunk& output) {
  const auto& bind = input.bind_data->Cast<PromqlBind>();
  auto& state = input.global_state->Cast<PromqlScanState>();
  const auto& series = bind.result.series;
  auto* ts = duckdb::FlatVector::GetData<int64_t>(output.data[kTs]);
  auto* value = duckdb::FlatVector::GetData<double>(output.data[kValue]);
  const idx_t labels_column = kFirstLabel + bind.label_names.size();
  idx_t rows = 0;
  while (rows < STANDARD_VECTOR_SIZE && state.series < series.size()) {
    const promql::SeriesResult& s = series[state.series];
    const idx_t begin = rows;
    for (; state.point < s.points.size() && rows < STANDARD_VECTOR_SIZE; ++state.point, ++rows) {
      ts[rows] = s.points[state.point].t * 1000;
      value[rows] = s.points[state.point].v;
    }
    if (rows > begin) {
      FillString(output.data[kMetric], begin, rows, s.labels.metric_name());
      for (idx_t c = 0; c < bind.label_names.size(); ++c) {
        FillString(output.data[kFirstLabel + c], begin, rows, s.labels.Get(bind.label_names[c]));
      }
      FillLabelMap(output.data[labels_column], begin, rows, [&](auto&& fn) {
        for (const model::Label& l : s.labels) fn(l.name, l.value);
      });
    }
    if (state.point >= s.points.size()) {
      ++state.series;
      state.point = 0;
    }
  }
  output.SetCardinality(rows);
}

}  // namespace

duckdb::TableFunctionSet PromqlTableFunctions(const storage::Storage* storage,
                                             const promql::EngineOptions& options) {
  auto info = duckdb::make_shared_ptr<PromqlInfo>(storage, options);
  duckdb::TableFunctionSet set("promql");
  duckdb::TableFunction instant("promql", {duckdb::LogicalType::VARCHAR, duckdb::LogicalType::TIMESTAMP_TZ},
                                Scan, Bind, Init);
  instant.function_info = info;
  set.AddFunction(instant);
  duckdb::TableFunction range("promql",
                              {duckdb::LogicalType::VARCHAR, duckdb::LogicalType::TIMESTAMP_TZ,
                               duckdb::LogicalType::TIMESTAMP_TZ, duckdb::LogicalType::INTERVAL},
                              Scan, Bind, Init);
  range.function_info = info;
  set.AddFunction(range);
  return set;
}

}  // namespace mytsdb::sql
