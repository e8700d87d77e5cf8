#include "cold/file_entry.h"

#include <arrow/api.h>
#include <parquet/arrow/reader.h>
#include <parquet/file_reader.h>
#include <parquet/schema.h>
#include <parquet/statistics.h>

#include <algorithm>

#include "cold/arrow_io.h"
#include "cold/column_reader.h"
#include "cold/delta_protocol.h"
#include "cold/schema.h"

namespace mytsdb::cold {

// ---- FileEntry -------------------------------------------------------------------

const FileEntry::Span* FileEntry::Find(ColdSeriesId id) const {
  auto it = std::lower_bound(spans.begin(), spans.end(), id,
                             [](const Span& s, ColdSeriesId v) { return s.id < v; });
  return it != spans.end() && it->id == id ? &*it : nullptr;
}

namespace {

// The ts bounds from the row groups' statistics (files other writers made
// carry no MyTSDB tags); nullopt if a row group has none.
std::optional<std::pair<int64_t, int64_t>> TimeBoundsFromFooter(const parquet::FileMetaData& md,
                                                                int ts_column) {
  int64_t lo = INT64_MAX, hi = INT64_MIN;
  for (int rg = 0; rg < md.num_row_groups(); ++rg) {
    auto chunk = md.RowGroup(rg)->ColumnChunk(ts_column);
    auto stats = chunk->statistics();
    if (!stats || !stats->HasMinMax() || stats->physical_type() != parquet::Type::INT64) {
      return std::nullopt;
    }
    auto* typed = static_cast<const parquet::Int64Statistics*>(stats.get());
    lo = std::min(lo, typed->min());
    hi = std::max(hi, typed->max());
  }
  if (lo > hi) return std::nullopt;
  return std::make_pair(lo, hi);
}

// Statistics of the label and metric columns from the series' spans.
void ComputeKeyStats(const FileEntry& entry, const std::vector<std::string>& label_columns,
                     const SeriesCatalog& catalog, FileStats* stats) {
  std::vector<FileStats::Column*> columns;
  std::vector<std::string> label_of_column;
  for (const std::string& c : label_columns) {
    columns.push_back(&stats->labels[c]);
    label_of_column.push_back(LabelForColumn(c));
  }
  bool first = true;
  for (const FileEntry::Span& span : entry.spans) {
    model::Labels labels = catalog.Labels(span.id);
    std::string_view metric = labels.metric_name();
    if (first || metric < stats->min_metric) stats->min_metric = std::string(metric);
    if (first || metric > stats->max_metric) stats->max_metric = std::string(metric);
    first = false;
    for (size_t c = 0; c < columns.size(); ++c) {
      FileStats::Column& col = *columns[c];
      const std::string& label = label_of_column[c];
      if (!labels.Has(label)) {
        col.null_count += span.num_rows;
        continue;
      }
      std::string_view v = labels.Get(label);
      if (!col.range) {
        col.range.emplace(std::string(v), std::string(v));
      } else {
        if (v < col.range->first) col.range->first = std::string(v);
        if (v > col.range->second) col.range->second = std::string(v);
      }
    }
  }
}

}  // namespace

Result<std::shared_ptr<FileEntry>> LoadFileEntry(io::FileSystem* fs,
                                                 const std::string& table_dir,
                                                 const AddFile& add, SeriesCatalog* catalog) {
  auto entry = std::make_shared<FileEntry>();
  entry->add = add;
  ASSIGN_OR_RETURN(std::string relative, DecodeActionPath(add.path));
  entry->full_path = io::JoinPath(table_dir, relative);
  auto corrupt = [&](const std::string& why) {
    return Status::Corruption("cold: file " + entry->full_path + " of the Delta log " + why);
  };
  auto opened = OpenParquet(fs, entry->full_path);
  if (!opened.ok()) {
    return Status(opened.status().code() == StatusCode::kNotFound ? StatusCode::kCorruption
                                                                  : opened.status().code(),
                  "cold: file of the Delta log unreadable: " + opened.status().message());
  }
  std::unique_ptr<parquet::arrow::FileReader> reader = std::move(*opened);
  entry->metadata = reader->parquet_reader()->metadata();
  const parquet::SchemaDescriptor& schema = *entry->metadata->schema();

  // Only the series key columns are read: metric, series_id, labels.
  std::vector<int> string_columns;         // metric, then the label columns
  std::vector<std::string> label_names;    // for string_columns[1..]
  std::vector<std::string> label_columns;  // their column names
  int metric_col = -1, id_col = -1;
  for (int i = 0; i < schema.num_columns(); ++i) {
    const parquet::ColumnDescriptor* column = schema.Column(i);
    // A nested column (another writer's) is neither a fixed nor a label column.
    if (column->path()->ToDotVector().size() != 1) continue;
    const std::string& name = column->name();
    if (name == kTimestampColumn) {
      entry->ts_column = i;
    } else if (name == kValueColumn) {
      entry->value_column = i;
    } else if (name == kValueIntColumn || name == kValueDivColumn) {
      if (column->physical_type() != parquet::Type::INT64) {
        return corrupt("has a column " + name + " that is not int64");
      }
      (name == kValueIntColumn ? entry->value_int_column : entry->value_div_column) = i;
    } else if (name == kSeriesIdColumn) {
      id_col = i;
    } else if (name == kMetricColumn || !LabelForColumn(name).empty()) {
      if (column->physical_type() != parquet::Type::BYTE_ARRAY) {
        return corrupt("has a column " + name + " that is not a string");
      }
      if (name == kMetricColumn) {
        metric_col = i;
      } else {
        label_names.push_back(LabelForColumn(name));
        label_columns.push_back(name);
        string_columns.push_back(i);
      }
    }
  }
  if (entry->ts_column < 0 || entry->value_column < 0 || metric_col < 0 || id_col < 0) {
    return corrupt("lacks one of the columns metric, series_id, ts, value");
  }
  if ((entry->value_int_column < 0) != (entry->value_div_column < 0)) {
    return corrupt("has only one of the columns value_int, value_div");
  }
  if (schema.Column(id_col)->physical_type() != parquet::Type::INT64) {
    return corrupt("has a series_id column that is not int64");
  }
  string_columns.insert(string_columns.begin(), metric_col);

  FileStats& stats = entry->stats;
  stats.num_records = entry->metadata->num_rows();
  bool have_id = false;
  int64_t row = 0;
  for (int rg = 0; rg < entry->metadata->num_row_groups(); ++rg) {
    entry->row_group_starts.push_back(row);
    const int64_t group_rows = entry->metadata->RowGroup(rg)->num_rows();
    KeyRuns runs;
    try {
      std::shared_ptr<parquet::RowGroupReader> group = reader->parquet_reader()->RowGroup(rg);
      Status read = ReadKeyRuns(*group, id_col, string_columns, &runs);
      if (!read.ok()) {
        return Status(read.code(), "cold: file " + entry->full_path + " of the Delta log unreadable: " +
                                       read.message());
      }
    } catch (const std::exception& e) {
      return FromException(e, "read " + entry->full_path);
    }
    for (size_t k = 0; k < runs.starts.size(); ++k) {
      const int64_t id = runs.ids[k];
      const int64_t first = runs.starts[k];
      const int64_t end = k + 1 < runs.starts.size() ? runs.starts[k + 1] : group_rows;
      stats.min_series_id = have_id ? std::min(stats.min_series_id, id) : id;
      stats.max_series_id = have_id ? std::max(stats.max_series_id, id) : id;
      have_id = true;
      std::vector<model::Label> ls;
      ls.reserve(string_columns.size());
      if (runs.strings[0][k]) ls.push_back({std::string(model::kMetricNameLabel), std::move(*runs.strings[0][k])});
      for (size_t c = 1; c < string_columns.size(); ++c) {
        if (runs.strings[c][k]) ls.push_back({label_names[c - 1], std::move(*runs.strings[c][k])});
      }
      ColdSeriesId cid = catalog->Intern(model::Labels::FromUnsorted(std::move(ls)));
      // A series continuing from the previous row group extends its span.
      if (first == 0 && !entry->spans.empty() && entry->spans.back().id == cid &&
          entry->spans.back().first_row + entry->spans.back().num_rows == row) {
        entry->spans.back().num_rows += end - first;
      } else {
        entry->spans.push_back({cid, row + first, end - first});
      }
    }
    row += group_rows;
  }
  std::sort(entry->spans.begin(), entry->spans.end(),
            [](const FileEntry::Span& a, const FileEntry::Span& b) { return a.id < b.id; });

  // Time bounds and row count: MyTSDB's tags are exact; files from other
  // writers get them from the footer.
  if (!entry->add.has_mytsdb_tags) {
    auto bounds = TimeBoundsFromFooter(*entry->metadata, entry->ts_column);
    if (!bounds && stats.num_records > 0) return corrupt("has no ts statistics");
    if (bounds) std::tie(entry->add.min_ts, entry->add.max_ts) = *bounds;
    entry->add.num_records = stats.num_records;
  } else if (entry->add.num_records != stats.num_records) {
    return corrupt("holds " + std::to_string(stats.num_records) + " rows, the log says " +
                   std::to_string(entry->add.num_records));
  }
  stats.min_ts = entry->add.min_ts;
  stats.max_ts = entry->add.max_ts;
  ComputeKeyStats(*entry, label_columns, *catalog, &stats);
  return entry;
}

}  // namespace mytsdb::cold
