// Writes a set of series as one Parquet file of the cold tier (schema.h),
// through Arrow C++ and io::FileSystem. The file is written to
// `path + ".tmp"`, fsynced, renamed, and its directory fsynced, so a reader
// that globs the directory never sees a partial file and the finished file
// survives a power loss.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/result.h"
#include "io/file_system.h"
#include "model/labels.h"
#include "model/sample.h"

namespace mytsdb::cold {

struct SeriesData {
  model::Labels labels;
  std::vector<model::Sample> samples;  // sorted by time
};

struct WriteOptions {
  int64_t row_group_rows = 256 * 1024;
  int zstd_level = 3;
};

struct FileInfo {
  int64_t num_rows = 0;
  int64_t size_bytes = 0;
  int64_t min_ts = 0;
  int64_t max_ts = 0;
  std::vector<std::string> columns;  // in file order
};

// The order of series in a file: by metric name, then by all labels.
bool SeriesFileOrder(const model::Labels& a, const model::Labels& b);

// Writes one file in batches, so that memory stays bounded by the batch size
// and not the file size. Not thread-safe. Destroying an unfinished writer
// removes its temporary file.
class ParquetFileWriter {
 public:
  // `label_names`: every label name (except __name__) that the series to be
  // written carry; it fixes the file's columns.
  // `fs` must outlive the writer; the directory of `path` must exist.
  static Result<std::unique_ptr<ParquetFileWriter>> Open(io::FileSystem* fs,
                                                         const std::string& path,
                                                         std::vector<std::string> label_names,
                                                         const WriteOptions& options = {});
  ~ParquetFileWriter();

  // Appends series; each batch must be in SeriesFileOrder and come after the
  // batches already written, each series once (Internal otherwise, nothing
  // of the batch written: readers rely on the order, docs/FORMAT.md). Rows
  // are buffered into row groups of options.row_group_rows.
  Status Write(std::span<const SeriesData> series);
  // Closes the file, fsyncs it, renames it into place and fsyncs the
  // directory.
  Result<FileInfo> Finish();

 private:
  struct Impl;
  explicit ParquetFileWriter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Sorts `series` (SeriesFileOrder) and writes them as one file. IOError on
// file system failures; the file is then absent.
Result<FileInfo> WriteParquetFile(io::FileSystem* fs, const std::string& path,
                                  std::vector<SeriesData> series, const WriteOptions& options = {});

}  // namespace mytsdb::cold
