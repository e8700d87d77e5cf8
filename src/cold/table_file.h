// Whole Parquet files of the small tables with a fixed layout (the alert
// history, the search vectors): written under a temporary name, synced,
// then renamed, so that a file under its final name is always complete;
// read back whole. The Arrow schema is stored in the file, so that Arrow
// readers get back types Parquet lacks (a fixed-size list stays one).
#pragma once

#include <arrow/table.h>

#include <memory>
#include <string>

#include "common/result.h"
#include "io/file_system.h"

namespace mytsdb::cold {

// Writes `table` to `path` (ZSTD, statistics on) through `path`.tmp, syncs
// the file and its directory; returns the file's size in bytes.
Result<int64_t> WriteTableFile(io::FileSystem* fs, const std::string& path, const arrow::Table& table);

// The whole file.
Result<std::shared_ptr<arrow::Table>> ReadTableFile(io::FileSystem* fs, const std::string& path);

}  // namespace mytsdb::cold
