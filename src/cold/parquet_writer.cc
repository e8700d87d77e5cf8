#include "cold/parquet_writer.h"

#include <arrow/api.h>
#include <arrow/io/file.h>
#include <fcntl.h>
#include <parquet/arrow/writer.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cstdio>
#include <map>
#include <unordered_map>

#include "cold/schema.h"

namespace mytsdb::cold {

namespace {

Status FromArrow(const arrow::Status& st, std::string_view what) {
  if (st.ok()) return Status::OK();
  return Status::IOError(std::string(what) + ": " + st.ToString());
}

// Dictionary-encoded string column built from per-row value indices, so that
// a value repeated over millions of rows is hashed once, not per row.
class DictColumnBuilder {
 public:
  void AppendRun(const std::string* value, int64_t count) {
    int32_t index = -1;
    if (value != nullptr) {
      auto [it, inserted] = ids_.try_emplace(*value, static_cast<int32_t>(values_.size()));
      if (inserted) values_.push_back(value);
      index = it->second;
    }
    runs_.push_back({index, count});
  }

  Result<std::shared_ptr<arrow::Array>> Finish(int64_t num_rows) {
    arrow::StringBuilder dict;
    for (const std::string* v : values_) {
      auto st = dict.Append(*v);
      if (!st.ok()) return FromArrow(st, "dictionary");
    }
    std::shared_ptr<arrow::Array> dict_array;
    auto st = dict.Finish(&dict_array);
    if (!st.ok()) return FromArrow(st, "dictionary");
    arrow::Int32Builder indices;
    st = indices.Reserve(num_rows);
    if (!st.ok()) return FromArrow(st, "indices");
    for (const auto& [index, count] : runs_) {
      for (int64_t i = 0; i < count; ++i) {
        if (index < 0) {
          indices.UnsafeAppendNull();
        } else {
          indices.UnsafeAppend(index);
        }
      }
    }
    std::shared_ptr<arrow::Array> index_array;
    st = indices.Finish(&index_array);
    if (!st.ok()) return FromArrow(st, "indices");
    auto out = arrow::DictionaryArray::FromArrays(arrow::dictionary(arrow::int32(), arrow::utf8()),
                                                  index_array, dict_array);
    if (!out.ok()) return FromArrow(out.status(), "dictionary array");
    return *out;
  }

 private:
  std::unordered_map<std::string, int32_t> ids_;
  std::vector<const std::string*> values_;
  std::vector<std::pair<int32_t, int64_t>> runs_;
};

Status SyncAndRename(const std::string& tmp, const std::string& path) {
  int fd = ::open(tmp.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::IOErrorFromErrno("open", tmp);
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return Status::IOErrorFromErrno("fsync", tmp);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return Status::IOErrorFromErrno("rename", tmp);
  std::string dir = path.substr(0, path.find_last_of('/') == std::string::npos
                                       ? 0 : path.find_last_of('/'));
  if (dir.empty()) dir = ".";
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return Status::IOErrorFromErrno("open", dir);
  rc = ::fsync(dfd);
  ::close(dfd);
  return rc == 0 ? Status::OK() : Status::IOErrorFromErrno("fsync", dir);
}

}  // namespace

Result<FileInfo> WriteParquetFile(const std::string& path, std::vector<SeriesData> series,
                                  const WriteOptions& options) {
  // Sort by metric, then labels (metric name first in the comparison, then
  // the remaining labels in order), so that similar series sit together.
  std::sort(series.begin(), series.end(), [](const SeriesData& a, const SeriesData& b) {
    std::string_view ma = a.labels.metric_name(), mb = b.labels.metric_name();
    if (ma != mb) return ma < mb;
    return a.labels < b.labels;
  });

  FileInfo info;
  int64_t rows = 0;
  // Label columns: every label name present, in name order.
  std::map<std::string, DictColumnBuilder> label_columns;
  for (const SeriesData& s : series) {
    rows += static_cast<int64_t>(s.samples.size());
    for (const model::Label& l : s.labels) {
      if (l.name != model::kMetricNameLabel) label_columns.try_emplace(l.name);
    }
  }
  info.num_rows = rows;

  DictColumnBuilder metric;
  arrow::Int64Builder series_id;
  arrow::TimestampBuilder ts(arrow::timestamp(arrow::TimeUnit::MILLI, "UTC"),
                             arrow::default_memory_pool());
  arrow::DoubleBuilder value;
  RETURN_NOT_OK(FromArrow(series_id.Reserve(rows), "reserve"));
  RETURN_NOT_OK(FromArrow(ts.Reserve(rows), "reserve"));
  RETURN_NOT_OK(FromArrow(value.Reserve(rows), "reserve"));
  info.min_ts = INT64_MAX;
  info.max_ts = INT64_MIN;
  // Label values live in `series` for the whole function; builders keep
  // pointers to them.
  std::string empty;
  for (const SeriesData& s : series) {
    int64_t n = static_cast<int64_t>(s.samples.size());
    if (n == 0) continue;
    std::string metric_name(s.labels.metric_name());
    auto label_it = s.labels.begin();
    for (auto& [name, builder] : label_columns) {
      while (label_it != s.labels.end() && label_it->name < name) ++label_it;
      const std::string* v =
          label_it != s.labels.end() && label_it->name == name ? &label_it->value : nullptr;
      builder.AppendRun(v, n);
    }
    for (const model::Label& l : s.labels) {
      if (l.name == model::kMetricNameLabel) metric.AppendRun(&l.value, n);
    }
    int64_t id = static_cast<int64_t>(s.labels.Hash());
    for (const model::Sample& sample : s.samples) {
      series_id.UnsafeAppend(id);
      ts.UnsafeAppend(sample.timestamp_ms);
      value.UnsafeAppend(sample.value);
    }
    info.min_ts = std::min(info.min_ts, s.samples.front().timestamp_ms);
    info.max_ts = std::max(info.max_ts, s.samples.back().timestamp_ms);
  }

  std::vector<std::shared_ptr<arrow::Field>> fields;
  std::vector<std::shared_ptr<arrow::Array>> arrays;
  auto dict_type = arrow::dictionary(arrow::int32(), arrow::utf8());
  ASSIGN_OR_RETURN(auto metric_array, metric.Finish(rows));
  fields.push_back(arrow::field(std::string(kMetricColumn), dict_type, false));
  arrays.push_back(metric_array);
  std::shared_ptr<arrow::Array> a;
  RETURN_NOT_OK(FromArrow(series_id.Finish(&a), "series_id"));
  fields.push_back(arrow::field(std::string(kSeriesIdColumn), arrow::int64(), false));
  arrays.push_back(a);
  RETURN_NOT_OK(FromArrow(ts.Finish(&a), "ts"));
  fields.push_back(arrow::field(std::string(kTimestampColumn), a->type(), false));
  arrays.push_back(a);
  RETURN_NOT_OK(FromArrow(value.Finish(&a), "value"));
  fields.push_back(arrow::field(std::string(kValueColumn), arrow::float64(), false));
  arrays.push_back(a);
  for (auto& [name, builder] : label_columns) {
    ASSIGN_OR_RETURN(auto col, builder.Finish(rows));
    fields.push_back(arrow::field(ColumnForLabel(name), dict_type, true));
    arrays.push_back(col);
  }
  for (const auto& f : fields) info.columns.push_back(f->name());
  auto table = arrow::Table::Make(arrow::schema(fields), arrays, rows);

  // Encodings (docs/FORMAT.md): dictionary for strings and series_id (runs
  // of the same value become RLE of one index), DELTA_BINARY_PACKED for the
  // timestamps, BYTE_STREAM_SPLIT for values; dictionary encoding would take
  // precedence over the chosen encodings, so it is off for those two.
  auto props = parquet::WriterProperties::Builder()
                   .compression(parquet::Compression::ZSTD)
                   ->compression_level(options.zstd_level)
                   ->disable_dictionary(std::string(kTimestampColumn))
                   ->encoding(std::string(kTimestampColumn), parquet::Encoding::DELTA_BINARY_PACKED)
                   ->disable_dictionary(std::string(kValueColumn))
                   ->encoding(std::string(kValueColumn), parquet::Encoding::BYTE_STREAM_SPLIT)
                   ->enable_statistics()
                   ->enable_write_page_index()
                   ->max_row_group_length(options.row_group_rows)
                   ->created_by("MyTSDB")
                   ->build();
  auto arrow_props = parquet::ArrowWriterProperties::Builder().store_schema()->build();

  std::string tmp = path + ".tmp";
  {
    auto out = arrow::io::FileOutputStream::Open(tmp);
    if (!out.ok()) return FromArrow(out.status(), "open " + tmp);
    auto st = parquet::arrow::WriteTable(*table, arrow::default_memory_pool(), *out,
                                         options.row_group_rows, props, arrow_props);
    auto close = (*out)->Close();
    if (!st.ok() || !close.ok()) {
      std::remove(tmp.c_str());
      return FromArrow(st.ok() ? close : st, "write " + tmp);
    }
  }
  Status st = SyncAndRename(tmp, path);
  if (!st.ok()) {
    std::remove(tmp.c_str());
    return st;
  }
  auto size = arrow::io::ReadableFile::Open(path);
  if (size.ok()) {
    auto n = (*size)->GetSize();
    if (n.ok()) info.size_bytes = *n;
  }
  return info;
}

}  // namespace mytsdb::cold
