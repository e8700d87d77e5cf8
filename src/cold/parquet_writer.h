// Writes a set of series as one Parquet file of the cold tier (schema.h),
// through Arrow C++. The file is written to `path + ".tmp"`, fsynced and
// renamed, so a reader that globs the directory never sees a partial file.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"
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

// Sorts `series` (by metric, then labels) and writes them. IOError on file
// system failures; the file is then absent.
Result<FileInfo> WriteParquetFile(const std::string& path, std::vector<SeriesData> series,
                                  const WriteOptions& options = {});

}  // namespace mytsdb::cold
