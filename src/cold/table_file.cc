#include "cold/table_file.h"

#include <parquet/arrow/reader.h>
#include <parquet/arrow/writer.h>

#include "cold/arrow_io.h"
#include "cold/column_reader.h"

namespace mytsdb::cold {

Result<int64_t> WriteTableFile(io::FileSystem* fs, const std::string& path, const arrow::Table& table) {
  const std::string staged = io::StagingPathFor(fs, path);
  ASSIGN_OR_RETURN(std::unique_ptr<io::WritableFile> file, fs->NewWritableFile(staged));
  try {
    auto properties = parquet::WriterProperties::Builder()
                          .compression(parquet::Compression::ZSTD)
                          ->enable_statistics()
                          ->build();
    auto arrow_properties = parquet::ArrowWriterProperties::Builder().store_schema()->build();
    RETURN_NOT_OK(FromArrow(parquet::arrow::WriteTable(table, ArrowMemoryPool(), MakeArrowOutputStream(file.get()),
                                                       /*chunk_size=*/64 * 1024, properties, arrow_properties),
                            "write " + path));
  } catch (const std::exception& e) {
    return FromException(e, "write " + path);
  }
  RETURN_NOT_OK(file->Sync());
  RETURN_NOT_OK(file->Close());
  RETURN_NOT_OK(io::PublishStagedFile(fs, staged, path));
  ASSIGN_OR_RETURN(io::FileStatus status, fs->Stat(path));
  return static_cast<int64_t>(status.size);
}

Result<std::shared_ptr<arrow::Table>> ReadTableFile(io::FileSystem* fs, const std::string& path) {
  ASSIGN_OR_RETURN(auto reader, OpenParquet(fs, path));
  std::shared_ptr<arrow::Table> table;
  try {
    auto read = reader->ReadTable();
    if (!read.ok()) return FromArrow(read.status(), "read " + path);
    table = *std::move(read);
  } catch (const std::exception& e) {
    return FromException(e, "read " + path);
  }
  return table;
}

}  // namespace mytsdb::cold
