#include "cold/parquet_writer.h"

#include <arrow/api.h>
#include <parquet/arrow/writer.h>

#include <algorithm>
#include <bit>
#include <map>
#include <optional>
#include <unordered_map>

#include "cold/arrow_io.h"
#include "cold/schema.h"
#include "cold/value_encoding.h"

namespace mytsdb::cold {

namespace {

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
    arrow::StringBuilder dict(ArrowMemoryPool());
    for (const std::string* v : values_) {
      auto st = dict.Append(*v);
      if (!st.ok()) return FromArrow(st, "dictionary");
    }
    std::shared_ptr<arrow::Array> dict_array;
    auto st = dict.Finish(&dict_array);
    if (!st.ok()) return FromArrow(st, "dictionary");
    arrow::Int32Builder indices(ArrowMemoryPool());
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

}  // namespace

bool SeriesFileOrder(const model::Labels& a, const model::Labels& b) {
  std::string_view ma = a.metric_name(), mb = b.metric_name();
  if (ma != mb) return ma < mb;
  return a < b;
}

struct ParquetFileWriter::Impl {
  io::FileSystem* fs = nullptr;
  std::string path;
  std::string tmp;
  std::vector<std::string> label_names;  // sorted
  std::shared_ptr<arrow::Schema> schema;
  std::unique_ptr<io::WritableFile> file;
  std::shared_ptr<arrow::io::OutputStream> out;
  std::unique_ptr<parquet::arrow::FileWriter> writer;
  FileInfo info;
  std::optional<model::Labels> last;  // the last series written
  bool finished = false;
};

ParquetFileWriter::ParquetFileWriter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ParquetFileWriter::~ParquetFileWriter() {
  if (impl_ && !impl_->finished) {
    if (impl_->writer) (void)impl_->writer->Close();
    if (impl_->out) (void)impl_->out->Close();
    if (impl_->file) (void)impl_->fs->Remove(impl_->tmp);
  }
}

Result<std::unique_ptr<ParquetFileWriter>> ParquetFileWriter::Open(
    io::FileSystem* fs, const std::string& path, std::vector<std::string> label_names,
    const WriteOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->fs = fs;
  impl->path = path;
  impl->tmp = io::StagingPathFor(fs, path);
  std::sort(label_names.begin(), label_names.end());
  label_names.erase(std::unique(label_names.begin(), label_names.end()), label_names.end());
  std::erase(label_names, std::string(model::kMetricNameLabel));
  impl->label_names = std::move(label_names);

  auto dict_type = arrow::dictionary(arrow::int32(), arrow::utf8());
  std::vector<std::shared_ptr<arrow::Field>> fields = {
      arrow::field(std::string(kMetricColumn), dict_type, false),
      arrow::field(std::string(kSeriesIdColumn), arrow::int64(), false),
      arrow::field(std::string(kTimestampColumn), arrow::timestamp(arrow::TimeUnit::MILLI, "UTC"),
                   false),
      arrow::field(std::string(kValueColumn), arrow::float64(), true),
      arrow::field(std::string(kValueIntColumn), arrow::int64(), true),
      arrow::field(std::string(kValueDivColumn), arrow::int64(), true)};
  for (const std::string& name : impl->label_names) {
    fields.push_back(arrow::field(ColumnForLabel(name), dict_type, true));
  }
  impl->schema = arrow::schema(fields);
  for (const auto& f : fields) impl->info.columns.push_back(f->name());
  impl->info.min_ts = INT64_MAX;
  impl->info.max_ts = INT64_MIN;

  // Encodings (docs/FORMAT.md has the measurements): dictionary for strings
  // and series_id (runs of the same value become RLE of one index),
  // DELTA_BINARY_PACKED for the timestamps, PLAIN for values (8% smaller than
  // BYTE_STREAM_SPLIT under ZSTD on the node workload, 11% smaller than a
  // dictionary). Dictionary encoding would take precedence over a chosen
  // encoding, so it is off for those two columns.
  auto props = parquet::WriterProperties::Builder()
                   .compression(parquet::Compression::ZSTD)
                   ->compression_level(options.zstd_level)
                   ->memory_pool(ArrowMemoryPool())
                   ->disable_dictionary(std::string(kTimestampColumn))
                   ->encoding(std::string(kTimestampColumn), parquet::Encoding::DELTA_BINARY_PACKED)
                   ->disable_dictionary(std::string(kValueColumn))
                   ->encoding(std::string(kValueColumn), parquet::Encoding::PLAIN)
                   ->disable_dictionary(std::string(kValueIntColumn))
                   ->encoding(std::string(kValueIntColumn), parquet::Encoding::DELTA_BINARY_PACKED)
                   // A few bytes per page either way; uncompressed, a query
                   // skips two ZSTD decompressions per page read (each sets
                   // up a context, which a virtual machine makes costly).
                   ->compression(std::string(kValueDivColumn), parquet::Compression::UNCOMPRESSED)
                   ->compression_level(std::string(kValueDivColumn),
                                       ::arrow::util::kUseDefaultCompressionLevel)
                   ->enable_statistics()
                   ->enable_write_page_index()
                   ->max_row_group_length(options.row_group_rows)
                   ->created_by("MyTSDB")
                   ->build();
  auto arrow_props = parquet::ArrowWriterProperties::Builder().store_schema()->build();

  ASSIGN_OR_RETURN(impl->file, fs->NewWritableFile(impl->tmp));
  impl->out = MakeArrowOutputStream(impl->file.get());
  // From here on, the destructor removes the temporary file on failure.
  std::unique_ptr<ParquetFileWriter> writer(new ParquetFileWriter(std::move(impl)));
  auto made = parquet::arrow::FileWriter::Open(*writer->impl_->schema, ArrowMemoryPool(),
                                               writer->impl_->out, props, arrow_props);
  if (!made.ok()) return FromArrow(made.status(), "write " + writer->impl_->tmp);
  writer->impl_->writer = std::move(*made);
  return writer;
}

Status ParquetFileWriter::Write(std::span<const SeriesData> series) {
  Impl& im = *impl_;
  if (im.finished) return Status::Internal("ParquetFileWriter: write after Finish");
  int64_t rows = 0;
  const model::Labels* previous = im.last ? &*im.last : nullptr;
  for (const SeriesData& s : series) {
    if (s.samples.empty()) continue;
    if (previous != nullptr && !SeriesFileOrder(*previous, s.labels)) {
      return Status::Internal("series out of file order: " + s.labels.ToString() + " after " +
                              previous->ToString());
    }
    previous = &s.labels;
    rows += static_cast<int64_t>(s.samples.size());
  }
  if (rows == 0) return Status::OK();

  DictColumnBuilder metric;
  std::vector<DictColumnBuilder> labels(im.label_names.size());
  arrow::Int64Builder series_id(ArrowMemoryPool());
  arrow::TimestampBuilder ts(arrow::timestamp(arrow::TimeUnit::MILLI, "UTC"), ArrowMemoryPool());
  arrow::DoubleBuilder value(ArrowMemoryPool());
  arrow::Int64Builder value_int(ArrowMemoryPool());
  arrow::Int64Builder value_div(ArrowMemoryPool());
  RETURN_NOT_OK(FromArrow(series_id.Reserve(rows), "reserve"));
  RETURN_NOT_OK(FromArrow(ts.Reserve(rows), "reserve"));
  RETURN_NOT_OK(FromArrow(value.Reserve(rows), "reserve"));
  RETURN_NOT_OK(FromArrow(value_int.Reserve(rows), "reserve"));
  RETURN_NOT_OK(FromArrow(value_div.Reserve(rows), "reserve"));
  // Label values live in `series` for the whole call; builders keep pointers
  // to them.
  for (const SeriesData& s : series) {
    int64_t n = static_cast<int64_t>(s.samples.size());
    if (n == 0) continue;
    auto label_it = s.labels.begin();
    const std::string* metric_name = nullptr;
    for (const model::Label& l : s.labels) {
      if (l.name == model::kMetricNameLabel) metric_name = &l.value;
    }
    if (metric_name == nullptr) {
      return Status::InvalidArgument("series without a metric name: " + s.labels.ToString());
    }
    metric.AppendRun(metric_name, n);
    for (size_t c = 0; c < im.label_names.size(); ++c) {
      const std::string& name = im.label_names[c];
      while (label_it != s.labels.end() && label_it->name < name) ++label_it;
      const std::string* v =
          label_it != s.labels.end() && label_it->name == name ? &label_it->value : nullptr;
      labels[c].AppendRun(v, n);
    }
    int64_t id = static_cast<int64_t>(s.labels.Hash());
    const int64_t divisor = DecimalDivisor(s.samples);
    for (const model::Sample& sample : s.samples) {
      series_id.UnsafeAppend(id);
      ts.UnsafeAppend(sample.timestamp_ms);
      int64_t integer = 0;
      if (AsDecimal(sample.value, divisor, &integer)) {
        value.UnsafeAppendNull();
        value_int.UnsafeAppend(integer);
        value_div.UnsafeAppend(divisor);
      } else {
        value.UnsafeAppend(sample.value);
        value_int.UnsafeAppendNull();
        value_div.UnsafeAppendNull();
      }
    }
    im.info.min_ts = std::min(im.info.min_ts, s.samples.front().timestamp_ms);
    im.info.max_ts = std::max(im.info.max_ts, s.samples.back().timestamp_ms);
  }

  std::vector<std::shared_ptr<arrow::Array>> arrays;
  ASSIGN_OR_RETURN(auto metric_array, metric.Finish(rows));
  arrays.push_back(metric_array);
  std::shared_ptr<arrow::Array> a;
  RETURN_NOT_OK(FromArrow(series_id.Finish(&a), "series_id"));
  arrays.push_back(a);
  RETURN_NOT_OK(FromArrow(ts.Finish(&a), "ts"));
  arrays.push_back(a);
  RETURN_NOT_OK(FromArrow(value.Finish(&a), "value"));
  arrays.push_back(a);
  RETURN_NOT_OK(FromArrow(value_int.Finish(&a), "value_int"));
  arrays.push_back(a);
  RETURN_NOT_OK(FromArrow(value_div.Finish(&a), "value_div"));
  arrays.push_back(a);
  for (DictColumnBuilder& builder : labels) {
    ASSIGN_OR_RETURN(auto col, builder.Finish(rows));
    arrays.push_back(col);
  }
  auto batch = arrow::RecordBatch::Make(im.schema, rows, arrays);
  RETURN_NOT_OK(FromArrow(im.writer->WriteRecordBatch(*batch), "write " + im.tmp));
  im.info.num_rows += rows;
  im.last = *previous;
  return Status::OK();
}

Result<FileInfo> ParquetFileWriter::Finish() {
  Impl& im = *impl_;
  if (im.finished) return Status::Internal("ParquetFileWriter: Finish called twice");
  im.finished = true;
  Status st = FromArrow(im.writer->Close(), "write " + im.tmp);
  if (st.ok()) st = im.file->Sync();
  if (st.ok()) st = FromArrow(im.out->Close(), "close " + im.tmp);
  if (st.ok()) st = io::PublishStagedFile(im.fs, im.tmp, im.path);
  if (!st.ok()) {
    (void)im.out->Close();
    (void)im.fs->Remove(im.tmp);
    return st;
  }
  ASSIGN_OR_RETURN(io::FileStatus written, im.fs->Stat(im.path));
  im.info.size_bytes = static_cast<int64_t>(written.size);
  if (im.info.num_rows == 0) im.info.min_ts = im.info.max_ts = 0;
  return im.info;
}

Result<FileInfo> WriteParquetFile(io::FileSystem* fs, const std::string& path,
                                  std::vector<SeriesData> series, const WriteOptions& options) {
  std::sort(series.begin(), series.end(), [](const SeriesData& a, const SeriesData& b) {
    return SeriesFileOrder(a.labels, b.labels);
  });
  std::vector<std::string> names;
  for (const SeriesData& s : series) {
    for (const model::Label& l : s.labels) names.push_back(l.name);
  }
  ASSIGN_OR_RETURN(auto writer, ParquetFileWriter::Open(fs, path, std::move(names), options));
  RETURN_NOT_OK(writer->Write(series));
  return writer->Finish();
}

}  // namespace mytsdb::cold
