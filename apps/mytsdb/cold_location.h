// Where the cold tier's table lives: DATA/parquet on the local disk (the
// default), or an s3://bucket/prefix URL on an S3-compatible object store
// (docs/SCALING.md), with the file system that reaches it.
#pragma once

#include <memory>
#include <string>

#include "common/result.h"
#include "config.h"
#include "io/file_system.h"
#include "storage/storage.h"

namespace mytsdb::app {

struct ColdLocation {
  std::string url;  // empty: DATA/parquet
  std::unique_ptr<io::FileSystem> fs;  // null: the local file system
};

// Checks the URL, builds the object store's file system and checks that the
// bucket exists and can be listed (MyTSDB never creates buckets), so that a
// wrong endpoint, bucket or credential stops the start with one line.
Result<ColdLocation> OpenColdLocation(const Config& config);

// Points `options` at the location (which must outlive the storage).
void UseColdLocation(const ColdLocation& location, storage::StorageOptions* options);

}  // namespace mytsdb::app
