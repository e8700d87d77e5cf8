#include "sql/samples_table.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "cold/schema.h"
#include "duckdb/function/table_function.hpp"
#include "duckdb/planner/operator/logical_get.hpp"
#include "model/sample.h"
#include "sql/column_fill.h"
#include "sql/partial_result.h"
#include "sql/scan_bounds.h"
#include "storage/storage.h"

namespace mytsdb::sql {

namespace {

using duckdb::idx_t;

// The fixed columns, then one per label name, then `labels`.
enum FixedColumn : idx_t { kMetric = 0, kTime, kValue, kSeriesId, kFixedColumns };
constexpr int64_t kDayMs = 24 * 3600 * 1000;

struct StorageInfo : duckdb::TableFunctionInfo {
  StorageInfo(const storage::Storage* s, ScanCounters* c) : storage(s), counters(c) {}
  const storage::Storage* storage;
  ScanCounters* counters;
};

struct SamplesBind : duckdb::TableFunctionData {
  const storage::Storage* storage = nullptr;
  ScanCounters* counters = nullptr;
  std::vector<std::string> label_names;  // column kFixedColumns + i
  idx_t labels_column = 0;               // the MAP of all labels, last
  ScanBounds bounds;                     // from the query's filters

  ColumnRole RoleOf(idx_t column) const {
    if (column == kMetric) return {ColumnRole::kMetric, {}};
    if (column == kTime) return {ColumnRole::kTime, {}};
    if (column >= kFixedColumns && column < labels_column) {
      return {ColumnRole::kLabel, label_names[column - kFixedColumns]};
    }
    return {};
  }
};

duckdb::unique_ptr<duckdb::FunctionData> Bind(duckdb::ClientContext&,
                                              duckdb::TableFunctionBindInput& input,
                                              duckdb::vector<duckdb::LogicalType>& types,
                                              duckdb::vector<std::string>& names) {
  auto bind = duckdb::make_uniq<SamplesBind>();
  bind->storage = input.info->Cast<StorageInfo>().storage;
  bind->counters = input.info->Cast<StorageInfo>().counters;
  names = {"metric", "ts", "value", "series_id"};
  types = {duckdb::LogicalType::VARCHAR, duckdb::LogicalType::TIMESTAMP_TZ,
           duckdb::LogicalType::DOUBLE, duckdb::LogicalType::BIGINT};
  for (std::string& name : bind->storage->LabelNames()) {
    if (name == model::kMetricNameLabel) continue;
    names.push_back(SamplesLabelColumn(name));
    types.push_back(duckdb::LogicalType::VARCHAR);
    bind->label_names.push_back(std::move(name));
  }
  bind->labels_column = names.size();
  names.push_back("labels");
  types.push_back(duckdb::LogicalType::MAP(duckdb::LogicalType::VARCHAR, duckdb::LogicalType::VARCHAR));
  return std::move(bind);
}

void PushdownFilters(duckdb::ClientContext& context, duckdb::LogicalGet& get,
                     duckdb::FunctionData* bind_data,
                     duckdb::vector<duckdb::unique_ptr<duckdb::Expression>>& filters) {
  auto& bind = bind_data->Cast<SamplesBind>();
  const auto& column_ids = get.GetColumnIds();
  auto role = [&](uint64_t i) -> ColumnRole {
    if (i >= column_ids.size() || column_ids[i].IsVirtualColumn()) return {};
    return bind.RoleOf(column_ids[i].GetPrimaryIndex());
  };
  // Every filter stays for DuckDB to apply: the bounds only narrow the read.
  for (const auto& filter : filters) NarrowBounds(context, *filter, get.table_index, role, &bind.bounds);
}

// The work of a scan, shared by its threads: the selected series, handed
// out in batches, each read one UTC day at a time.
struct SamplesGlobal : duckdb::GlobalTableFunctionState {
  const storage::Storage* storage = nullptr;
  ScanCounters* counters = nullptr;
  storage::SeriesSelection selection;
  std::vector<model::TimeRange> windows;
  std::vector<idx_t> columns;  // table column of each output column
  std::atomic<size_t> next{0};  // first series not yet handed out

  idx_t MaxThreads() const override { return std::max<size_t>(1, selection.size() / 64); }
};

// A thread's batch: series [first, first + count) read for windows[window].
struct SamplesLocal : duckdb::LocalTableFunctionState {
  size_t first = 0;
  size_t count = 0;
  size_t window = 0;
  size_t batch_size = 64;
  std::vector<std::vector<model::Sample>> samples;
  size_t series = 0;    // within the batch
  size_t position = 0;  // within that series' samples
};

duckdb::unique_ptr<duckdb::GlobalTableFunctionState> InitGlobal(
    duckdb::ClientContext& context, duckdb::TableFunctionInitInput& input) {
  const auto& bind = input.bind_data->Cast<SamplesBind>();
  auto global = duckdb::make_uniq<SamplesGlobal>();
  global->storage = bind.storage;
  global->counters = bind.counters;
  if (bind.counters != nullptr) ++bind.counters->scans;
  for (idx_t c : input.column_ids) global->columns.push_back(c);
  if (bind.bounds.nothing) return std::move(global);
  model::TimeRange range = bind.bounds.range;
  const model::TimeRange stored = bind.storage->TimeBounds();
  range.min = std::max(range.min, stored.min);
  range.max = std::min(range.max, stored.max);
  if (range.min > range.max) return std::move(global);
  model::Matchers matchers = bind.bounds.matchers;
  if (matchers.empty()) {
    // Every series has a name (remote write refuses those without).
    matchers.push_back(*model::Matcher::Make(model::MatchType::kRegexMatch,
                                             std::string(model::kMetricNameLabel), ".+"));
  }
  global->selection = bind.storage->Select(matchers, range);
  AddPartialWarnings(context, global->selection.warnings());
  if (bind.counters != nullptr) bind.counters->series += global->selection.size();
  // One UTC day at a time, so that a batch's samples stay small whatever
  // the range.
  for (int64_t start = range.min; start <= range.max;) {
    const int64_t day_end = model::FloorTo(start, kDayMs) + kDayMs - 1;
    const int64_t end = std::min(range.max, day_end);
    global->windows.push_back({start, end});
    if (end == INT64_MAX) break;
    start = end + 1;
  }
  return std::move(global);
}

duckdb::unique_ptr<duckdb::LocalTableFunctionState> InitLocal(
    duckdb::ExecutionContext&, duckdb::TableFunctionInitInput&, duckdb::GlobalTableFunctionState*) {
  return duckdb::make_uniq<SamplesLocal>();
}

// Reads the next window of the thread's batch, or a new batch; false when
// the scan is done.
bool ReadNext(SamplesGlobal& global, SamplesLocal& local) {
  // About this many samples a batch (as PromQL's reads: few enough to
  // hold, enough series that a Parquet page is rarely decompressed twice).
  constexpr int64_t kBatchSamples = 256 * 1024;
  constexpr size_t kMaxBatchSeries = 1024;
  if (local.count > 0 && local.window + 1 < global.windows.size()) {
    ++local.window;
  } else {
    local.first = global.next.fetch_add(local.batch_size);
    if (local.first >= global.selection.size()) {
      local.count = 0;
      return false;
    }
    local.count = std::min(local.batch_size, global.selection.size() - local.first);
    local.window = 0;
  }
  Status st = global.storage->ReadSamples(global.selection, local.first, local.count,
                                          global.windows[local.window], &local.samples);
  if (!st.ok()) throw duckdb::IOException("reading samples: " + st.ToString());
  int64_t held = 0;
  for (const auto& s : local.samples) held += static_cast<int64_t>(s.size());
  if (global.counters != nullptr) global.counters->samples += held;
  if (held > 0) {
    local.batch_size = std::clamp<size_t>(local.count * kBatchSamples / held, 1, kMaxBatchSeries);
  }
  local.series = 0;
  local.position = 0;
  return true;
}

// The rows of one series in an output chunk.
struct Run {
  size_t series;  // in the selection
  idx_t begin, end;
};

// Fills a column of labels (`column`: the metric, a label or the MAP) as a
// dictionary vector: one entry a run, so a chunk stores each series' value
// once, and joins and groupings hash it once.
void FillDictionary(const SamplesBind& bind, const storage::SeriesSelection& selection,
                    idx_t column, const std::vector<Run>& runs, idx_t rows, duckdb::Vector& out) {
  duckdb::Vector dict(out.GetType(), runs.size());
  for (idx_t k = 0; k < runs.size(); ++k) {
    const size_t i = runs[k].series;
    if (column == kMetric) {
      FillString(dict, k, k + 1, selection.label(i, model::kMetricNameLabel));
    } else if (column == bind.labels_column) {
      FillLabelMap(dict, k, k + 1, [&](auto&& fn) { selection.ForEachLabel(i, fn); });
    } else {
      FillString(dict, k, k + 1, selection.label(i, bind.label_names[column - kFixedColumns]));
    }
  }
  duckdb::SelectionVector sel(rows);
  for (idx_t k = 0; k < runs.size(); ++k) {
    for (idx_t r = runs[k].begin; r < runs[k].end; ++r) sel.set_index(r, k);
  }
  out.Dictionary(dict, runs.size(), sel, rows);
}

void Scan(duckdb::ClientContext&, duckdb::TableFunctionInput& input, duckdb::DataChunk& output) {
  const auto& bind = input.bind_data->Cast<SamplesBind>();
  auto& global = input.global_state->Cast<SamplesGlobal>();
  auto& local = input.local_state->Cast<SamplesLocal>();
  const storage::SeriesSelection& selection = global.selection;
  int64_t* ts_out = nullptr;
  double* value_out = nullptr;
  for (idx_t c = 0; c < global.columns.size(); ++c) {
    if (global.columns[c] == kTime) ts_out = duckdb::FlatVector::GetData<int64_t>(output.data[c]);
    if (global.columns[c] == kValue) value_out = duckdb::FlatVector::GetData<double>(output.data[c]);
  }
  std::vector<Run> runs;
  idx_t rows = 0;
  while (rows < STANDARD_VECTOR_SIZE) {
    if (local.count == 0 || local.series >= local.count) {
      if (!ReadNext(global, local)) break;
      continue;
    }
    const std::vector<model::Sample>& samples = local.samples[local.series];
    // A run of rows of one series: its samples, staleness markers left out.
    const idx_t begin = rows;
    size_t p = local.position;
    for (; p < samples.size() && rows < STANDARD_VECTOR_SIZE; ++p) {
      const model::Sample& s = samples[p];
      if (model::IsStaleNaN(s.value)) continue;
      if (ts_out != nullptr) ts_out[rows] = s.timestamp_ms * 1000;
      if (value_out != nullptr) value_out[rows] = s.value;
      ++rows;
    }
    if (rows > begin) runs.push_back({local.first + local.series, begin, rows});
    local.position = p;
    if (p >= samples.size()) {
      ++local.series;
      local.position = 0;
    }
  }
  for (idx_t c = 0; c < global.columns.size(); ++c) {
    const idx_t column = global.columns[c];
    duckdb::Vector& vector = output.data[c];
    if (column == kTime || column == kValue) continue;
    if (column == kSeriesId) {
      auto* data = duckdb::FlatVector::GetData<int64_t>(vector);
      for (const Run& run : runs) {
        const auto id = static_cast<int64_t>(
            selection.packed_labels().Hash(selection.packed_index(run.series)));
        std::fill(data + run.begin, data + run.end, id);
      }
    } else if (column <= bind.labels_column) {
      if (rows > 0) FillDictionary(bind, selection, column, runs, rows, vector);
    } else {
      // Not a column of the table: the row id DuckDB asks for when a
      // query names no column (count(*)).
      vector.SetVectorType(duckdb::VectorType::CONSTANT_VECTOR);
      duckdb::ConstantVector::SetNull(vector, true);
    }
  }
  output.SetCardinality(rows);
}

double Progress(duckdb::ClientContext&, const duckdb::FunctionData*,
                const duckdb::GlobalTableFunctionState* state) {
  const auto& global = state->Cast<SamplesGlobal>();
  if (global.selection.empty()) return 100.0;
  return 100.0 * std::min(global.next.load(), global.selection.size()) / global.selection.size();
}

}  // namespace

// The cold tier's name (docs/FORMAT.md: label_ before names that collide);
// `labels` is taken by the MAP.
std::string SamplesLabelColumn(std::string_view name) {
  std::string column = cold::ColumnForLabel(name);
  return column == "labels" ? "label_labels" : column;
}

duckdb::TableFunction SamplesTableFunction(const storage::Storage* storage,
                                           ScanCounters* counters) {
  duckdb::TableFunction fn("mytsdb_samples", {}, Scan, Bind, InitGlobal, InitLocal);
  fn.projection_pushdown = true;
  fn.pushdown_complex_filter = PushdownFilters;
  fn.table_scan_progress = Progress;
  fn.function_info = duckdb::make_shared_ptr<StorageInfo>(storage, counters);
  return fn;
}

}  // namespace mytsdb::sql
