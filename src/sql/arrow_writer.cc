// SQL results as an Arrow IPC stream or a Parquet file (result_writer.h):
// DuckDB's chunks, exported through Arrow's C data interface, written by
// Arrow C++'s IPC and Parquet writers into the sink.
#include <arrow/c/bridge.h>
#include <arrow/io/interfaces.h>
#include <arrow/ipc/writer.h>
#include <arrow/memory_pool.h>
#include <parquet/arrow/writer.h>
#include <parquet/properties.h>

#include <string>

#include "duckdb.hpp"
#include "sql/result_writer.h"

namespace mytsdb::sql {

namespace {

// Arrow's output stream over a sink, in pieces of about 1 MiB.
class SinkStream : public arrow::io::OutputStream {
 public:
  explicit SinkStream(const Sink& sink) : sink_(sink) {}
  arrow::Status Close() override {
    if (closed_) return arrow::Status::OK();
    closed_ = true;
    return Flush();
  }
  bool closed() const override { return closed_; }
  arrow::Result<int64_t> Tell() const override { return position_; }
  arrow::Status Write(const void* data, int64_t nbytes) override {
    buffer_.append(static_cast<const char*>(data), static_cast<size_t>(nbytes));
    position_ += nbytes;
    if (buffer_.size() >= (1 << 20)) return Flush();
    return arrow::Status::OK();
  }
  arrow::Status Flush() override {
    if (buffer_.empty()) return arrow::Status::OK();
    const bool go_on = sink_(buffer_);
    buffer_.clear();
    if (!go_on) {
      stopped_ = true;
      return arrow::Status::Cancelled("the reader is gone");
    }
    return arrow::Status::OK();
  }
  bool stopped() const { return stopped_; }

 private:
  const Sink& sink_;
  std::string buffer_;
  int64_t position_ = 0;
  bool closed_ = false;
  bool stopped_ = false;
};

Status FromArrow(const arrow::Status& st) {
  return st.ok() ? Status::OK() : Status::Internal("SQL result: " + st.ToString());
}

// What writes batches: Arrow IPC or Parquet.
class BatchWriter {
 public:
  virtual ~BatchWriter() = default;
  virtual arrow::Status Write(const arrow::RecordBatch& batch) = 0;
  virtual arrow::Status Close() = 0;
};

class IpcWriter : public BatchWriter {
 public:
  explicit IpcWriter(std::shared_ptr<arrow::ipc::RecordBatchWriter> w) : w_(std::move(w)) {}
  arrow::Status Write(const arrow::RecordBatch& batch) override { return w_->WriteRecordBatch(batch); }
  arrow::Status Close() override { return w_->Close(); }

 private:
  std::shared_ptr<arrow::ipc::RecordBatchWriter> w_;
};

class ParquetWriter : public BatchWriter {
 public:
  explicit ParquetWriter(std::unique_ptr<parquet::arrow::FileWriter> w) : w_(std::move(w)) {}
  arrow::Status Write(const arrow::RecordBatch& batch) override { return w_->WriteRecordBatch(batch); }
  arrow::Status Close() override { return w_->Close(); }

 private:
  std::unique_ptr<parquet::arrow::FileWriter> w_;
};

}  // namespace

Result<WriteSummary> WriteArrowResult(Cursor& cursor, std::optional<bool> fetched,
                                      ResultFormat format, int64_t limit, const Sink& sink) {
  WriteSummary summary;
  ArrowSchema c_schema;
  cursor.ExportSchema(&c_schema);
  arrow::Result<std::shared_ptr<arrow::Schema>> schema = arrow::ImportSchema(&c_schema);
  if (!schema.ok()) return FromArrow(schema.status());
  auto stream = std::make_shared<SinkStream>(sink);
  std::unique_ptr<BatchWriter> writer;
  if (format == ResultFormat::kArrow) {
    auto w = arrow::ipc::MakeStreamWriter(stream, *schema);
    if (!w.ok()) return FromArrow(w.status());
    writer = std::make_unique<IpcWriter>(std::move(*w));
  } else {
    parquet::WriterProperties::Builder properties;
    properties.compression(parquet::Compression::ZSTD);
    auto arrow_properties = parquet::ArrowWriterProperties::Builder().store_schema()->build();
    auto w = parquet::arrow::FileWriter::Open(**schema, arrow::default_memory_pool(), stream,
                                              properties.build(), arrow_properties);
    if (!w.ok()) return FromArrow(w.status());
    writer = std::make_unique<ParquetWriter>(std::move(*w));
  }
  bool have = fetched.value_or(false);
  while (fetched.value_or(true)) {
    if (!have) {
      Result<bool> more = cursor.Next();
      if (!more.ok()) return more.status();  // no Close: the output stays incomplete
      if (!*more) break;
    }
    have = false;
    uint64_t rows = cursor.chunk().size();
    if (limit >= 0 && summary.rows + static_cast<int64_t>(rows) > limit) {
      rows = static_cast<uint64_t>(limit - summary.rows);
      summary.truncated = true;
    }
    if (rows > 0) {
      ArrowArray c_array;
      cursor.ExportChunk(rows, &c_array);
      auto batch = arrow::ImportRecordBatch(&c_array, *schema);
      if (!batch.ok()) return FromArrow(batch.status());
      arrow::Status st = writer->Write(**batch);
      if (stream->stopped()) {
        summary.stopped = true;
        return summary;
      }
      if (!st.ok()) return FromArrow(st);
      summary.rows += static_cast<int64_t>(rows);
    }
    if (summary.truncated) break;
  }
  arrow::Status st = writer->Close();
  if (stream->stopped()) {
    summary.stopped = true;
    return summary;
  }
  RETURN_NOT_OK(FromArrow(st));
  RETURN_NOT_OK(FromArrow(stream->Close()));
  summary.stopped = stream->stopped();
  return summary;
}

}  // namespace mytsdb::sql
