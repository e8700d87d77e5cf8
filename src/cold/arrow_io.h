// Arrow's file interfaces over io::FileSystem, so that the Parquet writer and
// readers of the cold tier do their I/O through the same FileSystem as the
// rest of MyTSDB (and tests can inject faults into it). Also the one place
// that turns Arrow's and Parquet's errors into Status.
#pragma once

#include <arrow/io/interfaces.h>
#include <arrow/memory_pool.h>
#include <parquet/properties.h>
#include <arrow/status.h>

#include <exception>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"
#include "io/file_system.h"

namespace mytsdb::cold {

// The memory pool of every Arrow and Parquet allocation of the cold tier:
// the process's malloc (jemalloc in the server), not the default pool of
// the pyarrow wheel's libarrow (a mimalloc of its own that kept pages the
// server's allocator would have returned), so that one allocator with one
// decay setting serves the whole process and the allocator's statistics
// (mytsdb_allocator_*) include Arrow's buffers. docs/BENCHMARKS.md
// ("Compaction memory") has the measurement.
arrow::MemoryPool* ArrowMemoryPool();
// Parquet's reader properties with that pool.
parquet::ReaderProperties ParquetReaderProperties();

// `what: <arrow message>` as IOError; OK stays OK. An error that came from
// io::FileSystem keeps its code (ENOSPC stays ResourceExhausted).
Status FromArrow(const arrow::Status& st, std::string_view what);
// A Parquet exception: Corruption (a file that does not decode), unless it
// carries an io::FileSystem error (then that error's code).
Status FromException(const std::exception& e, std::string_view what);
// The other way, for code that Arrow calls back.
arrow::Status ToArrow(const Status& st);

// An Arrow output stream appending to an io::WritableFile. Close() closes
// the file without syncing it (the caller syncs).
std::shared_ptr<arrow::io::OutputStream> MakeArrowOutputStream(io::WritableFile* file);

// An Arrow random-access file reading an io::RandomAccessFile (thread-safe
// ReadAt, as Parquet's readers need).
std::shared_ptr<arrow::io::RandomAccessFile> MakeArrowInputFile(
    std::shared_ptr<io::RandomAccessFile> file);

// Opens `path` of `fs` for Arrow.
Result<std::shared_ptr<arrow::io::RandomAccessFile>> OpenArrowInputFile(io::FileSystem* fs,
                                                                         const std::string& path);

}  // namespace mytsdb::cold
